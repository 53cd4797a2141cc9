// The list filter: the URL hash <-> the list view's filter state, the API query
// it sends, matchesFilter (the client-side twin of the server's filter, deciding
// whether a live change keeps its row) and the list order. Pure functions: no
// DOM, so node's tests import this module as it is.

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

// The client-side twin of the server's filter (OperationFilter), for live rows.
export function matchesFilter(op, f) {
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

// Newest first by (started_at, id), as the API orders lists: negative when `a`
// goes before `b`.
export function newerFirst(a, b) {
  if (a.started_at !== b.started_at) return a.started_at < b.started_at ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
