#!/usr/bin/env bash
# Raspberry Pi step: the IMG (plan §8.1, §8.2). An MBR with two partitions and nothing after the last one (the app's
# flasher appends MACULAOS_STATE there when it writes a seed):
#   1. FAT32 `MACULA_BOOT` (type 0x0c, bootable): the GPU firmware and the bcm27xx DTBs (from the root's
#      /boot/firmware, filled by raspi-firmware's kernel hook), config.txt, cmdline.txt, vmlinuz and initrd.img.
#   2. ISO 9660 `MACULAOS` (type 0x83) holding maculaos/rootfs.squashfs: the live initramfs script finds it as it
#      finds the ISO's medium (any block device, partitions too, of type iso9660 labelled MACULAOS).
# Usage: rpi-img.sh VMLINUZ INITRD FIRMWARE_DIR ROOTFS.squashfs RPI_DIR VERSION OUT.img
#   RPI_DIR: config.txt and cmdline.txt (@VERSION@ replaced). MACULA_RPI_BOOT_MIB: the FAT's size (default 256).
# xorriso and the file times honour SOURCE_DATE_EPOCH; mkfs.vfat's volume id is fixed.
set -euo pipefail
vmlinuz=$1 initrd=$2 firmware=$3 squashfs=$4 rpi=$5 version=$6 out=$7
: "${SOURCE_DATE_EPOCH:?set by the driver}"
boot_mib=${MACULA_RPI_BOOT_MIB:-256}

stage=$(mktemp -d)
trap 'rm -rf "$stage" "$out.partial"' EXIT
export MTOOLS_SKIP_CHECK=1

# Partition 2: the medium, as on the ISO (label MACULAOS, maculaos/rootfs.squashfs, maculaos/version).
mkdir -p "$stage/medium/maculaos" "$stage/boot"
ln "$squashfs" "$stage/medium/maculaos/rootfs.squashfs" 2>/dev/null || cp "$squashfs" "$stage/medium/maculaos/rootfs.squashfs"
echo "$version" >"$stage/medium/maculaos/version"
find "$stage/medium" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
xorriso -as mkisofs -quiet -R -V MACULAOS -o "$stage/medium.iso" "$stage/medium" 2>"$stage/xorriso.log" || { cat "$stage/xorriso.log" >&2; exit 1; }

# Partition 1: the boot files.
n=$(find "$firmware" -maxdepth 1 -name 'start*.elf' | wc -l)
[ "$n" -gt 0 ] || { echo "rpi-img: no start*.elf in $firmware (raspi-firmware)" >&2; exit 1; }
[ -n "$(find "$firmware" -maxdepth 1 -name 'bcm27*.dtb' -print -quit)" ] || { echo "rpi-img: no bcm27xx DTBs in $firmware" >&2; exit 1; }
cp "$firmware"/* "$stage/boot/"
cp "$vmlinuz" "$stage/boot/vmlinuz"
cp "$initrd" "$stage/boot/initrd.img"
sed "s/@VERSION@/$version/g" "$rpi/config.txt" >"$stage/boot/config.txt"
sed "s/@VERSION@/$version/g" "$rpi/cmdline.txt" >"$stage/boot/cmdline.txt"
echo "$version" >"$stage/boot/maculaos-version"
touch -d "@$SOURCE_DATE_EPOCH" "$stage/boot"/*
fat="$stage/boot.fat"
truncate -s "${boot_mib}M" "$fat"
mkfs.vfat -F 32 -n MACULA_BOOT -i 4d41424f "$fat" >/dev/null
(cd "$stage/boot" && LC_ALL=C ls | while read -r f; do mcopy -m -i "$fat" "$f" "::/$f"; done)

# The disk: 1 MiB for the MBR (and alignment), the FAT, the medium rounded up to a MiB; nothing after it.
iso_mib=$(( ($(stat -c %s "$stage/medium.iso") + 1048575) / 1048576 ))
total_mib=$(( 1 + boot_mib + iso_mib ))
rm -f "$out.partial"
truncate -s "${total_mib}M" "$out.partial"
sfdisk --quiet --no-reread --no-tell-kernel "$out.partial" <<TABLE
label: dos
label-id: 0x4d41434c
unit: sectors
start=2048, size=$(( boot_mib * 2048 )), type=c, bootable
start=$(( (1 + boot_mib) * 2048 )), size=$(( iso_mib * 2048 )), type=83
TABLE
dd if="$fat" of="$out.partial" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$stage/medium.iso" of="$out.partial" bs=1M seek=$(( 1 + boot_mib )) conv=notrunc,sparse status=none
mv "$out.partial" "$out"
