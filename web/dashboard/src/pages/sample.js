// One sample: hashes, arch, family, TLSH neighbours, IOCs, sandbox behaviours with their
// ATT&CK ids, the PCAP of the sandbox run, analysis jobs and the sessions that carried it.
import { api } from '../api.js';
import { h, append, panel, table, link, facts } from '../dom.js';
import { num, bytes, ts, short, get } from '../format.js';
import { describe, sessionOf } from '../events.js';

const text = (v) => (typeof v === 'string' ? v : JSON.stringify(v));

// "T1071.004" → its page on attack.mitre.org.
export function attackLink(id) {
  if (!/^T\d{4}(\.\d{3})?$/.test(id || '')) return id || '—';
  return h('a', { href: `https://attack.mitre.org/techniques/${id.replace('.', '/')}/`, target: '_blank',
    rel: 'noopener noreferrer', class: 'attack' }, id);
}

function iocs(v) {
  const groups = Object.entries(v?.iocs || {}).filter(([, list]) => Array.isArray(list) && list.length);
  if (!groups.length) return h('p', { class: 'muted' }, 'No indicators extracted.');
  return h('div', { class: 'iocs' }, groups.map(([kind, list]) => h('div', { class: 'ioc-group' },
    h('h3', {}, kind.replace(/_/g, ' ')),
    h('ul', { class: 'plain' }, list.slice(0, 100).map((x) => h('li', {}, h('code', {}, text(x))))))));
}

function sandbox(sha, sb) {
  if (!sb) return panel('Sandbox', h('p', { class: 'muted' }, 'Not run in the sandbox (yet).'));
  const out = get(sb, 'output.stdout.text');
  const net = sb.network || {};
  const sec = panel('Sandbox',
    facts([['arch', sb.arch], ['emulator', sb.emulator], ['exit', sb.exit ? `${sb.exit.reason}${sb.exit.status !== undefined ? ` (${sb.exit.status})` : ''}` : ''],
      ['system calls', num(sb.syscalls)], ['processes', Array.isArray(sb.processes) ? sb.processes.length : sb.processes],
      ['PCAP', h('a', { href: `/api/v1/samples/${sha}/pcap`, download: `${sha}.pcap`, class: 'pcap' }, 'download the run\'s PCAP')]]),
    h('h3', {}, 'Behaviours'),
    table([
      ['behaviour', (b) => b.tag],
      ['ATT&CK', (b) => attackLink(b.attack)],
      ['summary', (b) => b.summary || ''],
      ['evidence', (b) => h('code', { class: 'evidence' }, text(b.evidence ?? '').slice(0, 600))],
    ], sb.behaviours || [], { empty: 'No behaviour recorded.', cls: 'behaviours' }),
    (net.dns || []).length ? [h('h3', {}, 'DNS'), table([['name', (d) => d.name], ['type', (d) => d.type],
      ['resolver', (d) => d.resolver], ['sinkhole', (d) => d.sinkhole]], net.dns)] : null,
    (net.endpoints || sb.endpoints || []).length ? [h('h3', {}, 'Endpoints contacted'),
      table([['proto', (e) => e.protocol], ['address', (e) => `${e.address}:${e.port}`], ['domain', (e) => e.domain || ''],
        ['attempts', (e) => num(e.attempts)]], net.endpoints || sb.endpoints)] : null,
    out ? [h('h3', {}, 'What it printed'), h('pre', { class: 'term small' }, out)] : null);
  sec.classList.add('sandbox');
  return sec;
}

export default async function samplePage(root, { params }) {
  const sha = String(params[0] || '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(sha)) throw new Error('a sample is named by its SHA-256 (64 hex digits)');
  const s = await api(`samples/${sha}?limit=200`);
  const v = s.verdict && typeof s.verdict === 'object' ? s.verdict : {};
  const hashes = v.hashes || {};
  const known = s.known_at_first_sight;
  append(root, 
    h('h1', {}, 'Sample ', h('code', { class: 'sha' }, short(sha))),
    h('div', { class: 'grid two' },
      panel('Identity', facts([
        ['SHA-256', h('code', { class: 'sha' }, sha)], ['SHA-1', hashes.sha1 && h('code', { class: 'sha' }, hashes.sha1)],
        ['MD5', hashes.md5 && h('code', { class: 'sha' }, hashes.md5)], ['ssdeep', hashes.ssdeep && h('code', { class: 'sha' }, hashes.ssdeep)],
        ['TLSH', hashes.tlsh && h('code', { class: 'sha' }, hashes.tlsh)], ['size', bytes(s.size)],
        ['first seen', ts(s.first_seen)], ['last seen', ts(s.last_seen)], ['sightings', num(s.sightings)],
        ['timeline', link(`timeline?sample=${sha}`, 'case timeline →')]])),
      panel('Verdict', facts([
        ['family', v.family ? `${v.family.name}${v.family.confidence ? ` (${v.family.confidence})` : ''}` : 'not analysed'],
        ['arch', get(v, 'elf.arch')], ['file type', get(v, 'file_type.category') || get(v, 'file_type.description')],
        ['target', get(v, 'target.class')], ['packer', get(v, 'elf.packer.name') || (typeof get(v, 'elf.packer') === 'string' ? v.elf.packer : '')],
        ['at first sight', known ? (known.known ? `known (${known.source})` : `never seen (checked against ${known.checked_against || '?'})`) : 'not checked'],
        ['targets our products', get(v, 'watchlist.targets_our_products') === true ? 'yes' : '']]))),
    panel('TLSH neighbours', table([
      ['sample', (r) => link(`samples/${r.sha256}`, h('code', {}, short(r.sha256)))],
      ['family', (r) => r.family || '—'], ['TLSH distance', (r) => num(r.distance)],
      ['ssdeep similarity', (r) => (r.ssdeep_similarity ?? '—')]], v.relatives || [], { empty: 'No close relatives analysed before it.' })),
    panel('Indicators of compromise', iocs(v)),
    sandbox(sha, v.sandbox),
    panel('Analysis jobs', table([['job', (j) => j.kind], ['state', (j) => j.state], ['attempts', (j) => num(j.attempts)],
      ['error', (j) => j.error || '']], s.jobs || [], { empty: 'No analysis jobs.' })),
    panel(`Seen in ${num(s.seen_in_total)} events`, table([
      ['when', (e) => ts(e['@timestamp'])], ['what', (e) => describe(e)],
      ['from', (e) => get(e, 'source.ip') ? link(`timeline?src_ip=${get(e, 'source.ip')}`, get(e, 'source.ip')) : ''],
      ['session', (e) => (sessionOf(e) ? link(`sessions/${sessionOf(e)}`, short(sessionOf(e))) : '')]], s.seen_in || [])));
}
