// Stalled work (#/stalled): operations marked Stalled, open ones that went
// quiet for a chosen window, and the Stalled count badge in the top bar.
import { api, query, state } from './api.js';
import { debounce, h, throttle, toast } from './dom.js';
import { fmtCount } from './format.js';
import { OpsTable } from './ops-table.js';

const QUIET_WINDOWS = [['1m', 60e3], ['5m', 300e3], ['15m', 900e3], ['1h', 3600e3]];

export class StalledView {
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

// The top bar's count of Stalled operations (hidden at zero).
export async function loadStalledBadge() {
  if (!state.session || state.session.access === 'none') return;
  try {
    const c = await api('/v1/counts?status=Stalled', { quiet: true });
    const badge = document.getElementById('stalled-badge');
    badge.textContent = fmtCount(c, 'Stalled');
    badge.hidden = c.counts.Stalled === 0;
  } catch { /* not important */ }
}

export const refreshBadge = throttle(loadStalledBadge, 5000);
