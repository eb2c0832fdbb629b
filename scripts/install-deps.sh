#!/usr/bin/env bash
# Installs every Debian package Mitsu needs to build, run and test. Idempotent: packages already
# present are skipped, so a second run does no network work at all.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  clang libclang-rt-14-dev clang-format clang-tidy
  # libraries
  libssl-dev libsqlite3-dev zlib1g-dev libargon2-dev
  nlohmann-json3-dev libsimdjson-dev
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # sensor: networking, SSH server, payload fetching
  libboost-dev libssh-dev libcurl4-openssl-dev libre2-dev
  # malware analysis
  libfuzzy-dev libtlsh-dev libmagic-dev libyara-dev
  # threat intelligence: GeoIP (MMDB) reader; the browser the report tests drive
  libmaxminddb-dev mmdb-bin chromium
  # cross compilers for the analysis and sandbox test fixtures (tests/fixtures); their libc is
  # also what dynamically linked samples load in the sandbox
  gcc-arm-linux-gnueabi libc6-dev-armel-cross gcc-mips-linux-gnu libc6-dev-mips-cross
  gcc-mipsel-linux-gnu libc6-dev-mipsel-cross gcc-powerpc-linux-gnu libc6-dev-powerpc-cross
  gcc-sh4-linux-gnu libc6-dev-sh4-cross
  # the sandbox: QEMU user-mode emulators for every common IoT CPU
  qemu-user-static
  # tools used at run time and by tests/benchmarks
  sqlite3 procps binutils yara ssdeep busybox
  # real clients and servers the sensor tests drive (telnet, ssh, hydra brute force, tftp, ftp,
  # upnp); util-linux's unshare and iproute2 make the network namespace of the standard-port test
  telnet openssh-client sshpass hydra tftp-hpa tftpd-hpa python3 curl nmap miniupnpc lftp
  util-linux iproute2
  # the real device behind the recording relay (Samba), SMB clients, reading recordings back
  samba smbclient python3-impacket socat tcpdump
)

# npm installs the GeoIP data and the browser-test packages; a Node.js from elsewhere (with its
# own npm) is fine, otherwise Debian's.
command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Debian's busybox lacks telnetd; the static build has it. Tests run a real busybox telnetd as
# a device behind the recording relay, so that build is unpacked beside the system's, not
# installed over it.
busybox_static_dir=/var/cache/mitsu-tools/busybox-static
unpack_busybox_static() {
  [ -x "$busybox_static_dir/bin/busybox" ] && return 0
  local work
  work=$(mktemp -d)
  chmod 755 "$work"  # apt downloads as _apt
  (cd "$work" && apt-get download -qq busybox-static) &&
    mkdir -p "$busybox_static_dir" && dpkg -x "$work"/busybox-static_*.deb "$busybox_static_dir"
  local status=$?
  rm -rf "$work"
  return $status
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  unpack_busybox_static || echo "install-deps: cannot unpack busybox-static" >&2
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root to install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
unpack_busybox_static || { echo "install-deps: cannot unpack busybox-static" >&2; exit 1; }
