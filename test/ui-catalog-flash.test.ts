import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openPage } from './helpers/browser';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXTRA_CA_FILE } from '../electron/engine/app/extra-ca';
import { type PublishedRelease, assetsTrusting, publishRelease } from './helpers/catalog-release';
import { type GpgHome, createGpgHome } from './helpers/gpg';
import { type HttpsTestServer, hasOpenssl, startHttpsTestServer } from './helpers/http-test-server';
import { Loops, sh } from './helpers/loops';
import { BlkioThrottle, addTargetByPath, mbrImage } from './helpers/ui-flash-kit';
import { type WebShellProcess, startWebShellProcess } from './helpers/web-shell-process';

/**
 * Flashing an image chosen from the release catalog, in the browser shell (Debian's Chromium, the real web server and
 * engine in a child process): a catalog on a local HTTPS server lists a test image whose SHA256SUMS is signed by a real
 * GnuPG key the engine trusts as its release key (MACULA_ASSETS_DIR). The image is served at a few MB/s, so the download
 * is seen moving. The Flash step's progress box must keep one height from the moment it appears to the end of the
 * flash (issue 6: no layout jumps while progress updates). A SHA256SUMS.asc that does not match is refused before any
 * byte of the image is fetched, and the target is left as it was. Screenshots go to test-artifacts/ui/catalog-*.png.
 */

const root = process.getuid?.() === 0;
const openssl = await hasOpenssl();
if (!root) console.warn('ui-catalog-flash: skipped — needs root for loop devices and writing block devices');
if (!openssl) console.warn('ui-catalog-flash: skipped — needs the openssl CLI for the test HTTPS server');

const MiB = 1 << 20;
const SHOTS = resolve('test-artifacts/ui');
/** 24 MiB at 4 MiB/s: about six seconds of download. */
const DOWNLOAD_BPS = 4 * MiB;
const IMAGE_MIB = 24;
const ENTRY = { name: 'MaculaOS UI test', version: '0.9.0', arch: 'arm64', variant: 'rpi' } as const;
/** The entry's card in the catalog list, by its variant and arch as the list shows them. */
const CARD = /Raspberry Pi IMG · arm64 · v0\.9\.0/;

let dir: string;
let gpg: GpgHome;
let server: HttpsTestServer;
let release: PublishedRelease;
let shell: WebShellProcess;
let browser: Browser;
/** The page of the current walk through the wizard (each test opens its own). */
let page: Page;
let device: string;
let image: string;
const loops = new Loops();
const throttle = new BlkioThrottle();

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `catalog-${name}.png`), fullPage: true });

