#!/usr/bin/env bash
# Step 1: a minimal Debian root as a tarball, from the host's own apt sources (the only mirror reachable here).
# Usage: base.sh OUT.tar PACKAGES.txt APT_CACHE_DIR
# Downloaded .debs are kept in APT_CACHE_DIR (mmdebstrap's sync-in/sync-out hooks), so a rebuild downloads nothing.
# Documentation, man pages and translations are never unpacked (dpkg path-exclude): ~100 MB less in the squashfs.
set -euo pipefail

out=$1 packages_file=$2 apt_cache=$3
suite=${MACULA_SUITE:-bookworm}
sources=${MACULA_APT_SOURCES:-/etc/apt/sources.list.d/debian.sources}

packages=$(grep -v '^\s*#' "$packages_file" | grep -v '^\s*$' | paste -sd, -)
mkdir -p "$apt_cache"
tmp="$out.partial"
rm -f "$tmp"

# mmdebstrap honours SOURCE_DATE_EPOCH (file times, machine-id left uninitialized): same inputs, same tarball.
mmdebstrap --mode=root --variant=minbase --format=tar \
  --include="$packages" \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --skip=essential/unlink \
  --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
  --setup-hook="sync-in $apt_cache /var/cache/apt/archives/" \
  --customize-hook="sync-out /var/cache/apt/archives $apt_cache" \
  --customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*_Packages' \
  "$suite" "$tmp" - <"$sources"
mv "$tmp" "$out"
