// DOM building without innerHTML: every string from the API is attacker-controlled (commands,
// URLs, user names), so text only ever goes in as text nodes. The CSP forbids style attributes,
// so `style` is refused here; layout is set with classes (or element.style from code).
const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'style') throw new Error('style attributes are refused by the CSP');
    if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

// Appends children: strings and numbers become text nodes, arrays are flattened, null skipped
// (the DOM's own append would write "null").
export function append(el, ...children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const h = (tag, attrs, ...children) => build(document.createElement(tag), attrs, children);
export const s = (tag, attrs, ...children) =>
  build(document.createElementNS(SVG_NS, tag), attrs, children);

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// A link inside the app (hash routing).
export const link = (route, ...children) => h('a', { href: `#/${route}` }, ...children);

// A table from rows; `cols` is [[heading, row => cell content], …]. Wrapped so a wide table
// scrolls inside its box on a phone instead of widening the page.
export function table(cols, rows, { empty = 'Nothing yet.', cls } = {}) {
  if (!rows.length) return h('p', { class: 'muted' }, empty);
  return h('div', { class: 'table-wrap' },
    h('table', { class: cls },
      h('thead', {}, h('tr', {}, cols.map(([name]) => h('th', {}, name)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, cols.map(([, f]) => h('td', {}, f(r))))))));
}

// A titled panel.
export const panel = (title, ...body) =>
  h('section', { class: 'panel' }, title ? h('h2', {}, title) : null, ...body);

// A definition list from [[term, value], …], skipping empty values.
export function facts(pairs) {
  const dl = h('dl', { class: 'facts' });
  for (const [k, v] of pairs) {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) continue;
    append(dl, [h('dt', {}, k), h('dd', {}, v)]);
  }
  return dl;
}
