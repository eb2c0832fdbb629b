// Browser test of the Mitsu SOC dashboard against a running server (mitsu run): logs in,
// checks the overview is filled, waits for an attack to arrive on the live stream, replays a
// session's transcript, opens a sample's sandbox report, acknowledges an alert, and visits
// every page at 1280×720 and 390×844 (screenshots, no horizontal overflow). Any console error,
// page error or failed request (except the 401 before login) fails it. README.md beside it
// documents the arguments.
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { X509Certificate, createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { overflow, overviewFacts, liveMatches } from './checks.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { chromium } = createRequire(join(here, '..', '..', 'package.json'))('playwright-core');

// --name value pairs, each also readable from MITSU_DASH_<NAME> in the environment.
const argv = process.argv.slice(2);
function opt(name, fallback) {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < argv.length) return argv[i + 1];
  return process.env[`MITSU_DASH_${name.toUpperCase().replace(/-/g, '_')}`] ?? fallback;
}
const flag = (name) => argv.includes(`--${name}`);
const base = (opt('url') || '').replace(/\/+$/, '');
const user = opt('user');
const password = opt('password');
const shots = opt('screenshots', 'dashboard-screenshots');
const sessionId = opt('session');
const sha = opt('sample');
const command = opt('command');
const liveCommand = opt('live-command', command);
const liveSrc = opt('live-src');
const liveSession = opt('live-session');
const trigger = opt('trigger');
const ca = opt('ca');
const liveTimeout = Number(opt('live-timeout', '90')) * 1000;
if (!base || !user || !password) {
  console.error('usage: node dashboard.mjs --url https://127.0.0.1:PORT --user NAME --password PW [--screenshots DIR]\n' +
    '  [--session ID] [--sample SHA256] [--command TEXT] [--live-command TEXT] [--live-src IP] [--live-session ID] [--trigger SHELL_COMMAND]\n' +
    '  [--ca CERT.pem] [--live-timeout SECONDS] [--no-live] [--no-ack]   (see tests/README.md)');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
rmSync(join(shots, 'ready'), { force: true });

const failures = [];
let step = 'start';
const fail = (m) => { failures.push(`[${step}] ${m}`); console.error(`FAIL [${step}] ${m}`); };
const log = (m) => console.log(`dashboard: ${m}`);
let loggedIn = false;

const profile = mkdtempSync(join(tmpdir(), 'mitsu-dash-chromium-'));
process.on('exit', () => rmSync(profile, { recursive: true, force: true }));
// With --ca the server's certificate is pinned (Chromium trusts that key and no other);
// without it any certificate is accepted.
const pin = ca ? createHash('sha256').update(new X509Certificate(readFileSync(ca)).publicKey
  .export({ type: 'spki', format: 'der' })).digest('base64') : null;
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium', headless: true, ignoreHTTPSErrors: !pin,
  viewport: { width: 1280, height: 720 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ...(pin ? [`--ignore-certificate-errors-spki-list=${pin}`] : [])],
});
const page = context.pages()[0] || await context.newPage();
page.setDefaultTimeout(20000);
// With --no-live the stream may be refused (mitsu api alone answers 503): not a failure then.
const streamRefusal = (url) => flag('no-live') && /\/api\/v1\/stream/.test(url || '');
const expected401 = (url) => !loggedIn && /\/api\/v1\/auth\/me$/.test(new URL(url).pathname);
page.on('pageerror', (e) => fail(`page error: ${e.message}`));
page.on('console', (m) => {
  if (m.type() !== 'error') return;
  if (/status of 401/.test(m.text()) && expected401(m.location().url || base)) return;
  if (streamRefusal(m.location().url) || (flag('no-live') && /EventSource/.test(m.text()))) return;
  fail(`console error: ${m.text()} (${m.location().url || ''})`);
});
page.on('response', (r) => {
  if (streamRefusal(r.url())) return;
  if (r.status() >= 400 && !(r.status() === 401 && expected401(r.url()))) fail(`${r.status()} for ${r.request().method()} ${r.url()}`);
});
page.on('requestfailed', (r) => {
  // The live stream is cut when the browser closes at the end; downloads are not navigations.
  if (closing || r.failure()?.errorText === 'net::ERR_ABORTED' && /\/api\/v1\/stream|\/pcap$/.test(r.url())) return;
  fail(`request failed: ${r.method()} ${r.url()} (${r.failure()?.errorText})`);
});
let closing = false;

// Opens a route and waits until its page has rendered for exactly that hash.
async function open(route, name) {
  const hash = `#/${route}`;
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForFunction(([h, n]) => document.body.dataset.route === h && document.body.dataset.ready === n, [hash, name]);
  const error = await page.$('.page-error');
  if (error) fail(`${hash}: ${(await error.textContent()).trim()}`);
}

async function shoot(name, width) {
  for (const p of await page.evaluate(overflow)) fail(`${name} at ${width} px: ${p}`);
  await page.screenshot({ path: join(shots, `${name}-${width}.png`), fullPage: true });
}

