// The operations list (#/): status chips with counts, name-prefix and tag
// filters kept in the hash, a page of operations that follows live changes,
// and "Load more".
import { api, query } from './api.js';
import { debounce, h, icon, throttle, toast } from './dom.js';
import { apiQuery, filterFromHash, hashFor, STATUSES } from './filters.js';
import { fmtCount, fmtTotal } from './format.js';
import { OpsTable } from './ops-table.js';

export class ListView {
  constructor(params) {
    this.filter = filterFromHash(params);
    this.table = new OpsTable({
      emptyTitle: 'No operations match',
      emptyText: 'Try another status or clear the filters.',
    });
    this.nextToken = null;
    // Live changes re-read the counts at most every 5 s: at millions of
    // operations a count is a real query, and a busy store changes constantly.
    this.refreshCounts = throttle(() => this.loadCounts(), 5000);
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
      const page = await api('/v1/operations' + query({ ...apiQuery(this.filter, true), limit: 50 }));
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
      const page = await api('/v1/operations' + query({ ...apiQuery(this.filter, true), limit: 50, page_token: this.nextToken }));
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
      const c = await api('/v1/counts' + query(apiQuery(this.filter, false)));
      for (const s of STATUSES) this.chipEls.get(s).textContent = fmtCount(c, s);
      this.chipEls.get('all').textContent = fmtTotal(c, []).text;
      const shown = fmtTotal(c, this.filter.status);
      this.totalEl.textContent = shown.text + (shown.text === '1' ? ' operation' : ' operations');
    } catch {
      /* the list itself reports errors */
    }
  }

  onChange(change) {
    this.table.apply(change.operation, this.filter);
    this.refreshCounts();
  }

  onReset() { this.load(); this.loadCounts(); }
}
