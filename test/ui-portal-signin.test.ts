import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openPage } from './helpers/browser';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PORTAL_ENDPOINTS, pairResponseSchema } from '../shared/fleet/portal-contract';
import { createAppEngine } from '../electron/engine/app/app-engine';
import { EXTRA_CA_FILE } from '../electron/engine/app/extra-ca';
import { type WebShell, startWebShell } from '../electron/web/web-server';
import { appWriterLaunch } from '../electron/web/writer-launch';
import { Loops, sh } from './helpers/loops';
import { throwawayCa } from './helpers/throwaway-ca';
import { addTargetByPath, chooseLocalImage, mbrImage } from './helpers/ui-flash-kit';
import { type PortalContractServer, startPortalContractServer } from './portal/contract-server';

/**
 * "Sign in to the Portal" on the Customise step, in Debian's Chromium against the real web shell and engine, with the
 * Portal contract server on loopback over https (a throwaway CA the engine is told to trust; a seed only takes an
 * https Portal): the user code, its link and QR code appear; the contract server approves; no token reaches the page;
 * the flash of two drives mints one enrollment token per drive, each for its node, and seeds it. Denial and cancel are
 * shown beside the button. Screenshots go to test-artifacts/ui/.
 */

const root = process.getuid?.() === 0;
const MiB = 1 << 20;
const SHOTS = resolve('test-artifacts/ui');

let dir: string;
let portal: PortalContractServer;
let shell: WebShell;
let browser: Browser;
let page: Page;
let image: string;
let caCert: string;
const loops = new Loops();
/** Every /api/ response body: none may carry a minted or access token. */
const apiBodies: string[] = [];

/** A JSON POST that trusts the throwaway CA (Node's fetch takes no CA option). */
function postJsonTrusting(url: string, body: unknown, ca: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: 'POST', ca, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as unknown }));
    });
    req.on('error', reject).end(JSON.stringify(body));
  });
}

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const signInButton = () => page.getByRole('button', { name: /Sign in to the Portal|Sign in again|Cancel sign-in/ });
const userCode = () => page.locator('.portal-sign-in output.user-code');

