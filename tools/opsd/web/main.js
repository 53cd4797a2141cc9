// opsd dashboard: operations list, detail with timeline, stalled view, live over
// SSE. The entry point (index.html loads it as a module): wires the dialogs,
// the router and the live stream, then boots. Plain DOM, no framework, no build
// step: the browser loads these modules as they are served.
import { live, setUnauthorizedHandler, state } from './api.js';
import { gate, loadSession, loadToken, onAccessChange, onUnauthorized, openSignIn, signOut, submitSignIn } from './auth.js';
import { confirmCancel, DetailView } from './detail-view.js';
import { h } from './dom.js';
import { ListView } from './list-view.js';
import { parseRoute } from './router.js';
import { loadStalledBadge, refreshBadge, StalledView } from './stalled-view.js';
import { tick } from './widgets.js';

// Mounts the view the hash names, or the sign-in gate.
function route() {
  const root = document.getElementById('view');
  if (!state.session || state.session.access === 'none') {
    state.view = null;
    live.stop();
    live.setState('offline', 'Signed out');
    root.replaceChildren(gate());
    return;
  }
  const r = parseRoute(location.hash);
  let view;
  if (r.view === 'detail') view = new DetailView(r.id);
  else if (r.view === 'stalled') view = new StalledView();
  else view = new ListView(r.params);
  if (r.title) document.title = r.title;
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.dataset.nav === r.nav);
  state.view = view;
  view.mount(root);
  loadStalledBadge();
  window.scrollTo(0, 0);
}

live.listeners.add((type, data) => {
  const view = state.view;
  if (type === 'change') {
    if (view && view.onChange) view.onChange(data);
    refreshBadge();
  } else if (type === 'reset') {
    if (view && view.onReset) view.onReset();
    refreshBadge();
  }
});

async function boot() {
  state.token = loadToken();
  setUnauthorizedHandler(onUnauthorized);
  onAccessChange(route);
  setInterval(tick, 1000);
  document.getElementById('auth-form').addEventListener('submit', submitSignIn);
  document.getElementById('auth-cancel').addEventListener('click', () => document.getElementById('auth-dialog').close());
  document.getElementById('cancel-form').addEventListener('submit', confirmCancel);
  document.getElementById('cancel-keep').addEventListener('click', () => document.getElementById('cancel-dialog').close());
  document.getElementById('auth-button').addEventListener('click', () => (state.token ? signOut() : openSignIn()));
  window.addEventListener('hashchange', route);
  try {
    await loadSession();
  } catch (e) {
    document.getElementById('view').replaceChildren(h('div', { class: 'gate' },
      h('h1', { text: 'opsd is not answering' }), h('p', { text: e.message })));
    return;
  }
  route();
  if (state.session.access !== 'none') live.start();
  // A slow safety net under the live stream: counts drift if a burst of remote
  // writes outran the poller.
  setInterval(() => {
    if (state.view instanceof ListView) state.view.loadCounts();
    loadStalledBadge();
  }, 30000);
}

boot();
