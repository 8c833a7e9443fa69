#!/usr/bin/env bash
# Netboot step: the netboot ISO (plan §7.2): GRUB, the kernel and the netboot initrd, no root. Hybrid like the live
# ISO (BIOS + UEFI, CD or stick), but labelled MACULAOS_NET: the live initrd looks for MACULAOS and must not take this
# medium for one with a root on it.
# Usage: netboot-iso.sh VMLINUZ INITRD GRUB.cfg VERSION URL OUT.iso
set -euo pipefail
vmlinuz=$1 initrd=$2 grubcfg=$3 version=$4 url=$5 out=$6
: "${SOURCE_DATE_EPOCH:?set by the driver}"

stage=$(mktemp -d)
trap 'rm -rf "$stage" "$stage.log"' EXIT
mkdir -p "$stage/boot/grub" "$stage/maculaos"
cp "$vmlinuz" "$stage/boot/vmlinuz"
cp "$initrd" "$stage/boot/initrd.img"
# '|' as sed's separator: the URL has slashes. The driver allows no '|' or space in it.
sed -e "s|@VERSION@|$version|g" -e "s|@URL@|$url|g" "$grubcfg" >"$stage/boot/grub/grub.cfg"
echo "$version" >"$stage/maculaos/version"
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

rm -f "$out"
grub-mkrescue --output="$out" "$stage" -- -volid MACULAOS_NET >/dev/null 2>"$stage.log" || { cat "$stage.log" >&2; exit 1; }