/** SHA-256 of `length` bytes of `path` from `start` (a device or a file). */
async function sha256Of(path: string, start = 0, length?: number): Promise<string> {
  const hash = createHash('sha256');
  const end = length === undefined ? undefined : start + length - 1;
  for await (const chunk of createReadStream(path, { start, ...(end !== undefined ? { end } : {}) })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const newPage = (): Promise<Page> => openPage(browser, { width: 1000, height: 800 });

/** Choose OS (the catalog entry) → Customise (`hostname`) → Choose targets (the loop device) → the Flash step. */
async function walkToFlash(hostname: string): Promise<void> {
  // A fresh page each time: the shell's URL carries its token in the fragment, so going to it again would not reload.
  await page.close();
  page = await newPage();
  await page.goto(shell.url);
  await page.getByRole('heading', { name: 'Choose OS' }).waitFor();
  const card = page.getByRole('button', { name: CARD });
  await card.waitFor({ timeout: 30_000 });
  // The list comes from the test catalog, not the bundled copy.
  expect(await page.locator('.source').textContent()).toContain(release.catalogUrl);
  await card.click();
  expect(await card.getAttribute('aria-pressed')).toBe('true');
  await page.getByRole('button', { name: 'Next: Customise' }).click();
  await page.getByLabel('Hostname', { exact: true }).fill(hostname);
  await page.getByLabel('Time zone', { exact: true }).fill('UTC');
  await page.getByRole('button', { name: 'Next: Choose targets' }).click();
  await addTargetByPath(page, device);
  await page.getByRole('button', { name: /^Next: Flash/ }).click();
  await page.getByRole('heading', { name: 'Flash' }).waitFor();
}

/** One look at the progress box, taken at every change of the page (page code as a string: no DOM types here). */
interface Sample {
  readonly height: number;
  readonly outcome: string;
  readonly text: string;
  readonly download: string | null;
  /** A target shows its write under way. */
  readonly writing: boolean;
}

const RECORD_SAMPLES = `(() => {
  const samples = (window.progressSamples = []);
  const take = () => {
    const box = document.querySelector('.flash-progress');
    if (!box) return;
    samples.push({
      height: box.getBoundingClientRect().height,
      outcome: box.querySelector('.stage')?.getAttribute('data-outcome') ?? '',
      text: box.textContent ?? '',
      download: box.querySelector('.download .pct')?.textContent ?? null,
      writing: box.querySelector('[data-phase="writing"]') !== null,
    });
  };
  new MutationObserver(take).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
})()`;

describe.skipIf(!root || !openssl)('browser shell: flash an image chosen from a signed catalog', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-ui-catalog-'));
    await mkdir(SHOTS, { recursive: true });
    const rendererDir = join(dir, 'renderer');
    await build({ configFile: resolve('renderer/vite.config.ts'), logLevel: 'silent', build: { outDir: rendererDir, emptyOutDir: true } });
    image = join(dir, 'maculaos-ui-test-0.9.0-arm64.img');
    await mbrImage(image, IMAGE_MIB);
    gpg = await createGpgHome({ uid: 'MaculaOS UI test release <release@example.invalid>' });
    server = await startHttpsTestServer();
    release = await publishRelease(server, gpg, image, ENTRY);
    server.throttle(release.imagePath, DOWNLOAD_BPS);
    // Trusted as the packaged app can (it ignores NODE_EXTRA_CA_CERTS): extra-ca.pem in its config directory.
    await mkdir(join(dir, 'config'), { recursive: true });
    await writeFile(join(dir, 'config', EXTRA_CA_FILE), server.caPem);
    device = await loops.create(join(dir, 'target.img'), 128 * MiB);
    shell = await startWebShellProcess(rendererDir, {
      MACULA_CATALOG_URL: release.catalogUrl,
      MACULA_ASSETS_DIR: await assetsTrusting(join(dir, 'assets'), gpg),
      MACULA_CACHE_DIR: join(dir, 'cache'),
      MACULA_CONFIG_DIR: join(dir, 'config'),
      MACULA_FLEET_DIR: join(dir, 'fleet'),
    });
    browser = await launchChromium();
    page = await newPage();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await shell?.close();
    await server?.close();
    await gpg?.cleanup();
    await throttle.clear();
    await loops.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a release whose SHA256SUMS.asc does not match, before downloading, and leaves the target untouched', async () => {
    const good = await gpg.sign(release.sums, { armor: true });
    // A real signature by the trusted key, but over other bytes: the served SHA256SUMS is not what was signed.
    server.setFile(release.sigPath, Buffer.from(await gpg.sign(Buffer.concat([release.sums, Buffer.from('# tampered\n')]), { armor: true })));
    try {
      const before = await sha256Of(device);
      await walkToFlash('ui-bad-sig');
      server.clearLog();
      await page.getByRole('button', { name: 'Erase and flash' }).click();
      await page.locator('[data-outcome="failed"], [data-outcome="succeeded"]').waitFor({ timeout: 60_000 });
      await shot('01-bad-signature');
      expect(await page.locator('.stage').getAttribute('data-outcome')).toBe('failed');
      const message = (await page.locator('.stage').textContent()) ?? '';
      expect(message).toMatch(/^Flash failed: .*signature/i);
      console.log(`ui-catalog-flash: bad signature → "${message}"`);
      // Nothing of the image was fetched, nothing was written.
      expect(server.log.map((r) => r.path)).not.toContain(release.imagePath);
      expect(await sha256Of(device)).toBe(before);
    } finally {
      server.setFile(release.sigPath, Buffer.from(good));
    }
  }, 180_000);

  it('writes the chosen catalog image as it downloads, verifies it, with a progress box that never changes height', async () => {
    const started = Date.now();
    await walkToFlash('ui-catalog-1');
    await shot('02-confirm');
    await throttle.set(device, 12 * MiB, 24 * MiB);
    await page.evaluate(RECORD_SAMPLES);
    await page.getByRole('button', { name: 'Erase and flash' }).click();

    // The download shows and moves.
    const downloadPct = async (): Promise<number> => Number((await page.locator('.download .pct').textContent({ timeout: 30_000 }))?.replace('%', '')) || 0;
    await expect.poll(downloadPct, { timeout: 60_000 }).toBeGreaterThan(20);
    await shot('03-downloading');
    await page.locator('[data-phase="writing"], [data-phase="verifying"], [data-outcome="failed"]').first().waitFor({ timeout: 60_000 });
    await shot('04-writing');
    await page.locator('[data-outcome="succeeded"], [data-outcome="failed"]').waitFor({ timeout: 180_000 });
    await shot('05-done');

    const samples = (await page.evaluate('window.progressSamples')) as Sample[];
    const running = samples.filter((s) => s.outcome === 'running');
    const percents = running.map((s) => /^(\d+)%$/.exec(s.download ?? '')?.[1]).filter((p) => p !== undefined).map(Number);
    // The download percentage rose through several values, never went back, and the box kept one height throughout.
    expect(new Set(percents).size).toBeGreaterThan(3);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(new Set(running.map((s) => s.text)).size).toBeGreaterThan(10);
    // Every change of height while running, with what the box said when it happened.
    const jumps = running.flatMap((s, i) => {
      const before = running[i - 1];
      return before && before.height !== s.height ? [`${before.height} → ${s.height} px at "${s.text.slice(0, 60)}"`] : [];
    });
    console.log(
      `ui-catalog-flash: ${running.length} samples while running, download ${percents[0]}% → ${percents.at(-1)}%, ` +
        `${running[0]?.height} px at the start, ${jumps.length} height changes, ${samples.at(-1)?.height} px with the result; ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(jumps, 'height changes of .flash-progress while the flash ran').toEqual([]);
    // Streamed (docs/flashing.md, "Streaming from a download"): the target was being written while the download ran.
    expect(running.some((s) => s.writing && Number(/^(\d+)%$/.exec(s.download ?? '')?.[1] ?? 100) < 100)).toBe(true);

    expect(await page.locator('.stage').getAttribute('data-outcome')).toBe('succeeded');
    const result = (await page.locator('.target-progress').textContent()) ?? '';
    expect(result).toContain('Written and verified');
    expect(result).toContain('ui-catalog-1');
    // Once written, the download block stays, complete.
    expect(await page.locator('.download').textContent()).toContain('Image downloaded and verified');

    // The target holds the image: its partition, byte for byte (the seed only adds a state partition after it).
    await sh('partx', ['-a', device]).catch(() => sh('partx', ['-u', device]));
    const dump = await sh('sfdisk', ['-d', device]);
    expect(dump).toMatch(new RegExp(`${device}p1 : start=\\s*2048, size=\\s*${(IMAGE_MIB - 1) * 2048}, type=83`));
    expect(await sha256Of(device, MiB, (IMAGE_MIB - 1) * MiB)).toBe(await sha256Of(image, MiB, (IMAGE_MIB - 1) * MiB));
    const config = await sh('debugfs', ['-R', 'cat /macula/system/config.yaml', `${device}p2`]);
    expect(config).toMatch(/^hostname: ui-catalog-1$/m);
  }, 300_000);
});
