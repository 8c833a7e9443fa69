#!/usr/bin/env bash
# Step 3: the read-only root (plan §9.1) as squashfs. zstd: about xz's size, several times faster to unpack on a
# small CPU (boot time). 128 KiB blocks, not 1 MiB: a page fault decompresses a whole block, and booting is mostly
# random reads (measured under TCG: 1 MiB blocks made node's start-up several times slower). /boot is left out: the
# kernel and initrd sit on the ISO beside it.
# Usage: squashfs.sh TREE_DIR OUT.squashfs
# squashfs-tools >= 4.5 takes file and filesystem times from SOURCE_DATE_EPOCH.
set -euo pipefail
tree=$1 out=$2
rm -f "$out"
mksquashfs "$tree" "$out" -noappend -quiet -no-progress -comp zstd -Xcompression-level "${MACULA_SQUASHFS_LEVEL:-15}" \
  -b 128K -wildcards -e 'boot/*' -e 'var/cache/apt/*' -processors "$(nproc)"
