// OpsTable: a table of operations that keeps itself current from live changes
// (used by the list, the children and related cards, and the stalled view).
import { h } from './dom.js';
import { matchesFilter, newerFirst } from './filters.js';
import { opHref } from './router.js';
import { durationOf, progressCell, relTime, statusBadge, tagPills } from './widgets.js';

export class OpsTable {
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
