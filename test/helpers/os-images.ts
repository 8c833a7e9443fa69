import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sh } from './loops';

/**
 * Small but real OS images for flash tests, made by the tools that make real ones: an RPi-style SD image (MBR, FAT32
 * boot with firmware-like files, ext4 root) and a hybrid ISO from grub-mkrescue (ISO 9660 + GPT + hybrid MBR, BIOS and
 * UEFI El Torito). Each partition's byte range is returned so tests can check it survived flashing byte for byte.
 */

export interface ImagePartition {
  readonly number: number;
  readonly offset: number;
  readonly size: number;
}

export interface OsImage {
  readonly path: string;
  readonly partitions: readonly ImagePartition[];
}

const SECTOR = 512;
const MiB = 1 << 20;

/**
 * RPi-style: FAT boot (bootable) at 4 MiB for 32 MiB with config.txt/cmdline.txt/kernel8.img, ext4 root of 16 MiB.
 * FAT16 (0x0e) rather than the FAT32 (0x0c) of real Pi images: FAT32 wants 65525 clusters, too many for 32 MiB.
 */
export async function rpiStyleImage(dir: string, name = 'rpi-os.img'): Promise<OsImage> {
  const boot = join(dir, `${name}.boot.fat`);
  const rootTree = join(dir, `${name}.root`);
  const root = join(dir, `${name}.root.ext4`);
  const path = join(dir, name);
  await sh('mkfs.vfat', ['-F', '16', '-n', 'BOOT', '-C', boot, String(32 * 1024)]);
  await writeFile(join(dir, 'config.txt'), 'arm_64bit=1\nkernel=kernel8.img\n');
  await writeFile(join(dir, 'cmdline.txt'), 'console=serial0,115200 root=PARTUUID=00000000-02 rootfstype=ext4\n');
  await sh('sh', ['-c', `head -c ${3 * MiB} /dev/urandom > "$1"`, 'sh', join(dir, 'kernel8.img')]);
  await sh('mcopy', ['-i', boot, join(dir, 'config.txt'), join(dir, 'cmdline.txt'), join(dir, 'kernel8.img'), '::/']);
  await mkdir(join(rootTree, 'etc'), { recursive: true });
  await writeFile(join(rootTree, 'etc/os-release'), 'NAME=MaculaOS\nID=maculaos\n');
  await sh('mkfs.ext4', ['-q', '-F', '-L', 'rootfs', '-d', rootTree, root, '16M']);
  const partitions = [
    { number: 1, offset: 4 * MiB, size: 32 * MiB },
    { number: 2, offset: 36 * MiB, size: 16 * MiB },
  ];
  await sh('truncate', ['-s', String(52 * MiB), path]);
  const script = partitions.map((p, i) => `start=${p.offset / SECTOR}, size=${p.size / SECTOR}, type=${i === 0 ? 'e, bootable' : '83'}`).join('\n');
  await sh('sh', ['-c', `printf 'label: dos\\n%s\\n' "$1" | sfdisk -q "$2"`, 'sh', script, path]);
  for (const [p, file] of [[partitions[0], boot], [partitions[1], root]] as const) {
    await sh('dd', [`if=${file}`, `of=${path}`, 'bs=1M', `seek=${(p?.offset ?? 0) / MiB}`, 'conv=notrunc', 'status=none']);
  }
  return { path, partitions };
}

/** A hybrid ISO by grub-mkrescue with a grub.cfg and a payload file; its partitions as sfdisk reads them. */
export async function grubHybridIso(dir: string, name = 'macula-hybrid.iso'): Promise<OsImage & { readonly payload: string }> {
  const tree = join(dir, `${name}.tree`);
  await mkdir(join(tree, 'boot/grub'), { recursive: true });
  await writeFile(join(tree, 'boot/grub/grub.cfg'), 'set timeout=0\nmenuentry "MaculaOS" { true }\n');
  const payload = 'MaculaOS payload\n'.repeat(4096);
  await writeFile(join(tree, 'payload.txt'), payload);
  const path = join(dir, name);
  await sh('grub-mkrescue', ['-o', path, tree, '--', '-volid', 'MACULAOS']);
  const table = JSON.parse(await sh('sfdisk', ['-J', path])) as { partitiontable: { partitions: { node: string; start: number; size: number }[] } };
  const partitions = table.partitiontable.partitions.map((p, i) => ({ number: i + 1, offset: p.start * SECTOR, size: p.size * SECTOR }));
  return { path, partitions, payload };
}
