// The list filter: the URL hash <-> the list view's filter state, the API query
// it sends, matchesFilter (the client-side twin of the C++ matches() in
// operation_query.hpp, deciding whether a live change keeps its row) and the
// list order. Pure functions: no DOM, so node's tests import this module as it is.
// tests/vectors/filter_matching.json holds the cases both sides must agree on.

export const STATUSES = ['Running', 'Pending', 'Stalled', 'Failed', 'Succeeded', 'Canceled'];

// The list view's filter from the hash's parameters (a URLSearchParams). Unknown
// statuses and tags without a key are dropped: the API would refuse them.
export function filterFromHash(params) {
  return {
    status: params.getAll('status').flatMap((s) => s.split(',')).filter((s) => STATUSES.includes(s)),
    name_prefix: params.get('q') || '',
    tag: params.getAll('tag').filter((t) => t.indexOf(':') > 0),
    correlation_id: params.get('correlation_id') || '',
    parent_id: params.get('parent_id') || '',
  };
}

// The hash that shows `filter`: '#/' plus only the parts that are set.
export function hashFor(filter) {
  const q = new URLSearchParams();
  filter.status.forEach((s) => q.append('status', s));
  if (filter.name_prefix) q.set('q', filter.name_prefix);
  filter.tag.forEach((t) => q.append('tag', t));
  if (filter.correlation_id) q.set('correlation_id', filter.correlation_id);
  if (filter.parent_id) q.set('parent_id', filter.parent_id);
  const s = q.toString();
  return '#/' + (s ? '?' + s : '');
}

// The list endpoint's query parameters for `filter`. The counts leave the status
// out (withStatus false): every chip shows its own count.
export function apiQuery(filter, withStatus) {
  return {
    status: withStatus && filter.status.length ? filter.status.join(',') : undefined,
    name_prefix: filter.name_prefix || undefined,
    tag: filter.tag,
    correlation_id: filter.correlation_id || undefined,
    parent_id: filter.parent_id || undefined,
  };
}

// An ISO-8601 UTC timestamp as microseconds since the epoch (a BigInt), read the
// way the C++ parse_iso8601 reads it: 'T'/'Z' in either case, 'Z', '+00:00' or
// '-00:00', a fraction of 1-9 digits cut (not rounded) to microseconds. Date
// keeps only milliseconds, which would put two times within one millisecond on
// the wrong sides of a bound. null if `text` is not such a timestamp.
const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|[+-]00:00)$/;
export function timeMicros(text) {
  const m = ISO_UTC.exec(String(text).trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return null;
  }
  const micros = m[7] ? Number(m[7].slice(0, 6).padEnd(6, '0')) : 0;
  return BigInt(date.getTime()) * 1000n + BigInt(micros);
}

// A repeatable query parameter's values: a string, an array of them, or none.
const valuesOf = (v) => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

// An id parameter, trimmed as the server's id parser trims it; a blank one is
// taken as not given (the API refuses it).
function idParam(v) {
  const id = typeof v === 'string' ? v.trim() : '';
  return id ? id : null;
}

// Half-open, as on the server: from <= t < to. An unreadable bound matches nothing.
function inRange(at, from, to) {
  const given = (v) => typeof v === 'string' && v !== '';
  if (!given(from) && !given(to)) return true;
  const t = timeMicros(at);
  if (t === null) return false;
  if (given(from)) {
    const f = timeMicros(from);
    if (f === null || t < f) return false;
  }
  if (given(to)) {
    const u = timeMicros(to);
    if (u === null || !(t < u)) return false;
  }
  return true;
}

// True if the operation `op` (the API's snapshot JSON) passes `filter`: the list
// endpoint's query parameters as an object (docs/opsd.md, "List filters"), a
// repeated parameter (status, tag) as an array. The list view's filter state is
// such an object. Semantics are those of the C++ matches():
//   status       comma-separated, repeatable; any of them (empty words ignored)
//   name         exact, when given at all (an empty name matches no operation)
//   name_prefix  the name starts with it
//   tag          key:value, split at the first ':', each key must have that value;
//                a key given twice keeps its last value, as the server's map does
//   correlation_id, parent_id   exact
//   started_from/_to, updated_from/_to   half-open ranges, compared in microseconds
export function matchesFilter(op, filter) {
  const statuses = valuesOf(filter.status).flatMap((s) => String(s).split(',')).filter(Boolean);
  if (statuses.length && !statuses.includes(op.status)) return false;
  if (typeof filter.name === 'string' && op.name !== filter.name) return false;
  if (typeof filter.name_prefix === 'string' && !op.name.startsWith(filter.name_prefix)) return false;
  const tags = new Map();
  for (const t of valuesOf(filter.tag)) {
    const i = t.indexOf(':');
    if (i > 0) tags.set(t.slice(0, i), t.slice(i + 1));
  }
  const opTags = op.tags || {};
  for (const [key, value] of tags) {
    if (!Object.hasOwn(opTags, key) || opTags[key] !== value) return false;
  }
  const correlation = idParam(filter.correlation_id);
  if (correlation !== null && (!op.correlation || op.correlation.correlation_id !== correlation)) return false;
  const parent = idParam(filter.parent_id);
  if (parent !== null && op.parent_id !== parent) return false;
  return inRange(op.started_at, filter.started_from, filter.started_to) &&
    inRange(op.updated_at, filter.updated_from, filter.updated_to);
}

// Newest first by (started_at, id), as the API orders lists: negative when `a`
// goes before `b`.
export function newerFirst(a, b) {
  if (a.started_at !== b.started_at) return a.started_at < b.started_at ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
