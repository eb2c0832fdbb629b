// One session: who, which persona, the transcript replay (Telnet/SSH), HTTP requests, SMB
// actions, files, exploits, and every event in time order.
import { api } from '../api.js';
import { h, append, panel, table, link, facts } from '../dom.js';
import { num, ts, short, get } from '../format.js';
import { action, describe, shaOf } from '../events.js';
import { replayer } from '../replay.js';

const timeOf = (e) => ts(e['@timestamp']).slice(11);

export default async function sessionPage(root, { params }) {
  const id = params[0] || '';
  if (!/^[A-Za-z0-9._:-]+$/.test(id)) throw new Error('not a session id');
  const s = await api(`sessions/${encodeURIComponent(id)}?limit=1000`);
  const events = s.events || [];
  const by = (pred) => events.filter((e) => pred(action(e)));
  const http = by((a) => a === 'http.request');
  const smb = by((a) => a.startsWith('smb.'));
  const files = by((a) => a === 'file.download' || a === 'file.upload' || a.startsWith('device.file_') || a === 'tftp.request');
  const exploits = by((a) => a === 'exploit' || a === 'zero_day_candidate');
  const interactive = ['telnet', 'ssh'].includes(s.protocol) || events.some((e) => action(e) === 'command');
  const rp = interactive ? replayer(events, s.persona) : null;
  const p = s.persona || {};

  append(root, 
    h('h1', {}, `${(s.protocol || '').toUpperCase()} session `, h('code', {}, short(s.id))),
    panel(null, facts([
      ['source', link(`timeline?src_ip=${s.src_ip}`, `${s.src_ip}:${s.src_port}`)],
      ['sensor', link(`timeline?sensor=${s.sensor}`, `${s.sensor} (${s.site})`)],
      ['port', s.dst_port], ['persona', [p.device_type, p.vendor, p.model].filter(Boolean).join(' · ')],
      ['started', ts(s.started)], ['ended', s.ended ? ts(s.ended) : 'still open'],
      ['counts', Object.entries(s.counts || {}).filter(([, v]) => v).map(([k, v]) => `${k.replace(/_/g, ' ')} ${v}`).join(', ')],
      ['id', h('code', { class: 'sha' }, s.id)]])),
    rp ? panel('Transcript replay', rp.el) : null,
    http.length ? panel('HTTP requests', table([
      ['time', timeOf], ['method', (e) => get(e, 'http.request.method') ?? ''],
      ['target', (e) => h('code', {}, `${get(e, 'url.path') ?? ''}${get(e, 'url.query') ? `?${get(e, 'url.query')}` : ''}`)],
      ['user agent', (e) => get(e, 'user_agent.original') ?? ''],
      ['body', (e) => (get(e, 'http.request.body.content') ? h('code', { class: 'evidence' }, get(e, 'http.request.body.content').slice(0, 500)) : '')]], http)) : null,
    smb.length ? panel('SMB actions', table([['time', timeOf], ['action', (e) => action(e).slice(4)], ['what', describe],
      ['error', (e) => get(e, 'error.code') ?? '']], smb)) : null,
    exploits.length ? panel('Exploits', table([['time', timeOf], ['signature', (e) => get(e, 'rule.id') ?? action(e)],
      ['CVE', (e) => [].concat(get(e, 'vulnerability.id') || []).join(', ')], ['name', (e) => get(e, 'rule.name') ?? '']], exploits)) : null,
    files.length ? panel('Files', table([['time', timeOf], ['what', describe],
      ['sample', (e) => (shaOf(e) ? link(`samples/${shaOf(e)}`, h('code', {}, short(shaOf(e)))) : '—')]], files)) : null,
    panel(`All ${num(s.events_total ?? events.length)} events`, table([['time', timeOf], ['action', action],
      ['detail', (e) => h('span', { class: 'detail' }, describe(e))]], events, { cls: 'events' })));
  return rp ? rp.stop : undefined;
}
