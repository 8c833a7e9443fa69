import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFlashedNode } from '../electron/engine/fleet/record-flashed-node';
import { type TxtRecord, encodeTxtRecord } from '../shared/fleet/txt-record';
import { launchChromium } from './helpers/browser';
import { sh } from './helpers/loops';
import { NetnsLab, type NsProcess, netnsUnavailable } from './helpers/netns';
import { type PreloadedApp, openPreloadedApp } from './helpers/preloaded-page';
import { addTargetByPath, chooseLocalImage } from './helpers/ui-flash-kit';

/**
 * The renderer as Electron runs it (issue 18): the real preload in the page, behind a contextBridge that copies like
 * Electron's (an Error crosses as its message alone), over a stand-in for main with the real engine. An engine refusal
 * must reach the UI whole: a seed refused for the chosen target is shown beside its field, and a refused pairing shows
 * its own code, not ERR_INTERNAL. Under the browser shell (HTTP) both always worked; Electron's bridge hid the loss.
 *
 *   lan 10.77.18.0/24: desktop (main stand-in) .1, node (its mDNS advertisement, an API that never answers) .11
 */

const skip = netnsUnavailable();
if (skip) console.warn(`ui-electron-bridge: skipped — ${skip}`);

const SHOTS = resolve('test-artifacts/ui');
const NODE = '10.77.18.11';
const API_PORT = 8443;
const MiB = 1 << 20;

let dir: string;
let lab: NetnsLab;
let main: NsProcess;
let browser: Browser;
let app: PreloadedApp;
let page: Page;

/** The text of the error element a control's aria-describedby points at, or undefined when it has none. */
async function errorOf(id: string): Promise<string | undefined> {
  const ids = ((await page.locator(`#${id}`).getAttribute('aria-describedby')) ?? '').split(/\s+/).filter(Boolean);
  for (const described of ids) {
    const [text] = await page.locator(`[id="${described}"].field-error`).allTextContents();
    if (text !== undefined) return text;
  }
  return undefined;
}

/** TXT key/value pairs of a node's advertisement, in order (txtvers first). */
function txtPairs(record: TxtRecord): Array<[string, string]> {
  return encodeTxtRecord(record).map((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)]);
}

describe.skipIf(skip !== undefined)('the renderer behind a contextBridge-like preload', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-ui-bridge-'));
    await mkdir(SHOTS, { recursive: true });
    const rendererDir = join(dir, 'renderer');
    await build({ configFile: resolve('renderer/vite.config.ts'), logLevel: 'silent', build: { outDir: rendererDir, emptyOutDir: true } });
    lab = new NetnsLab();
    const desktop = lab.addHost('bd', [{ ifname: 'eth0', lan: 'blan', cidr: '10.77.18.1/24' }]);
    main = lab.spawnNode(desktop, 'test/helpers/electron-main-host.ts', [], { MACULA_FLEET_DIR: join(dir, 'fleet'), MACULA_CONFIG_DIR: join(dir, 'config') });
    await main.waitFor((l) => l.includes('"ready"'), 30_000);
    browser = await launchChromium();
    app = await openPreloadedApp(browser, rendererDir, main);
    page = app.page;
    await page.getByRole('heading', { name: 'Choose OS' }).waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows a seed the engine refuses for the chosen target beside its field, back in Customise', async () => {
    const image = join(dir, 'bridge.img');
    await sh('truncate', ['-s', '4M', image]);
    await sh('sh', ['-c', `printf 'label: dos\\nstart=2048, type=83\\n' | sfdisk -q "$1"`, 'sh', image]);
    // A regular file as the target: it has no serial number, so `{serial}` cannot be expanded for it.
    const target = join(dir, 'target.img');
    await writeFile(target, '');
    await truncate(target, 64 * MiB);

    await chooseLocalImage(page, image);
    await page.getByRole('button', { name: 'Next: Customise' }).click();
    await page.getByLabel('Hostname', { exact: true }).fill('edge-{serial}');
    await page.getByLabel('Time zone', { exact: true }).fill('Europe/Berlin');
    await page.getByRole('button', { name: 'Next: Choose targets' }).click();
    await addTargetByPath(page, target);
    await page.getByRole('button', { name: 'Next: Flash' }).click();
    await page.getByRole('button', { name: 'Erase and flash' }).click();

    await page.getByRole('heading', { name: 'Customise' }).waitFor();
    await expect.poll(() => errorOf('hostname')).toMatch(/\{serial\}.*no serial number/);
    expect(await page.getByLabel('Hostname', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await errorOf('timezone')).toBeUndefined();
    await page.screenshot({ path: join(SHOTS, 'bridge-seed-refused.png'), fullPage: true });
  }, 60_000);

  it('shows a refused pairing with its own code, not ERR_INTERNAL', async () => {
    const nodeId = randomUUID();
    await recordFlashedNode(
      { nodeId, hostname: 'bridge-node', imageName: 'maculaos-0.1.0-amd64.iso', imageSha256: '0'.repeat(64), seededAt: new Date(), pairingKey: randomBytes(32).toString('base64url') },
      join(dir, 'fleet'),
    );
    const nodeNs = lab.addHost('bn', [{ ifname: 'eth0', lan: 'blan', cidr: `${NODE}/24` }]);
    const tarpit = lab.spawnNode(nodeNs, 'test/helpers/tls-tarpit.ts', [NODE, String(API_PORT)]);
    await tarpit.waitFor((l) => l === 'listening', 30_000);
    const record: TxtRecord = { nodeId, state: 'unpaired', fingerprint: randomBytes(32).toString('base64url'), osVersion: '0.1.0', arch: 'amd64', meshRoles: [], apiPort: API_PORT };
    const publisher = lab.spawnNode(nodeNs, 'test/helpers/mdns-publisher.ts', [
      JSON.stringify({ name: 'bridge-node', host: 'bridge-node.local', port: API_PORT, txt: txtPairs(record), ttl: 30, addresses: [NODE] }),
    ]);
    await publisher.waitFor((l) => l === 'ready', 30_000);

    // Another request of the app pairs the node first, while the Fleet view is closed (its events reach no one); its
    // handshake never ends, so the node stays being paired.
    const first = (await app.invoke('fleet.pair', { nodeId })) as { ok: boolean };
    expect(first.ok).toBe(true);

    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Fleet' }).click();
    const card = page.locator(`li.fleet-node[data-node-id="${nodeId}"][data-verdict="known"]`);
    await card.waitFor({ timeout: 30_000 });
    await card.getByRole('button', { name: /^Pair/ }).click();
    const status = card.locator('.pair-status.failed');
    await status.waitFor({ timeout: 15_000 });
    expect(await status.textContent()).toContain('is being paired already');
    expect(await status.locator('.code').textContent()).toBe('(ERR_USAGE)');
    await page.screenshot({ path: join(SHOTS, 'bridge-pair-refused.png'), fullPage: true });
  }, 90_000);
});
