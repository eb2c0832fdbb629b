// Time series: the daily measure (total or per group) with the detected peaks circled, and the
// incidents those peaks form with the disclosures (CVEs) they were tied to.
import { api, qs } from '../api.js';
import { h, append, panel, table } from '../dom.js';
import { lineChart } from '../charts.js';
import { num } from '../format.js';

const MEASURES = ['sessions', 'events', 'exploits', 'samples'];
const GROUPS = { sessions: ['', 'protocol', 'class', 'country', 'device_type', 'port', 'site'],
  events: ['', 'protocol'], exploits: ['', 'rule', 'protocol'], samples: ['', 'family', 'arch'] };

function select(name, options, value, onchange) {
  const el = h('select', { name, onchange: () => onchange(el.value) },
    options.map((o) => h('option', { value: o, selected: o === value }, o || 'total')));
  return h('label', { class: 'inline' }, name, ' ', el);
}

const cves = (list) => (list || []).map((d) => h('span', { class: 'cve', title: `${d.product} (published ${d.published})` }, d.id));

export default async function seriesPage(root, { query }) {
  const measure = MEASURES.includes(query.get('measure')) ? query.get('measure') : 'sessions';
  const by = (GROUPS[measure] || []).includes(query.get('by')) ? query.get('by') : '';
  const go = (m, b) => { location.hash = `#/series${qs({ measure: m, by: b })}`; };
  const [data, peaks] = await Promise.all([
    api(`stats/series${qs({ measure, by, limit: 8 })}`),
    api('peaks'),
  ]);
  const incidents = peaks.incidents || [];
  const peakMarks = incidents.flatMap((i) => [i.lead, ...(i.peaks || [])].filter(Boolean)).map((p) => ({
    day: p.day,
    title: `${p.day}: ${p.series} ${num(p.value)} vs baseline ${num(p.baseline)}` +
      ((p.disclosures || []).length ? ` — ${p.disclosures.map((d) => d.id).join(', ')}` : ''),
  }));
  const chart = lineChart(data.days || [], data.series || {}, { peaks: peakMarks, height: 260 });
  chart.dataset.peaks = String(peakMarks.length);

  append(root, 
    h('h1', {}, 'Time series'),
    panel(null,
      h('div', { class: 'controls' },
        select('measure', MEASURES, measure, (m) => go(m, '')),
        select('by', GROUPS[measure], by, (b) => go(measure, b))),
      chart,
      h('p', { class: 'muted' }, 'Circles mark detected peaks (hover for the baseline and the disclosures tied to them).')),
    panel('Peaks and the disclosures tied to them',
      table([
        ['days', (i) => (i.first_day === i.last_day ? i.first_day : `${i.first_day} – ${i.last_day}`)],
        ['lead series', (i) => i.lead?.series ?? ''],
        ['sessions', (i) => num(i.lead?.value)],
        ['baseline', (i) => num(i.lead?.baseline)],
        ['score', (i) => (i.lead?.score ?? 0).toFixed(1)],
        ['drivers', (i) => (i.lead?.drivers || []).slice(0, 3).map((d) => `${d.dimension}=${d.value} ${Math.round(100 * d.share)}%`).join(', ')],
        ['disclosures', (i) => { const c = cves(i.disclosures); return c.length ? c : '—'; }],
      ], incidents, { empty: 'No peaks detected in this range.', cls: 'incidents' })));
}
