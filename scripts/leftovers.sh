#!/usr/bin/env bash
# The test suite leaves nothing behind: `leftovers.sh snapshot FILE` records the programs running
# (user-space processes by name) and what is in /tmp and /dev/shm; `leftovers.sh check FILE`
# fails, listing them with their command lines, when programs or files exist now that did not.
set -uo pipefail
export LC_ALL=C
mode="${1:?usage: leftovers.sh snapshot|check FILE}"
file="${2:?usage: leftovers.sh snapshot|check FILE}"

state() {
  {
    # Kernel threads (kthreadd's children) come and go by themselves; this script and ps are ours.
    ps --ppid 2 -p 2 --deselect -o comm= |
      grep -v -x -e ps -e leftovers.sh -e sort -e comm -e grep -e sed | sed 's/^/process /'
    find /tmp /dev/shm -mindepth 1 -maxdepth 1 -printf 'file %p\n' 2>/dev/null
  } | sort -u  # one sort over both, as comm needs
}

case "$mode" in
  snapshot) state > "$file" ;;
  check)
    new=$(state | comm -13 "$file" -)
    if [ -n "$new" ]; then
      echo "leftovers: the test suite left these behind:" >&2
      echo "$new" >&2
      for name in $(echo "$new" | sed -n 's/^process //p'); do
        ps -C "$name" -o pid=,args= >&2
      done
      exit 1
    fi
    echo "leftovers: none"
    ;;
  *) echo "usage: leftovers.sh snapshot|check FILE" >&2; exit 2 ;;
esac
