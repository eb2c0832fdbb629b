// Recent sessions, newest first, with what happened in each.
import { api } from '../api.js';
import { h, append, panel, table, link } from '../dom.js';
import { num, ts, short } from '../format.js';

export default async function sessionsPage(root, { query }) {
  const proto = query.get('protocol') || '';
  const { sessions = [] } = await api('sessions?limit=500');
  const rows = proto ? sessions.filter((s) => s.protocol === proto) : sessions;
  const protos = [...new Set(sessions.map((s) => s.protocol))].sort();
  append(root, 
    h('h1', {}, 'Sessions'),
    h('p', { class: 'controls' }, link('sessions', 'all'), protos.map((p) => [' · ', link(`sessions?protocol=${p}`, p)])),
    panel(`${num(rows.length)} recent sessions${proto ? ` (${proto})` : ''}`, table([
      ['started', (s) => link(`sessions/${s.id}`, ts(s.started))],
      ['protocol', (s) => s.protocol], ['source', (s) => link(`timeline?src_ip=${s.src_ip}`, s.src_ip)],
      ['sensor', (s) => s.sensor], ['persona', (s) => [s.persona?.vendor, s.persona?.model].filter(Boolean).join(' ')],
      ['logins', (s) => `${num(s.counts?.logins_succeeded)}/${num(s.counts?.login_attempts)}`],
      ['commands', (s) => num(s.counts?.commands)], ['exploits', (s) => num(s.counts?.exploits)],
      ['files', (s) => num((s.counts?.downloads || 0) + (s.counts?.uploads || 0))],
      ['id', (s) => h('code', {}, short(s.id))]], rows, { cls: 'sessions' })));
}
