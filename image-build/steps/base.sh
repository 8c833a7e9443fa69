#!/usr/bin/env bash
# Step 1: a minimal Debian root as a tarball, from the host's own apt sources (the only mirror reachable here).
# Usage: base.sh OUT.tar PACKAGES.txt APT_CACHE_DIR
# MACULA_ARCH: a foreign architecture (arm64 for the Raspberry Pi IMG); unset, the host's own (amd64). A foreign root
# runs its maintainer scripts through qemu-user-static, which binfmt_misc must have registered with the F flag
# (docs/image-build.md, "Raspberry Pi IMG"). MACULA_APT_SOURCES: the deb822 sources (the driver gives arm64 its own,
# with non-free-firmware for raspi-firmware).
# Downloaded .debs are kept in APT_CACHE_DIR (mmdebstrap's sync-in/sync-out hooks), so a rebuild downloads nothing.
# Documentation, man pages and translations are never unpacked (dpkg path-exclude): ~100 MB less in the squashfs.
set -euo pipefail

out=$1 packages_file=$2 apt_cache=$3
suite=${MACULA_SUITE:-bookworm}
sources=${MACULA_APT_SOURCES:-/etc/apt/sources.list.d/debian.sources}
arch=${MACULA_ARCH:-}

packages=$(grep -v '^\s*#' "$packages_file" | grep -v '^\s*$' | paste -sd, -)
mkdir -p "$apt_cache"
tmp="$out.partial"
rm -f "$tmp"

# A foreign root runs mkinitramfs under qemu-user, which takes 10+ min with MODULES=most (thousands of small
# processes), and the packages would run it twice (kernel hook, then initramfs-tools' trigger). root.sh makes the
# live initramfs anyway, so here update-initramfs is a no-op while packages install; a placeholder initrd per kernel
# then tells root.sh's `update-initramfs -u -k all` which to build. The host's own architecture is left as it was.
foreign=()
if [ -n "$arch" ]; then
  foreign=(
    --architectures="$arch"
    --essential-hook='chroot "$1" dpkg-divert --quiet --local --rename --divert /usr/sbin/update-initramfs.maculaos --add /usr/sbin/update-initramfs && printf "#!/bin/sh\nexit 0\n" >"$1/usr/sbin/update-initramfs" && chmod 755 "$1/usr/sbin/update-initramfs"'
    --customize-hook='rm -f "$1/usr/sbin/update-initramfs" && chroot "$1" dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs && for k in "$1"/boot/vmlinuz-*; do : >"$1/boot/initrd.img-${k##*/vmlinuz-}"; done'
  )
fi

# mmdebstrap honours SOURCE_DATE_EPOCH (file times, machine-id left uninitialized): same inputs, same tarball.
mmdebstrap --mode=root --variant=minbase --format=tar ${foreign[@]+"${foreign[@]}"} \
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
