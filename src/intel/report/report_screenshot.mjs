// Opens a Mitsu HTML report in headless Chromium (Debian's, driven by playwright-core) at a
// desktop width (1400 px) and a phone width (390 px). At each: the charts rendered (every chart
// has a size, the daily line has points, peaks are circled, bars have width), the page is no
// wider than the window, and no text is clipped — every text box is measured against its SVG,
// its table cell or bar row, any ancestor that clips, and the window. A full-page screenshot
// is kept per width.
// Usage: node report_screenshot.mjs WEB_DIR REPORT.html SCREENSHOT.png (…-390.png for the phone)
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [web, report, screenshot] = process.argv.slice(2);
// playwright-core is installed under web/ (scripts/install-web.sh).
const { chromium } = createRequire(join(web, 'package.json'))('playwright-core');
const failures = [];
const fail = (message) => failures.push(message);

// A fresh profile, removed on every way out (the test suite leaves nothing in /tmp).
const profile = mkdtempSync(join(tmpdir(), 'mitsu-chromium-'));
process.on('exit', () => rmSync(profile, { recursive: true, force: true }));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

// Runs in the page: every text box that sticks out of what should hold it.
function clippedText() {
  const problems = [];
  const view = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > view + 1) {
    problems.push(`the page is ${document.documentElement.scrollWidth} px wide in ${view} px`);
  }
  const inside = (r, b) => r.left >= b.left - 0.5 && r.right <= b.right + 0.5 &&
                           r.top >= b.top - 0.5 && r.bottom <= b.bottom + 0.5;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || el.closest('title')) continue;  // tooltips are not drawn
    let rects;
    if (el instanceof SVGElement) {
      rects = [el.getBoundingClientRect()];
    } else {
      const range = document.createRange();
      range.selectNodeContents(node);
      rects = [...range.getClientRects()];
    }
    const holders = [];
    const svg = el.closest('svg');
    if (svg) holders.push(['its chart', svg.getBoundingClientRect()]);
    const cell = el.closest('td, th, .bar-label, .bar-value, .kpi, .legend span');
    if (cell) holders.push([`its ${cell.className || cell.tagName}`, cell.getBoundingClientRect()]);
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.overflowX !== 'visible' || style.overflowY !== 'visible') {
        holders.push([`a clipping ${a.tagName}`, a.getBoundingClientRect()]);
      }
    }
    holders.push(['the window', { left: 0, right: view, top: -Infinity, bottom: Infinity }]);
    for (const r of rects.filter((r) => r.width > 0)) {
      for (const [name, b] of holders) {
        if (!inside(r, b)) {
          problems.push(`"${node.textContent.trim().slice(0, 60)}" sticks out of ${name} ` +
                        `(${Math.round(r.left)}..${Math.round(r.right)} in ` +
                        `${Math.round(b.left)}..${Math.round(b.right)})`);
          break;
        }
      }
    }
  }
  return problems;
}

for (const width of [1400, 390]) {
  const page = await browser.newPage();
  await page.setViewportSize({ width, height: 900 });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  // Self-contained: any request other than the file itself is a defect.
  const requests = [];
  page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
  await page.goto(pathToFileURL(report).href);

  const facts = await page.evaluate(() => {
    const charts = [...document.querySelectorAll('.chart')];
    const box = (e) => e.getBoundingClientRect();
    return {
      charts: charts.length,
      emptyCharts: charts.filter((c) => box(c).width < 50 || box(c).height < 20).length,
      lines: [...document.querySelectorAll('svg.line path.series')].map((p) => p.getTotalLength()),
      peaks: document.querySelectorAll('svg.line circle.peak').length,
      bars: [...document.querySelectorAll('.bars .bar')].map((r) => box(r).width),
      peakRows: document.querySelectorAll('#peaks td[data-label="day"]').length,
      unlabelled: [...document.querySelectorAll('.legend span, .bar-label')]
        .filter((e) => !e.textContent.trim()).length,
    };
  });
  const clipped = await page.evaluate(clippedText);
  const shot = width === 1400 ? screenshot : screenshot.replace(/\.png$/, `-${width}.png`);
  await page.screenshot({ path: shot, fullPage: true });
  await page.close();

  console.log(JSON.stringify({ width, ...facts, lines: facts.lines.length,
                               bars: facts.bars.length, clipped: clipped.length }));
  const at = `at ${width} px`;
  if (errors.length) fail(`${at}: page errors: ${errors.join('; ')}`);
  if (requests.length) fail(`${at}: the report fetched ${requests.join(', ')}`);
  if (facts.charts < 15) fail(`${at}: only ${facts.charts} charts`);
  if (facts.emptyCharts) fail(`${at}: ${facts.emptyCharts} charts have no size`);
  if (!facts.lines.length || facts.lines.some((l) => !(l > 50))) fail(`${at}: a line chart has no line`);
  if (facts.peaks < 1) fail(`${at}: no peak is marked on the daily chart`);
  if (facts.peakRows < 1) fail(`${at}: the peak table is empty`);
  if (facts.bars.length < 20 || facts.bars.some((w) => !(w >= 1))) fail(`${at}: bars did not render`);
  if (facts.unlabelled) fail(`${at}: ${facts.unlabelled} legend entries or bars have no label`);
  for (const c of clipped.slice(0, 20)) fail(`${at}: ${c}`);
  const size = statSync(shot).size;
  if (size < 30000) fail(`${at}: screenshot is only ${size} bytes`);
  console.log(`screenshot ${shot}: ${size} bytes`);
}
await browser.close();
if (failures.length) {
  for (const f of failures) console.error(`FAIL: ${f}`);
  process.exit(1);
}
