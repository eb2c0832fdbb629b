// Hand-drawn charts: horizontal bar lists (HTML, widths set through the CSSOM) and an SVG line
// chart with peak markers. The SVG scales with its box (viewBox), so it fits a phone as is.
import { h, s } from './dom.js';
import { num, pct } from './format.js';

const COLORS = ['#4cc9f0', '#f72585', '#b5e48c', '#ffb703', '#9d4edd', '#f77f00', '#06d6a0',
                '#ef476f', '#8ecae6', '#ffd166'];
export const color = (i) => COLORS[i % COLORS.length];

// rows: [[label, value], …] (the API's `top` shape) or [{key, value, share}].
export function bars(rows, { total, label = (k) => k, href } = {}) {
  const items = rows.map((r) => (Array.isArray(r) ? { key: r[0], value: r[1] } : r));
  if (!items.length) return h('p', { class: 'muted' }, 'No data in this range.');
  const max = Math.max(...items.map((r) => +r.value), 1);
  const sum = total || items.reduce((a, r) => a + +r.value, 0);
  return h('div', { class: 'bars' }, items.map((r, i) => {
    const fill = h('span', { class: 'bar-fill' });
    fill.style.width = `${(100 * r.value) / max}%`;
    fill.style.background = color(i);
    const name = label(r.key === '' ? '(none)' : r.key);
    return h('div', { class: 'bar-row' },
      h('span', { class: 'bar-label', title: name }, href ? h('a', { href: href(r.key) }, name) : name),
      h('span', { class: 'bar-track' }, fill),
      h('span', { class: 'bar-value' }, `${num(r.value)} · ${pct(r.share ?? r.value / sum)}`));
  }));
}

// series: {name: [values per day]}, days: ['YYYY-MM-DD', …], peaks: [{day, title}].
export function lineChart(days, series, { peaks = [], height = 220 } = {}) {
  const W = 800, H = height, L = 48, R = 12, T = 12, B = 28;
  const names = Object.keys(series);
  const max = Math.max(1, ...names.flatMap((n) => series[n].map(Number)));
  const x = (i) => L + (days.length < 2 ? 0 : (i * (W - L - R)) / (days.length - 1));
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img',
                         'aria-label': `daily ${names.join(', ')}` });
  for (const f of [0, 0.5, 1]) {  // grid and y labels
    svg.append(s('line', { x1: L, x2: W - R, y1: y(max * f), y2: y(max * f), class: 'grid' }),
               s('text', { x: L - 6, y: y(max * f) + 4, class: 'axis', 'text-anchor': 'end' }, num(max * f)));
  }
  const step = Math.max(1, Math.ceil(days.length / 6));
  days.forEach((d, i) => {
    if (i % step === 0) svg.append(s('text', { x: x(i), y: H - 8, class: 'axis', 'text-anchor': 'middle' }, d.slice(5)));
  });
  names.forEach((n, k) => {
    const pts = series[n].map((v, i) => `${x(i).toFixed(1)},${y(+v).toFixed(1)}`).join(' ');
    svg.append(s('polyline', { points: pts, class: 'line', stroke: color(k), 'data-series': n }));
  });
  for (const p of peaks) {
    const i = days.indexOf(p.day);
    if (i < 0) continue;
    const v = Math.max(...names.map((n) => +series[n][i] || 0));
    svg.append(s('circle', { cx: x(i), cy: y(v), r: 9, class: 'peak' }, s('title', {}, p.title)));
  }
  const legend = names.length > 1
    ? h('div', { class: 'legend' }, names.map((n, k) => {
        const dot = h('i', {});
        dot.style.background = color(k);
        return h('span', {}, dot, n || '(none)');
      }))
    : null;
  return h('div', { class: 'chart-box' }, svg, legend);
}

// A small KPI tile.
export const kpi = (label, value, note) =>
  h('div', { class: 'kpi' }, h('div', { class: 'kpi-value' }, value), h('div', { class: 'kpi-label' }, label),
    note ? h('div', { class: 'kpi-note' }, note) : null);
