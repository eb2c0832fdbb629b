#!/usr/bin/env bash
# Simulates a quarter of traffic with an injected peak, writes `mitsu report`, and has headless
# Chromium render it (report_screenshot.mjs). Also checks the JSON and CSV forms.
# Usage: report_browser_test.sh MITSU_BINARY WEB_DIR
set -euo pipefail
mitsu=$1
web=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[ -x /usr/bin/chromium ] || { echo "chromium is missing (scripts/install-deps.sh)"; exit 1; }
[ -d "$web/node_modules/playwright-core" ] || { echo "playwright-core is missing (scripts/install-web.sh)"; exit 1; }

"$mitsu" -d "$work/data" --log-level warn simulate --from 2017-11-01 --days 90 \
  --sessions-per-day 150 --peak 2018-01-15:telnet:1.5
# An exploit signature with a long name, as a third-party rule set may have: it must wrap, not
# be clipped, at both widths.
long_rule=vendor-specific-unauthenticated-remote-command-injection-in-diagnostic-ping-form-cve-2099-0001
sed -n '/"action":"exploit"/{s/busybox-echo-dropper/'"$long_rule"'/;s/2026-11-01T/2018-01-10T/g;p;q}' \
  "$here/../../../docs/examples/events.jsonl" | "$mitsu" -d "$work/data" --log-level warn ingest -
"$mitsu" -d "$work/data" --log-level warn report --from 2017-11-01 --to 2018-01-29 \
  -o "$work/report.html"
"$mitsu" -d "$work/data" --log-level warn report --format json -o "$work/report.json"
"$mitsu" -d "$work/data" --log-level warn report --format csv -o "$work/report.csv"

python3 - "$work/report.json" "$work/report.csv" <<'PY'
import csv, json, sys
r = json.load(open(sys.argv[1]))
days = {p["day"] for p in r["peaks"] if p["series"] == "total"}
assert "2018-01-15" in days, days
assert len(r["daily"]["days"]) == 90, len(r["daily"]["days"])
rows = list(csv.DictReader(open(sys.argv[2])))
assert any(x["section"] == "peak" and x["day"] == "2018-01-15" for x in rows)
assert sum(float(x["value"]) for x in rows if x["section"] == "daily" and x["key"] == "sessions") == r["totals"]["sessions"]
# The injected wave peaks in several series (total, telnet, port 23, ...) but is one incident.
wave = [i for i in r["incidents"] if i["first_day"] <= "2018-01-15" <= i["last_day"]]
assert len(wave) == 1, wave
assert wave[0]["lead"]["series"] == "total" and "protocol=telnet" in wave[0]["series"], wave[0]
assert len(wave[0]["series"]) > 1, wave[0]["series"]
assert len(r["incidents"]) < len(r["peaks"]), (len(r["incidents"]), len(r["peaks"]))
assert any(row[0].startswith("vendor-specific-") for row in r["top"]["rule"]), r["top"]["rule"]
print("json and csv agree:", len(rows), "csv rows,", len(r["peaks"]), "peaks")
PY

node "$here/report_screenshot.mjs" "$(cd "$web" && pwd)" "$work/report.html" \
  "${MITSU_SCREENSHOT:-$work/report.png}"
