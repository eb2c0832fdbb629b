#!/usr/bin/env bash
# Fails when a C++ source is not clang-formatted (ctest runs it as format.check).
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.cc' '*.h' 2>/dev/null || find src tests fuzz bench -name '*.cc' -o -name '*.h')
clang-format --dry-run -Werror $files
