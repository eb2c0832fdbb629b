// Opens a Mitsu HTML report in headless Chromium (Debian's, driven by playwright-core), checks
// that its charts rendered — every chart has a size, the daily line has points, peaks are
// circled, bars have width — and takes a full-page screenshot.
// Usage: node report_screenshot.mjs WEB_DIR REPORT.html SCREENSHOT.png
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [web, report, screenshot] = process.argv.slice(2);
// playwright-core is installed under web/ (scripts/install-web.sh).
const { chromium } = createRequire(join(web, 'package.json'))('playwright-core');
const fail = (message) => { console.error(`FAIL: ${message}`); process.exit(1); };

// A fresh profile, removed on every way out (the test suite leaves nothing in /tmp).
const profile = mkdtempSync(join(tmpdir(), 'mitsu-chromium-'));
process.on('exit', () => rmSync(profile, { recursive: true, force: true }));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
// Self-contained: any request other than the file itself is a defect.
const requests = [];
page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
await page.goto(pathToFileURL(report).href);

const facts = await page.evaluate(() => {
  const charts = [...document.querySelectorAll('svg.chart')];
  const box = (e) => e.getBoundingClientRect();
  return {
    charts: charts.length,
    emptyCharts: charts.filter((c) => box(c).width < 50 || box(c).height < 20).length,
    lines: [...document.querySelectorAll('svg.line path.series')].map((p) => p.getTotalLength()),
    peaks: document.querySelectorAll('svg.line circle.peak').length,
    bars: [...document.querySelectorAll('svg.bars rect.bar')].map((r) => box(r).width),
    peakRows: document.querySelectorAll('#peaks tr').length - 1,
    title: document.title,
  };
});
await page.screenshot({ path: screenshot, fullPage: true });
await browser.close();

console.log(JSON.stringify({ ...facts, lines: facts.lines.length, bars: facts.bars.length }));
if (errors.length) fail(`page errors: ${errors.join('; ')}`);
if (requests.length) fail(`the report fetched ${requests.join(', ')}`);
if (facts.charts < 15) fail(`only ${facts.charts} charts`);
if (facts.emptyCharts) fail(`${facts.emptyCharts} charts have no size`);
if (!facts.lines.length || facts.lines.some((l) => !(l > 100))) fail('a line chart has no line');
if (facts.peaks < 1) fail('no peak is marked on the daily chart');
if (facts.peakRows < 1) fail('the peak table is empty');
if (facts.bars.length < 20 || facts.bars.some((w) => !(w >= 1))) fail('bars did not render');
const size = statSync(screenshot).size;
if (size < 50000) fail(`screenshot is only ${size} bytes`);
console.log(`screenshot ${screenshot}: ${size} bytes`);
