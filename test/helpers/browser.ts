import { type Browser, type Page, chromium } from 'playwright-core';

/**
 * Debian's Chromium as every UI test starts it. Without the background-networking flags Chromium keeps trying
 * Google's hosts, which this machine's closed network refuses many times a second.
 */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Headless Chromium; `executablePath` may be a wrapper (e.g. one that enters a network namespace). */
export function launchChromium(executablePath = '/usr/bin/chromium'): Promise<Browser> {
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

/** A page of `viewport` whose script errors are printed (a broken renderer shows in the test log, not only as a timeout). */
export async function openPage(browser: Browser, viewport: { width: number; height: number }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  return page;
}
