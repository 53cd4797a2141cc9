// Pieces every view draws: status badges, progress bars and cells, tag pills,
// relative times and durations that tick, and the copy button's action.
import { h, toast } from './dom.js';
import { clampPercent, fmtDuration, fmtPercent, fmtRelative, fmtStructured, parseTime } from './format.js';

export function statusBadge(status) {
  return h('span', { class: 'status status-' + status, text: status });
}

export function progressOf(op, large) {
  const pct = typeof op.percent === 'number' ? op.percent : null;
  const bar = h('div', { class: 'bar' + (large ? ' bar-lg' : ''), dataset: { status: op.status } },
    h('div', { class: 'fill' }));
  const fill = bar.firstChild;
  if (pct !== null) {
    fill.style.width = clampPercent(pct) + '%';
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

export function progressCell(op) {
  const pct = fmtPercent(op.percent) || '';
  const detail = [op.message, fmtStructured(op)].filter(Boolean).join(' · ');
  return h('div', { class: 'progress' },
    h('div', { class: 'progress-line' }, progressOf(op), h('span', { class: 'pct', text: pct })),
    detail ? h('div', { class: 'progress-msg', title: detail, text: detail }) : null);
}

export function tagPills(tags, limit) {
  const entries = Object.entries(tags || {});
  const shown = limit ? entries.slice(0, limit) : entries;
  const pills = shown.map(([k, v]) => h('span', { class: 'pill', title: k + ': ' + v }, h('b', { text: k }), v));
  if (limit && entries.length > limit) pills.push(h('span', { class: 'pill', text: '+' + (entries.length - limit) }));
  return pills;
}

// A relative time that tick() keeps fresh.
export function relTime(iso) {
  const date = parseTime(iso);
  return h('span', { class: 'rel', title: date ? date.toISOString() : '', dataset: { rel: iso || '' } },
    fmtRelative(date));
}

// Elapsed time of an operation; ticks while it is open.
export function durationOf(op) {
  const start = parseTime(op.started_at);
  const end = op.completed_at ? parseTime(op.completed_at) : null;
  const el = h('span', { class: 'dur' }, fmtDuration((end ? end.getTime() : Date.now()) - start.getTime()));
  if (!end) el.dataset.since = op.started_at;
  return el;
}

// Refreshes every relative time and running duration on the page (main.js runs it each second).
export function tick() {
  for (const el of document.querySelectorAll('[data-rel]')) {
    if (el.dataset.rel) el.textContent = fmtRelative(new Date(el.dataset.rel));
  }
  for (const el of document.querySelectorAll('[data-since]')) {
    el.textContent = fmtDuration(Date.now() - new Date(el.dataset.since).getTime());
  }
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    toast('Copied');
  } catch {
    toast('Copy failed', true);
  }
}
