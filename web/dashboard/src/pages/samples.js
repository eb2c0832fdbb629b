// The samples collected, newest first: hash, size, family, arch, known or never seen.
import { api, qs } from '../api.js';
import { h, append, panel, table, link } from '../dom.js';
import { num, bytes, ts, short, get } from '../format.js';

// Servers without GET /samples: the samples named by download and upload events.
async function fromEvents() {
  const seen = new Map();
  for (const action of ['file.download', 'file.upload']) {
    const r = await api(`events${qs({ action, limit: 1000 })}`);
    for (const e of r.events || []) {
      const sha = get(e, 'file.hash.sha256');
      if (!sha) continue;
      const s = seen.get(sha) || { sha256: sha, size: get(e, 'file.size'), first_seen: e['@timestamp'], last_seen: e['@timestamp'], sightings: 0 };
      s.sightings += 1;
      if (e['@timestamp'] < s.first_seen) s.first_seen = e['@timestamp'];
      if (e['@timestamp'] > s.last_seen) s.last_seen = e['@timestamp'];
      seen.set(sha, s);
    }
  }
  return [...seen.values()].sort((a, b) => (a.last_seen < b.last_seen ? 1 : -1));
}

export function knownBadge(s) {
  if (s.never_seen === true) return h('span', { class: 'tag hot' }, 'never seen');
  if (s.known === true) return h('span', { class: 'tag' }, 'known');
  return h('span', { class: 'tag muted' }, 'unchecked');
}

export default async function samplesPage(root) {
  let list;
  try {
    list = (await api('samples?limit=500')).samples || [];
  } catch (e) {
    if (e.status !== 404 || e.message !== 'no such endpoint') throw e;  // an older server
    list = await fromEvents();
  }
  const never = list.filter((s) => s.never_seen === true).length;
  append(root, 
    h('h1', {}, 'Samples'),
    panel(`${num(list.length)} samples${never ? `, ${num(never)} never seen before` : ''}`,
      table([
        ['sha256', (s) => link(`samples/${s.sha256}`, h('code', {}, short(s.sha256)))],
        ['family', (s) => s.family || (s.analysed === false ? 'not analysed' : '—')],
        ['arch', (s) => s.arch || s.file_type || '—'],
        ['size', (s) => bytes(s.size)],
        ['sightings', (s) => num(s.sightings)],
        ['first seen', (s) => ts(s.first_seen)],
        ['last seen', (s) => ts(s.last_seen)],
        ['', (s) => [knownBadge(s), s.sandboxed ? h('span', { class: 'tag' }, 'sandboxed') : null,
          s.targets_our_products ? h('span', { class: 'tag hot' }, 'targets us') : null]],
      ], list, { empty: 'No samples captured yet.', cls: 'samples' })));
}
