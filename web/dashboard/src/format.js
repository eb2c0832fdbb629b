// Formatting of numbers, times and durations for display.
const nf = new Intl.NumberFormat('en');

export const num = (n) => (n === null || n === undefined || Number.isNaN(+n) ? '–' : nf.format(Math.round(+n)));
export const pct = (x) => (x === null || x === undefined ? '–' : `${(100 * x).toFixed(x < 0.1 ? 1 : 0)} %`);

// "2026-11-14 18:42:01" in UTC (the API's times are UTC; SOC shifts compare across sites).
export function ts(iso) {
  if (!iso) return '–';
  return String(iso).replace('T', ' ').replace(/\.\d+Z$|Z$/, '') + 'Z';
}

export function ago(iso, now = Date.now()) {
  if (!iso) return 'never';
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (Number.isNaN(s)) return '–';
  if (s < 0) return 'just now';
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 129600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

export function bytes(n) {
  if (n === null || n === undefined) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1048576).toFixed(1)} MiB`;
}

export const short = (sha) => (sha ? `${String(sha).slice(0, 12)}…` : '–');
export const today = () => new Date().toISOString().slice(0, 10);
export const isoAgo = (ms) => new Date(Date.now() - ms).toISOString().replace(/\.\d+Z$/, 'Z');

// A value picked from a nested object by path ('a.b.c'); undefined when missing.
export function get(o, path) {
  return path.split('.').reduce((v, k) => (v && typeof v === 'object' ? v[k] : undefined), o);
}

// Milliseconds since the epoch from an RFC 3339 time with up to 9 fraction digits.
export function ms(iso) {
  const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?Z$/.exec(String(iso || ''));
  if (!m) return Date.parse(iso);
  return Date.parse(`${m[1]}Z`) + (m[2] ? Number(`0${m[2]}`) * 1000 : 0);
}
