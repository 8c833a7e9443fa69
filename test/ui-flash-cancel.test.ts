import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openPage } from './helpers/browser';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WebShell, startWebShell } from '../electron/web/web-server';
import { Loops, sh } from './helpers/loops';
import { BlkioThrottle, addTargetByPath, chooseLocalImage, mbrImage } from './helpers/ui-flash-kit';

/**
 * Cancel in the browser shell: a flash onto a slow (blkio-throttled) loop device is cancelled while writing. The page
 * says the flash was cancelled and what that left on the target; the engine's flash.finished says `cancelled`; and
 * the engine really stopped: the device's content no longer changes, and its first MiB (written last, by design) was
 * never written, so the half-written stick cannot boot by mistake. Screenshots: test-artifacts/ui/cancel-*.png.
 */

const root = process.getuid?.() === 0;
if (!root) console.warn('ui-flash-cancel: skipped — needs root for loop devices and writing block devices');

const MiB = 1 << 20;
const SHOTS = resolve('test-artifacts/ui');
/** 4 MiB/s against a 96 MiB image: half a minute of writing, ample time to cancel in the middle. */
const WRITE_BPS = 4 * MiB;

let dir: string;
let shell: WebShell;
let browser: Browser;
let page: Page;
let device: string;
const loops = new Loops();
const throttle = new BlkioThrottle();

/** SHA-256 of the whole device, read with O_DIRECT (the disk itself, not a page cache the writer bypassed). */
async function deviceHash(): Promise<string> {
  return (await sh('sh', ['-c', 'dd if="$1" bs=4M iflag=direct status=none | sha256sum', 'sh', device])).split(' ')[0] ?? '';
}

describe.skipIf(!root)('browser shell: cancelling a flash', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-ui-cancel-'));
    await mkdir(SHOTS, { recursive: true });
    const rendererDir = join(dir, 'renderer');
    await build({ configFile: resolve('renderer/vite.config.ts'), logLevel: 'silent', build: { outDir: rendererDir, emptyOutDir: true } });
    const image = join(dir, 'big.img');
    await mbrImage(image, 100, 96);
    device = await loops.create(join(dir, 'slow-target.img'), 128 * MiB);
    await throttle.set(device, WRITE_BPS, 512 * MiB);
    shell = await startWebShell(rendererDir);
    browser = await launchChromium();
    page = await openPage(browser, { width: 1000, height: 700 });
    await page.goto(shell.url);
    await chooseLocalImage(page, image);
    await page.getByRole('button', { name: 'Next: Customise' }).click();
    await page.getByLabel('Hostname', { exact: true }).fill('cancel-node');
    await page.getByRole('button', { name: 'Next: Choose targets' }).click();
    await addTargetByPath(page, device);
    await page.getByRole('button', { name: /^Next: Flash/ }).click();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await shell?.close();
    await throttle.clear();
    await loops.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stops writing, reports the flash cancelled and the target left unbootable', async () => {
    await page.getByRole('button', { name: 'Erase and flash' }).click();
    await page.locator('[data-phase="writing"]').waitFor({ timeout: 30_000 });
    await expect.poll(async () => Number((await page.locator('.target-progress .pct').textContent())?.replace('%', '')) || 0, { timeout: 30_000 }).toBeGreaterThanOrEqual(10);
    await page.screenshot({ path: join(SHOTS, 'cancel-01-writing.png'), fullPage: true });

    const atClick = (await page.locator('.target-progress .pct').textContent()) ?? '';
    const clicked = Date.now();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('[data-outcome="cancelled"], [data-outcome="failed"], [data-outcome="succeeded"]').waitFor({ timeout: 60_000 });
    const stopped = Date.now();
    await page.screenshot({ path: join(SHOTS, 'cancel-02-cancelled.png'), fullPage: true });
    // data-outcome is the engine's flash.finished outcome, as the page received it.
    expect(await page.locator('.stage').getAttribute('data-outcome')).toBe('cancelled');
    expect(await page.locator('.stage').textContent()).toMatch(/cancelled/i);
    const target = page.locator(`.target-progress[data-target="${device}"]`);
    expect(await target.locator('[data-phase]').getAttribute('data-phase')).toBe('cancelled');
    expect(await target.textContent()).toMatch(/Cancelled: the write was stopped part way.*incomplete.*will not boot/s);
    // Not a success: nothing invites the user to use this drive.
    expect(await target.textContent()).not.toContain('verified');
    const pct = Number((await target.locator('.pct').textContent())?.replace('%', ''));
    expect(pct).toBeLessThan(100);

    // The engine stopped: the device does not change any more.
    const before = await deviceHash();
    await new Promise((r) => setTimeout(r, 3000));
    expect(await deviceHash()).toBe(before);
    // The first MiB (partition table, boot code) is written last: a cancelled target never got it.
    expect(await sh('sh', ['-c', 'dd if="$1" bs=1M count=1 iflag=direct status=none | tr -d "\\000" | wc -c', 'sh', device])).toBe('0\n');
    console.log(`ui-flash-cancel: Cancel clicked at ${atClick}, writes in flight drained to ${pct}%, engine finished ${((stopped - clicked) / 1000).toFixed(1)} s after the click`);
  }, 120_000);
});
