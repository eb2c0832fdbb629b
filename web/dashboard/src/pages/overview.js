// Overview: attacks now and today, the world map of sources, protocols, personas, session
// classes, malware collected, the never-seen share, and the live panel (SSE).
import { api, qs } from '../api.js';
import { h, append, panel, link } from '../dom.js';
import { bars, kpi, lineChart } from '../charts.js';
import { worldMap, countryName } from '../map.js';
import { num, pct, today, isoAgo, ts } from '../format.js';
import { describe, origin, sessionOf } from '../events.js';
import * as live from '../live.js';

const soft = (p) => p.catch(() => null);  // a missing part leaves its tile empty, not the page

export default async function overview(root) {
  const [ov, countries, now, day] = await Promise.all([
    api('stats/overview'),
    soft(api('stats/top?measure=sessions&by=country&limit=100')),
    soft(api(`events${qs({ action: 'session.open', since: isoAgo(3600e3), limit: 1000 })}`)),
    soft(api(`stats/overview${qs({ from: today(), to: today() })}`)),
  ]);
  const t = ov.totals || {};
  const top = ov.top || {};
  const range = ov.range || {};
  const lastHour = now?.events?.length ?? null;
  const nowTile = kpi('attacks in the last hour', lastHour === 1000 ? '1000+' : num(lastHour), 'sessions opened');
  let liveCount = 0;
  const liveTile = kpi('live since opened', '0', 'events received');
  const tiles = h('div', { class: 'kpis' },
    nowTile,
    kpi('attacks today', num(day?.totals?.sessions ?? 0), today()),
    liveTile,
    kpi('sessions', num(t.sessions), `${range.from ?? ''} – ${range.to ?? ''}`),
    kpi('events', num(t.events)),
    kpi('malware collected', num(t.samples), 'distinct samples'),
    kpi('never seen before', pct(t.unknown_share), 'of samples, at first sight'),
    kpi('exploit attempts', num((ov.daily?.exploits || []).reduce((a, b) => a + b, 0))));
  tiles.dataset.sessions = String(t.sessions ?? 0);

  const countryRows = countries?.rows || (top.country || []).map(([key, value]) => ({ key, value }));
  const map = worldMap(countryRows);
  const liveList = h('ol', { class: 'live-list', 'aria-live': 'polite' });
  const liveState = h('span', { class: 'muted' });

  append(root, 
    h('h1', {}, 'Overview'),
    tiles,
    h('div', { class: 'grid two' },
      panel('Attack sources', map, bars(countryRows.slice(0, 8), { total: countries?.total, label: countryName })),
      panel('Live', liveState, liveList)),
    h('div', { class: 'grid three' },
      panel('Protocols', h('div', { class: 'protocols' }, bars(top.protocol || [], { total: ov.top_total?.protocol }))),
      panel('Personas attacked', bars(top.device_type || [], { total: ov.top_total?.device_type })),
      panel('Session classes', bars(top.class || [], { total: ov.top_total?.class }))),
    h('div', { class: 'grid two' },
      panel('Daily sessions', lineChart(ov.daily?.days || [], { sessions: ov.daily?.sessions || [] },
        { peaks: (ov.peaks || []).map((p) => ({ day: p.day, title: `peak ${p.series} ${p.day}` })) })),
      panel('Malware families', bars(top.family || [], { total: ov.top_total?.family }),
        h('p', {}, link('samples', 'All samples →')))));

  function addItem(kind, data, fresh) {
    const li = h('li', { class: `live-item ${kind}${fresh ? ' fresh' : ''}` });
    if (kind === 'alert') {
      li.dataset.alert = String(data.id ?? '');
      li.append(h('span', { class: `sev ${data.severity || ''}` }, data.severity || 'alert'), ' ',
        link('alerts', data.title || data.rule || 'alert'));
    } else {
      const sid = sessionOf(data);
      li.dataset.session = sid || '';
      li.dataset.src = data?.source?.ip || '';
      li.append(h('time', {}, ts(data['@timestamp']).slice(11)), ' ',
        h('span', { class: 'origin' }, origin(data)), ' ',
        sid ? link(`sessions/${sid}`, describe(data)) : h('span', {}, describe(data)));
    }
    liveList.prepend(li);
    while (liveList.children.length > 40) liveList.lastChild.remove();
  }
  const showState = () => {
    const st = live.liveState();
    liveState.textContent = st === 'live' ? 'Connected: new events and alerts appear here as they arrive.'
      : st === 'down' ? 'Stream unavailable; retrying…' : 'Connecting to the live stream…';
    liveState.dataset.state = st;
  };
  for (const it of live.recentItems().reverse()) addItem(it.kind, it.data, false);
  showState();
  return live.subscribe((kind, data) => {
    if (kind === 'state') return showState();
    addItem(kind, data, true);
    if (kind === 'event') liveTile.querySelector('.kpi-value').textContent = num(++liveCount);
  });
}
