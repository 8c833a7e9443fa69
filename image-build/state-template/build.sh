#!/usr/bin/env bash
# Builds the MACULAOS_STATE template: a small, empty ext4 filesystem that the app copies onto each target (after the
# image's own partitions), gives a fresh UUID, and fills with macula/system/config.yaml and the growpart marker through
# libext2fs (electron/engine/seed/state-filesystem.ts). Nothing is mounted here or in the app, so the same template
# serves Linux, macOS and Windows; only this script needs e2fsprogs, and only on the build host.
#
# Usage: image-build/state-template/build.sh [OUT]   (default OUT: assets/state-template.ext4.zst)
# Needs: mke2fs and debugfs (e2fsprogs >= 1.47), zstd.
#
# Reproducible: the same e2fsprogs and zstd give the same bytes. Every source of variation is pinned:
#   - UUID (-U) and directory hash seed (-E hash_seed): fixed; the app replaces the UUID per target, which is cheap
#     because of metadata_csum_seed (below);
#   - time: E2FSPROGS_FAKE_TIME, from SOURCE_DATE_EPOCH (reproducible-builds.org) or TEMPLATE_EPOCH below;
#   - mke2fs.conf: our own (MKE2FS_CONFIG), not the host's, and every feature spelled out with -O none,...;
#   - the inode tables and journal are zeroed (lazy_*_init=0) and the output file starts empty.
#
# Geometry and features (ext4 disk layout: https://docs.kernel.org/filesystems/ext4/):
#   - 16 MiB (what a flash writes and reads back: small keeps seeding under a second even on a USB2 stick; the
#     partition around it is at least 64 MiB), 4 KiB blocks, 256-byte inodes (nanosecond and post-2038 timestamps), one block group. The node grows the
#     filesystem to its partition on first boot (the marker macula/system/growpart tells it to), so the geometry is
#     chosen for the grown filesystem: 8192 inodes per 32768-block group is the usual one inode per 16 KiB, and
#     -E resize reserves group descriptor blocks for online growth up to 2 TiB (resize_inode; zeros until used).
#   - The features of mke2fs 1.47's ext4 default, all mounted by every kernel MaculaOS ships (>= 4.4): has_journal
#     (4 MiB; the node may be unplugged at any time), extent, huge_file, flex_bg, metadata_csum, 64bit, dir_nlink,
#     extra_isize, plus metadata_csum_seed: checksums are seeded from s_checksum_seed rather than the UUID, so a new
#     UUID is a 16-byte write and a superblock checksum (what `tune2fs -U` does on a mounted filesystem). Not
#     orphan_file (needs kernel >= 5.15 and e2fsprogs >= 1.47 on the node; k3OS-era kernels are older), nor
#     inline_data (config.yaml is written through libext2fs's regular-file path).
#   - Directories /macula (0755) and /macula/system (0700; it holds secrets), owned by root, as is the root directory.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$(realpath -m "${1:-"$here/../../assets/state-template.ext4.zst"}")

# 2026-01-01T00:00:00Z, used when the caller does not set SOURCE_DATE_EPOCH. Changing it changes the asset.
readonly TEMPLATE_EPOCH=1767225600
readonly SIZE=16M
readonly LABEL=MACULAOS_STATE
# Placeholder UUID ("macula" in its first bytes); each target gets its own. The hash seed is fixed for good.
readonly TEMPLATE_UUID=6d61636c-7561-4f53-8000-000000000000
readonly HASH_SEED=6d61636c-7561-4f53-8000-000000000001
readonly FEATURES=none,has_journal,ext_attr,resize_inode,dir_index,filetype,extent,64bit,flex_bg,sparse_super,large_file,huge_file,dir_nlink,extra_isize,metadata_csum,metadata_csum_seed

export E2FSPROGS_FAKE_TIME=${SOURCE_DATE_EPOCH:-$TEMPLATE_EPOCH}
export TZ=UTC LC_ALL=C

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
img="$work/state.ext4"

# Only what this file says: the host's /etc/mke2fs.conf must not change the result.
cat >"$work/mke2fs.conf" <<'CONF'
[defaults]
	blocksize = 4096
	inode_size = 256
	inode_ratio = 16384
	default_mntopts = acl,user_xattr
	enable_periodic_fsck = 0

[fs_types]
	ext4 = {
		features = has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize
	}
	default = {
	}
CONF
export MKE2FS_CONFIG="$work/mke2fs.conf"

truncate -s "$SIZE" "$img"
mke2fs -q -F -t ext4 -T default -L "$LABEL" -U "$TEMPLATE_UUID" -O "$FEATURES" \
  -b 4096 -I 256 -N 8192 -m 5 -J size=4 \
  -E root_owner=0:0,hash_seed=$HASH_SEED,resize=536870912,lazy_itable_init=0,lazy_journal_init=0,nodiscard \
  "$img"

# debugfs exits 0 even when a command fails, so its result is checked below.
debugfs -w -f - "$img" >"$work/debugfs.log" 2>&1 <<'CMDS'
mkdir /macula
mkdir /macula/system
set_inode_field /macula mode 040755
set_inode_field /macula/system mode 040700
CMDS

if ! debugfs -R 'stat /macula/system' "$img" 2>/dev/null | grep -q 'Type: directory    Mode:  0700'; then
  cat "$work/debugfs.log" >&2
  echo "build.sh: /macula/system was not created" >&2
  exit 1
fi
e2fsck -fn "$img" >/dev/null 2>&1 || { e2fsck -fn "$img" >&2; exit 1; }

mkdir -p "$(dirname "$out")"
zstd -q -19 --zstd=wlog=17 -f -o "$out" "$img"
echo "$out: $(stat -c %s "$out") bytes ($SIZE ext4, label $LABEL)"
