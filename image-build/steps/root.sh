#!/usr/bin/env bash
# Step 2: the MaculaOS root tree from the base tarball: our overlay files (rootfs/), the seed applier and, when built,
# the node agent; the `macula` user; services enabled; per-node secrets removed; the live initramfs generated.
# Usage: root.sh BASE.tar OVERLAY_DIR LIBEXEC_DIR VERSION TREE_DIR OUT_DIR
#   LIBEXEC_DIR: files for /usr/lib/maculaos (apply-seed.js, agent/…); OUT_DIR receives vmlinuz, initrd.img and
#   kernel-config, and for a Raspberry Pi root firmware/ (GPU firmware and DTBs from /boot/firmware).
# The root may be a foreign architecture (arm64): its chroot commands then run through qemu-user-static (binfmt_misc).
# Runs as root (chroot for useradd and mkinitramfs).
set -euo pipefail

base=$1 overlay=$2 libexec=$3 version=$4 tree=$5 out=$6
: "${SOURCE_DATE_EPOCH:?set by the driver}"

rm -rf "$tree"
mkdir -p "$tree" "$out"
tar -C "$tree" -xf "$base"
# Owned by root whoever checked the repository out; times pinned for reproducibility.
tar -C "$overlay" --owner=0 --group=0 --mtime="@$SOURCE_DATE_EPOCH" -cf - . | tar -C "$tree" -xf -
mkdir -p "$tree/usr/lib/maculaos"
tar -C "$libexec" --owner=0 --group=0 --mtime="@$SOURCE_DATE_EPOCH" -cf - . | tar -C "$tree/usr/lib/maculaos" -xf -

# Per-node identity must never be baked into an image that many nodes boot: SSH host keys are made on first start
# (ssh.service drop-in), machine-id by systemd on first boot.
rm -f "$tree"/etc/ssh/ssh_host_*
: >"$tree/etc/machine-id"
rm -f "$tree/var/lib/dbus/machine-id"

cat >"$tree/etc/os-release" <<OS
PRETTY_NAME="MaculaOS $version"
NAME="MaculaOS"
ID=maculaos
ID_LIKE=debian
VERSION="$version (Debian bookworm base)"
VERSION_ID="$version"
HOME_URL="https://github.com/macula-io/macula-os"
OS
echo "$version" >"$tree/etc/maculaos-version"
echo maculaos >"$tree/etc/hostname"
printf 'MaculaOS %s \\n \\l\n\n' "$version" >"$tree/etc/issue"
printf 'MaculaOS %s\n' "$version" >"$tree/etc/issue.net"
# The node agent's welcome banner (image-build/agent/src/console-banner.ts) is written to /run at every boot; agetty
# shows /etc/issue.d/*.issue after /etc/issue on every console (tty1 and serial). Until the agent has written it, the
# link dangles and agetty skips it. Made here, not in rootfs/: the build hashes overlay files by content.
mkdir -p "$tree/etc/issue.d"
ln -sfn /run/maculaos/welcome.issue "$tree/etc/issue.d/50-maculaos-welcome.issue"

mounts=()
cleanup() {
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
for fs in proc sys dev; do
  mount --bind "/$fs" "$tree/$fs"
  mounts+=("$tree/$fs")
done

# The login user of k3OS (`rancher`), renamed: key-only SSH (no password), sudo via /etc/sudoers.d/macula.
chroot "$tree" useradd --create-home --shell /bin/bash --user-group macula
chroot "$tree" passwd --lock macula >/dev/null

systemctl --root="$tree" enable maculaos-seed.service maculaos-agent.service nftables.service \
  systemd-networkd.service systemd-resolved.service systemd-timesyncd.service avahi-daemon.service ssh.service \
  maculaos-boot-cmd.service maculaos-run-cmd.service k3s.service >/dev/null 2>&1
# Not on a live edge node: apt's daily jobs (read-only root), periodic trims/scrubs, waiting for the network before
# multi-user (Avahi and the agent follow link changes themselves; run_cmd waits on its own), and wpasupplicant's D-Bus
# daemon (Wi-Fi is maculaos-wifi@.service, one wpa_supplicant per wireless interface, started by udev).
systemctl --root="$tree" mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
  fstrim.timer systemd-networkd-wait-online.service wpa_supplicant.service >/dev/null 2>&1

chroot "$tree" update-initramfs -u -k all >/dev/null
cleanup
mounts=()

cp "$(ls "$tree"/boot/vmlinuz-* | sort -V | tail -n1)" "$out/vmlinuz"
cp "$(ls "$tree"/boot/initrd.img-* | sort -V | tail -n1)" "$out/initrd.img"
# The squashfs leaves /boot out; the netboot initrd step (netboot-initrd.sh) needs the kernel's config for mkinitramfs.
cp "$(ls "$tree"/boot/config-* | sort -V | tail -n1)" "$out/kernel-config"
# A Raspberry Pi root (raspi-firmware) has its boot files in /boot/firmware, filled by that package's kernel and
# initramfs hooks: the IMG step (rpi-img.sh) takes the GPU firmware and the bcm27xx DTBs from there, and writes its own
# config.txt and cmdline.txt. An amd64 root has no /boot/firmware.
if [ -d "$tree/boot/firmware" ]; then
  mkdir -p "$out/firmware"
  find "$tree/boot/firmware" -maxdepth 1 -type f \( -name '*.elf' -o -name '*.dat' -o -name 'bootcode.bin' -o -name '*.dtb' \) \
    -exec cp {} "$out/firmware/" \;
fi
# Logs and caches of the build are not the node's.
rm -rf "$tree"/var/log/* "$tree"/var/cache/debconf/*-old "$tree"/var/lib/apt/lists/* "$tree"/tmp/*
