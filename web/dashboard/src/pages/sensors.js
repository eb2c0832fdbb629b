// Sensors: sites, the personas they show, last heartbeat / last event, and event rates (the
// average per day over their life and the last hour's).
import { api, qs } from '../api.js';
import { h, append, panel, table, link } from '../dom.js';
import { num, ts, ago, isoAgo, ms } from '../format.js';

const soft = (p) => p.catch(() => null);

export default async function sensorsPage(root) {
  const [sr, ss] = await Promise.all([api('sensors'), soft(api('sessions?limit=1000'))]);
  const sensors = Array.isArray(sr) ? sr : sr.sensors || [];
  // Personas each sensor showed, from its recent sessions.
  const personas = new Map();
  for (const s of ss?.sessions || []) {
    const p = s.persona || {};
    const key = [p.device_type, p.vendor, p.model].filter(Boolean).join(' ');
    if (!key) continue;
    if (!personas.has(s.sensor)) personas.set(s.sensor, new Map());
    const m = personas.get(s.sensor);
    m.set(key, (m.get(key) || 0) + 1);
  }
  const since = isoAgo(3600e3);
  const lastHour = await Promise.all(sensors.map((s) =>
    soft(api(`events${qs({ sensor: s.id, since, limit: 1000 })}`)).then((r) => r?.events?.length ?? null)));
  const rows = sensors.map((s, i) => {
    const days = Math.max(1, (ms(s.last_event) - ms(s.first_event)) / 86400e3);
    return { ...s, perDay: (s.events || 0) / days, lastHour: lastHour[i] };
  });
  const stale = (s) => Date.now() - ms(s.last_heartbeat || s.last_event) > 3600e3;
  append(root, 
    h('h1', {}, 'Sensors'),
    h('div', { class: 'cards' }, rows.map((s) => h('section', { class: ['panel', 'sensor', stale(s) ? 'stale' : 'fresh'] },
      h('h2', {}, link(`timeline?sensor=${s.id}`, s.id), h('span', { class: 'tag' }, s.site || 'no site')),
      h('dl', { class: 'facts' },
        h('dt', {}, 'last heartbeat'), h('dd', {}, s.last_heartbeat ? `${ts(s.last_heartbeat)} (${ago(s.last_heartbeat)})` : 'not reported'),
        h('dt', {}, 'last event'), h('dd', {}, `${ts(s.last_event)} (${ago(s.last_event)})`),
        h('dt', {}, 'first event'), h('dd', {}, ts(s.first_event)),
        h('dt', {}, 'events'), h('dd', {}, num(s.events)),
        h('dt', {}, 'rate'), h('dd', {}, `${num(s.perDay)} / day on average · ${s.lastHour === 1000 ? '1000+' : num(s.lastHour)} in the last hour`)),
      h('h3', {}, 'Personas'),
      h('ul', { class: 'plain' }, [...(personas.get(s.id) || new Map())].sort((a, b) => b[1] - a[1])
        .map(([k, n]) => h('li', {}, `${k} `, h('span', { class: 'muted' }, `(${num(n)} recent sessions)`))))))),
    rows.length ? null : panel(null, h('p', { class: 'muted' }, 'No sensor has sent events yet.')),
    panel('All sensors', table([['sensor', (s) => s.id], ['site', (s) => s.site], ['events', (s) => num(s.events)],
      ['per day', (s) => num(s.perDay)], ['last hour', (s) => num(s.lastHour)], ['last event', (s) => ago(s.last_event)]], rows)));
}
