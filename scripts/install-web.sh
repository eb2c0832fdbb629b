#!/usr/bin/env bash
# Installs the npm packages under web/ (playwright-core, which drives Debian's chromium in the
# browser tests) exactly as web/package-lock.json pins them. Idempotent: skipped when the
# installed tree matches the lock file.
set -euo pipefail
cd "$(dirname "$0")/../web"

stamp=node_modules/.mitsu-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "install-web: npm packages present"
  exit 0
fi
command -v npm >/dev/null || { echo "install-web: npm is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
npm ci --no-audit --no-fund --ignore-scripts --silent
echo "$want" > "$stamp"
echo "install-web: installed $(ls node_modules | tr '\n' ' ')"
