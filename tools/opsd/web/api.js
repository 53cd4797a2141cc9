// Talking to opsd: the shared session state, the fetch wrapper (bearer token,
// JSON, errors), query strings, and the live stream over SSE.
// Nothing here runs at import time; the DOM is touched only by live.setState.

export const TOKEN_KEY = 'opsd.token';

// token: the bearer token (kept in session storage); session: GET /v1/session's
// answer {access, tokens_configured, anonymous_reads, store}; view: the mounted view.
export const state = {
  token: '',
  session: null,
  view: null,
};

// Called on a 401 from api() (unless quiet): main.js opens the sign-in dialog.
let unauthorizedHandler = () => {};
export function setUnauthorizedHandler(fn) {
  unauthorizedHandler = fn;
}

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || 'HTTP ' + status);
    this.status = status;
    this.code = err.code || 'http_' + status;
    this.field = err.field || null;
  }
}

export async function api(path, options = {}) {
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
    if (res.status === 401 && !options.quiet) unauthorizedHandler();
    throw error;
  }
  return body;
}

// '?a=1&tag=x&tag=y' from {a: 1, tag: ['x', 'y']}; empty and absent values are left out.
export function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) value.forEach((v) => q.append(key, v));
    else q.append(key, value);
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

// One SSE event block (the lines between blank lines) as {type, id, data}:
// id is null when the block sets none, data the data lines joined by '\n'.
export function parseSseBlock(block) {
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
  return { type, id, data: data.join('\n'), hasData: data.length > 0 };
}

// The live stream. EventSource cannot send an Authorization header, so the
// stream is read with fetch and parsed here; reconnects resume with Last-Event-ID.
export const live = {
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
    } catch {
      if (signal.aborted) return;
      this.setState('reconnecting', 'Reconnecting…');
      this.timer = setTimeout(() => {
        if (!signal.aborted) this.run(signal);
      }, this.retry);
      this.retry = Math.min(this.retry * 2, 10000);
    }
  },
  dispatch(block) {
    const event = parseSseBlock(block);
    if (event.id !== null) this.lastId = event.id;
    if (event.type === 'ready') {
      this.retry = 1000;
      this.setState('live', 'Live');
      return;
    }
    let payload = null;
    try { payload = event.hasData ? JSON.parse(event.data) : null; } catch { return; }
    this.emit(event.type, payload);
  },
};