describe('Portal sign-in from the Customise step', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-ui-signin-'));
    await mkdir(SHOTS, { recursive: true });
    const rendererDir = join(dir, 'renderer');
    await build({ configFile: resolve('renderer/vite.config.ts'), logLevel: 'silent', build: { outDir: rendererDir, emptyOutDir: true } });
    image = join(dir, 'signin-test.img');
    await mbrImage(image, 8, 4);
    const ca = await throwawayCa(dir, '127.0.0.1');
    caCert = ca.caCert;
    portal = await startPortalContractServer({ tls: { key: ca.serverKey, cert: ca.serverCert }, interval: 1, identity: { userName: 'Ada Lovelace', orgIdentity: 'analytical-engines' } });
    // Trusted the way a user of a self-hosted Portal does it: extra-ca.pem in the app's config directory.
    await mkdir(join(dir, 'config'), { recursive: true });
    await writeFile(join(dir, 'config', EXTRA_CA_FILE), ca.caCert);
    const engine = createAppEngine({ launch: appWriterLaunch, configDir: join(dir, 'config'), fleetDir: join(dir, 'fleet') });
    shell = await startWebShell(rendererDir, { engine });
    browser = await launchChromium();
    page = await openPage(browser, { width: 1000, height: 900 });
    page.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/api/') && path !== '/api/events') void r.text().then((t) => apiBodies.push(t), () => undefined);
    });
    await page.goto(shell.url);
    await chooseLocalImage(page, image);
    await page.getByRole('button', { name: 'Next: Customise' }).click();
    await page.getByLabel('Hostname', { exact: true }).fill('signed-in-{nn}');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await shell?.close();
    await portal?.close();
    await loops.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('asks for the Portal URL first, and refuses a plain-http one beside the button', async () => {
    await signInButton().click();
    await expect.poll(() => page.locator('#portal-sign-in-error').textContent()).toContain('Enter the Portal URL first');
    await page.getByLabel('Portal URL').fill('http://127.0.0.1:9');
    await signInButton().click();
    await expect.poll(() => page.locator('#portal-sign-in-error').textContent()).toContain('https://');
    expect(await signInButton().getAttribute('aria-describedby')).toBe('portal-sign-in-error');
  });

  it('says so when the Portal cannot be reached', async () => {
    await page.getByLabel('Portal URL').fill('https://127.0.0.1:9');
    await signInButton().click();
    await expect.poll(() => page.locator('#portal-sign-in-error').textContent(), { timeout: 20_000 }).toMatch(/^Portal unreachable: the Portal at https:\/\/127\.0\.0\.1:9 did not answer/);
    await shot('signin-01-unreachable');
  });

  it('shows a denial beside the button, and can be cancelled', async () => {
    await page.getByLabel('Portal URL').fill(portal.origin);
    await signInButton().click();
    await userCode().waitFor();
    portal.deny((await userCode().textContent()) ?? '');
    await expect.poll(() => page.locator('#portal-sign-in-error').textContent(), { timeout: 20_000 }).toContain('denied on the Portal');
    await shot('signin-02-denied');

    await signInButton().click();
    await userCode().waitFor();
    await page.getByRole('button', { name: 'Cancel sign-in' }).click();
    await expect.poll(() => page.locator('.sign-in-status').textContent()).toBe('Sign-in cancelled.');
    expect(await userCode().count()).toBe(0);
    expect(await page.getByLabel('Enrollment token').inputValue()).toBe('');
  });

  it('shows the user code, its link and QR code, and once approved says each drive gets a token, leaving the field empty', async () => {
    await signInButton().click();
    await userCode().waitFor();
    const code = (await userCode().textContent()) ?? '';
    expect(code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    const link = page.locator('.portal-sign-in a');
    const href = (await link.getAttribute('href')) ?? '';
    expect(new URL(href).origin).toBe(portal.origin);
    expect(new URL(href).searchParams.get('user_code')).toBe(code);
    const qr = page.getByRole('img', { name: `QR code of the Portal link to approve code ${code}` });
    expect(await qr.isVisible()).toBe(true);
    // The SVG decoded into a picture, not a broken image (test code has no DOM types, hence the cast).
    await expect.poll(() => qr.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
    await shot('signin-03-awaiting');

    portal.approve(code);
    await expect.poll(() => page.locator('.sign-in-status').textContent(), { timeout: 20_000 }).toContain('Signed in as Ada Lovelace (analytical-engines)');
    expect(await page.locator('.sign-in-status').textContent()).toContain('gets an enrollment token of its own');
    // Nothing is minted until the flash knows its drives and their node ids; the field stays empty.
    expect(portal.issuedEnrollmentTokens).toEqual([]);
    expect(await page.getByLabel('Enrollment token').inputValue()).toBe('');
    await shot('signin-04-signed-in');

    // No access token is on the page or in any response.
    const text = await page.locator('main').innerText();
    for (const secret of portal.issuedAccessTokens()) {
      expect(text).not.toContain(secret);
      for (const body of apiBodies) expect(body).not.toContain(secret);
    }
  }, 60_000);

  it.skipIf(!root)('flashes two drives, each seeded with a token minted for its own node, which the Portal redeems once', async () => {
    await page.getByRole('button', { name: 'Next: Choose targets' }).click();
    const devices = [await loops.create(join(dir, 'target-1.img'), 128 * MiB), await loops.create(join(dir, 'target-2.img'), 128 * MiB)];
    for (const device of devices) await addTargetByPath(page, device);
    await page.getByRole('button', { name: /^Next: flash 2 drives/ }).click();
    await page.getByRole('heading', { name: 'Flash' }).waitFor();
    await page.getByRole('button', { name: 'Erase and flash' }).click();
    await page.locator('[data-outcome="succeeded"], [data-outcome="failed"]').waitFor({ timeout: 120_000 });
    await shot('signin-05-flashed');
    expect(await page.locator('.stage').getAttribute('data-outcome')).toBe('succeeded');

    expect(portal.issuedEnrollmentTokens).toHaveLength(2);
    const seeded: { token: string; nodeId: string }[] = [];
    for (const device of devices) {
      await sh('partx', ['-a', device]);
      const part = `${device}p2`;
      expect((await stat(part)).isBlockDevice()).toBe(true);
      const config = await sh('debugfs', ['-R', 'cat /macula/system/config.yaml', part]);
      await sh('partx', ['-d', device]).catch(() => undefined);
      expect(config).toContain(`url: ${portal.origin}`);
      const token = /enrollment_token: (\S+)/.exec(config)?.[1] ?? '';
      const nodeId = /node_id: (\S+)/.exec(config)?.[1] ?? '';
      expect(portal.mintedFor(token)?.nodeId).toBe(nodeId);
      seeded.push({ token, nodeId });
    }
    expect(new Set(seeded.map((s) => s.token)).size).toBe(2);
    // What each node will do on first boot: its own token is good, once, for the organisation that signed in.
    for (const { token, nodeId } of seeded) {
      const pair = await postJsonTrusting(portal.url(PORTAL_ENDPOINTS.pair.path), { enrollment_token: token, node_id: nodeId }, caCert);
      expect(pair.status).toBe(200);
      expect(pairResponseSchema.parse(pair.json)).toMatchObject({ org_identity: 'analytical-engines' });
    }
    // No token was ever on the page or in a response.
    const text = await page.locator('main').innerText();
    for (const { token } of seeded) {
      expect(text).not.toContain(token);
      for (const body of apiBodies) expect(body).not.toContain(token);
    }
  }, 180_000);
});
