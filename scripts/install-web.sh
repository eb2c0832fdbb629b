#!/usr/bin/env bash
# Installs the npm packages under web/ exactly as web/package-lock.json pins them
# (playwright-core, which drives Debian's chromium in the browser tests; esbuild and the map
# and country-code packages the dashboard bundles), then builds the SOC dashboard into
# web/dashboard/dist/ (served by the API at /). Idempotent: the install is skipped when the
# installed tree matches the lock file, the build when neither the sources nor the lock changed.
set -euo pipefail
cd "$(dirname "$0")/../web"

stamp=node_modules/.mitsu-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "install-web: npm packages present"
else
  command -v npm >/dev/null || { echo "install-web: npm is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
  # --ignore-scripts: esbuild's binary comes from its platform package (@esbuild/linux-x64, an
  # optional dependency npm installs itself), so its postinstall is not needed.
  npm ci --no-audit --no-fund --ignore-scripts --silent
  echo "$want" > "$stamp"
  echo "install-web: installed $(ls node_modules | tr '\n' ' ')"
fi

# The dashboard: rebuilt when its sources, its build script or the lock file changed.
built=node_modules/.mitsu-dashboard.sha256
sources=$( (sha256sum package-lock.json dashboard/build.mjs dashboard/index.html;
            find dashboard/src dashboard/public -type f -print0 | sort -z | xargs -0 sha256sum) |
          sha256sum | cut -d' ' -f1)
if [ -f "$built" ] && [ "$(cat "$built")" = "$sources" ] && [ -f dashboard/dist/index.html ] &&
   [ -f dashboard/dist/assets/app.js ]; then
  echo "install-web: dashboard built"
  exit 0
fi
node dashboard/build.mjs
echo "$sources" > "$built"
