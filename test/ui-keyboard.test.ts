import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openPage } from './helpers/browser';
import { build } from 'vite';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WebShell, startWebShell } from '../electron/web/web-server';
import { Loops } from './helpers/loops';
import { BlkioThrottle, mbrImage } from './helpers/ui-flash-kit';

/**
 * The flash wizard with the keyboard alone (Tab, Shift+Tab, Enter, Space, arrow keys — the mouse never moves):
 * Choose OS → Customise → Choose targets → Flash onto a throttled loop device. Every control focus reaches must show
 * a visible focus ring and have an accessible name (from the accessibility tree, as a screen reader gets it); moving
 * to the next step puts focus on that step's heading; and the Flash step's progress area keeps its height while the
 * numbers change, so nothing on the page jumps. Screenshots go to test-artifacts/ui/.
 */

const root = process.getuid?.() === 0;
if (!root) console.warn('ui-keyboard: skipped — needs root for the loop device it flashes');

const MiB = 1 << 20;
const SHOTS = resolve('test-artifacts/ui');

let dir: string;
let shell: WebShell;
let browser: Browser;
let page: Page;
let device: string;
let image: string;
const loops = new Loops();
const throttle = new BlkioThrottle();

/** One stop of the focus: its role and accessible name (aria snapshot), and how its focus is drawn. */
interface Stop {
  readonly role: string;
  readonly name: string;
  readonly focusVisible: boolean;
  readonly outline: string;
}
const reached: Stop[] = [];

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

/** The focused element as the accessibility tree names it, and whether its focus ring is drawn. */
async function focused(attempt = 0): Promise<Stop | undefined> {
  const style = (await page.evaluate(`(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const cs = getComputedStyle(el);
    return { focusVisible: el.matches(':focus-visible'), outline: cs.outlineStyle + ' ' + cs.outlineWidth };
  })()`)) as { focusVisible: boolean; outline: string } | null;
  if (!style) return undefined;
  // YAML: `- button "Add"`, `- 'button "Next: Customise"'`, `- textbox "Hostname": value`; no quotes = no name.
  const snapshot = parseYaml(await page.locator(':focus').ariaSnapshot({ timeout: 5000 })) as unknown[] | null;
  // Empty while React swaps the focused control out (a step change moves focus on its next render): look again.
  if (!Array.isArray(snapshot) || snapshot.length === 0) {
    if (attempt >= 20) throw new Error('the focused element has no accessibility snapshot');
    await new Promise((r) => setTimeout(r, 50));
    return focused(attempt + 1);
  }
  const [entry] = snapshot;
  const line = typeof entry === 'string' ? entry : Object.keys(entry ?? {})[0] ?? '';
  const match = /^(\w+)(?: "((?:[^"\\]|\\.)*)")?/.exec(line);
  return { role: match?.[1] ?? '?', name: match?.[2] ?? '', ...style };
}

/** Presses `key` and records (and checks) where focus went. */
async function press(key: string): Promise<Stop | undefined> {
  await page.keyboard.press(key);
  const stop = await focused();
  if (stop) reached.push(stop);
  return stop;
}

/** Tabs (or Shift+Tabs) until the focused control matches; every stop on the way is recorded. */
async function tabTo(role: string, name: RegExp, key = 'Tab', max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    const stop = await press(key);
    if (stop?.role === role && name.test(stop.name)) return;
  }
  throw new Error(`${key} never reached ${role} ${name}; last stops: ${JSON.stringify(reached.slice(-6))}`);
}

/** Where the app itself moved focus (its control went away): it must land on `role` `name`, and is recorded too. */
async function expectFocusMovedTo(role: string, name: string): Promise<void> {
  await expect.poll(async () => { const s = await focused(); return s && `${s.role} ${s.name}`; }).toBe(`${role} ${name}`);
  const stop = await focused();
  if (stop) reached.push(stop);
}

/** After a step change, focus must sit on the new step's heading, so the next Tab starts in that step. */
async function expectStepHeading(name: string): Promise<void> {
  await page.getByRole('heading', { name, level: 2 }).waitFor();
  await expectFocusMovedTo('heading', name);
}

