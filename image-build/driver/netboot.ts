import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cachedStep, keyOf } from './cache';
import { type BuildContext, timed } from './context';
import { exportReleaseKey } from './release-key';
import { runStep } from './run';

/** The netboot pieces beside the shared root: the netboot initrd (its own step) and the netboot ISO. */
export interface NetbootBuild {
  readonly initrd: string;
  readonly iso: string;
}

/**
 * The release key the netboot initrd will trust, exported to the cache folder. Called before any other step, so an
 * unknown key fails the build at once rather than after the root is built.
 */
export async function netbootReleaseKey(ctx: BuildContext): Promise<string> {
  if (!ctx.options.signKey) throw new Error('--variant netboot needs --sign-key');
  const keyring = join(ctx.cache, 'netboot-keyring.tmp');
  await exportReleaseKey(ctx.options.signKey, ctx.env, keyring);
  return keyring;
}

/**
 * Plan §7.2/§7.3: builds the netboot initrd from the cached root squashfs (same root step and key as the airgapped
 * build; only the initrd differs) with the release key baked in, and a small ISO holding just GRUB, the kernel and
 * that initrd. `rootfsName` is the squashfs's file name in SHA256SUMS, which the initrd downloads and checks; `keyring`
 * comes from {@link netbootReleaseKey}.
 */
export async function buildNetboot(ctx: BuildContext, root: { dir: string; key: string }, rootfsName: string, keyring: string): Promise<NetbootBuild> {
  const { options, here, cache, env } = ctx;
  const step = (name: string): string => join(here, 'steps', name);

  const initrdKey = await keyOf([root.key, { path: step('netboot-initrd.sh') }, { path: join(here, 'netboot') }, { path: keyring }, rootfsName]);
  const initrd = await timed(ctx, 'netboot initrd (mkinitramfs)', () =>
    cachedStep(cache, 'netboot-initrd', initrdKey, (dir) =>
      runStep(step('netboot-initrd.sh'), [join(root.dir, 'rootfs.squashfs'), join(root.dir, 'kernel-config'), join(here, 'netboot/initramfs-tools'), keyring, rootfsName, join(dir, 'initrd.img')], env),
    ),
  );

  await rm(keyring, { force: true });

  // The URL ends up in grub.cfg: GRUB splits its command line at spaces, and netboot-iso.sh's sed uses '|'.
  const url = `${options.baseUrl}/`;
  if (/[\s|'"]/.test(url)) throw new Error(`--base-url ${options.baseUrl}: no spaces, quotes or '|' in a netboot URL`);
  const grubCfg = join(here, 'iso/grub-netboot.cfg');
  const isoKey = await keyOf([initrdKey, { path: step('netboot-iso.sh') }, { path: grubCfg }, url]);
  const iso = await timed(ctx, 'netboot ISO (grub-mkrescue)', () =>
    cachedStep(cache, 'netboot-iso', isoKey, (dir) =>
      runStep(step('netboot-iso.sh'), [join(root.dir, 'vmlinuz'), join(initrd.dir, 'initrd.img'), grubCfg, options.version, url, join(dir, 'image.iso')], env),
    ),
  );
  return { initrd: join(initrd.dir, 'initrd.img'), iso: join(iso.dir, 'image.iso') };
}
