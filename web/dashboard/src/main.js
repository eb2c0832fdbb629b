// The app shell: header with navigation and the live badge, hash routing, and the login gate.
// Each page module exports a default async render(root, ctx) that may return a cleanup
// function (timers, live subscriptions), called when the page is left.
import { api, setCsrf, setUnauthorizedHandler } from './api.js';
import { h, clear } from './dom.js';
import * as live from './live.js';
import overview from './pages/overview.js';
import series from './pages/series.js';
import samples from './pages/samples.js';
import sample from './pages/sample.js';
import sessions from './pages/sessions.js';
import session from './pages/session.js';
import sensors from './pages/sensors.js';
import alerts from './pages/alerts.js';
import timeline from './pages/timeline.js';
import about from './pages/about.js';
import login from './pages/login.js';

const NAV = [['overview', 'Overview'], ['series', 'Time series'], ['samples', 'Samples'],
  ['sessions', 'Sessions'], ['sensors', 'Sensors'], ['alerts', 'Alerts'], ['timeline', 'Timeline'],
  ['about', 'About']];
const PAGES = { overview, series, samples, sample, sessions, session, sensors, alerts, timeline, about };

let me = null;            // {user, role, csrf_token} once logged in
let cleanup = null;
let renderSeq = 0;
const main = h('main', { id: 'main' });
const navEl = h('nav', { class: 'nav' });
const badge = h('a', { class: 'live-badge', href: '#/overview', title: 'live stream' },
  h('i', { class: 'dot' }), h('span', { class: 'live-text' }, 'off'), h('b', { class: 'alert-count' }));
const userEl = h('span', { class: 'user' });
const logoutBtn = h('button', { class: 'btn small', type: 'button', onclick: logout }, 'Log out');
const header = h('header', { class: 'top' },
  h('a', { class: 'brand', href: '#/overview' }, 'Mitsu', h('span', {}, ' SOC')), navEl,
  h('div', { class: 'who' }, badge, userEl, logoutBtn));

// "#/samples/abc?x=1" → {name: 'sample', params: ['abc'], query: URLSearchParams}
function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, q = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let name = parts[0] || 'overview';
  if ((name === 'samples' || name === 'sessions') && parts[1]) name = name.slice(0, -1);
  return { name, params: parts.slice(1), query: new URLSearchParams(q) };
}

function updateBadge() {
  const st = live.liveState();
  badge.className = `live-badge ${st}`;
  badge.querySelector('.live-text').textContent = st === 'live' ? 'live' : st === 'off' ? 'off' : st === 'down' ? 'offline' : '…';
  const n = live.unseen();
  badge.querySelector('.alert-count').textContent = n ? String(n) : '';
  badge.dataset.alerts = String(n);
}

async function render() {
  const seq = ++renderSeq;
  if (cleanup) { try { cleanup(); } catch { /* a page's cleanup must not block the next */ } cleanup = null; }
  const route = parseHash();
  document.body.dataset.ready = '';
  clear(main);
  window.scrollTo(0, 0);
  if (!me) {
    header.hidden = true;
    document.body.dataset.page = 'login';
    cleanup = await login(main, { onLogin });
    markReady('login');
    return;
  }
  header.hidden = false;
  const page = PAGES[route.name] || overview;
  const name = PAGES[route.name] ? route.name : 'overview';
  document.body.dataset.page = name;
  for (const a of navEl.children) a.classList.toggle('active', a.dataset.route === name.replace(/^(sample|session)$/, '$1s'));
  document.title = `Mitsu · ${name}`;
  try {
    const c = await page(main, { ...route, me, rerender: render });
    if (seq !== renderSeq) { if (typeof c === 'function') c(); return; }
    cleanup = typeof c === 'function' ? c : null;
  } catch (e) {
    if (seq !== renderSeq || e.status === 401) return;
    main.append(h('section', { class: 'panel page-error' }, h('h2', {}, 'Could not load this page'), h('p', {}, e.message)));
  }
  if (seq === renderSeq) markReady(name);
}

// For the browser tests: which page finished rendering, for which hash.
function markReady(name) {
  document.body.dataset.route = location.hash;
  document.body.dataset.ready = name;
}

function onLogin(principal) {
  me = principal;
  setCsrf(principal.csrf_token);
  userEl.textContent = `${principal.user} (${principal.role})`;
  live.connect();
  if (!location.hash || location.hash.startsWith('#/login')) location.hash = '#/overview';
  else render();
}

async function logout() {
  try { await api('auth/logout', { method: 'POST' }); } catch { /* already gone */ }
  toLogin();
}

function toLogin() {
  me = null;
  setCsrf(null);
  live.disconnect();
  render();
}

async function start() {
  for (const [route, label] of NAV) navEl.append(h('a', { href: `#/${route}`, dataset: { route } }, label));
  document.body.append(header, main);
  live.subscribe((kind) => { if (kind !== 'event') updateBadge(); });
  setUnauthorizedHandler(() => { if (me) toLogin(); });
  window.addEventListener('hashchange', render);
  try {
    const principal = await api('auth/me', { quiet401: true });
    if (principal.csrf_token) { onLogin(principal); return; }
  } catch { /* not logged in: the login page */ }
  render();
}

start();
