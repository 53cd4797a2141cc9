// Signing in and out: the session (GET /v1/session), the access shown in the
// top bar, the sign-in dialog and the gate shown when reads need a token.
// The token lives in this tab's session storage only.
import { api, live, state, TOKEN_KEY } from './api.js';
import { h, toast } from './dom.js';

// main.js re-routes after a sign-in or sign-out (a callback, so this module
// need not import the router's caller).
let accessChanged = () => {};
export function onAccessChange(fn) {
  accessChanged = fn;
}

export function loadToken() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export async function loadSession() {
  try {
    state.session = await api('/v1/session', { quiet: true });
  } catch (e) {
    if (e.status === 401 && state.token) {
      // A stale token from an earlier run: forget it and ask again.
      state.token = '';
      sessionStorage.removeItem(TOKEN_KEY);
      state.session = await api('/v1/session', { quiet: true });
      toast('Your token was not accepted; sign in again', true);
    } else {
      throw e;
    }
  }
  renderAccess();
}

function renderAccess() {
  const s = state.session;
  const access = document.getElementById('access');
  const button = document.getElementById('auth-button');
  document.getElementById('store-kind').textContent = s ? s.store : '';
  if (state.token) {
    access.textContent = s.access === 'write' ? 'read-write' : 'read-only';
    button.textContent = 'Sign out';
  } else {
    access.textContent = s && s.access === 'read' ? 'read-only' : '';
    button.textContent = 'Sign in';
  }
  // With no token configured there is nothing to sign in with (writes are off).
  button.hidden = !state.token && s && !s.tokens_configured;
}

// A 401 from any request asks for a token (once).
export function onUnauthorized() {
  if (!document.getElementById('auth-dialog').open) openSignIn();
}

export function openSignIn() {
  document.getElementById('auth-error').textContent = '';
  document.getElementById('auth-token').value = '';
  document.getElementById('auth-dialog').showModal();
  document.getElementById('auth-token').focus();
}

// The sign-in form's submit handler.
export async function submitSignIn(event) {
  event.preventDefault();
  const token = document.getElementById('auth-token').value.trim();
  if (!token) return;
  const res = await fetch('/v1/session', { headers: { Authorization: 'Bearer ' + token } });
  if (res.status === 401) {
    document.getElementById('auth-error').textContent = 'That token is not valid here.';
    return;
  }
  if (!res.ok) {
    document.getElementById('auth-error').textContent = 'Sign-in failed (HTTP ' + res.status + ').';
    return;
  }
  state.token = token;
  sessionStorage.setItem(TOKEN_KEY, token);
  state.session = await res.json();
  document.getElementById('auth-dialog').close();
  renderAccess();
  toast(state.session.access === 'write' ? 'Signed in (read-write)' : 'Signed in (read-only)');
  live.start();
  accessChanged();
}

export async function signOut() {
  state.token = '';
  sessionStorage.removeItem(TOKEN_KEY);
  await loadSession();
  live.start();
  accessChanged();
}

// Shown instead of a view when reading needs a token.
export function gate() {
  return h('div', { class: 'gate' },
    h('h1', { text: 'Sign in to see operations' }),
    h('p', { text: 'This opsd needs an API token for reading. Ask whoever runs it for a read-only token.' }),
    h('button', { class: 'btn btn-primary', type: 'button', onclick: openSignIn, text: 'Sign in' }));
}
