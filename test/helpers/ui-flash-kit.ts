import { writeFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { sh } from './loops';

/** What the browser-shell flash tests share: a small test image, a blkio throttle, and the wizard's first steps. */

const MiB = 1 << 20;

/** A small MBR image: one Linux partition from 1 MiB, holding `payloadMiB` of random bytes (so a write carries something). */
export async function mbrImage(path: string, sizeMiB = 24, payloadMiB = 20): Promise<void> {
  await sh('truncate', ['-s', String(sizeMiB * MiB), path]);
  await sh('sh', ['-c', `printf 'label: dos\\nstart=2048, type=83\\n' | sfdisk -q "$1"`, 'sh', path]);
  await sh('sh', ['-c', `head -c ${payloadMiB * MiB} /dev/urandom | dd of="$1" bs=1M seek=1 conv=notrunc status=none`, 'sh', path]);
}

/**
 * A write/read bandwidth limit on one block device (cgroup v1 blkio, root cgroup), so a flash lasts long enough to be
 * seen, photographed or cancelled. Silently none where blkio v1 is absent; `clear()` lifts it.
 */
export class BlkioThrottle {
  private id: string | undefined;

  async set(dev: string, writeBps: number, readBps: number): Promise<void> {
    const id = (await sh('lsblk', ['-dno', 'MAJ:MIN', dev])).trim();
    await writeFile('/sys/fs/cgroup/blkio/blkio.throttle.write_bps_device', `${id} ${writeBps}`).catch(() => undefined);
    await writeFile('/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device', `${id} ${readBps}`).catch(() => undefined);
    this.id = id;
  }

  async clear(): Promise<void> {
    if (this.id === undefined) return;
    await writeFile('/sys/fs/cgroup/blkio/blkio.throttle.write_bps_device', `${this.id} 0`).catch(() => undefined);
    await writeFile('/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device', `${this.id} 0`).catch(() => undefined);
    this.id = undefined;
  }
}

/** Choose OS → a local image by path, checked by the engine (its partition table shown). */
export async function chooseLocalImage(page: Page, image: string): Promise<void> {
  await page.getByLabel(/Image file path/).fill(image);
  await page.getByRole('button', { name: 'Use this file' }).click();
  await page.locator('.chosen').filter({ hasText: 'MBR' }).waitFor();
}

/** Choose targets → a device added by path (loop devices are not in the OS drive list), then ticked. */
export async function addTargetByPath(page: Page, device: string): Promise<void> {
  await page.getByRole('heading', { name: 'Choose targets' }).waitFor();
  await page.getByLabel(/Add a target by path/).fill(device);
  await page.getByRole('button', { name: 'Add' }).click();
  const row = page.getByRole('checkbox', { name: new RegExp(device.replace(/\//g, '\\/')) });
  await row.waitFor();
  if (await row.isDisabled()) throw new Error(`${device} is listed but cannot be chosen`);
  await row.check();
}
