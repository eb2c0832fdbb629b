// The live ticker: one EventSource for the whole app on /api/v1/stream (events and alerts as
// Server-Sent Events). EventSource reconnects by itself when a stream ends (the server says
// `retry: 2000`); when the server refuses (it answered an error, so readyState is CLOSED) or
// dropped us for being slow (`event: dropped`), we open a new one after a back-off.
const listeners = new Set();
const recent = [];          // newest first, for pages opened after the items arrived
const MAX_RECENT = 100;
let source = null;
let retryTimer = null;
let backoff = 1000;
let state = 'off';          // off | connecting | live | down
let unseenAlerts = 0;

function notify(kind, data) {
  for (const f of listeners) {
    try { f(kind, data); } catch (e) { console.warn('live listener failed', e); }
  }
}

function setState(next) {
  state = next;
  notify('state', state);
}

function onItem(kind, e) {
  let data;
  try { data = JSON.parse(e.data); } catch { return; }
  recent.unshift({ kind, data, at: Date.now() });
  if (recent.length > MAX_RECENT) recent.pop();
  if (kind === 'alert') unseenAlerts += 1;
  notify(kind, data);
}

function scheduleReconnect() {
  if (source) { source.close(); source = null; }
  setState('down');
  clearTimeout(retryTimer);
  retryTimer = setTimeout(connect, backoff);
  backoff = Math.min(backoff * 2, 30000);
}

export function connect() {
  if (source) return;
  clearTimeout(retryTimer);
  setState('connecting');
  source = new EventSource('/api/v1/stream?kinds=event,alert');
  source.addEventListener('open', () => { backoff = 1000; setState('live'); });
  source.addEventListener('hello', () => { backoff = 1000; setState('live'); });
  source.addEventListener('event', (e) => onItem('event', e));
  source.addEventListener('alert', (e) => onItem('alert', e));
  source.addEventListener('dropped', scheduleReconnect);
  source.addEventListener('error', () => {
    // CONNECTING: the browser is already retrying; CLOSED: it gave up, so we retry.
    if (!source || source.readyState === EventSource.CLOSED) scheduleReconnect();
    else setState('connecting');
  });
}

export function disconnect() {
  clearTimeout(retryTimer);
  if (source) source.close();
  source = null;
  recent.length = 0;
  unseenAlerts = 0;
  setState('off');
}

// f(kind, data) for kind in event | alert | state. Returns the unsubscribe function.
export function subscribe(f) {
  listeners.add(f);
  return () => listeners.delete(f);
}

export const liveState = () => state;
export const recentItems = () => recent.slice();
export const unseen = () => unseenAlerts;
export function markAlertsSeen() {
  unseenAlerts = 0;
  notify('state', state);
}
