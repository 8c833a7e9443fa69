import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Loops } from './helpers/loops';
import { netnsUnavailable } from './helpers/netns';
import { type UiDesktop, startUiDesktop } from './helpers/ui-desktop';
import { addTargetByPath, chooseLocalImage, mbrImage } from './helpers/ui-flash-kit';

/**
 * The "done when", in one walk through the browser shell (Debian's Chromium, the real web server and engine,
 * in a desktop network namespace): Choose OS (a local MBR image) → Customise (hostname, Portal URL) → Choose targets
 * (a loop device by path) → Flash → verified. Then the node "boots" from that stick: the real agent, in its own
 * namespace, reads its seed straight off the flashed loop device's MACULAOS_STATE partition. Fleet shows it known (the
 * flash recorded it in the shell's inventory) → Pair → user code → approved on the Portal → paired.
 * Screenshots: test-artifacts/ui/journey-*.png.
 *
 *   lan 10.77.7.0/24: desktop (web shell, Chromium, Portal) .1, node .11
 */

const skip = netnsUnavailable();
if (skip) console.warn(`ui-journey: skipped — ${skip}`);

const MiB = 1 << 20;
const SHOTS = resolve('test-artifacts/ui');
const DESKTOP = '10.77.7.1';
const NODE = '10.77.7.11';
const API_PORT = 8443;
const HOSTNAME = 'journey-node-1';
/** The seed needs an https Portal; the agent host points the node at the contract server instead (as ui-fleet does). */
const SEED_PORTAL = 'https://portal.example.com';

let dir: string;
let ui: UiDesktop;
let page: Page;
let image: string;
let device: string;
const loops = new Loops();

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `journey-${name}.png`), fullPage: true });
}

const card = (nodeId: string): Locator => page.locator(`li.fleet-node[data-node-id="${nodeId}"][data-verdict="known"]`);

describe.skipIf(skip !== undefined)('browser shell: from Choose OS to a paired node', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-ui-journey-'));
    await mkdir(SHOTS, { recursive: true });
    image = join(dir, 'journey.img');
    await mbrImage(image);
    device = await loops.create(join(dir, 'stick.img'), 128 * MiB);
    ui = await startUiDesktop({ dir, suffix: 'jd', lan: 'jlan', address: DESKTOP, portalPort: 8782 });
    page = ui.page;
  }, 120_000);

  afterAll(async () => {
    await ui?.close();
    await loops.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('chooses, customises, flashes, boots the node from the stick and pairs it', async () => {
    const started = Date.now();
    await shot('01-choose-os');
    await chooseLocalImage(page, image);
    await shot('02-image-chosen');
    await page.getByRole('button', { name: 'Next: Customise' }).click();

    await page.getByLabel('Hostname', { exact: true }).fill(HOSTNAME);
    await page.getByLabel('Portal URL').fill(SEED_PORTAL);
    await shot('03-customise');
    await page.getByRole('button', { name: 'Next: Choose targets' }).click();

    await addTargetByPath(page, device);
    await shot('04-target');
    await page.getByRole('button', { name: /^Next: Flash/ }).click();
    await page.getByRole('heading', { name: 'Flash' }).waitFor();
    await page.getByRole('button', { name: 'Erase and flash' }).click();
    await page.locator('[data-outcome="succeeded"], [data-outcome="failed"], [data-outcome="cancelled"]').waitFor({ timeout: 120_000 });
    await shot('05-flashed');
    expect(await page.locator('.stage').getAttribute('data-outcome')).toBe('succeeded');
    const result = (await page.locator('.target-progress').textContent()) ?? '';
    expect(result).toContain('Written and verified');
    expect(result).toContain('recorded in the fleet inventory');
    const nodeId = /Node id\s*([0-9a-f-]{36})/.exec(result)?.[1];
    expect(nodeId).toBeDefined();
    if (nodeId === undefined) return;
    const flashed = Date.now();

    // The node boots from the stick: the agent reads MACULAOS_STATE straight off the flashed loop device.
    const nodeNs = ui.lab.addHost('jn', [{ ifname: 'eth0', lan: 'jlan', cidr: `${NODE}/24` }]);
    const config = { seed: device, stateDir: join(dir, 'state-node'), host: NODE, port: API_PORT, portalUrl: ui.portalUrl };
    const agent = ui.lab.spawnNode(nodeNs, 'test/helpers/agent-host.ts', [JSON.stringify(config)]);
    const listening = JSON.parse(await agent.waitFor((l) => l.includes('"listening"'), 30_000)) as { nodeId: string };
    expect(listening.nodeId).toBe(nodeId);

    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Fleet' }).click();
    const node = card(nodeId);
    await node.waitFor({ timeout: 30_000 });
    await expect.poll(() => node.locator('[data-testid="node-state"]').textContent()).toBe('unpaired');
    expect(await node.textContent()).toContain(HOSTNAME);
    expect(await node.textContent()).toContain(NODE);
    await shot('06-fleet-known');

    await node.getByRole('button', { name: /^Pair/ }).click();
    const code = node.locator('.user-code');
    await code.waitFor({ timeout: 30_000 });
    const userCode = (await code.textContent()) ?? '';
    expect(userCode).toMatch(/^[\x21-\x7e]{4,32}$/);
    await shot('07-user-code');

    const from = ui.portal.lines.length;
    ui.portal.write(`approve ${userCode}`);
    await ui.portal.waitFor((l) => l.includes('"approved"'), 10_000, from);
    await node.locator('.pair-status.paired').waitFor({ timeout: 30_000 });
    await expect.poll(() => node.locator('[data-testid="node-state"]').textContent(), { timeout: 15_000 }).toBe('paired');
    await shot('08-paired');
    const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
    console.log(`ui-journey: Choose OS → verified in ${s(flashed - started)}, → paired in ${s(Date.now() - started)}`);
  }, 240_000);
});
