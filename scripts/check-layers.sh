#!/usr/bin/env bash
# Layers only point down (../shared/DESIGN.md, issue 14): fails, naming the lines, when a part
# includes what it must not. ctest runs it as layers.check.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0

forbid() {  # forbid DIR REGEX WHY
  local hits
  hits=$(grep -rnE "#include \"($2)" "$1" --include='*.h' --include='*.cc' || true)
  if [ -n "$hits" ]; then
    echo "layers: $1 must not include $3:" >&2
    echo "$hits" >&2
    status=1
  fi
}

forbid src/store 'intel/|analysis/|sensor/|collector/|app/|cli/' 'intel, analysis, sensor or anything above the store'
forbid src/collector 'intel/|store/sqlite/' 'intel or an engine (enrichment comes through collector/enricher.h)'
forbid src/artifacts 'intel/|store/' 'intel or a store (it keeps files only)'
forbid src/sensor 'store/|intel/|collector/|app/|cli/' 'stores, intel or the layers above it'
forbid src/core 'spool/|store/|collector/|intel/|analysis/|sensor/|app/|cli/' 'anything above core'

# The sensor runtime serves protocols by mode, through the registry and the interfaces in
# sensor/session/; it names no protocol. The PROXY header is the one exception: a load balancer
# sends it in front of any TCP listener, whatever protocol follows, so reading it is the runtime's
# job; only its pure, fuzzed parser lives among the protocols' (admission.cc).
hits=$(grep -rnE '#include "sensor/protocols/' src/sensor/runtime --include='*.h' --include='*.cc' |
  grep -vE '^src/sensor/runtime/admission\.cc:[0-9]+:#include "sensor/protocols/proxy/proxy_header\.h"$' || true)
if [ -n "$hits" ]; then
  echo "layers: src/sensor/runtime must not include a protocol (ask the registry instead):" >&2
  echo "$hits" >&2
  status=1
fi

# An engine's headers are included only inside its folder and by the factory that opens it by
# name. The one exception reads job rows with raw SQL in a test of the worker's bookkeeping.
engine_users=$(grep -rlE '#include "store/(sqlite|clickhouse|postgres)/' src tests bench fuzz |
  grep -vE '^src/store/(sqlite|clickhouse|postgres)/' |
  grep -vx -e src/store/store_factory.cc -e src/analysis/analysis_worker_test.cc || true)
if [ -n "$engine_users" ]; then
  echo "layers: only an engine's folder and store_factory.cc include its headers:" >&2
  echo "$engine_users" >&2
  status=1
fi
[ $status -eq 0 ] && echo "layers: every part includes only what is below it"
exit $status
