import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openPage } from './helpers/browser';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppEngine } from '../electron/engine/app/app-engine';
import { PROFILES_FILE } from '../electron/engine/app/profile-store';
import { type WebShell, startWebShell } from '../electron/web/web-server';
import { appWriterLaunch } from '../electron/web/writer-launch';
import { profileFileSchema } from '../shared/profile';
import { sh } from './helpers/loops';

/**
 * Wi-Fi and saved profiles in the Customise form, in the real browser against the real engine: Wi-Fi problems are
 * shown beside the SSID and passphrase fields; a profile saved from the form comes back after a page reload and fills
 * the form again; the profile file (the engine's, in its config directory) is 0600, valid, and holds no enrollment
 * token and no Wi-Fi passphrase — nor does any response the page received. No root needed.
 */

const SHOTS = resolve('test-artifacts/ui');
const TOKEN = 'enroll-7f1e2d3c4b5a69788796';
const PASSPHRASE = 'correct horse battery staple';

let dir: string;
let configDir: string;
let shell: WebShell;
let browser: Browser;
let page: Page;
let image: string;
/** Every API response body the page received. */
const bodies: string[] = [];

/** The text of the error tied to a control by aria-describedby, or undefined. */
async function errorOf(id: string): Promise<string | undefined> {
  const ids = ((await page.locator(`#${id}`).getAttribute('aria-describedby')) ?? '').split(/\s+/).filter(Boolean);
  for (const described of ids) {
    const [text] = await page.locator(`[id="${described}"].field-error`).allTextContents();
    if (text !== undefined) return text;
  }
  return undefined;
}

/** From a fresh page: the local image, then the Customise step. */
async function toCustomise(): Promise<void> {
  await page.getByLabel(/Image file path/).fill(image);
  await page.getByRole('button', { name: 'Use this file' }).click();
  await page.locator('.chosen').waitFor();
  await page.getByRole('button', { name: 'Next: Customise' }).click();
  await page.getByRole('heading', { name: 'Customise' }).waitFor();
}

describe('Customise: Wi-Fi and saved profiles in the browser shell', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-ui-profiles-'));
    configDir = join(dir, 'config');
    await mkdir(SHOTS, { recursive: true });
    const rendererDir = join(dir, 'renderer');
    await build({ configFile: resolve('renderer/vite.config.ts'), logLevel: 'silent', build: { outDir: rendererDir, emptyOutDir: true } });
    image = join(dir, 'profile-test.img');
    await sh('truncate', ['-s', '4M', image]);
    await sh('sh', ['-c', `printf 'label: dos\\nstart=2048, type=83\\n' | sfdisk -q "$1"`, 'sh', image]);
    shell = await startWebShell(rendererDir, { engine: createAppEngine({ launch: appWriterLaunch, configDir, fleetDir: join(dir, 'fleet') }) });
    browser = await launchChromium();
    page = await openPage(browser, { width: 1000, height: 900 });
    page.on('response', (r) => {
      if (r.url().includes('/api/')) void r.text().then((t) => bodies.push(t), () => undefined);
    });
    await page.goto(shell.url);
    await toCustomise();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await shell?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows Wi-Fi problems beside the SSID and passphrase fields', async () => {
    await page.getByLabel('Hostname', { exact: true }).fill('wifi-node');
    await page.getByLabel('Wi-Fi passphrase').fill('short');
    await page.getByRole('button', { name: 'Next: Choose targets' }).click();
    await expect.poll(() => errorOf('wifi-ssid')).toContain('network name must be 1–32 bytes');
    expect(await errorOf('wifi-passphrase')).toContain('8–63 printable ASCII');
    expect(await page.getByLabel('Wi-Fi passphrase').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Wi-Fi network name (SSID)').fill('lab-wifi');
    await expect.poll(() => errorOf('wifi-ssid')).toBeUndefined();
    expect(await errorOf('wifi-passphrase')).toContain('8–63');
    await page.screenshot({ path: join(SHOTS, 'profiles-01-wifi-errors.png'), fullPage: true });
    await page.getByLabel('Wi-Fi passphrase').fill(PASSPHRASE);
    await expect.poll(() => errorOf('wifi-passphrase')).toBeUndefined();
  });

  it('saves the form as a profile, without its secrets', async () => {
    await page.getByLabel('Time zone', { exact: true }).fill('Europe/Berlin');
    await page.getByLabel('Portal URL').fill('https://portal.example.com');
    await page.getByLabel('Enrollment token').fill(TOKEN);
    await page.getByLabel(/Relay/).check();
    await page.getByLabel('Save as').fill('Lab rack A');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Saved "Lab rack A".').waitFor();
    expect(await page.getByText(/enrollment token and the Wi-Fi passphrase are never saved/).isVisible()).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'profiles-02-saved.png'), fullPage: true });

    const path = join(configDir, PROFILES_FILE);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const text = await readFile(path, 'utf8');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(PASSPHRASE);
    const file = profileFileSchema.parse(JSON.parse(text));
    expect(file.profiles).toEqual([expect.objectContaining({ name: 'Lab rack A', form: expect.objectContaining({ hostname: 'wifi-node', wifiSsid: 'lab-wifi', meshRelay: true }) })]);
  });

  it('loads the profile into the form after a page reload, secrets left blank', async () => {
    await page.reload();
    await toCustomise();
    expect(await page.getByLabel('Hostname', { exact: true }).inputValue()).toBe('');
    await page.getByLabel('Profile', { exact: true }).selectOption('Lab rack A');
    await page.getByRole('button', { name: 'Load' }).click();
    expect(await page.getByLabel('Hostname', { exact: true }).inputValue()).toBe('wifi-node');
    expect(await page.getByLabel('Time zone', { exact: true }).inputValue()).toBe('Europe/Berlin');
    expect(await page.getByLabel('Portal URL').inputValue()).toBe('https://portal.example.com');
    expect(await page.getByLabel('Wi-Fi network name (SSID)').inputValue()).toBe('lab-wifi');
    expect(await page.getByLabel(/Relay/).isChecked()).toBe(true);
    expect(await page.getByLabel('Enrollment token').inputValue()).toBe('');
    expect(await page.getByLabel('Wi-Fi passphrase').inputValue()).toBe('');
    await page.getByText(/Loaded "Lab rack A"/).waitFor();
    await page.screenshot({ path: join(SHOTS, 'profiles-03-loaded.png'), fullPage: true });
    // The secrets never came back in any response.
    expect(bodies.length).toBeGreaterThan(0);
    for (const body of bodies) {
      expect(body).not.toContain(TOKEN);
      expect(body).not.toContain(PASSPHRASE);
    }
  });

  it('deletes the profile', async () => {
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Deleted "Lab rack A".').waitFor();
    expect(await page.getByLabel('Profile', { exact: true }).locator('option').allTextContents()).toEqual(['No saved profiles']);
    expect(profileFileSchema.parse(JSON.parse(await readFile(join(configDir, PROFILES_FILE), 'utf8'))).profiles).toEqual([]);
  });
});
