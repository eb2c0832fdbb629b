// A development aid: serves dist/ the way the Mitsu binary does (index.html at /, flat files
// at /assets/<name>, the same CSP), and proxies /api/* to a running `mitsu api` or `mitsu run`.
// If that server has no /api/v1/stream yet, the stream is emulated by polling /events and
// /alerts with the caller's cookie, so the live panel can be tried against older binaries.
// Usage: node tools/devserver.mjs --upstream https://127.0.0.1:PORT --tls DATA_DIR/api-tls [--port 8444]
import { createServer, request } from 'node:https';
import { readFileSync, existsSync } from 'node:fs';
import { join, dirname, extname } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = Object.fromEntries(process.argv.slice(2).join(' ').split('--').filter(Boolean)
  .map((a) => a.trim().split(/\s+/)));
const upstream = new URL(args.upstream || 'https://127.0.0.1:8443');
const tls = args.tls || 'mitsu-data/api-tls';
const port = Number(args.port || 0);
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const TYPES = { '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.woff2': 'font/woff2', '.map': 'application/json', '.txt': 'text/plain; charset=utf-8', '.ico': 'image/x-icon' };
const HEADERS = { 'Content-Security-Policy': "default-src 'self'; frame-ancestors 'none'", 'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY' };

function upstreamFetch(path, headers) {
  return new Promise((resolve, reject) => {
    const r = request(new URL(path, upstream), { method: 'GET', headers, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

// SSE emulation: every second, events since the last one seen and alerts with a new id.
async function emulateStream(req, res) {
  const headers = { cookie: req.headers.cookie || '', accept: 'application/json' };
  res.writeHead(200, { ...HEADERS, 'Content-Type': 'text/event-stream' });
  res.write('retry: 2000\n\nevent: hello\ndata: {"stream":"open","emulated":true}\n\n');
  let since = new Date().toISOString();
  const seenEvents = new Set();
  let lastAlert = null;
  const poll = async () => {
    try {
      const ev = await upstreamFetch(`/api/v1/events?order=oldest&limit=200&since=${encodeURIComponent(since)}`, headers);
      for (const e of JSON.parse(ev.body).events || []) {
        if (seenEvents.has(e.event.id)) continue;
        seenEvents.add(e.event.id);
        since = e['@timestamp'];
        res.write(`event: event\ndata: ${JSON.stringify(e)}\n\n`);
      }
      const al = JSON.parse((await upstreamFetch('/api/v1/alerts?state=all&limit=20', headers)).body).alerts || [];
      const max = Math.max(0, ...al.map((a) => a.id));
      if (lastAlert !== null) for (const a of al.filter((x) => x.id > lastAlert).reverse()) res.write(`event: alert\ndata: ${JSON.stringify(a)}\n\n`);
      lastAlert = Math.max(lastAlert ?? 0, max);
    } catch (e) { res.write(`: poll failed ${e.message}\n\n`); }
  };
  await poll();
  const timer = setInterval(poll, 1000);
  req.on('close', () => clearInterval(timer));
}

function proxy(req, res) {
  const headers = { ...req.headers, host: upstream.host };
  const up = request(new URL(req.url, upstream), { method: req.method, headers, rejectUnauthorized: false }, (ur) => {
    if (req.url.startsWith('/api/v1/stream') && ur.statusCode === 404) { ur.resume(); emulateStream(req, res); return; }
    res.writeHead(ur.statusCode, ur.headers);
    ur.pipe(res);
  });
  up.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
  req.pipe(up);
}

const server = createServer({ cert: readFileSync(join(tls, 'cert.pem')), key: readFileSync(join(tls, 'key.pem')) }, (req, res) => {
  const path = req.url.split('?')[0];
  if (path.startsWith('/api/') || path === '/metrics') return proxy(req, res);
  let file = null;
  if (path === '/') file = join(dist, 'index.html');
  const m = /^\/assets\/([A-Za-z0-9][A-Za-z0-9._-]*)$/.exec(path);
  if (m) file = join(dist, 'assets', m[1]);
  if (!file || !existsSync(file)) { res.writeHead(404, HEADERS); res.end('not found'); return; }
  res.writeHead(200, { ...HEADERS, 'Content-Type': TYPES[extname(file)] || 'text/html; charset=utf-8' });
  res.end(readFileSync(file));
});
server.listen(port, '127.0.0.1', () => console.log(`dashboard https://127.0.0.1:${server.address().port}/`));
