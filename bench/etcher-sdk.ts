import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** etcher-sdk, installed for the benchmark only (never a dependency of the product), or why it is not there. */
export type EtcherSdk = { readonly ok: true; readonly prefix: string; readonly version: string } | { readonly ok: false; readonly why: string };

/** The few lines of an install's output that say what went wrong. */
function tail(err: unknown): string {
  const e = err as { stderr?: unknown; message?: unknown };
  const text = typeof e.stderr === 'string' && e.stderr.trim() !== '' ? e.stderr : String(e.message ?? err);
  return text.trim().split('\n').slice(-6).join('\n    ');
}

/**
 * Installs etcher-sdk 10 under `prefix` on first use (`npm install --prefix`), with the override it needs to install at
 * all (unbzip2-stream 1.4.3, see ARCHITECTURE.md), and checks that it loads.
 */
export function ensureEtcherSdk(prefix: string): EtcherSdk {
  const entry = join(prefix, 'node_modules', 'etcher-sdk');
  try {
    if (!existsSync(join(entry, 'package.json'))) {
      console.log(`installing etcher-sdk@10 into ${prefix} (benchmark only)…`);
      mkdirSync(prefix, { recursive: true });
      const manifest = { name: 'macula-bench-etcher-sdk', private: true, overrides: { 'unbzip2-stream': '1.4.3' } };
      writeFileSync(join(prefix, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      execFileSync('npm', ['install', '--prefix', prefix, 'etcher-sdk@10', '--no-audit', '--no-fund'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    }
    execFileSync('node', ['-e', `require(${JSON.stringify(entry)}).multiWrite.pipeSourceToDestinations`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const { version } = JSON.parse(readFileSync(join(entry, 'package.json'), 'utf8')) as { version: string };
    return { ok: true, prefix, version };
  } catch (err) {
    return { ok: false, why: tail(err) };
  }
}
