import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppEngine } from '../electron/engine/app/app-engine';
import { EXTRA_CA_FILE } from '../electron/engine/app/extra-ca';
import { type WebShell, startWebShell } from '../electron/web/web-server';
import { appWriterLaunch } from '../electron/web/writer-launch';
import { SEEN_VERSIONS_FILE } from '../shared/catalog-seen';
import { launchChromium, openPage } from './helpers/browser';
import { assetsTrusting } from './helpers/catalog-release';
import { type GpgHome, createGpgHome } from './helpers/gpg';
import { type HttpsTestServer, hasOpenssl, startHttpsTestServer } from './helpers/http-test-server';
import { serveSignedCatalog } from './helpers/signed-catalog';

/**
 * No silent downgrade in the app (issue 13, item 4): the catalog host replays an older, validly signed catalog. Choose
 * OS must not list it as if it were current; it says why and offers a visible choice, and once chosen it lists the
 * images with a warning naming what is older. Real browser (Debian's Chromium), real engine, HTTPS catalog signed by
 * a real GnuPG key the engine pins. No root needed. Screenshots go to test-artifacts/ui/catalog-downgrade-*.png.
 */

const openssl = await hasOpenssl();
if (!openssl) console.warn('ui-catalog-downgrade: skipped — needs the openssl CLI for the test HTTPS server');

const SHOTS = resolve('test-artifacts/ui');
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe.skipIf(!openssl)('Choose OS: a catalog older than one seen before', () => {
  let dir: string;
  let gpg: GpgHome;
  let server: HttpsTestServer;
  let shell: WebShell;
  let browser: Browser;
  let page: Page;
  const env = { assets: process.env['MACULA_ASSETS_DIR'], catalog: process.env['MACULA_CATALOG_URL'] };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-ui-downgrade-'));
    await mkdir(SHOTS, { recursive: true });
    const rendererDir = join(dir, 'renderer');
    await build({ configFile: resolve('renderer/vite.config.ts'), logLevel: 'silent', build: { outDir: rendererDir, emptyOutDir: true } });
    gpg = await createGpgHome();
    server = await startHttpsTestServer();
    const image = Buffer.alloc(1 << 20, 1);
    const entry = {
      name: 'MaculaOS replayed', version: '1.0.0', release_date: '2026-01-15', arch: 'arm64', variant: 'rpi',
      url: server.url('/r/macula-os-1.0.0-arm64.img'), image_download_size: image.length, image_download_sha256: sha256(image),
      extract_size: image.length, extract_sha256: sha256(image), min_target_size: image.length, init_format: 'maculaos',
      sha256sums_url: server.url('/r/SHA256SUMS'), sha256sums_sig_url: server.url('/r/SHA256SUMS.asc'),
    };
    process.env['MACULA_CATALOG_URL'] = await serveSignedCatalog(server, '/catalog.json', gpg, { catalog_version: 1, os_list: [entry] });
    process.env['MACULA_ASSETS_DIR'] = await assetsTrusting(join(dir, 'assets'), gpg);
    const configDir = join(dir, 'config');
    await mkdir(configDir);
    await writeFile(join(configDir, EXTRA_CA_FILE), server.caPem);
    // This user has already seen 1.1.0 of the Raspberry Pi image.
    await writeFile(join(configDir, SEEN_VERSIONS_FILE), JSON.stringify({ format: 1, newest: { 'arm64-rpi': '1.1.0' } }));
    shell = await startWebShell(rendererDir, { engine: createAppEngine({ launch: appWriterLaunch, configDir, fleetDir: join(dir, 'fleet') }) });
    browser = await launchChromium();
    page = await openPage(browser, { width: 1000, height: 800 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await shell?.close();
    await server?.close();
    await gpg?.cleanup();
    for (const [key, value] of [['MACULA_ASSETS_DIR', env.assets], ['MACULA_CATALOG_URL', env.catalog]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('withholds the older catalog with the reason, then lists it with a warning once the user chooses to', async () => {
    await page.goto(shell.url);
    await page.getByRole('heading', { name: 'Choose OS' }).waitFor();
    const anyway = page.getByRole('button', { name: 'Show the older catalog anyway' });
    await anyway.waitFor({ timeout: 30_000 });
    const card = page.getByRole('button', { name: /Raspberry Pi IMG · arm64 · v1\.0\.0/ });
    expect(await card.count()).toBe(0);
    expect(await page.getByRole('alert').first().textContent()).toMatch(/older than one seen before.*arm64-rpi 1\.0\.0 \(1\.1\.0 seen\)/);
    await page.screenshot({ path: join(SHOTS, 'catalog-downgrade-withheld.png'), fullPage: true });

    await anyway.click();
    await card.waitFor({ timeout: 30_000 });
    expect(await page.getByRole('alert').first().textContent()).toContain('Older than seen before: arm64-rpi 1.0.0 (1.1.0 seen)');
    await card.click();
    expect(await card.getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByRole('button', { name: 'Next: Customise' }).isEnabled()).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'catalog-downgrade-shown.png'), fullPage: true });
  });
});
