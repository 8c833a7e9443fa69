import { join } from 'node:path';
import { cachedStep, keyOf } from './cache';
import { type BuildContext, timed } from './context';
import { runStep } from './run';

/** The FAT boot partition's size (MiB): firmware ~20 MB, kernel ~30 MB, initrd ~40 MB, room for a newer kernel. */
export const RPI_BOOT_MIB = 256;

/**
 * Plan §8.1/§8.2: the Raspberry Pi IMG from the arm64 root (same root step as any variant of that architecture): FAT32
 * MACULA_BOOT with the firmware, config.txt, cmdline.txt, kernel, initrd and DTBs, then the ISO 9660 MACULAOS medium
 * holding the root squashfs. Cached under the root's key plus the step and its templates (image-build/rpi/).
 */
export async function buildRpiImg(ctx: BuildContext, root: { dir: string; key: string }): Promise<string> {
  const { options, here, cache, env } = ctx;
  const script = join(here, 'steps', 'rpi-img.sh');
  const templates = join(here, 'rpi');
  const key = await keyOf([root.key, { path: script }, { path: templates }, String(RPI_BOOT_MIB)]);
  const img = await timed(ctx, `Raspberry Pi IMG (FAT ${RPI_BOOT_MIB} MiB + ISO 9660 medium)`, () =>
    cachedStep(cache, 'rpi-img', key, (dir) =>
      runStep(
        script,
        [join(root.dir, 'vmlinuz'), join(root.dir, 'initrd.img'), join(root.dir, 'firmware'), join(root.dir, 'rootfs.squashfs'), templates, options.version, join(dir, 'image.img')],
        { ...env, MACULA_RPI_BOOT_MIB: String(RPI_BOOT_MIB) },
      ),
    ),
  );
  return join(img.dir, 'image.img');
}
