// The world map of attack sources: Natural Earth countries (world-atlas, 1:110m) projected with
// d3-geo, shaded by sessions per country. The API names countries by ISO alpha-2; world-atlas
// by ISO numeric, which i18n-iso-countries maps.
import { geoNaturalEarth1, geoPath } from 'd3-geo';
import { feature } from 'topojson-client';
import countries from 'i18n-iso-countries';
import en from 'i18n-iso-countries/langs/en.json';
import world from 'world-atlas/countries-110m.json';
import { h, s } from './dom.js';
import { num } from './format.js';

countries.registerLocale(en);
const land = feature(world, world.objects.countries).features;
const W = 960, H = 500;
const projection = geoNaturalEarth1().fitSize([W, H], { type: 'Sphere' });
const path = geoPath(projection);
const shapes = land.map((f) => ({ id: String(f.id).padStart(3, '0'), name: f.properties.name, d: path(f) }));

export const countryName = (a2) => countries.getName(a2, 'en', { select: 'alias' }) || a2;

// rows: [{key: 'CN', value: 600}, …]. Returns the element; data-shaded counts shaded countries.
export function worldMap(rows) {
  const byNumeric = new Map();
  for (const r of rows) {
    const n = countries.alpha2ToNumeric(r.key);
    if (n) byNumeric.set(n, { a2: r.key, value: +r.value });
  }
  const max = Math.max(1, ...[...byNumeric.values()].map((v) => v.value));
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'map', role: 'img', 'aria-label': 'attack sources by country' });
  svg.append(s('path', { d: path({ type: 'Sphere' }), class: 'sphere' }));
  let shaded = 0;
  for (const c of shapes) {
    const hit = byNumeric.get(c.id);
    const el = s('path', { d: c.d, class: hit ? 'country shaded' : 'country' },
      s('title', {}, hit ? `${countryName(hit.a2)}: ${num(hit.value)} sessions` : c.name));
    if (hit) {
      // Log scale: one country usually dwarfs the rest.
      el.style.fillOpacity = String(0.25 + 0.75 * (Math.log1p(hit.value) / Math.log1p(max)));
      el.dataset.country = hit.a2;
      shaded += 1;
    }
    svg.append(el);
  }
  const box = h('div', { class: 'map-box' }, svg);
  box.dataset.shaded = String(shaded);
  return box;
}
