// opsd dashboard: operations list, detail with timeline, stalled view, live over SSE.
// Plain DOM, no framework, no innerHTML with data: every value goes in as text.
'use strict';

(() => {
  const STATUSES = ['Running', 'Pending', 'Stalled', 'Failed', 'Succeeded', 'Canceled'];
  const TOKEN_KEY = 'opsd.token';

  const state = {
    token: sessionStorage.getItem(TOKEN_KEY) || '',
    session: null, // {access, tokens_configured, anonymous_reads, store}
    view: null,
  };

  // ---------------------------------------------------------------- DOM helpers

  // h('div', {class: 'x', text: 'hi', onclick: fn, dataset: {id: 1}}, child, ...)
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const [key, value] of Object.entries(attrs)) {
        if (value === undefined || value === null || value === false) continue;
        if (key === 'class') el.className = value;
        else if (key === 'text') el.textContent = value;
        else if (key === 'dataset') Object.assign(el.dataset, value);
        else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
        else if (value === true) el.setAttribute(key, '');
        else el.setAttribute(key, String(value));
      }
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  const ICONS = {
    search: 'M10.5 3a7.5 7.5 0 015.9 12.1l4.2 4.2-1.4 1.4-4.2-4.2A7.5 7.5 0 1110.5 3zm0 2a5.5 5.5 0 100 11 5.5 5.5 0 000-11z',
    tag: 'M3 3h8l10 10-8 8L3 11V3zm4 2.5a1.5 1.5 0 100 3 1.5 1.5 0 000-3z',
    copy: 'M8 3h11v13h-2V5H8V3zM4 7h11v14H4V7zm2 2v10h7V9H6z',
    status: 'M12 4a8 8 0 110 16 8 8 0 010-16z',
    event: 'M4 5h16v2H4zm0 6h16v2H4zm0 6h10v2H4z',
    child: 'M5 3h2v8h8V8l5 4-5 4v-3H5V3z',
    audit: 'M12 2l8 3v6c0 5-3.4 9.3-8 11-4.6-1.7-8-6-8-11V5l8-3zm-1 13l6-6-1.4-1.4L11 12.2 8.4 9.6 7 11l4 4z',
    cancel: 'M6.4 5L12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z',
  };

  function icon(name) {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', ICONS[name]);
    path.setAttribute('fill', 'currentColor');
    svg.append(path);
    return svg;
  }

  let toastTimer = 0;
  function toast(message, isError) {
    const el = document.getElementById('toast');
    el.textContent = message;
    el.className = 'toast show' + (isError ? ' error' : '');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.className = 'toast'; }, isError ? 5000 : 2500);
  }

  function debounce(fn, ms) {
    let timer = 0;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  }

  // ---------------------------------------------------------------- formatting

  const parseTime = (iso) => (iso ? new Date(iso) : null);

  function fmtDuration(ms) {
    if (ms === null || ms === undefined || !isFinite(ms)) return '–';
    if (ms < 0) ms = 0;
    if (ms < 1000) return Math.round(ms) + 'ms';
    const s = Math.floor(ms / 1000);
    if (s < 60) return (ms < 10000 ? (ms / 1000).toFixed(1) : s) + 's';
    const m = Math.floor(s / 60);
    if (m < 60) return m + 'm ' + (s % 60) + 's';
    const hr = Math.floor(m / 60);
    if (hr < 24) return hr + 'h ' + (m % 60) + 'm';
    return Math.floor(hr / 24) + 'd ' + (hr % 24) + 'h';
  }

  function fmtRelative(date) {
    if (!date) return '–';
    const diff = Date.now() - date.getTime();
    const future = diff < 0;
    const s = Math.abs(diff) / 1000;
    let text;
    if (s < 5) return 'just now';
    if (s < 60) text = Math.floor(s) + 's';
    else if (s < 3600) text = Math.floor(s / 60) + 'm';
    else if (s < 86400) text = Math.floor(s / 3600) + 'h';
    else text = Math.floor(s / 86400) + 'd';
    return future ? 'in ' + text : text + ' ago';
  }

  const pad = (n, w = 2) => String(n).padStart(w, '0');
  function fmtClock(date) {
    return pad(date.getHours()) + ':' + pad(date.getMinutes()) + ':' + pad(date.getSeconds());
  }
  function fmtDateTime(date) {
    if (!date) return '–';
    return date.getFullYear() + '-' + pad(date.getMonth() + 1) + '-' + pad(date.getDate()) + ' ' +
      fmtClock(date);
  }
  const fmtNumber = (n) => Number(n).toLocaleString();

  // A relative time that the ticker keeps fresh.
  function relTime(iso) {
    const date = parseTime(iso);
    return h('span', { class: 'rel', title: date ? date.toISOString() : '', dataset: { rel: iso || '' } },
      fmtRelative(date));
  }

  // Elapsed time of an operation; ticks while it is open.
  function durationOf(op) {
    const start = parseTime(op.started_at);
    const end = op.completed_at ? parseTime(op.completed_at) : null;
    const el = h('span', { class: 'dur' }, fmtDuration((end ? end.getTime() : Date.now()) - start.getTime()));
    if (!end) el.dataset.since = op.started_at;
    return el;
  }

  function tick() {
    for (const el of document.querySelectorAll('[data-rel]')) {
      if (el.dataset.rel) el.textContent = fmtRelative(new Date(el.dataset.rel));
    }
    for (const el of document.querySelectorAll('[data-since]')) {
      el.textContent = fmtDuration(Date.now() - new Date(el.dataset.since).getTime());
    }
  }
  setInterval(tick, 1000);

  function prettyJson(text) {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      return text;
    }
  }

  async function copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
      toast('Copied');
    } catch {
      toast('Copy failed', true);
    }
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, body) {
      const err = (body && body.error) || {};
      super(err.message || 'HTTP ' + status);
      this.status = status;
      this.code = err.code || 'http_' + status;
      this.field = err.field || null;
    }
  }

  async function api(path, options = {}) {
    const headers = { Accept: 'application/json' };
    if (state.token) headers.Authorization = 'Bearer ' + state.token;
    const init = { method: options.method || 'GET', headers, signal: options.signal };
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    const res = await fetch(path, init);
    let body = null;
    const text = await res.text();
    if (text) {
      try { body = JSON.parse(text); } catch { body = null; }
    }
    if (!res.ok) {
      const error = new ApiError(res.status, body);
      if (res.status === 401 && !options.quiet) onUnauthorized();
      throw error;
    }
    return body;
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value === undefined || value === null || value === '') continue;
      if (Array.isArray(value)) value.forEach((v) => q.append(key, v));
      else q.append(key, value);
    }
    const s = q.toString();
    return s ? '?' + s : '';
  }

  // ---------------------------------------------------------------- live stream
  //
  // EventSource cannot send an Authorization header, so the stream is read with
  // fetch and parsed here; reconnects resume with Last-Event-ID.

  const live = {
    controller: null,
    lastId: '',
    retry: 1000,
    listeners: new Set(),
    timer: 0,

    start() {
      this.stop();
      this.controller = new AbortController();
      this.run(this.controller.signal);
    },
    stop() {
      clearTimeout(this.timer);
      if (this.controller) this.controller.abort();
      this.controller = null;
    },
    setState(s, text) {
      const el = document.getElementById('live');
      el.dataset.state = s;
      el.querySelector('.live-text').textContent = text;
    },
    emit(type, data) {
      for (const fn of this.listeners) {
        try { fn(type, data); } catch (e) { console.error(e); }
      }
    },
    async run(signal) {
      this.setState('connecting', 'Connecting…');
      try {
        const headers = { Accept: 'text/event-stream' };
        if (state.token) headers.Authorization = 'Bearer ' + state.token;
        if (this.lastId) headers['Last-Event-ID'] = this.lastId;
        const res = await fetch('/v1/stream', { headers, signal, cache: 'no-store' });
        if (res.status === 401) {
          this.setState('offline', 'Sign in for live updates');
          return;
        }
        if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            this.dispatch(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
        throw new Error('stream ended');
      } catch (e) {
        if (signal.aborted) return;
        this.setState('reconnecting', 'Reconnecting…');
        this.timer = setTimeout(() => {
          if (!signal.aborted) this.run(signal);
        }, this.retry);
        this.retry = Math.min(this.retry * 2, 10000);
      }
    },
    dispatch(block) {
      let type = 'message';
      let id = null;
      const data = [];
      for (const line of block.split('\n')) {
        if (!line || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') type = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id') id = value;
      }
      if (id !== null) this.lastId = id;
      if (type === 'ready') {
        this.retry = 1000;
        this.setState('live', 'Live');
        return;
      }
      let payload = null;
      try { payload = data.length ? JSON.parse(data.join('\n')) : null; } catch { return; }
      this.emit(type, payload);
    },
  };

  // ---------------------------------------------------------------- shared pieces

  function statusBadge(status) {
    return h('span', { class: 'status status-' + status, text: status });
  }

  function progressOf(op, large) {
    const pct = typeof op.percent === 'number' ? op.percent : null;
    const bar = h('div', { class: 'bar' + (large ? ' bar-lg' : ''), dataset: { status: op.status } },
      h('div', { class: 'fill' }));
    const fill = bar.firstChild;
    if (pct !== null) {
      fill.style.width = Math.max(0, Math.min(100, pct)) + '%';
    } else if (op.status === 'Running') {
      bar.classList.add('indeterminate');
    } else if (op.status === 'Succeeded') {
      fill.style.width = '100%';
    }
    bar.setAttribute('role', 'progressbar');
    bar.setAttribute('aria-valuemin', '0');
    bar.setAttribute('aria-valuemax', '100');
    if (pct !== null) bar.setAttribute('aria-valuenow', String(Math.round(pct)));
    return bar;
  }

  function structured(op) {
    const p = op.progress;
    if (!p) return null;
    return fmtNumber(p.current) + (p.total !== null && p.total !== undefined ? ' / ' + fmtNumber(p.total) : '') +
      (p.unit ? ' ' + p.unit : '');
  }

  function progressCell(op) {
    const pct = typeof op.percent === 'number' ? Math.round(op.percent) + '%' : '';
    const detail = [op.message, structured(op)].filter(Boolean).join(' · ');
    return h('div', { class: 'progress' },
      h('div', { class: 'progress-line' }, progressOf(op), h('span', { class: 'pct', text: pct })),
      detail ? h('div', { class: 'progress-msg', title: detail, text: detail }) : null);
  }

  function tagPills(tags, limit) {
    const entries = Object.entries(tags || {});
    const shown = limit ? entries.slice(0, limit) : entries;
    const pills = shown.map(([k, v]) => h('span', { class: 'pill', title: k + ': ' + v }, h('b', { text: k }), v));
    if (limit && entries.length > limit) pills.push(h('span', { class: 'pill', text: '+' + (entries.length - limit) }));
    return pills;
  }

  const opHref = (id) => '#/op/' + encodeURIComponent(id);

  // The client-side twin of the server's filter (OperationFilter), for live rows.
  function matchesFilter(op, f) {
    if (f.status && f.status.length && !f.status.includes(op.status)) return false;
    if (f.name && op.name !== f.name) return false;
    if (f.name_prefix && !op.name.startsWith(f.name_prefix)) return false;
    for (const t of f.tag || []) {
      const i = t.indexOf(':');
      if ((op.tags || {})[t.slice(0, i)] !== t.slice(i + 1)) return false;
    }
    if (f.correlation_id && (!op.correlation || op.correlation.correlation_id !== f.correlation_id)) return false;
    if (f.parent_id && op.parent_id !== f.parent_id) return false;
    if (f.updated_to && !(new Date(op.updated_at) < new Date(f.updated_to))) return false;
    return true;
  }

  // Newest first by (started_at, id), as the API orders lists.
  function newerFirst(a, b) {
    if (a.started_at !== b.started_at) return a.started_at < b.started_at ? 1 : -1;
    return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
  }

  // A table of operations that keeps itself current from live changes.
  class OpsTable {
    constructor(options = {}) {
      this.options = options;
      this.rows = new Map(); // id -> {op, tr}
      this.tbody = h('tbody');
      this.emptyEl = h('div', { class: 'empty' }, h('strong', { text: options.emptyTitle || 'No operations' }),
        options.emptyText || '');
      this.table = h('table', { class: 'table' },
        h('colgroup', null, h('col', { class: 'col-status' }), h('col'), h('col', { class: 'col-progress' }),
          h('col', { class: 'col-time' }), h('col', { class: 'col-dur' }), h('col', { class: 'col-time updated' })),
        h('thead', null, h('tr', null,
          h('th', { text: 'Status' }), h('th', { text: 'Operation' }), h('th', { text: 'Progress' }),
          h('th', { text: 'Started' }), h('th', { text: 'Duration' }), h('th', { class: 'col-time updated', text: 'Updated' }))),
        this.tbody);
      this.el = h('div', { class: 'table-wrap' }, this.table, this.emptyEl);
      this.hasMore = false;
    }

    rowFor(op) {
      const tr = h('tr', { dataset: { opId: op.id, status: op.status }, onclick: (e) => {
        if (e.target.closest('a')) return;
        location.hash = opHref(op.id);
      } },
      h('td', { class: 'c-status' }, statusBadge(op.status)),
      h('td', { class: 'c-name' },
        h('a', { class: 'op-name', href: opHref(op.id), text: op.name, title: op.name }),
        h('span', { class: 'op-id mono', text: op.id, title: op.id }),
        h('div', { class: 'op-meta' },
          op.cancel_requested_at && !op.done ? h('span', { class: 'pill pill-warn', text: 'cancel requested' }) : null,
          op.stall_count > 0 ? h('span', { class: 'pill', title: 'times marked Stalled', text: 'stalled ×' + op.stall_count }) : null,
          tagPills(op.tags, 3))),
      h('td', { class: 'c-progress' }, progressCell(op)),
      h('td', { class: 'c-started' }, h('span', { class: 'time' }, relTime(op.started_at))),
      h('td', { class: 'c-dur', dataset: { label: op.done ? 'Took' : 'Running for' } }, durationOf(op)),
      h('td', { class: 'c-updated col-time updated' }, h('span', { class: 'time' }, relTime(op.updated_at))));
      return tr;
    }

    set(ops, hasMore) {
      this.rows.clear();
      this.tbody.replaceChildren();
      this.add(ops);
      this.hasMore = hasMore;
      this.refreshEmpty();
    }

    add(ops) {
      for (const op of ops) {
        if (this.rows.has(op.id)) continue;
        const tr = this.rowFor(op);
        this.rows.set(op.id, { op, tr });
        this.tbody.append(tr);
      }
      this.refreshEmpty();
    }

    refreshEmpty() {
      this.emptyEl.hidden = this.rows.size > 0;
      this.table.hidden = this.rows.size === 0;
    }

    get size() { return this.rows.size; }

    // Applies a live change: update in place, insert where it sorts, or drop a row
    // that no longer matches the filter.
    apply(op, filter) {
      const existing = this.rows.get(op.id);
      const wanted = matchesFilter(op, filter);
      if (existing) {
        if (op.version < existing.op.version) return;
        if (!wanted) {
          existing.tr.classList.add('leaving');
          this.rows.delete(op.id);
          setTimeout(() => { existing.tr.remove(); this.refreshEmpty(); }, 400);
          return;
        }
        const tr = this.rowFor(op);
        tr.classList.add('flash');
        existing.tr.replaceWith(tr);
        this.rows.set(op.id, { op, tr });
        return;
      }
      if (!wanted) return;
      const ordered = [...this.rows.values()];
      const last = ordered[ordered.length - 1];
      // Older than everything loaded while more pages exist: it belongs to a later page.
      if (this.hasMore && last && newerFirst(op, last.op) > 0) return;
      const tr = this.rowFor(op);
      tr.classList.add('flash');
      const before = ordered.find((r) => newerFirst(op, r.op) < 0);
      if (before) before.tr.before(tr); else this.tbody.append(tr);
      this.rows.set(op.id, { op, tr });
      this.refreshEmpty();
    }
  }

  // ---------------------------------------------------------------- list view

  function filterFromHash(params) {
    return {
      status: params.getAll('status').flatMap((s) => s.split(',')).filter((s) => STATUSES.includes(s)),
      name_prefix: params.get('q') || '',
      tag: params.getAll('tag').filter((t) => t.indexOf(':') > 0),
      correlation_id: params.get('correlation_id') || '',
      parent_id: params.get('parent_id') || '',
    };
  }

  function hashFor(filter) {
    const q = new URLSearchParams();
    filter.status.forEach((s) => q.append('status', s));
    if (filter.name_prefix) q.set('q', filter.name_prefix);
    filter.tag.forEach((t) => q.append('tag', t));
    if (filter.correlation_id) q.set('correlation_id', filter.correlation_id);
    if (filter.parent_id) q.set('parent_id', filter.parent_id);
    const s = q.toString();
    return '#/' + (s ? '?' + s : '');
  }

  class ListView {
    constructor(params) {
      this.filter = filterFromHash(params);
      this.table = new OpsTable({
        emptyTitle: 'No operations match',
        emptyText: 'Try another status or clear the filters.',
      });
      this.nextToken = null;
      this.refreshCounts = debounce(() => this.loadCounts(), 400);
    }

    apiFilter(withStatus) {
      return {
        status: withStatus && this.filter.status.length ? this.filter.status.join(',') : undefined,
        name_prefix: this.filter.name_prefix || undefined,
        tag: this.filter.tag,
        correlation_id: this.filter.correlation_id || undefined,
        parent_id: this.filter.parent_id || undefined,
      };
    }

    render() {
      this.chipEls = new Map();
      const chip = (status, label) => {
        const n = h('span', { class: 'n', text: '–' });
        const pressed = status ? this.filter.status.includes(status) : this.filter.status.length === 0;
        const el = h('button', { class: 'chip', type: 'button', 'aria-pressed': String(pressed),
          dataset: { status: status || 'all' }, onclick: () => this.toggleStatus(status) },
        status ? h('span', { class: 'swatch' }) : null, label, n);
        this.chipEls.set(status || 'all', n);
        return el;
      };
      const search = h('input', { class: 'input', type: 'search', id: 'search', placeholder: 'Name starts with…  e.g. Webhook.',
        value: this.filter.name_prefix, 'aria-label': 'Filter by name prefix', autocomplete: 'off', spellcheck: 'false' });
      const tag = h('input', { class: 'input', type: 'search', id: 'tag-filter', placeholder: 'tag key:value',
        value: this.filter.tag.join(' '), 'aria-label': 'Filter by tags (key:value, space separated)', autocomplete: 'off', spellcheck: 'false' });
      const apply = debounce(() => {
        this.filter.name_prefix = search.value.trim();
        this.filter.tag = tag.value.split(/\s+/).filter((t) => t.indexOf(':') > 0);
        this.navigate();
      }, 350);
      search.addEventListener('input', apply);
      tag.addEventListener('input', apply);

      const scoped = [];
      if (this.filter.correlation_id) scoped.push(h('span', { class: 'pill' }, h('b', { text: 'correlation' }), this.filter.correlation_id));
      if (this.filter.parent_id) scoped.push(h('span', { class: 'pill' }, h('b', { text: 'parent' }), this.filter.parent_id));
      const anyFilter = this.filter.status.length || this.filter.name_prefix || this.filter.tag.length ||
        this.filter.correlation_id || this.filter.parent_id;

      this.moreButton = h('button', { class: 'btn', type: 'button', id: 'load-more', onclick: () => this.loadMore() }, 'Load more');
      this.moreEl = h('div', { class: 'more', hidden: true }, this.moreButton);
      this.totalEl = h('span', { class: 'sub' });

      return h('div', { class: 'section' },
        h('div', { class: 'page-head' }, h('h1', { text: 'Operations' }), this.totalEl,
          h('div', { class: 'actions' }, anyFilter ? h('a', { class: 'btn btn-ghost', href: '#/', text: 'Clear filters' }) : null)),
        h('div', { class: 'chips', role: 'toolbar', 'aria-label': 'Status' },
          chip(null, 'All'), STATUSES.map((s) => chip(s, s))),
        h('div', { class: 'card' },
          h('div', { class: 'filters' },
            h('div', { class: 'input-icon grow' }, icon('search'), search),
            h('div', { class: 'input-icon tag' }, icon('tag'), tag),
            scoped),
          this.table.el, this.moreEl));
    }

    toggleStatus(status) {
      if (!status) this.filter.status = [];
      else if (this.filter.status.includes(status)) this.filter.status = this.filter.status.filter((s) => s !== status);
      else this.filter.status = [status];
      this.navigate();
    }

    navigate() {
      const target = hashFor(this.filter);
      if (location.hash !== target) location.hash = target;
    }

    async mount(root) {
      root.replaceChildren(this.render());
      await Promise.all([this.load(), this.loadCounts()]);
    }

    async load() {
      try {
        const page = await api('/v1/operations' + query({ ...this.apiFilter(true), limit: 50 }));
        this.nextToken = page.next_page_token || null;
        this.table.set(page.operations, !!this.nextToken);
        this.moreEl.hidden = !this.nextToken;
      } catch (e) {
        if (e.status !== 401) toast('Could not load operations: ' + e.message, true);
      }
    }

    async loadMore() {
      if (!this.nextToken) return;
      this.moreButton.disabled = true;
      try {
        const page = await api('/v1/operations' + query({ ...this.apiFilter(true), limit: 50, page_token: this.nextToken }));
        this.nextToken = page.next_page_token || null;
        this.table.add(page.operations);
        this.table.hasMore = !!this.nextToken;
        this.moreEl.hidden = !this.nextToken;
      } catch (e) {
        toast('Could not load more: ' + e.message, true);
      } finally {
        this.moreButton.disabled = false;
      }
    }

    async loadCounts() {
      try {
        const c = await api('/v1/counts' + query(this.apiFilter(false)));
        for (const s of STATUSES) this.chipEls.get(s).textContent = fmtNumber(c.counts[s]);
        this.chipEls.get('all').textContent = fmtNumber(c.total);
        const shown = this.filter.status.length
          ? this.filter.status.reduce((n, s) => n + c.counts[s], 0) : c.total;
        this.totalEl.textContent = fmtNumber(shown) + (shown === 1 ? ' operation' : ' operations');
      } catch (e) {
        /* the list itself reports errors */
      }
    }

    onChange(change) {
      this.table.apply(change.operation, this.filter);
      this.refreshCounts();
    }

    onReset() { this.load(); this.loadCounts(); }
  }

  // ---------------------------------------------------------------- detail view

  const SOURCE_LABEL = { event: 'Event', status: 'Status', child: 'Child', audit: 'Audit' };

  function timelineEntry(entry, openKeys) {
    const at = parseTime(entry.at);
    let kind = entry.source;
    let key = entry.source;
    let title = [];
    let message = null;
    let data = null;
    let dotIcon = 'event';
    let dotStatus = null;

    if (entry.source === 'event') {
      const e = entry.event;
      key = 'e' + e.sequence;
      if (e.kind === 'status') {
        kind = 'status';
        dotIcon = 'status';
        let from = null;
        let to = null;
        try { const d = JSON.parse(e.data_json || '{}'); from = d.from; to = d.to; } catch { /* plain */ }
        dotStatus = to;
        title = from ? [statusBadge(from), h('span', { class: 'arrow', text: '→' }), statusBadge(to)]
          : [h('span', { text: 'Created' }), statusBadge(to || 'Pending')];
        try {
          const d = JSON.parse(e.data_json || '{}');
          if (d.message) message = d.message;
        } catch { /* no message */ }
      } else {
        if (e.kind === 'cancel_requested') dotIcon = 'cancel';
        title = [h('span', { class: 'kind', text: e.kind })];
        if (e.kind === 'Error') dotStatus = 'Failed';
        message = e.message;
        data = e.data_json;
      }
      title.push(h('span', { class: 'faint mono', text: '#' + e.sequence }));
    } else if (entry.source === 'child') {
      const c = entry.child;
      key = 'c' + c.id;
      dotIcon = 'child';
      dotStatus = c.status;
      title = [h('span', { text: 'Child started' }), h('a', { href: opHref(c.id), text: c.name }), statusBadge(c.status)];
      message = [c.message, structured(c)].filter(Boolean).join(' · ') || null;
    } else if (entry.source === 'audit') {
      const a = entry.audit;
      key = 'a' + a.id;
      dotIcon = 'audit';
      title = [h('span', { class: 'kind', text: a.name }), h('span', { class: 'outcome outcome-' + a.outcome, text: a.outcome })];
      message = a.display_message;
      if (a.actor) message += ' — by ' + (a.actor.display || a.actor.type + ' ' + a.actor.id);
      data = a.data_json;
    }

    const dot = h('div', { class: 'tl-dot' }, icon(dotIcon));
    if (dotStatus) dot.classList.add('status-' + dotStatus);
    const details = data
      ? h('details', { open: openKeys.has(key), dataset: { key } }, h('summary', { text: 'data' }),
        h('pre', { text: prettyJson(data) }))
      : null;
    return h('li', { class: 'tl-item', dataset: { kind, key } },
      h('div', { class: 'tl-time', title: at.toISOString() }, fmtClock(at) + '.' + pad(at.getMilliseconds(), 3),
        h('small', { dataset: { rel: entry.at }, text: fmtRelative(at) })),
      dot,
      h('div', { class: 'tl-body' },
        h('div', { class: 'tl-title' }, h('span', { class: 'tl-src', text: SOURCE_LABEL[kind] }), title),
        message ? h('div', { class: 'tl-msg', text: message }) : null,
        details));
  }

  // What a bounded timeline left out, said where it was left out.
  function truncationNotice(truncated) {
    if (!truncated) return null;
    const parts = [];
    if (truncated.events_after != null) parts.push('events after #' + truncated.events_after);
    if (truncated.children_page_token) parts.push('children beyond the first shown (see Children)');
    if (truncated.audit_before) parts.push('audit events before ' + fmtDateTime(parseTime(truncated.audit_before.occurred_at)));
    if (!parts.length) return null;
    return h('div', { class: 'banner', id: 'timeline-truncated', text: 'Not all shown: ' + parts.join('; ') + '.' });
  }

  class DetailView {
    constructor(id) {
      this.id = id;
      this.op = null;
      this.kinds = new Set(['status', 'event', 'child', 'audit']);
      this.reload = debounce(() => this.load(), 250);
    }

    async mount(root) {
      this.root = root;
      root.replaceChildren(h('div', { class: 'loading', text: 'Loading…' }));
      await this.load();
    }

    async load() {
      try {
        if (state.view !== this) return;  // a debounced reload after we were left
        const [timeline, children] = await Promise.all([
          api('/v1/operations/' + encodeURIComponent(this.id) + '/timeline'),
          api('/v1/operations/' + encodeURIComponent(this.id) + '/children?limit=200'),
        ]);
        // The user may have moved on while this was in flight: the root is not ours.
        if (state.view !== this) return;
        this.op = timeline.operation;
        this.timeline = timeline;
        this.children = children.operations;
        this.render();
      } catch (e) {
        if (state.view !== this) return;
        if (e.status === 404) {
          this.root.replaceChildren(h('div', { class: 'gate' }, h('h1', { text: 'Operation not found' }),
            h('p', { text: 'No operation has the id ' + this.id + '. It may have been purged.' }),
            h('a', { class: 'btn', href: '#/', text: 'Back to operations' })));
        } else if (e.status !== 401) {
          toast('Could not load the operation: ' + e.message, true);
        }
      }
    }

    render() {
      const op = this.op;
      const openKeys = new Set([...this.root.querySelectorAll('details[open]')].map((d) => d.dataset.key));
      const canCancel = state.session && state.session.access === 'write' && !op.done && !op.cancel_requested_at;
      document.title = op.name + ' · opsd';

      const pct = typeof op.percent === 'number' ? Math.round(op.percent) + '%' : (op.done ? op.status : '—');
      const struct = structured(op);
      const progressCard = h('div', { class: 'card progress-card' },
        h('div', { class: 'card-head' }, h('h2', { text: 'Progress' }),
          h('span', { class: 'right hint' }, 'last progress ', relTime(op.last_progress_at))),
        h('div', { class: 'card-body' },
          h('div', { class: 'big' }, h('span', { class: 'num', text: pct }), struct ? h('span', { class: 'of', text: struct }) : null),
          progressOf(op, true),
          op.message ? h('div', { class: 'msg', text: op.message }) : null,
          op.cancel_requested_at && !op.done
            ? h('div', { class: 'banner' }, 'Cancel requested ', relTime(op.cancel_requested_at),
              op.cancel_reason ? ': ' + op.cancel_reason : '', '. Waiting for the worker to stop.')
            : null,
          op.status === 'Stalled'
            ? h('div', { class: 'banner' }, 'No activity since ', relTime(op.updated_at),
              '. It resumes when the worker reports progress or a heartbeat.')
            : null));

      const corr = op.correlation;
      const fact = (label, ...value) => [h('dt', { text: label }), h('dd', null, ...value)];
      const facts = h('dl', { class: 'facts' },
        fact('Started', fmtDateTime(parseTime(op.started_at)), ' ', h('span', { class: 'faint' }, '(', relTime(op.started_at), ')')),
        fact('Updated', relTime(op.updated_at)),
        op.completed_at ? fact('Completed', fmtDateTime(parseTime(op.completed_at))) : null,
        fact('Duration', durationOf(op)),
        fact('Stalled', op.stall_count > 0 ? op.stall_count + (op.stall_count === 1 ? ' time' : ' times') : 'never'),
        op.parent_id ? fact('Parent', h('a', { class: 'mono', href: opHref(op.parent_id), text: op.parent_id })) : null,
        corr ? fact('Correlation', h('a', { class: 'mono', href: '#/?correlation_id=' + encodeURIComponent(corr.correlation_id),
          title: 'All operations with this correlation id', text: corr.correlation_id })) : null,
        corr && corr.trace_id ? fact('Trace', h('span', { class: 'mono', text: corr.trace_id })) : null,
        Object.keys(op.tags || {}).length ? fact('Tags', h('div', { class: 'tags' }, tagPills(op.tags))) : null,
        fact('Version', String(op.version)));

      const detailsCard = h('div', { class: 'card' },
        h('div', { class: 'card-head' }, h('h2', { text: 'Details' })),
        h('div', { class: 'card-body' }, facts));

      let childrenCard = null;
      if (this.children.length) {
        const table = new OpsTable();
        table.set(this.children, false);
        this.childTable = table;
        childrenCard = h('div', { class: 'card', id: 'children' },
          h('div', { class: 'card-head' }, h('h2', { text: 'Children' }), h('span', { class: 'hint', text: String(this.children.length) })),
          table.el);
      }

      const kindChip = (kind, label) => h('button', { class: 'chip', type: 'button', 'aria-pressed': String(this.kinds.has(kind)),
        dataset: { kind }, onclick: () => {
          if (this.kinds.has(kind)) this.kinds.delete(kind); else this.kinds.add(kind);
          this.render();
        } }, label);
      const items = this.timeline.entries
        .map((entry) => timelineEntry(entry, openKeys))
        .filter((li) => this.kinds.has(li.dataset.kind));
      const timelineCard = h('div', { class: 'card', id: 'timeline' },
        h('div', { class: 'card-head' }, h('h2', { text: 'Timeline' }),
          h('span', { class: 'hint', text: this.timeline.entries.length + ' entries, oldest first' }),
          h('div', { class: 'right tl-filters' }, kindChip('status', 'Status'), kindChip('event', 'Events'),
            kindChip('child', 'Children'), kindChip('audit', 'Audit'))),
        truncationNotice(this.timeline.truncated),
        items.length ? h('ol', { class: 'timeline' }, items) : h('div', { class: 'empty', text: 'Nothing to show.' }));

      // Operations that share the correlation id are not this one's history: listed apart.
      let relatedCard = null;
      if (this.timeline.related && this.timeline.related.length) {
        const table = new OpsTable();
        table.set(this.timeline.related, false);
        relatedCard = h('div', { class: 'card', id: 'related' },
          h('div', { class: 'card-head' }, h('h2', { text: 'Related' }),
            h('span', { class: 'hint', text: 'same correlation id, not part of this timeline' }),
            corr ? h('a', { class: 'right', href: '#/?correlation_id=' + encodeURIComponent(corr.correlation_id),
              text: this.timeline.truncated && this.timeline.truncated.related ? 'all of them' : 'as a list' }) : null),
          table.el);
      }

      this.root.replaceChildren(h('div', { class: 'section stack' },
        h('div', { class: 'crumbs' }, h('a', { href: '#/', text: 'Operations' }), '/', h('span', { text: op.name })),
        h('div', { class: 'detail-head' },
          h('div', null,
            h('h1', { text: op.name }),
            h('div', { class: 'idline' }, statusBadge(op.status),
              h('span', { class: 'mono muted', id: 'op-id', text: op.id }),
              h('button', { class: 'copy', type: 'button', title: 'Copy id', 'aria-label': 'Copy id', onclick: () => copyText(op.id) }, icon('copy')))),
          h('div', { class: 'actions' },
            canCancel ? h('button', { class: 'btn btn-danger', type: 'button', id: 'cancel-button',
              onclick: () => openCancel(op) }, icon('cancel'), 'Cancel operation') : null,
            op.cancel_requested_at && !op.done ? h('span', { class: 'pill pill-warn', id: 'cancel-state', text: 'Cancel requested' }) : null)),
        h('div', { class: 'overview' }, progressCard, detailsCard),
        childrenCard, timelineCard, relatedCard));
    }

    onChange(change) {
      const op = change.operation;
      if (op.id === this.id || op.parent_id === this.id) this.reload();
    }

    onReset() { this.load(); }
  }

  // ---------------------------------------------------------------- stalled view

  const QUIET_WINDOWS = [['1m', 60e3], ['5m', 300e3], ['15m', 900e3], ['1h', 3600e3]];

  class StalledView {
    constructor() {
      this.window = 300e3;
      this.stalled = new OpsTable({ emptyTitle: 'Nothing is stalled', emptyText: 'Operations the stall monitor marks show up here.' });
      this.quiet = new OpsTable({ emptyTitle: 'Nothing is going quiet', emptyText: 'Every open operation has reported recently.' });
      this.reload = debounce(() => this.load(), 500);
    }

    async mount(root) {
      const seg = h('div', { class: 'seg', role: 'group', 'aria-label': 'Quiet for at least' },
        QUIET_WINDOWS.map(([label, ms]) => h('button', { type: 'button', 'aria-pressed': String(ms === this.window),
          onclick: (e) => {
            this.window = ms;
            for (const b of seg.children) b.setAttribute('aria-pressed', String(b === e.currentTarget));
            this.load();
          } }, label)));
      this.stalledCount = h('span', { class: 'hint' });
      this.quietCount = h('span', { class: 'hint' });
      root.replaceChildren(h('div', { class: 'section' },
        h('div', { class: 'page-head' }, h('h1', { text: 'Stalled work' })),
        h('p', { class: 'explain', text: 'Operations that went quiet for longer than their stall policy allows are marked Stalled. ' +
          'They resume as soon as they report progress or a heartbeat; cancel the ones that will not.' }),
        h('div', { class: 'card', id: 'stalled-list' },
          h('div', { class: 'card-head' }, h('h2', { text: 'Stalled' }), this.stalledCount),
          this.stalled.el),
        h('div', { class: 'card', id: 'quiet-list' },
          h('div', { class: 'card-head' }, h('h2', { text: 'Going quiet' }), this.quietCount,
            h('div', { class: 'right' }, h('span', { class: 'hint', text: 'no activity for' }), seg)),
          this.quiet.el)));
      await this.load();
    }

    async load() {
      const cutoff = new Date(Date.now() - this.window).toISOString();
      try {
        const [stalled, quiet] = await Promise.all([
          api('/v1/operations' + query({ status: 'Stalled', limit: 200, order: 'oldest' })),
          api('/v1/operations' + query({ status: 'Pending,Running', updated_to: cutoff, limit: 200, order: 'oldest' })),
        ]);
        this.stalled.set(stalled.operations, false);
        this.quiet.set(quiet.operations, false);
        this.stalledCount.textContent = stalled.operations.length + (stalled.next_page_token ? '+' : '');
        this.quietCount.textContent = quiet.operations.length + (quiet.next_page_token ? '+' : '');
      } catch (e) {
        if (e.status !== 401) toast('Could not load stalled work: ' + e.message, true);
      }
    }

    onChange(change) {
      const s = change.operation.status;
      if (s === 'Stalled' || this.stalled.rows.has(change.operation.id) || this.quiet.rows.has(change.operation.id)) {
        this.reload();
      }
    }

    onReset() { this.load(); }
  }

  // ---------------------------------------------------------------- cancel dialog

  let cancelTarget = null;
  function openCancel(op) {
    cancelTarget = op;
    document.getElementById('cancel-what').textContent = op.name + ' (' + op.id + ')';
    document.getElementById('cancel-reason').value = '';
    document.getElementById('cancel-error').textContent = '';
    document.getElementById('cancel-dialog').showModal();
    document.getElementById('cancel-reason').focus();
  }

  async function confirmCancel(event) {
    event.preventDefault();
    if (!cancelTarget) return;
    const button = document.getElementById('cancel-confirm');
    button.disabled = true;
    const reason = document.getElementById('cancel-reason').value.trim();
    try {
      await api('/v1/operations/' + encodeURIComponent(cancelTarget.id) + '/cancel',
        { method: 'POST', body: reason ? { reason } : {} });
      document.getElementById('cancel-dialog').close();
      toast('Cancel requested');
      if (state.view && state.view.onReset) state.view.onReset();
    } catch (e) {
      document.getElementById('cancel-error').textContent = e.message;
    } finally {
      button.disabled = false;
    }
  }

  // ---------------------------------------------------------------- sign-in

  async function loadSession() {
    try {
      state.session = await api('/v1/session', { quiet: true });
    } catch (e) {
      if (e.status === 401 && state.token) {
        // A stale token from an earlier run: forget it and ask again.
        state.token = '';
        sessionStorage.removeItem(TOKEN_KEY);
        state.session = await api('/v1/session', { quiet: true });
        toast('Your token was not accepted; sign in again', true);
      } else {
        throw e;
      }
    }
    renderAccess();
  }

  function renderAccess() {
    const s = state.session;
    const access = document.getElementById('access');
    const button = document.getElementById('auth-button');
    document.getElementById('store-kind').textContent = s ? s.store : '';
    if (state.token) {
      access.textContent = s.access === 'write' ? 'read-write' : 'read-only';
      button.textContent = 'Sign out';
    } else {
      access.textContent = s && s.access === 'read' ? 'read-only' : '';
      button.textContent = 'Sign in';
    }
    // With no token configured there is nothing to sign in with (writes are off).
    button.hidden = !state.token && s && !s.tokens_configured;
  }

  function onUnauthorized() {
    if (!document.getElementById('auth-dialog').open) openSignIn();
  }

  function openSignIn() {
    document.getElementById('auth-error').textContent = '';
    document.getElementById('auth-token').value = '';
    document.getElementById('auth-dialog').showModal();
    document.getElementById('auth-token').focus();
  }

  async function submitSignIn(event) {
    event.preventDefault();
    const token = document.getElementById('auth-token').value.trim();
    if (!token) return;
    const res = await fetch('/v1/session', { headers: { Authorization: 'Bearer ' + token } });
    if (res.status === 401) {
      document.getElementById('auth-error').textContent = 'That token is not valid here.';
      return;
    }
    if (!res.ok) {
      document.getElementById('auth-error').textContent = 'Sign-in failed (HTTP ' + res.status + ').';
      return;
    }
    state.token = token;
    sessionStorage.setItem(TOKEN_KEY, token);
    state.session = await res.json();
    document.getElementById('auth-dialog').close();
    renderAccess();
    toast(state.session.access === 'write' ? 'Signed in (read-write)' : 'Signed in (read-only)');
    live.start();
    route();
  }

  async function signOut() {
    state.token = '';
    sessionStorage.removeItem(TOKEN_KEY);
    await loadSession();
    live.start();
    route();
  }

  // ---------------------------------------------------------------- router

  function gate() {
    return h('div', { class: 'gate' },
      h('h1', { text: 'Sign in to see operations' }),
      h('p', { text: 'This opsd needs an API token for reading. Ask whoever runs it for a read-only token.' }),
      h('button', { class: 'btn btn-primary', type: 'button', onclick: openSignIn, text: 'Sign in' }));
  }

  async function loadStalledBadge() {
    if (!state.session || state.session.access === 'none') return;
    try {
      const c = await api('/v1/counts?status=Stalled', { quiet: true });
      const badge = document.getElementById('stalled-badge');
      badge.textContent = fmtNumber(c.counts.Stalled);
      badge.hidden = c.counts.Stalled === 0;
    } catch { /* not important */ }
  }
  const refreshBadge = debounce(loadStalledBadge, 600);

  function route() {
    const root = document.getElementById('view');
    const hash = location.hash || '#/';
    const [path, search] = hash.slice(1).split('?');
    const params = new URLSearchParams(search || '');
    let view;
    let nav = 'list';
    if (!state.session || state.session.access === 'none') {
      state.view = null;
      live.stop();
      live.setState('offline', 'Signed out');
      root.replaceChildren(gate());
      return;
    }
    if (path.startsWith('/op/')) {
      view = new DetailView(decodeURIComponent(path.slice(4)));
      nav = null;
    } else if (path === '/stalled') {
      view = new StalledView();
      nav = 'stalled';
      document.title = 'Stalled · opsd';
    } else {
      view = new ListView(params);
      document.title = 'Operations · opsd';
    }
    for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.dataset.nav === nav);
    state.view = view;
    view.mount(root);
    loadStalledBadge();
    window.scrollTo(0, 0);
  }

  live.listeners.add((type, data) => {
    const view = state.view;
    if (type === 'change') {
      if (view && view.onChange) view.onChange(data);
      refreshBadge();
    } else if (type === 'reset') {
      if (view && view.onReset) view.onReset();
      refreshBadge();
    }
  });

  async function boot() {
    document.getElementById('auth-form').addEventListener('submit', submitSignIn);
    document.getElementById('auth-cancel').addEventListener('click', () => document.getElementById('auth-dialog').close());
    document.getElementById('cancel-form').addEventListener('submit', confirmCancel);
    document.getElementById('cancel-keep').addEventListener('click', () => document.getElementById('cancel-dialog').close());
    document.getElementById('auth-button').addEventListener('click', () => (state.token ? signOut() : openSignIn()));
    window.addEventListener('hashchange', route);
    try {
      await loadSession();
    } catch (e) {
      document.getElementById('view').replaceChildren(h('div', { class: 'gate' },
        h('h1', { text: 'opsd is not answering' }), h('p', { text: e.message })));
      return;
    }
    route();
    if (state.session.access !== 'none') live.start();
    // A slow safety net under the live stream: counts drift if a burst of remote
    // writes outran the poller.
    setInterval(() => {
      if (state.view instanceof ListView) state.view.loadCounts();
      loadStalledBadge();
    }, 30000);
  }

  boot();
})();
