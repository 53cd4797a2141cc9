// DOM helpers: h() builds elements, icon() draws the inline SVG icons, toast()
// shows a passing message, debounce() calms bursts of input or live changes.
// Plain DOM, no innerHTML with data: every value goes in as text.

// h('div', {class: 'x', text: 'hi', onclick: fn, dataset: {id: 1}}, child, ...)
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') el.className = value;
      else if (key === 'text') el.textContent = value;
      else if (key === 'dataset') Object.assign(el.dataset, value);
      else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
      else if (value === true) el.setAttribute(key, '');
      else el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const ICONS = {
  search: 'M10.5 3a7.5 7.5 0 015.9 12.1l4.2 4.2-1.4 1.4-4.2-4.2A7.5 7.5 0 1110.5 3zm0 2a5.5 5.5 0 100 11 5.5 5.5 0 000-11z',
  tag: 'M3 3h8l10 10-8 8L3 11V3zm4 2.5a1.5 1.5 0 100 3 1.5 1.5 0 000-3z',
  copy: 'M8 3h11v13h-2V5H8V3zM4 7h11v14H4V7zm2 2v10h7V9H6z',
  status: 'M12 4a8 8 0 110 16 8 8 0 010-16z',
  event: 'M4 5h16v2H4zm0 6h16v2H4zm0 6h10v2H4z',
  child: 'M5 3h2v8h8V8l5 4-5 4v-3H5V3z',
  audit: 'M12 2l8 3v6c0 5-3.4 9.3-8 11-4.6-1.7-8-6-8-11V5l8-3zm-1 13l6-6-1.4-1.4L11 12.2 8.4 9.6 7 11l4 4z',
  cancel: 'M6.4 5L12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z',
};

export function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', ICONS[name]);
  path.setAttribute('fill', 'currentColor');
  svg.append(path);
  return svg;
}

let toastTimer = 0;
export function toast(message, isError) {
  const el = document.getElementById('toast');
  el.textContent = message;
  el.className = 'toast show' + (isError ? ' error' : '');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.className = 'toast'; }, isError ? 5000 : 2500);
}

// Runs fn at most once every `ms`, after the call that asked: a burst of live
// changes costs one request per period, and the last change is never lost.
export function throttle(fn, ms) {
  let timer = 0;
  let last = -Infinity;
  return (...args) => {
    if (timer) return;
    const wait = Math.max(0, last + ms - Date.now());
    timer = setTimeout(() => {
      timer = 0;
      last = Date.now();
      fn(...args);
    }, wait);
  };
}

export function debounce(fn, ms) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
