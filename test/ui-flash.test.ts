import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
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
 * The whole flash flow in the browser shell, in Debian's Chromium, against the real web server and the real engine:
 * choose a local MBR image, customise hostname and time zone, add a loop device by path, flash, watch progress reach
 * verified success; then read the seed back off the loop device with debugfs. A screenshot of every step goes to
 * test-artifacts/ui/.
 */

const root = process.getuid?.() === 0;
if (!root) console.warn('ui-flash: skipped — needs root for loop devices (losetup, partx) and writing block devices');

const MiB = 1 << 20;
const SHOTS = resolve('test-artifacts/ui');
/** Throttle on the target (cgroup v1 blkio), so writing and verifying last long enough to be seen and photographed. */
const WRITE_BPS = 12 * MiB;
const READ_BPS = 24 * MiB;

let dir: string;
let shell: WebShell;
let browser: Browser;
let page: Page;
let device: string;
let image: string;
const loops = new Loops();
const throttle = new BlkioThrottle();

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

describe.skipIf(!root)('browser shell: flash a seeded image onto a loop device', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-ui-flash-'));
    await mkdir(SHOTS, { recursive: true });
    const rendererDir = join(dir, 'renderer');
    await build({ configFile: resolve('renderer/vite.config.ts'), logLevel: 'silent', build: { outDir: rendererDir, emptyOutDir: true } });
    image = join(dir, 'ui-test.img');
    await mbrImage(image);
    device = await loops.create(join(dir, 'target.img'), 128 * MiB);
    await throttle.set(device, WRITE_BPS, READ_BPS);
    shell = await startWebShell(rendererDir);
    browser = await launchChromium();
    page = await openPage(browser, { width: 1000, height: 800 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await shell?.close();
    await throttle.clear();
    await loops.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('goes from Choose OS to a verified, seeded target', async () => {
    const started = Date.now();
    await page.goto(shell.url);
    await page.getByRole('heading', { name: 'Choose OS' }).waitFor();
    // The catalog (bundled copy offline) lists images with variant and arch.
    await page.getByRole('list').first().waitFor();
    await shot('01-choose-os');

    await chooseLocalImage(page, image);
    await shot('02-local-image-chosen');
    await page.getByRole('button', { name: 'Next: Customise' }).click();

    await page.getByLabel('Hostname', { exact: true }).fill('ui-node-1');
    await page.getByLabel('Time zone', { exact: true }).fill('Europe/Berlin');
    await shot('03-customise');
    await page.getByRole('button', { name: 'Next: Choose targets' }).click();

    // Loop devices are not in the OS drive list: add it by path, then it is listed, classified, and choosable.
    await addTargetByPath(page, device);
    await shot('04-targets');
    await page.getByRole('button', { name: /^Next: Flash/ }).click();

    await page.getByRole('heading', { name: 'Flash' }).waitFor();
    await shot('05-confirm');
    // Every phase a target shows is recorded as it appears, however briefly.
    // (Page code as strings: the test project has Node types, not the DOM's.)
    await page.evaluate(`(() => {
      const seen = (window.seenPhases = new Set());
      new MutationObserver(() => document.querySelectorAll('[data-phase]').forEach((el) => seen.add(el.getAttribute('data-phase'))))
        .observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    })()`);
    await page.getByRole('button', { name: 'Erase and flash' }).click();
    await page.locator('[data-phase="writing"]').waitFor({ timeout: 30_000 });
    // Some bytes written: the bar has moved off 0 %.
    await expect.poll(async () => Number((await page.locator('.target-progress .pct').textContent())?.replace('%', '')) || 0).toBeGreaterThan(0);
    await shot('06-writing');
    await page.locator('[data-phase="verifying"]').waitFor({ timeout: 60_000 }).then(() => shot('07-verifying')).catch(() => undefined);
    await page.locator('[data-outcome="succeeded"], [data-outcome="failed"]').waitFor({ timeout: 120_000 });
    await shot('08-done');

    expect(await page.locator('.stage').getAttribute('data-outcome')).toBe('succeeded');
    const result = await page.locator('.target-progress').textContent();
    expect(result).toContain('Written and verified');
    expect(result).toContain('ui-node-1');
    expect(result).toMatch(/Node id\s*[0-9a-f]{8}-[0-9a-f]{4}-4/);
    const phases = (await page.evaluate('[...window.seenPhases]')) as string[];
    expect(phases).toEqual(expect.arrayContaining(['writing', 'verifying', 'done']));
    console.log(`ui-flash: Choose OS → verified in ${((Date.now() - started) / 1000).toFixed(1)} s; phases seen: ${phases.join(', ')}`);

    // The seed really is on the target: the kernel reads the new table, debugfs the state filesystem.
    await sh('partx', ['-a', device]);
    const part = `${device}p2`;
    expect((await stat(part)).isBlockDevice()).toBe(true);
    const config = await sh('debugfs', ['-R', 'cat /macula/system/config.yaml', part]);
    expect(config).toMatch(/^hostname: ui-node-1$/m);
    expect(config).toContain('timezone: Europe/Berlin');
  }, 240_000);
});
