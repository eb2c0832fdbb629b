// Alerts: open, acknowledged or all, newest first; acknowledging moves an alert to acked.
// Alerts arriving on the live stream are added at the top at once.
import { api, qs } from '../api.js';
import { h, append, panel, link, clear } from '../dom.js';
import { num, ts, short } from '../format.js';
import * as live from '../live.js';

const STATES = ['open', 'acked', 'all'];

export default async function alertsPage(root, { query }) {
  const state = STATES.includes(query.get('state')) ? query.get('state') : 'open';
  const data = await api(`alerts${qs({ state: state === 'open' ? 'open' : 'all', limit: 500 })}`);
  let alerts = data.alerts || [];
  if (state === 'acked') alerts = alerts.filter((a) => a.acknowledged);
  const list = h('div', { class: 'alerts' });
  const heading = h('h2', {});

  function detailLinks(d = {}) {
    return [d.session_id ? link(`sessions/${d.session_id}`, `session ${short(d.session_id)}`) : null,
      d.sha256 ? link(`samples/${d.sha256}`, `sample ${short(d.sha256)}`) : null,
      d.src_ip ? link(`timeline?src_ip=${d.src_ip}`, `${d.src_ip}${d.country ? ` (${d.country})` : ''}`) : null,
      d.sensor ? link(`timeline?sensor=${d.sensor}`, d.sensor) : null].filter(Boolean).flatMap((a) => [a, ' ']);
  }

  function card(a) {
    const el = h('article', { class: ['alert-card', a.severity, a.acknowledged ? 'acked' : 'open'], dataset: { id: String(a.id) } });
    const ack = a.acknowledged
      ? h('span', { class: 'ack-note muted' }, `acknowledged by ${a.acknowledged_by || '?'} at ${ts(a.acknowledged)}`)
      : h('button', { class: 'btn small', type: 'button', 'data-action': 'ack', onclick: () => acknowledge(a, el) }, 'Acknowledge');
    el.append(
      h('header', {}, h('span', { class: `sev ${a.severity || ''}` }, a.severity || '?'), ' ',
        h('strong', { class: 'alert-title' }, a.title || a.rule), ack),
      h('p', { class: 'muted small' }, `${a.rule} · ${num(a.count)}× · first ${ts(a.first)} · last ${ts(a.last)}`),
      h('p', { class: 'links' }, detailLinks(a.detail)));
    return el;
  }

  async function acknowledge(a, el) {
    el.querySelector('[data-action=ack]').disabled = true;
    try {
      const updated = await api(`alerts/${encodeURIComponent(a.id)}/ack`, { method: 'POST' });
      const i = alerts.findIndex((x) => x.id === a.id);
      if (state === 'open') alerts.splice(i, 1); else alerts[i] = updated;
      draw();
    } catch (e) {
      el.append(h('p', { class: 'form-error' }, `Could not acknowledge: ${e.message}`));
    }
  }

  function draw() {
    heading.textContent = `${num(alerts.length)} ${state === 'all' ? '' : `${state} `}alerts`;
    clear(list).append(...(alerts.length ? alerts.map(card) : [h('p', { class: 'muted' }, 'No alerts here.')]));
  }

  append(root, h('h1', {}, 'Alerts'),
    h('div', { class: 'tabs' }, STATES.map((s) => h('a', { href: `#/alerts?state=${s}`, class: s === state ? 'active' : '' }, s))),
    panel(null, heading, list));
  draw();
  live.markAlertsSeen();
  return live.subscribe((kind, a) => {
    if (kind !== 'alert' || state === 'acked') return;
    alerts = [a, ...alerts.filter((x) => x.id !== a.id)];
    draw();
    live.markAlertsSeen();
  });
}
