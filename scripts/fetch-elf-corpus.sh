#!/usr/bin/env bash
# Fetches real ELF files for many CPUs — the C libraries in Debian's libc6-<arch>-cross packages,
# which nobody here wrote — into DIR/root, for the ELF reader's tests. Idempotent: a second run
# downloads nothing.
set -euo pipefail
dir="${1:?usage: fetch-elf-corpus.sh DIR}"
arches=(armel armhf arm64 mips mipsel mips64el powerpc ppc64el sh4 m68k sparc64 riscv64 s390x
        i386 hppa x32)
mkdir -p "$dir/debs" "$dir/root"
dir="$(cd "$dir" && pwd)"  # the script changes directory below
if [ -f "$dir/root/.complete" ]; then
  exit 0
fi
cd "$dir/debs"
missing=()
for arch in "${arches[@]}"; do
  ls libc6-"$arch"-cross_*.deb >/dev/null 2>&1 || missing+=("libc6-$arch-cross")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get download "${missing[@]}" 2>/dev/null || {
    apt-get update -qq && apt-get download "${missing[@]}"
  }
fi
for deb in *.deb; do
  dpkg -x "$deb" "$dir/root"
done
touch "$dir/root/.complete"
