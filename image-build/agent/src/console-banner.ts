import { execFile } from 'node:child_process';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { lanAddresses } from './os-facts';
import { type BannerFacts, consoleBanner } from './welcome-banner';

/**
 * The welcome banner on every console, kept current. The agent's own output reaches only the kernel's last `console=`
 * (ttyS0 on the ISO, not the PC's screen), so the banner goes where every login prompt reads it: an agetty issue file
 * (agetty(8), ISSUE FILES), linked from /etc/issue.d by the image (image-build/steps/root.sh), shown above `login:` on
 * tty1 and on the serial console alike. After each change `agetty --reload` has the waiting prompts print it again.
 * It is rewritten when the pairing state changes (`refresh`) and when the node's addresses do (polled).
 */

export const DEFAULT_ISSUE_FILE = '/run/maculaos/welcome.issue';

export interface ConsoleBannerOptions {
  /** The issue file to write (an agetty issue file: `\` escapes are agetty's, so the text's own are doubled). */
  readonly issuePath: string;
  /** The banner's facts for the addresses the node has now. */
  readonly facts: (addresses: readonly string[]) => BannerFacts;
  readonly addresses?: () => string[];
  /** Has the consoles show the new file (default `agetty --reload`; nothing happens where no agetty runs). */
  readonly reload?: () => Promise<void>;
  /** Between two looks at the addresses. */
  readonly pollMs?: number;
  readonly onError?: (err: unknown) => void;
}

export interface ConsoleBanner {
  /** Writes the banner again if it changed; resolves once it is written and the consoles were told. */
  refresh(): Promise<void>;
  close(): void;
}

/** agetty reads `\x` as an escape (`\n` the host name, `\4` an address): a backslash of ours must stay one. */
export function issueText(banner: string): string {
  return `${banner.replaceAll('\\', '\\\\')}\n\n`;
}

function agettyReload(): Promise<void> {
  return new Promise((resolve) => {
    execFile('agetty', ['--reload'], () => resolve());
  });
}

export function startConsoleBanner(options: ConsoleBannerOptions): ConsoleBanner {
  const addresses = options.addresses ?? lanAddresses;
  const reload = options.reload ?? agettyReload;
  let seen = addresses();
  let written: string | undefined;
  // One write at a time, in order: a quick idle → redeeming → paired never leaves an older banner last.
  let queue = Promise.resolve();

  const write = async (): Promise<void> => {
    const text = issueText(await consoleBanner(options.facts(seen)));
    if (text === written) return;
    const temp = `${options.issuePath}.tmp`;
    await mkdir(dirname(options.issuePath), { recursive: true });
    // Written beside and renamed: agetty never reads half a banner. The device-flow code is for whoever is at the
    // node's console (not a network secret), but the file is root's alone all the same, like the console.
    await writeFile(temp, text, { mode: 0o600 });
    await rename(temp, options.issuePath);
    written = text;
    await reload();
  };
  const refresh = (): Promise<void> => {
    queue = queue.then(write).catch((err: unknown) => options.onError?.(err));
    return queue;
  };
  const timer = setInterval(() => {
    const now = addresses();
    if (now.join(',') === seen.join(',')) return;
    seen = now;
    void refresh();
  }, options.pollMs ?? 2_000);
  timer.unref();
  void refresh();
  return {
    refresh,
    close: () => clearInterval(timer),
  };
}
