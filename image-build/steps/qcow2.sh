#!/usr/bin/env bash
# The VM disk (plan §8.1 QCOW2, for KVM/Proxmox/libvirt): the hybrid ISO's bytes as a disk, grown to a virtual size
# with room for a MACULAOS_STATE partition after the ISO. The GPT's backup header is moved to the new end (as the
# live boot does when it grows a stick), so partitioning tools and the kernel accept the table as it is.
# qcow2 allocates only what is written: the file stays about the ISO's size. Uncompressed: the ISO is mostly the zstd
# squashfs, which qemu-img -c would not shrink, only slow down.
# Usage: qcow2.sh IMAGE.iso VIRTUAL_SIZE OUT.qcow2
set -euo pipefail
iso=$1 size=$2 out=$3
raw="$out.raw"
trap 'rm -f "$raw" "$out.partial"' EXIT
cp --sparse=always "$iso" "$raw"
truncate -s "$size" "$raw"
sfdisk --quiet --relocate gpt-bak-std "$raw"
qemu-img convert -q -f raw -O qcow2 "$raw" "$out.partial"
mv "$out.partial" "$out"
