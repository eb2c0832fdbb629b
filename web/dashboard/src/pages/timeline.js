// The case timeline of a sample, a source address or a sensor: everything that happened, in
// time order, as a vertical timeline linking to the sessions and samples.
import { api, qs } from '../api.js';
import { h, append, panel, link, facts } from '../dom.js';
import { num, ts, short, get } from '../format.js';
import { action, describe, sessionOf, shaOf } from '../events.js';
import { attackLink } from './sample.js';

const KEYS = [['sample', 'sha256'], ['src_ip', 'src_ip'], ['sensor', 'sensor']];
const KIND = { 'session.open': 'session', 'login.attempt': 'login', command: 'command', 'file.download': 'download',
  'file.upload': 'upload', exploit: 'exploit', 'device.file_created': 'file_created', 'device.file_deleted': 'file_deleted' };

// Servers without GET /timeline: the same entries from /events (and, for a sample, the
// sessions that carried it).
async function fromEvents(key, value) {
  const filter = KEYS.find(([k]) => k === key)[1];
  let events = (await api(`events${qs({ [filter]: value, order: 'oldest', limit: 1000 })}`)).events || [];
  if (key === 'sample') {
    const ids = [...new Set(events.map(sessionOf).filter(Boolean))].slice(0, 10);
    const more = await Promise.all(ids.map((id) => api(`sessions/${encodeURIComponent(id)}?limit=200`).then((s) => s.events || [], () => [])));
    const byId = new Map([...events, ...more.flat()].map((e) => [get(e, 'event.id'), e]));
    events = [...byId.values()].sort((a, b) => (a['@timestamp'] < b['@timestamp'] ? -1 : 1));
  }
  return { subject: { [key]: value }, entries: events.map((e) => ({ ts: e['@timestamp'], kind: KIND[action(e)] || action(e),
    title: describe(e), session_id: sessionOf(e), event: e })) };
}

function chooser(key, value) {
  const sel = h('select', { name: 'key' }, KEYS.map(([k]) => h('option', { value: k, selected: k === key }, k)));
  const input = h('input', { name: 'value', value: value || '', placeholder: 'sha256, address or sensor', required: true });
  return h('form', { class: 'controls', onsubmit: (e) => { e.preventDefault(); location.hash = `#/timeline${qs({ [sel.value]: input.value.trim() })}`; } },
    sel, input, h('button', { class: 'btn small', type: 'submit' }, 'Show'));
}

export default async function timelinePage(root, { query }) {
  const [key] = KEYS.find(([k]) => query.get(k)) || [];
  const value = key ? query.get(key) : '';
  append(root, h('h1', {}, 'Case timeline'), panel(null, chooser(key || 'sample', value)));
  if (!key) {
    append(root, panel(null, h('p', { class: 'muted' }, 'Pick a sample, a source address or a sensor (or follow a link from their pages).')));
    return;
  }
  let data;
  try {
    data = await api(`timeline${qs({ [key]: value })}`);
  } catch (e) {
    if (e.status !== 404) throw e;
    if (e.message !== 'no such endpoint') {  // the server knows nothing about the subject
      append(root, panel(null, h('p', { class: 'muted' }, `Nothing is known about that ${key.replace('_', ' ')}.`)));
      return;
    }
    data = await fromEvents(key, value);  // an older server
  }
  const entries = data.entries || [];
  const subject = data.subject || {};
  const item = (en) => {
    const sha = en.sha256 || shaOf(en.event);
    return h('li', { class: `tl-item tl-${en.kind || 'other'}` },
      h('time', {}, ts(en.ts)),
      h('span', { class: 'tl-kind' }, (en.kind || '').replace(/_/g, ' ')),
      h('span', { class: 'tl-title' }, en.title || (en.event ? describe(en.event) : ''),
        en.attack ? [' ', attackLink(en.attack)] : null),
      h('span', { class: 'tl-links' },
        en.session_id ? link(`sessions/${en.session_id}`, `session ${short(en.session_id)}`) : null, ' ',
        sha ? link(`samples/${sha}`, `sample ${short(sha)}`) : null));
  };
  // Long cases are shown a page at a time: thousands of rows would make the page crawl.
  const PAGE = 300;
  const list = h('ol', { class: 'timeline' }, entries.slice(0, PAGE).map(item));
  const more = h('button', { class: 'btn ghost small', type: 'button', onclick: () => {
    const n = list.children.length;
    list.append(...entries.slice(n, n + PAGE).map(item));
    more.hidden = list.children.length >= entries.length;
  } }, `Show ${PAGE} more`);
  more.hidden = entries.length <= PAGE;
  append(root, 
    panel('Subject', facts([
      ...Object.entries(subject).map(([k, v]) => [k.replace(/_/g, ' '), typeof v === 'object' ? JSON.stringify(v) : String(v)]),
      ['sessions', Array.isArray(data.sessions) ? num(data.sessions.length) : data.sessions ?? ''],
      ['samples', (data.samples || []).flatMap((s) => [link(`samples/${s.sha256}`, h('code', {}, short(s.sha256))),
        s.family ? ` ${s.family}` : '', ' '])],
      ['note', data.truncated ? 'truncated: only the first events are shown' : '']])),
    panel(`${num(entries.length)} entries`, entries.length ? [list, more] : h('p', { class: 'muted' }, 'Nothing recorded for it.')));
}
