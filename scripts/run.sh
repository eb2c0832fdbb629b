#!/usr/bin/env bash
# Installs what Mitsu needs, builds the release binary and runs the platform all-in-one on an
# embedded SQLite store. Arguments go to `mitsu run` (see `mitsu run --help`); set MITSU_CONFIG
# to a TOML file to configure it (etc/mitsu.example.toml documents every key).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
./scripts/install-geo.sh
./scripts/install-web.sh  # the dashboard, built from npm packages
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
cmake --preset release >/dev/null
cmake --build --preset release
exec ./build/release/src/cli/mitsu run "$@"
