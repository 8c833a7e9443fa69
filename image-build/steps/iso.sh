#!/usr/bin/env bash
# Step 4: the hybrid ISO (ISO 9660 + El Torito for BIOS, an EFI System image for UEFI, a GPT/MBR so it boots from a
# USB stick as well), volume label MACULAOS, which the initramfs looks for.
# Usage: iso.sh VMLINUZ INITRD ROOTFS.squashfs GRUB.cfg VERSION OUT.iso
# xorriso takes its timestamps and volume UUID from SOURCE_DATE_EPOCH.
set -euo pipefail
vmlinuz=$1 initrd=$2 squashfs=$3 grubcfg=$4 version=$5 out=$6
: "${SOURCE_DATE_EPOCH:?set by the driver}"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/boot/grub" "$stage/maculaos"
cp "$vmlinuz" "$stage/boot/vmlinuz"
cp "$initrd" "$stage/boot/initrd.img"
# A hard link, not a copy: the squashfs is most of the ISO.
ln "$squashfs" "$stage/maculaos/rootfs.squashfs" 2>/dev/null || cp "$squashfs" "$stage/maculaos/rootfs.squashfs"
sed "s/@VERSION@/$version/g" "$grubcfg" >"$stage/boot/grub/grub.cfg"
echo "$version" >"$stage/maculaos/version"
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

rm -f "$out"
grub-mkrescue --output="$out" "$stage" -- -volid MACULAOS >/dev/null 2>"$stage.log" || { cat "$stage.log" >&2; rm -f "$stage.log"; exit 1; }
rm -f "$stage.log"
