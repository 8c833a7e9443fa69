#!/usr/bin/env bash
# Netboot step: the netboot initrd (plan §7.2, §7.7), made from the same root as the live one. The cached root
# squashfs is unpacked (its /boot is left out, so the kernel's config comes from the root step), the live
# initramfs-tools config is copied and the netboot files (NETBOOT_DIR: scripts/maculaos-net, hooks/maculaos-net,
# conf.d/netboot.conf) laid over it, and mkinitramfs runs in a chroot with that config folder. The release key and
# the squashfs's file name go where hooks/maculaos-net takes them from.
# Usage: netboot-initrd.sh ROOTFS.squashfs KERNEL_CONFIG NETBOOT_DIR KEYRING.gpg ROOTFS_NAME OUT.initrd
# mkinitramfs honours SOURCE_DATE_EPOCH.
set -euo pipefail
squashfs=$1 kconfig=$2 netboot=$3 keyring=$4 rootfs_name=$5 out=$6
: "${SOURCE_DATE_EPOCH:?set by the driver}"

tree="$out.tree"
conf=/etc/maculaos/netboot/initramfs-tools
mounts=()
cleanup() {
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[$i]}" 2>/dev/null || true; done
  rm -rf "$tree"
}
trap cleanup EXIT

rm -rf "$tree"
unsquashfs -quiet -no-progress -dest "$tree" "$squashfs" >/dev/null
kver=$(ls "$tree/usr/lib/modules" | sort -V | tail -n1)
mkdir -p "$tree/boot" "$tree$conf"
cp "$kconfig" "$tree/boot/config-$kver"
cp -a "$tree/etc/initramfs-tools/." "$tree$conf/"
tar -C "$netboot" --owner=0 --group=0 --mtime="@$SOURCE_DATE_EPOCH" -cf - . | tar -C "$tree$conf" -xf -
cp "$keyring" "$tree/etc/maculaos/netboot/keyring.gpg"
printf 'MACULA_NET_ROOTFS=%s\n' "$rootfs_name" >"$tree/etc/maculaos/netboot/netboot.conf"

for fs in proc sys dev; do
  mount --bind "/$fs" "$tree/$fs"
  mounts+=("$tree/$fs")
done
chroot "$tree" mkinitramfs -d "$conf" -o /tmp/netboot-initrd.img "$kver"
mv "$tree/tmp/netboot-initrd.img" "$out"
