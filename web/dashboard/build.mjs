// Builds the dashboard into dist/: index.html, and flat files under dist/assets/ (the server
// serves exactly these: no subdirectories). Everything is bundled; nothing loads from a CDN.
// Usage: node build.mjs [--watch]
import { build, context } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const assets = join(dist, 'assets');
const modules = join(here, '..', 'node_modules');

// The packages bundled into app.js, whose licences ship beside it.
const BUNDLED = ['d3-geo', 'd3-array', 'internmap', 'topojson-client', 'world-atlas', 'i18n-iso-countries', 'diacritics'];

function licenses() {
  const parts = [];
  for (const name of BUNDLED) {
    const dir = join(modules, name);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
    const text = file ? readFileSync(join(dir, file), 'utf8').trim() : `License: ${pkg.license}`;
    parts.push(`${name} ${pkg.version} (${pkg.license})\n${'-'.repeat(60)}\n${text}\n`);
  }
  return `Third-party software bundled into the Mitsu dashboard (assets/app.js)\n\n${parts.join('\n')}`;
}

const options = {
  entryPoints: { app: join(here, 'src/main.js') },
  bundle: true,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: true,
  outdir: assets,
  entryNames: '[name]',
  legalComments: 'linked',
  logLevel: 'warning',
  loader: { '.json': 'json' },
};

rmSync(dist, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });
copyFileSync(join(here, 'index.html'), join(dist, 'index.html'));
for (const f of readdirSync(join(here, 'public'))) copyFileSync(join(here, 'public', f), join(assets, f));
copyFileSync(join(here, 'src/style.css'), join(assets, 'app.css'));
writeFileSync(join(assets, 'licenses.txt'), licenses());

if (process.argv.includes('--watch')) {
  const ctx = await context(options);
  await ctx.watch();
  console.log('dashboard: watching src/ (CSS and index.html are copied at start only)');
} else {
  await build(options);
  // The server only serves flat names under /assets/.
  for (const f of readdirSync(assets)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(f)) throw new Error(`dist/assets/${f}: not a servable name`);
  }
  if (!existsSync(join(assets, 'app.js'))) throw new Error('app.js was not built');
  console.log(`dashboard: built ${readdirSync(assets).join(' ')} in ${dist}`);
}
