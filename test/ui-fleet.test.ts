import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFlashedNode } from '../electron/engine/fleet/record-flashed-node';
import { expandSeeds } from '../shared/seed-batch';
import { parseSeedYaml, seedToYaml } from '../shared/seed-yaml';
import { type NsProcess, netnsUnavailable } from './helpers/netns';
import { type UiDesktop, fleetDirOf, startUiDesktop } from './helpers/ui-desktop';

/**
 * The Fleet view end to end, in Debian's Chromium against the real web server and engine, over a real network: the
 * real node agent in its own namespace advertises over mDNS; the web shell server, its discovery and the browser run
 * in the desktop's namespace, with the Portal contract server. Walk: open Fleet → the node flashed here appears,
 * known and unpaired → Pair → the user code and its QR code are shown → approve on the Portal → paired. Then an
 * impostor (the same node id, its own key and certificate) appears with the IMPOSTOR warning and no Pair button. And a
 * node not seeded here is adopted by the setup code its console shows, paired, and shown amber with its seed report.
 * Screenshots of every step go to test-artifacts/ui/fleet-*.png.
 *
 *   lan 10.77.6.0/24: desktop (web shell, Chromium, Portal) .1, node .11, impostor .12
 */

const skip = netnsUnavailable();
if (skip) console.warn(`ui-fleet: skipped — ${skip}`);

const SHOTS = resolve('test-artifacts/ui');
const DESKTOP = '10.77.6.1';
const PORTAL_PORT = 8781;
const API_PORT = 8443;
const HOSTNAME = 'ui-fleet-node';

let ui: UiDesktop;
let dir: string;
let fleetDir: string;
let page: Page;
const portalUrl = `http://${DESKTOP}:${PORTAL_PORT}`;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `fleet-${name}.png`), fullPage: true });
}

/** A seed as `macula flash` makes it (device flow: no enrollment token), recorded in the inventory unless `record` is false. */
async function flashedSeed(hostname: string, record = true): Promise<{ path: string; nodeId: string; key: string }> {
  const base = parseSeedYaml(`#cloud-config\nhostname: ${hostname}\nmaculaos:\n  timezone: UTC\n  portal:\n    url: https://portal.example.com\n`, 'test');
  const [seed] = expandSeeds(base, 1, { random: (n) => randomBytes(n) });
  const nodeId = seed?.maculaos.pairing?.node_id;
  const key = seed?.maculaos.pairing?.key;
  if (!seed || nodeId === undefined || key === undefined) throw new Error('no pairing in the expanded seed');
  const path = join(dir, `${hostname}-${nodeId.slice(0, 8)}.yaml`);
  await writeFile(path, seedToYaml(seed));
  if (record) await recordFlashedNode({ nodeId, hostname, imageName: 'maculaos-0.1.0-amd64.iso', imageSha256: '0'.repeat(64), seededAt: new Date(), pairingKey: key }, fleetDir);
  return { path, nodeId, key };
}

async function startAgent(ns: string, address: string, seed: string, stateDir: string): Promise<NsProcess> {
  const proc = ui.lab.spawnNode(ns, 'test/helpers/agent-host.ts', [JSON.stringify({ seed, stateDir, host: address, port: API_PORT, portalUrl })]);
  await proc.waitFor((l) => l.includes('"listening"'), 30_000);
  return proc;
}

/** The card of an advertisement, by node id and verdict. */
const card = (nodeId: string, verdict: 'known' | 'impostor' | 'unknown'): Locator => page.locator(`li.fleet-node[data-node-id="${nodeId}"][data-verdict="${verdict}"]`);

