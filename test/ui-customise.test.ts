import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openPage } from './helpers/browser';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WebShell, startWebShell } from '../electron/web/web-server';
import { sh } from './helpers/loops';

/**
 * The Customise form in the real browser against the real engine's seed.validate: each problem is shown beside the
 * field it is about (tied to the control by aria-describedby), goes away once fixed, and a secret typed into the form
 * never comes back in a response or on the page. No root needed.
 */

const SHOTS = resolve('test-artifacts/ui');
const TOKEN = 'enroll-5e3c9d1a7b2f4e6c8d0a';

let dir: string;
let shell: WebShell;
let browser: Browser;
let page: Page;
/** Every seed.validate response body the page received. */
const validateBodies: string[] = [];

/** The text of the error element the control's aria-describedby points at, or undefined when it has none. */
async function errorOf(id: string): Promise<string | undefined> {
  const ids = ((await page.locator(`#${id}`).getAttribute('aria-describedby')) ?? '').split(/\s+/).filter(Boolean);
  for (const described of ids) {
    // allTextContents does not wait: an error that just went away reads as none, not as a 30 s timeout.
    const [text] = await page.locator(`[id="${described}"].field-error`).allTextContents();
    if (text !== undefined) return text;
  }
  return undefined;
}

describe('Customise form validation in the browser shell', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-ui-form-'));
    await mkdir(SHOTS, { recursive: true });
    const rendererDir = join(dir, 'renderer');
    await build({ configFile: resolve('renderer/vite.config.ts'), logLevel: 'silent', build: { outDir: rendererDir, emptyOutDir: true } });
    const image = join(dir, 'form-test.img');
    await sh('truncate', ['-s', '4M', image]);
    await sh('sh', ['-c', `printf 'label: dos\\nstart=2048, type=83\\n' | sfdisk -q "$1"`, 'sh', image]);
    shell = await startWebShell(rendererDir);
    browser = await launchChromium();
    page = await openPage(browser, { width: 1000, height: 800 });
    page.on('response', (r) => {
      if (r.url().endsWith('/api/seed.validate')) void r.text().then((t) => validateBodies.push(t));
    });
    await page.goto(shell.url);
    await page.getByLabel(/Image file path/).fill(image);
    await page.getByRole('button', { name: 'Use this file' }).click();
    await page.locator('.chosen').waitFor();
    await page.getByRole('button', { name: 'Next: Customise' }).click();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await shell?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows a bad hostname and an unknown time zone beside their fields, and nothing advances', async () => {
    await page.getByLabel('Hostname', { exact: true }).fill('Bad_Host');
    await page.getByLabel('Time zone', { exact: true }).fill('Mars/Olympus');
    await page.getByRole('button', { name: 'Next: Choose targets' }).click();
    await expect.poll(() => errorOf('hostname')).toMatch(/lower case|letters a-z/);
    expect(await errorOf('timezone')).toContain('unknown time zone "Mars/Olympus"');
    expect(await page.getByLabel('Hostname', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    // Fields without a problem carry no error.
    expect(await errorOf('keyboard')).toBeUndefined();
    expect(await page.getByRole('heading', { name: 'Customise' }).isVisible()).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'customise-errors.png'), fullPage: true });
  });

  it('clears an error once the field is fixed, and accepts a batch template', async () => {
    await page.getByLabel('Hostname', { exact: true }).fill('edge-{nn}');
    await expect.poll(() => errorOf('hostname')).toBeUndefined();
    expect(await errorOf('timezone')).toContain('unknown time zone');
    await page.getByLabel('Time zone', { exact: true }).fill('Europe/Berlin');
    await expect.poll(() => errorOf('timezone')).toBeUndefined();
  });

  it('warns about a bootstrap node and keeps the enrollment token to itself', async () => {
    await page.getByLabel(/Bootstrap/).check();
    await expect.poll(() => page.locator('#mesh-warning').textContent()).toContain('public address');
    await page.getByLabel('Portal URL').fill('http://portal.example.com');
    await page.getByLabel('Enrollment token').fill(TOKEN);
    await page.getByRole('button', { name: 'Next: Choose targets' }).click();
    await expect.poll(() => errorOf('portal-url')).toContain('https://');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(SHOTS, 'customise-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
    expect(validateBodies.length).toBeGreaterThan(0);
    for (const body of validateBodies) expect(body).not.toContain(TOKEN);
    expect(await page.locator('main').innerText()).not.toContain(TOKEN);
  });

  it('moves on once the form is valid', async () => {
    await page.getByLabel('Portal URL').fill('https://portal.example.com');
    await page.getByRole('button', { name: 'Next: Choose targets' }).click();
    await page.getByRole('heading', { name: 'Choose targets' }).waitFor();
  });
});
