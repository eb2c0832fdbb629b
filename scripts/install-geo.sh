#!/usr/bin/env bash
# Installs the free default GeoIP data into /var/lib/mitsu/geo (or $MITSU_GEO_DIR) from the npm
# registry: ip-location-db's country MMDB and its ASN CSV files (CC BY 4.0; attribution in the
# README). Idempotent: data already installed is kept, so a second run does no network work.
# Point [intel] geo at MaxMind GeoLite2 files instead, if you have them.
set -euo pipefail

dir="${MITSU_GEO_DIR:-/var/lib/mitsu/geo}"
want=(geo-whois-asn-country.mmdb asn-ipv4.csv asn-ipv6.csv)

have_all=1
for f in "${want[@]}"; do
  [ -s "$dir/$f" ] || have_all=0
done
if [ "$have_all" = 1 ]; then
  echo "install-geo: GeoIP data present in $dir"
  exit 0
fi
command -v npm >/dev/null || { echo "install-geo: npm is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" &&
  npm pack --silent @ip-location-db/geo-whois-asn-country-mmdb @ip-location-db/asn >/dev/null)
mkdir -p "$dir"
for tarball in "$work"/*.tgz; do
  tar xzf "$tarball" -C "$work"
  for f in "${want[@]}"; do
    [ -f "$work/package/$f" ] && install -m 0644 "$work/package/$f" "$dir/$f"
  done
  name=$(basename "$tarball" .tgz)
  for l in "$work"/package/*LICENSE* "$work/package/README.md"; do
    [ -f "$l" ] && install -m 0644 "$l" "$dir/${name}.$(basename "$l")"
  done
  rm -rf "$work/package"
done
for f in "${want[@]}"; do
  [ -s "$dir/$f" ] || { echo "install-geo: $f missing from the packages" >&2; exit 1; }
done
echo "install-geo: installed ${want[*]} in $dir"
