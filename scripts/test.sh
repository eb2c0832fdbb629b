#!/usr/bin/env bash
# Builds and passes every test: the libFuzzer targets (clang) run briefly each, then the whole
# suite runs in the dev build (AddressSanitizer + UndefinedBehaviorSanitizer). Installs what it
# needs first. Exit status is non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh || exit 1
./scripts/install-geo.sh || exit 1
./scripts/install-web.sh || exit 1
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"

status=0
step() {
  echo "== $*"
  "$@" || status=1
}

step cmake --preset fuzz
step cmake --build --preset fuzz
# What runs and what is in /tmp before any test: the suite must leave exactly that behind.
before=$(mktemp -d)/before.txt
./scripts/leftovers.sh snapshot "$before"
step ctest --preset fuzz

step cmake --preset dev
step cmake --build --preset dev
step ctest --preset dev
step ./scripts/leftovers.sh check "$before"
rm -rf "$(dirname "$before")"

exit $status
