import { join } from 'node:path';
import { cachedStep, keyOf } from './cache';
import { type BuildContext, timed } from './context';
import { runStep } from './run';

/** The VM disk's virtual size: the ISO (~240 MB) plus room for a MACULAOS_STATE partition after it. */
export const QCOW2_VIRTUAL_SIZE = '8G';

/** The airgapped pieces beside the shared root: the hybrid ISO and the same bytes as a qcow2 VM disk. */
export interface AirgappedBuild {
  readonly iso: string;
  readonly qcow2: string;
}

/** Plan §7.4 and §8.1: the self-contained ISO (root squashfs on it) and its qcow2 for KVM/Proxmox/libvirt. */
export async function buildAirgapped(ctx: BuildContext, root: { dir: string; key: string }): Promise<AirgappedBuild> {
  const { options, here, cache, env } = ctx;
  const step = (name: string): string => join(here, 'steps', name);
  const isoKey = await keyOf([root.key, { path: step('iso.sh') }, { path: join(here, 'iso/grub.cfg') }]);
  const iso = await timed(ctx, 'ISO (grub-mkrescue)', () =>
    cachedStep(cache, 'iso', isoKey, (dir) =>
      runStep(step('iso.sh'), [join(root.dir, 'vmlinuz'), join(root.dir, 'initrd.img'), join(root.dir, 'rootfs.squashfs'), join(here, 'iso/grub.cfg'), options.version, join(dir, 'image.iso')], env),
    ),
  );
  const qcow2Key = await keyOf([isoKey, { path: step('qcow2.sh') }, QCOW2_VIRTUAL_SIZE]);
  const qcow2 = await timed(ctx, `qcow2 (qemu-img, ${QCOW2_VIRTUAL_SIZE} virtual)`, () =>
    cachedStep(cache, 'qcow2', qcow2Key, (dir) => runStep(step('qcow2.sh'), [join(iso.dir, 'image.iso'), QCOW2_VIRTUAL_SIZE, join(dir, 'image.qcow2')], env)),
  );
  return { iso: join(iso.dir, 'image.iso'), qcow2: join(qcow2.dir, 'image.qcow2') };
}
