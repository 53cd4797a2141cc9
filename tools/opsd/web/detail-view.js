// One operation (#/op/<id>): progress and details, its children, its timeline
// (with the kind filter and what a bounded timeline left out), the operations
// related by correlation id, and the cancel dialog.
import { api, state } from './api.js';
import { debounce, h, icon, toast } from './dom.js';
import { fmtClockMs, fmtDateTime, fmtPercent, fmtRelative, fmtStructured, parseTime, prettyJson } from './format.js';
import { OpsTable } from './ops-table.js';
import { correlationHref, opHref } from './router.js';
import { classifyEntry, filterByKinds, relatedLinkText, TIMELINE_KINDS, truncationText } from './timeline.js';
import { copyText, durationOf, progressOf, relTime, statusBadge, tagPills } from './widgets.js';

// The title line of a classified timeline entry (timeline.js).
function entryTitle(item) {
  let title = [];
  if (item.kind === 'status') {
    title = item.from ? [statusBadge(item.from), h('span', { class: 'arrow', text: '→' }), statusBadge(item.to)]
      : [h('span', { text: 'Created' }), statusBadge(item.to || 'Pending')];
  } else if (item.kind === 'event') {
    title = [h('span', { class: 'kind', text: item.eventKind })];
  } else if (item.kind === 'child') {
    const c = item.child;
    title = [h('span', { text: 'Child started' }), h('a', { href: opHref(c.id), text: c.name }), statusBadge(c.status)];
  } else if (item.kind === 'audit') {
    const a = item.audit;
    title = [h('span', { class: 'kind', text: a.name }), h('span', { class: 'outcome outcome-' + a.outcome, text: a.outcome })];
  }
  if (item.sequence !== undefined) title.push(h('span', { class: 'faint mono', text: '#' + item.sequence }));
  return title;
}

function timelineEntry(item, openKeys) {
  const at = parseTime(item.at);
  const dot = h('div', { class: 'tl-dot' }, icon(item.icon));
  if (item.dotStatus) dot.classList.add('status-' + item.dotStatus);
  const details = item.data
    ? h('details', { open: openKeys.has(item.key), dataset: { key: item.key } }, h('summary', { text: 'data' }),
      h('pre', { text: prettyJson(item.data) }))
    : null;
  return h('li', { class: 'tl-item', dataset: { kind: item.kind, key: item.key } },
    h('div', { class: 'tl-time', title: at.toISOString() }, fmtClockMs(at),
      h('small', { dataset: { rel: item.at }, text: fmtRelative(at) })),
    dot,
    h('div', { class: 'tl-body' },
      h('div', { class: 'tl-title' }, h('span', { class: 'tl-src', text: item.label }), entryTitle(item)),
      item.message ? h('div', { class: 'tl-msg', text: item.message }) : null,
      details));
}

// What a bounded timeline left out, said where it was left out.
function truncationNotice(truncated) {
  const text = truncationText(truncated);
  return text ? h('div', { class: 'banner', id: 'timeline-truncated', text }) : null;
}

export class DetailView {
  constructor(id) {
    this.id = id;
    this.op = null;
    this.kinds = new Set(TIMELINE_KINDS);
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

    const pct = fmtPercent(op.percent) || (op.done ? op.status : '—');
    const struct = fmtStructured(op);
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
      corr ? fact('Correlation', h('a', { class: 'mono', href: correlationHref(corr.correlation_id),
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
    const items = filterByKinds(this.timeline.entries.map(classifyEntry), this.kinds)
      .map((item) => timelineEntry(item, openKeys));
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
          corr ? h('a', { class: 'right', href: correlationHref(corr.correlation_id),
            text: relatedLinkText(this.timeline.truncated) }) : null),
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

// The cancel form's submit handler (main.js wires it).
export async function confirmCancel(event) {
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