describe.skipIf(!root)('the flash wizard by keyboard alone', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-ui-keyboard-'));
    await mkdir(SHOTS, { recursive: true });
    const rendererDir = join(dir, 'renderer');
    await build({ configFile: resolve('renderer/vite.config.ts'), logLevel: 'silent', build: { outDir: rendererDir, emptyOutDir: true } });
    image = join(dir, 'keyboard-test.img');
    await mbrImage(image);
    device = await loops.create(join(dir, 'target.img'), 128 * MiB);
    // Slow enough that the progress area updates many times while it is measured.
    await throttle.set(device, 8 * MiB, 24 * MiB);
    shell = await startWebShell(rendererDir);
    browser = await launchChromium();
    page = await openPage(browser, { width: 1000, height: 800 });
    await page.goto(shell.url);
    await page.getByRole('heading', { name: 'Choose OS' }).waitFor();
    await page.getByRole('list').first().waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await shell?.close();
    await throttle.clear();
    await loops.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('walks Choose OS → Customise → Choose targets → Flash with the keyboard, every stop named and visibly focused', async () => {
    // Choose OS: a local image by path, submitted with Enter.
    await tabTo('textbox', /^Image file path/);
    await page.keyboard.type(image);
    await press('Enter');
    await page.locator('.chosen').waitFor();
    await tabTo('button', /^Next: Customise$/);
    await shot('keyboard-01-choose-os');
    await press('Enter');

    // Customise: arrow keys move within the radio group; Tab walks every field to the Next button.
    await expectStepHeading('Customise');
    await tabTo('radio', /^Customise the node/);
    await press('ArrowDown');
    await expect.poll(() => page.getByLabel('Hostname', { exact: true }).count()).toBe(0);
    expect((await focused())?.name).toMatch(/^No customisation/);
    await press('ArrowUp');
    await page.getByLabel('Hostname', { exact: true }).waitFor();
    await tabTo('textbox', /^Hostname$/);
    await page.keyboard.type('kb-node-1');
    // A field with suggestions (a datalist) is a combobox to assistive technology.
    await tabTo('combobox', /^Time zone$/);
    await page.keyboard.type('UTC');
    await tabTo('button', /^Sign in to the Portal$/);
    await shot('keyboard-02-customise-focus');
    await tabTo('button', /^Next: Choose targets$/);
    await press('Enter');

    // Choose targets: add the loop device by path (Enter), back up to its checkbox (Shift+Tab), tick it (Space).
    await expectStepHeading('Choose targets');
    await tabTo('textbox', /^Add a target by path/);
    await page.keyboard.type(device);
    await press('Enter');
    const row = page.getByRole('checkbox', { name: new RegExp(device.replace(/\//g, '\\/')) });
    await row.waitFor();
    await tabTo('checkbox', new RegExp(device.replace(/\//g, '\\/')), 'Shift+Tab');
    await press('Space');
    expect(await row.isChecked()).toBe(true);
    await tabTo('button', /^Next: Flash$/);
    await shot('keyboard-03-targets');
    await press('Enter');

    // Flash: Enter on "Erase and flash"; focus goes to Cancel (its button vanished), and stays put to the end.
    await expectStepHeading('Flash');
    await tabTo('button', /^Erase and flash$/);
    // The progress area's height at every change while the flash runs, and how many times its numbers changed.
    await page.evaluate(`(() => {
      const heights = (window.progressHeights = []);
      const texts = (window.progressTexts = new Set());
      new MutationObserver(() => {
        const area = document.querySelector('.flash-progress');
        const stage = document.querySelector('.flash-progress .stage');
        if (!area || !stage || stage.getAttribute('data-outcome') !== 'running') return;
        heights.push(area.getBoundingClientRect().height);
        texts.add(area.textContent);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    })()`);
    await press('Enter');
    await page.locator('[data-phase="writing"]').waitFor({ timeout: 30_000 });
    await expectFocusMovedTo('button', 'Cancel');
    await expect.poll(async () => Number((await page.locator('.target-progress .pct').textContent())?.replace('%', '')) || 0, { timeout: 30_000 }).toBeGreaterThan(0);
    await shot('keyboard-04-flashing');
    await page.locator('[data-outcome="succeeded"], [data-outcome="failed"]').waitFor({ timeout: 180_000 });
    expect(await page.locator('.stage').getAttribute('data-outcome')).toBe('succeeded');
    await shot('keyboard-05-done');
    await expectFocusMovedTo('button', 'Flash more drives');

    const heights = (await page.evaluate('window.progressHeights')) as number[];
    const updates = (await page.evaluate('window.progressTexts.size')) as number;
    // The progress really updated many times while measured, and the area never changed height.
    expect(updates).toBeGreaterThan(5);
    expect([...new Set(heights)]).toEqual([heights[0]]);

    // Every stop: a name a screen reader can say, and a focus ring a sighted keyboard user can see.
    expect(reached.length).toBeGreaterThan(20);
    const unnamed = reached.filter((s) => s.name.trim() === '');
    const invisible = reached.filter((s) => !s.focusVisible || s.outline.startsWith('none') || s.outline.endsWith(' 0px'));
    expect(unnamed, 'controls without an accessible name').toEqual([]);
    expect(invisible, 'controls without a visible focus ring').toEqual([]);
    console.log(`ui-keyboard: ${reached.length} focus stops, ${new Set(reached.map((s) => `${s.role} ${s.name}`)).size} distinct; progress changed ${updates} times at ${heights[0]} px`);
  }, 300_000);
});