async function run() {
  step = 'login';
  await page.goto(`${base}/`);
  await page.waitForSelector('body[data-ready=login] form.login');
  for (const [w, h] of [[390, 844], [1280, 720]]) {
    await page.setViewportSize({ width: w, height: h });
    await shoot('login', w);
  }
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', password);
  loggedIn = true;  // from here on a 401 is a failure
  await page.click('form.login button[type=submit]');
  await page.waitForSelector('body[data-ready=overview]');
  log('logged in');

  step = 'overview';
  const ov = await page.evaluate(overviewFacts);
  if (!(ov.sessions > 0)) fail('the overview shows no sessions');
  if (!(ov.protocolBars > 0)) fail('the protocol chart has no bars');
  const countries = await page.evaluate(() => fetch('/api/v1/stats/top?measure=sessions&by=country&limit=100').then((r) => r.json()));
  const located = (countries.rows || []).filter((r) => /^[A-Z]{2}$/.test(r.key) && r.key !== 'ZZ').length;
  if (located && !(ov.shaded > 0)) fail(`the map shades no country though ${located} countries have sessions`);
  log(`overview: ${ov.sessions} sessions, ${ov.shaded} countries shaded, ${ov.protocolBars} protocols`);

  let live = null;
  if (!flag('no-live')) {
    step = 'live';
    await page.waitForSelector('.live-badge.live', { timeout: 30000 });
    writeFileSync(join(shots, 'ready'), `${new Date().toISOString()}\n`);
    log(`live stream open; wrote ${join(shots, 'ready')}`);
    if (trigger) {
      const child = spawn('sh', ['-c', trigger], { stdio: 'inherit' });
      child.on('exit', (code) => { if (code) fail(`the trigger exited with ${code}`); });
    }
    const want = { session: liveSession, src: liveSrc, command: liveCommand };
    const handle = await page.waitForFunction(liveMatches, want, { timeout: liveTimeout, polling: 250 })
      .catch(() => null);
    if (!handle) fail(`no live event matching ${JSON.stringify(want)} arrived within ${liveTimeout / 1000} s`);
    else {
      live = (await handle.jsonValue())[0];
      log(`live event arrived: ${live.text}`);
    }
    await shoot('overview-live', 1280);
  }

  const replayId = sessionId || live?.session;
  if (replayId) {
    step = 'replay';
    await open(`sessions/${replayId}`, 'session');
    if (!(await page.$('.replay'))) fail(`session ${replayId} has no transcript replay (not Telnet/SSH?)`);
    else {
      await page.selectOption('.replay select', '32');
      await page.click('.replay [data-action=play]');
      const text = command || null;
      const ok = await page.waitForFunction((t) => {
        const term = document.querySelector('.term');
        return t ? term.textContent.includes(t) : term.querySelector('.l-in');
      }, text, { timeout: 60000 }).catch(() => null);
      if (!ok) fail(`the replay never showed ${text ? JSON.stringify(text) : 'a typed line'}`);
      else log(`replay showed ${text ? JSON.stringify(text) : 'typed lines'}`);
      await shoot('session-replay', 1280);
    }
  }

  if (sha) {
    step = 'sample';
    await open(`samples/${sha}`, 'sample');
    const rows = await page.$$('.sandbox table.behaviours tbody tr');
    if (!rows.length) fail(`sample ${sha} shows no sandbox behaviours`);
    if (!(await page.$('.sandbox a.pcap'))) fail('the sample page has no PCAP link');
    log(`sample: ${rows.length} sandbox behaviours`);
  }

  if (!flag('no-ack')) {
    step = 'alerts';
    await open('alerts?state=open', 'alerts');
    const card = await page.$('.alert-card.open');
    if (!card) fail('no open alert to acknowledge');
    else {
      const id = await card.getAttribute('data-id');
      await card.$eval('[data-action=ack]', (b) => b.click());
      await page.waitForSelector(`.alert-card[data-id="${id}"]`, { state: 'detached' });
      await open('alerts?state=acked', 'alerts');
      if (!(await page.$(`.alert-card.acked[data-id="${id}"]`))) fail(`alert ${id} is not listed as acknowledged`);
      else log(`alert ${id} acknowledged`);
    }
  }

  step = 'pages';
  const firstSample = sha || await page.evaluate(() => fetch('/api/v1/samples?limit=1').then((r) => (r.ok ? r.json() : null))
    .then((d) => d?.samples?.[0]?.sha256 || null));
  const firstSession = replayId || await page.evaluate(() => fetch('/api/v1/sessions?limit=1').then((r) => r.json()).then((d) => d.sessions?.[0]?.id));
  const src = live?.src || liveSrc;
  const routes = [['overview', 'overview'], ['series', 'series'], ['samples', 'samples'], ['sessions', 'sessions'],
    ['sensors', 'sensors'], ['alerts', 'alerts'], ['alerts?state=all', 'alerts'], ['timeline', 'timeline'], ['about', 'about']];
  if (firstSample) routes.push([`samples/${firstSample}`, 'sample'], [`timeline?sample=${firstSample}`, 'timeline']);
  if (firstSession) routes.push([`sessions/${firstSession}`, 'session']);
  if (src) routes.push([`timeline?src_ip=${src}`, 'timeline']);
  const sensor = await page.evaluate(() => fetch('/api/v1/sensors').then((r) => r.json()).then((d) => (d.sensors || d)[0]?.id));
  if (sensor) routes.push([`timeline?sensor=${sensor}`, 'timeline']);
  for (const [w, h] of [[1280, 720], [390, 844]]) {
    await page.setViewportSize({ width: w, height: h });
    for (const [route, name] of routes) {
      step = `#/${route} at ${w}`;
      await open(route, name);
      await page.waitForTimeout(150);  // let late layout (fonts) settle
      await shoot(route.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60), w);
    }
  }
  log(`visited ${routes.length} pages at 1280×720 and 390×844; screenshots in ${shots}`);
}

try {
  await run();
} catch (e) {
  fail(`${e.message.split('\n')[0]}`);
  await page.screenshot({ path: join(shots, 'failure.png'), fullPage: true }).catch(() => {});
}
closing = true;
await context.close();
if (failures.length) {
  console.error(`dashboard: ${failures.length} failure(s):\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
log('all checks passed');
