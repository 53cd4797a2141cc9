// Formatting for the dashboard: times, durations, relative times, percentages,
// counts, structured progress and JSON. Pure functions: no DOM, so node's tests
// import this module as it is.

export const parseTime = (iso) => (iso ? new Date(iso) : null);

export function fmtDuration(ms) {
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

// "just now", "5m ago", "in 2h"; `now` is there for the tests.
export function fmtRelative(date, now = Date.now()) {
  if (!date) return '–';
  const diff = now - date.getTime();
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

export const pad = (n, w = 2) => String(n).padStart(w, '0');

// Local time of day, as the person reading the page lives it.
export function fmtClock(date) {
  return pad(date.getHours()) + ':' + pad(date.getMinutes()) + ':' + pad(date.getSeconds());
}

// HH:MM:SS.mmm, for timeline entries that can be milliseconds apart.
export function fmtClockMs(date) {
  return fmtClock(date) + '.' + pad(date.getMilliseconds(), 3);
}

export function fmtDateTime(date) {
  if (!date) return '–';
  return date.getFullYear() + '-' + pad(date.getMonth() + 1) + '-' + pad(date.getDate()) + ' ' +
    fmtClock(date);
}

export const fmtNumber = (n) => Number(n).toLocaleString();

// A count from /v1/counts: "10,000+" for a status it stopped counting at
// `at_most` (listed in `more`), else the number.
export function fmtCount(counts, status) {
  const more = Array.isArray(counts.more) && counts.more.includes(status);
  return fmtNumber(counts.counts[status]) + (more ? '+' : '');
}

// The total of `statuses` (all when empty), "+" when any of them was cut.
export function fmtTotal(counts, statuses) {
  const list = statuses.length ? statuses : Object.keys(counts.counts);
  const n = list.reduce((sum, s) => sum + (counts.counts[s] || 0), 0);
  const more = Array.isArray(counts.more) && list.some((s) => counts.more.includes(s));
  return { n, text: fmtNumber(n) + (more ? '+' : '') };
}

// "42%" for a reported percent, null when the operation reports none.
export function fmtPercent(percent) {
  return typeof percent === 'number' ? Math.round(percent) + '%' : null;
}

// A progress bar's width: reports outside 0..100 still draw a sane bar.
export function clampPercent(percent) {
  return Math.max(0, Math.min(100, percent));
}

// "312 / 1,000 rows" from an operation's structured progress, or null.
export function fmtStructured(op) {
  const p = op.progress;
  if (!p) return null;
  return fmtNumber(p.current) + (p.total !== null && p.total !== undefined ? ' / ' + fmtNumber(p.total) : '') +
    (p.unit ? ' ' + p.unit : '');
}

// Pretty-prints JSON text; anything that is not JSON is shown as it came.
export function prettyJson(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
