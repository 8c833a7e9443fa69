import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openPage } from './browser';
import { build } from 'vite';
import { NetnsLab, type NsProcess } from './netns';

/**
 * The desktop of the browser-shell UI tests that need a network: a namespace holding the Portal contract server, the
 * web shell server (real engine, its fleet inventory in DIR/fleet, its settings in DIR/config) and Debian's Chromium
 * driven by Playwright, so the shell's mDNS discovery hears the nodes the test starts in other namespaces of the lab.
 * `close()` ends the browser and everything the lab started, and removes its namespaces.
 */

export interface UiDesktopOptions {
  /** A scratch directory the test owns (removed by the test). */
  readonly dir: string;
  /** Namespace suffix of the desktop host, unique per test file. */
  readonly suffix: string;
  /** The LAN (bridge) name and the desktop's address on it, `/24`. */
  readonly lan: string;
  readonly address: string;
  readonly portalPort: number;
  readonly viewport?: { readonly width: number; readonly height: number };
}

export interface UiDesktop {
  readonly lab: NetnsLab;
  readonly ns: string;
  readonly fleetDir: string;
  readonly configDir: string;
  /** The Portal contract server's origin (plain http, inside the lab) and its process (stdin: `approve CODE`). */
  readonly portalUrl: string;
  readonly portal: NsProcess;
  readonly browser: Browser;
  readonly page: Page;
  close(): Promise<void>;
}


/** `fleetDir` of a desktop made in `dir`, for tests that record nodes before the shell starts. */
export const fleetDirOf = (dir: string): string => join(dir, 'fleet');

export async function startUiDesktop(o: UiDesktopOptions): Promise<UiDesktop> {
  const fleetDir = fleetDirOf(o.dir);
  const configDir = join(o.dir, 'config');
  const rendererDir = join(o.dir, 'renderer');
  await mkdir(configDir, { recursive: true });
  await build({ configFile: resolve('renderer/vite.config.ts'), logLevel: 'silent', build: { outDir: rendererDir, emptyOutDir: true } });

  const lab = new NetnsLab();
  let browser: Browser | undefined;
  try {
    const ns = lab.addHost(o.suffix, [{ ifname: 'eth0', lan: o.lan, cidr: `${o.address}/24` }]);
    const portal = lab.spawnNode(ns, 'test/helpers/portal-host.ts', [o.address, String(o.portalPort)]);
    await portal.waitFor((l) => l.includes('"origin"'), 30_000);
    const server = lab.spawnNode(ns, 'test/helpers/web-shell-host.ts', [rendererDir], { MACULA_FLEET_DIR: fleetDir, MACULA_CONFIG_DIR: configDir });
    const url = (JSON.parse(await server.waitFor((l) => l.includes('"url"'), 30_000)) as { url: string }).url;

    // Chromium in the desktop's namespace too (127.0.0.1 there is the web shell); Playwright drives it over a pipe.
    const wrapper = join(o.dir, 'chromium-in-netns');
    await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} /usr/bin/chromium "$@"\n`);
    await chmod(wrapper, 0o755);
    browser = await launchChromium(wrapper);
    const page = await openPage(browser, o.viewport ?? { width: 1000, height: 900 });
    await page.goto(url);
    await page.getByRole('heading', { name: 'Choose OS' }).waitFor();
    const opened = browser;
    return {
      lab,
      ns,
      fleetDir,
      configDir,
      portalUrl: `http://${o.address}:${o.portalPort}`,
      portal,
      browser: opened,
      page,
      close: async () => {
        await opened.close();
        await lab.destroy();
      },
    };
  } catch (err) {
    await browser?.close();
    await lab.destroy();
    throw err;
  }
}
