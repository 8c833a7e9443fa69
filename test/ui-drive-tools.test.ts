import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WebShell, startWebShell } from '../electron/web/web-server';
import { launchChromium, openPage } from './helpers/browser';
import { macula } from './helpers/cli';
import { Loops, sh } from './helpers/loops';
import { rpiStyleImage } from './helpers/os-images';

/**
 * The Drive tools tab in Debian's Chromium against the real web server and engine: a loop device holding a seeded
 * flash of an RPi-style image is checked against the image, backed up into a .zst, and restored to one FAT32
 * partition. Screenshots of each step go to test-artifacts/ui/drive-tools-*.png.
 */

const root = process.getuid?.() === 0;
if (!root) console.warn('ui-drive-tools: skipped — needs root for loop devices and formatting');

const MiB = 1 << 20;
const SHOTS = resolve('test-artifacts/ui');
let dir: string;
let shell: WebShell;
let browser: Browser;
let page: Page;
let device: string;
let image: string;
const loops = new Loops();

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `drive-tools-${name}.png`), fullPage: true });
}

describe.skipIf(!root)('browser shell: Drive tools on a seeded loop device', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-ui-tools-'));
    await mkdir(SHOTS, { recursive: true });
    const rendererDir = join(dir, 'renderer');
    await build({ configFile: resolve('renderer/vite.config.ts'), logLevel: 'silent', build: { outDir: rendererDir, emptyOutDir: true } });
    image = (await rpiStyleImage(dir, 'tools.img')).path;
    device = await loops.create(join(dir, 'tools-target.img'), 160 * MiB);
    const flashed = await macula(['flash', image, '--to', device, '--hostname', 'tools-node', '--yes']);
    if (flashed.code !== 0) throw new Error(flashed.stderr);
    shell = await startWebShell(rendererDir);
    browser = await launchChromium();
    page = await openPage(browser, { width: 1000, height: 900 });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await shell?.close();
    await loops.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('checks, backs up and restores a drive', async () => {
    await page.goto(shell.url);
    await page.getByRole('button', { name: 'Drive tools' }).click();
    await page.getByRole('heading', { name: 'Drive tools' }).waitFor();
    await page.getByLabel('Drive', { exact: true }).fill(device);
    await page.getByLabel('Image to compare with').fill(image);
    await shot('01-filled');

    await page.getByRole('button', { name: 'Check a drive' }).click();
    const result = page.locator('.drive-tools-result');
    await result.locator('.ok, .error').waitFor({ timeout: 60_000 });
    await shot('02-checked');
    expect(await result.textContent()).toContain(`${device} holds the image`);
    expect(await result.textContent()).toContain('hostname tools-node');

    const out = join(dir, 'backup.img.zst');
    await page.getByLabel(/Image file to write/).fill(out);
    await page.getByRole('button', { name: 'Back up a drive' }).click();
    await expect.poll(async () => result.getAttribute('data-state'), { timeout: 60_000 }).toMatch(/cloned|failed/);
    await shot('03-backed-up');
    expect(await result.textContent()).toContain('Backed up');
    expect((await stat(out)).size).toBeGreaterThan(0);
    expect((await stat(join(dir, 'backup.img.bmap'))).size).toBeGreaterThan(0);

    await page.getByRole('button', { name: 'Restore drive' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Confirm restore' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('160 MiB');
    await shot('04-confirm-restore');
    await dialog.getByRole('button', { name: 'Erase and restore' }).click();
    await expect.poll(async () => result.getAttribute('data-state'), { timeout: 60_000 }).toMatch(/restored|failed/);
    await shot('05-restored');
    expect(await result.textContent()).toContain('one FAT32 partition');
    const table = JSON.parse(await sh('sfdisk', ['-J', device])) as { partitiontable: { partitions: unknown[] } };
    expect(table.partitiontable.partitions).toHaveLength(1);
  }, 240_000);
});