describe.skipIf(skip !== undefined)('browser shell: the Fleet view against the real agent across network namespaces', () => {
  let genuine: { path: string; nodeId: string; key: string };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-ui-fleet-'));
    fleetDir = fleetDirOf(dir);
    await mkdir(SHOTS, { recursive: true });
    genuine = await flashedSeed(HOSTNAME);
    // Flashed here, never booted: listed as not seen.
    await flashedSeed('ui-fleet-spare');
    ui = await startUiDesktop({ dir, suffix: 'ud', lan: 'ulan', address: DESKTOP, portalPort: PORTAL_PORT });
    page = ui.page;
  }, 120_000);

  afterAll(async () => {
    await ui?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows the node flashed here, pairs it with the user code and QR code, and ends paired', async () => {
    const started = Date.now();
    const nodeNs = ui.lab.addHost('un', [{ ifname: 'eth0', lan: 'ulan', cidr: '10.77.6.11/24' }]);
    await startAgent(nodeNs, '10.77.6.11', genuine.path, join(dir, 'state-node'));

    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Fleet' }).click();
    await page.getByRole('heading', { name: 'Fleet', level: 2 }).waitFor();
    const node = card(genuine.nodeId, 'known');
    await node.waitFor({ timeout: 30_000 });
    await expect.poll(() => node.locator('[data-testid="node-state"]').textContent()).toBe('unpaired');
    expect(await node.textContent()).toContain('10.77.6.11');
    expect(await node.getByRole('link', { name: /Open Console/ }).getAttribute('href')).toBe(`https://10.77.6.11:${API_PORT}/`);
    // The spare node was flashed here but never booted.
    await page.getByRole('list', { name: 'Nodes flashed here, not seen now' }).getByText('ui-fleet-spare').waitFor();
    await shot('01-discovered');

    await node.getByRole('button', { name: /^Pair/ }).click();
    const code = node.locator('.user-code');
    await code.waitFor({ timeout: 30_000 });
    const userCode = (await code.textContent()) ?? '';
    expect(userCode).toMatch(/^[\x21-\x7e]{4,32}$/);
    const qr = node.getByRole('img', { name: /QR code/ });
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml/);
    // The QR image really decoded and has its size (an SVG that failed to load has naturalWidth 0).
    await expect.poll(() => qr.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
    expect(await node.getByRole('link', { name: portalUrl }).getAttribute('href')).toContain(portalUrl);
    await expect.poll(() => node.locator('[data-testid="node-state"]').textContent()).toBe('pairing');
    await shot('02-user-code');

    const from = ui.portal.lines.length;
    ui.portal.write(`approve ${userCode}`);
    await ui.portal.waitFor((l) => l.includes('"approved"'), 10_000, from);
    await node.locator('.pair-status.paired').waitFor({ timeout: 30_000 });
    expect(await node.locator('.pair-status').textContent()).toMatch(/^Paired for .+ in .+\.$/);
    // The node itself re-announces `st=paired`, and the history from the inventory records it.
    await expect.poll(() => node.locator('[data-testid="node-state"]').textContent(), { timeout: 15_000 }).toBe('paired');
    await node.getByText(/^History/).click();
    await expect.poll(() => node.locator('.history tbody').textContent(), { timeout: 15_000 }).toContain('paired');
    expect(await page.content()).not.toContain(genuine.key);
    await shot('03-paired');
    console.log(`ui-fleet: Fleet → discovered → code shown → paired in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(await readFile(join(dir, 'state-node', 'credentials', 'portal.json'), 'utf8')).toContain('refresh_token');
  }, 120_000);

  it('shows an impostor of the paired node (same id, another key and certificate) as IMPOSTOR, without Pair', async () => {
    // Its own key (it never saw the seed's), and its own name: two responders cannot hold one mDNS name (RFC 6762 §9).
    const forged = (await readFile(genuine.path, 'utf8')).replace(genuine.key, randomBytes(32).toString('base64url')).replace(`hostname: ${HOSTNAME}\n`, 'hostname: ui-fleet-twin\n');
    expect(forged).toContain('hostname: ui-fleet-twin');
    const forgedPath = join(dir, 'forged.yaml');
    await writeFile(forgedPath, forged);
    const impostorNs = ui.lab.addHost('ux', [{ ifname: 'eth0', lan: 'ulan', cidr: '10.77.6.12/24' }]);
    await startAgent(impostorNs, '10.77.6.12', forgedPath, join(dir, 'state-impostor'));

    const impostor = card(genuine.nodeId, 'impostor');
    await impostor.waitFor({ timeout: 30_000 });
    const warning = impostor.getByRole('alert');
    expect(await warning.textContent()).toMatch(/IMPOSTOR.*certificate .* is not the one pinned/s);
    expect(await impostor.getByRole('button', { name: /Pair/ }).count()).toBe(0);
    expect(await impostor.getByRole('link', { name: /Open Console/ }).count()).toBe(0);
    expect(await impostor.textContent()).toContain('10.77.6.12');
    // The genuine node is still there and still paired, beside it.
    expect(await card(genuine.nodeId, 'known').locator('[data-testid="node-state"]').textContent()).toBe('paired');
    await impostor.scrollIntoViewIfNeeded();
    await shot('04-impostor');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('05-impostor-dark');
  }, 90_000);

  it('adopts a node not seeded here with the code from its console, pairs it, and shows it amber with its seed report', async () => {
    // Customised elsewhere (no pairing), and its applier found Wi-Fi it could not use.
    const seedPath = join(dir, 'adoptable.yaml');
    await writeFile(seedPath, '#cloud-config\nhostname: ui-adoptee\nmaculaos:\n  timezone: UTC\n');
    const reportPath = join(dir, 'adoptee-report.json');
    const report = { version: 1, applied_at: new Date().toISOString(), entries: [{ key: 'hostname', status: 'applied' }, { key: 'wifi', status: 'failed', reason: 'no firmware for brcmfmac' }] };
    await writeFile(reportPath, JSON.stringify(report));
    const ns = ui.lab.addHost('ua', [{ ifname: 'eth0', lan: 'ulan', cidr: '10.77.6.13/24' }]);
    const config = { seed: seedPath, seedReport: reportPath, stateDir: join(dir, 'state-adoptee'), host: '10.77.6.13', port: API_PORT, portalUrl };
    const agent = ui.lab.spawnNode(ns, 'test/helpers/agent-host.ts', [JSON.stringify(config)]);
    const nodeId = (JSON.parse(await agent.waitFor((l) => l.includes('"listening"'), 30_000)) as { nodeId: string }).nodeId;
    // What the node's console shows (agent-host prints it where main.ts prints it on a node).
    const codeLine = JSON.parse(await agent.waitFor((l) => l.includes('console_setup_code'), 10_000)) as { console_setup_code: { code: string } };

    const node = card(nodeId, 'unknown');
    await node.waitFor({ timeout: 30_000 });
    await expect.poll(() => node.locator('[data-testid="node-state"]').textContent()).toBe('unadopted');
    expect(await node.getByRole('button', { name: /^Pair/ }).count()).toBe(0);
    await node.getByLabel('Setup code on its console').fill(codeLine.console_setup_code.code.toLowerCase());
    await shot('06-adopt');
    await node.getByRole('button', { name: /^Adopt/ }).click();

    // Adopted, the node is known here: its card (now `known`) runs the pairing and shows the Portal's code.
    const known = card(nodeId, 'known');
    const userCode = known.locator('.user-code');
    await userCode.waitFor({ timeout: 45_000 });
    const from = ui.portal.lines.length;
    ui.portal.write(`approve ${(await userCode.textContent()) ?? ''}`);
    await ui.portal.waitFor((l) => l.includes('"approved"'), 10_000, from);
    await known.locator('.pair-status.paired').waitFor({ timeout: 30_000 });
    await expect.poll(() => known.locator('[data-testid="seed-report"]').textContent(), { timeout: 15_000 }).toBe('Seed: hostname ✓, wifi ✗ no firmware for brcmfmac');
    expect(await known.getAttribute('class')).toContain('amber');
    expect(await known.textContent()).toContain('adopted here');
    expect(await page.content()).not.toContain(codeLine.console_setup_code.code);
    await known.scrollIntoViewIfNeeded();
    await shot('07-adopted-amber');
  }, 150_000);
});
