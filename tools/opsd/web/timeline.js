// An operation's timeline as the detail view shows it: each API entry
// classified into one of four kinds (status change, event, child, audit) with
// its label, icon, dot colour, stable key and text, the kind filter, and the
// notes on what a bounded timeline left out. Pure functions: no DOM, so node's
// tests import this module as it is; detail-view.js draws the result.
import { fmtDateTime, fmtStructured, parseTime } from './format.js';

// The kinds, in the order of the filter chips.
export const TIMELINE_KINDS = ['status', 'event', 'child', 'audit'];

export const SOURCE_LABEL = { event: 'Event', status: 'Status', child: 'Child', audit: 'Audit' };

// data_json as an object to read fields from; {} for anything else.
function dataObject(text) {
  try {
    const d = JSON.parse(text || '{}');
    return d !== null && typeof d === 'object' ? d : {};
  } catch {
    return {};
  }
}

// One timeline entry ({at, source: 'event' | 'child' | 'audit', event | child | audit})
// as {kind, label, key, at, icon, dotStatus, message, data} plus, by kind:
//   status: from (null when created), to           — an event of kind "status"
//   event:  eventKind, sequence                      — any other event
//   child:  child (the child's snapshot)
//   audit:  audit (the audit event)
// key stays the same across reloads (it keeps open <details> open).
export function classifyEntry(entry) {
  const item = {
    kind: entry.source, label: null, key: entry.source, at: entry.at, icon: 'event',
    dotStatus: null, message: null, data: null,
  };
  if (entry.source === 'event') {
    const e = entry.event;
    item.key = 'e' + e.sequence;
    item.sequence = e.sequence;
    if (e.kind === 'status') {
      const d = dataObject(e.data_json);
      item.kind = 'status';
      item.icon = 'status';
      item.from = d.from || null;
      item.to = d.to || null;
      item.dotStatus = item.to;
      if (d.message) item.message = d.message;
    } else {
      item.eventKind = e.kind;
      if (e.kind === 'cancel_requested') item.icon = 'cancel';
      if (e.kind === 'Error') item.dotStatus = 'Failed';
      item.message = e.message;
      item.data = e.data_json;
    }
  } else if (entry.source === 'child') {
    const c = entry.child;
    item.key = 'c' + c.id;
    item.icon = 'child';
    item.dotStatus = c.status;
    item.child = c;
    item.message = [c.message, fmtStructured(c)].filter(Boolean).join(' · ') || null;
  } else if (entry.source === 'audit') {
    const a = entry.audit;
    item.key = 'a' + a.id;
    item.icon = 'audit';
    item.audit = a;
    item.message = a.display_message;
    if (a.actor) item.message += ' — by ' + (a.actor.display || a.actor.type + ' ' + a.actor.id);
    item.data = a.data_json;
  }
  item.label = SOURCE_LABEL[item.kind];
  return item;
}

// The classified entries of the kinds switched on (a Set), in their order.
export function filterByKinds(items, kinds) {
  return items.filter((item) => kinds.has(item.kind));
}

// What a bounded timeline left out (the API's `truncated`), as one sentence, or
// null when nothing was.
export function truncationText(truncated) {
  if (!truncated) return null;
  const parts = [];
  if (truncated.events_after != null) parts.push('events after #' + truncated.events_after);
  if (truncated.children_page_token) parts.push('children beyond the first shown (see Children)');
  if (truncated.audit_before) parts.push('audit events before ' + fmtDateTime(parseTime(truncated.audit_before.occurred_at)));
  if (!parts.length) return null;
  return 'Not all shown: ' + parts.join('; ') + '.';
}

// The Related card's link to the correlation id's list: "all of them" when the
// timeline listed only some related operations.
export function relatedLinkText(truncated) {
  return truncated && truncated.related ? 'all of them' : 'as a list';
}
