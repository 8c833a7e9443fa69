import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** Starts one worker thread. */
export type WorkerLauncher = () => Worker;

/** URL of tsx's ESM register API (its CJS build cannot register ESM hooks), if tsx is installed. */
function tsxEsmApiUrl(): string | undefined {
  try {
    const manifestPath = createRequire(import.meta.url).resolve('tsx/package.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { exports?: Record<string, { import?: { default?: string } }> };
    const entry = manifest.exports?.['./esm/api']?.import?.default;
    return entry === undefined ? undefined : pathToFileURL(join(dirname(manifestPath), entry)).href;
  } catch {
    return undefined;
  }
}

/**
 * How to start the worker module `name` that sits next to the caller (`callerUrl` = the caller's import.meta.url):
 * the sibling `name.js` that the esbuild bundle ships beside itself, else the `name.ts` source through tsx (Vitest,
 * `tsx` runs). Node 20 does not apply `execArgv: ['--import', 'tsx']` loader hooks inside worker threads, so tsx is
 * registered from a small eval bootstrap instead. Undefined when neither is available (callers then work inline).
 */
export function workerLauncher(name: string, callerUrl: string): WorkerLauncher | undefined {
  const js = new URL(`./${name}.js`, callerUrl);
  if (js.protocol === 'file:' && existsSync(fileURLToPath(js))) return () => new Worker(js);
  const ts = new URL(`./${name}.ts`, callerUrl);
  if (ts.protocol !== 'file:' || !existsSync(fileURLToPath(ts))) return undefined;
  const tsxApi = tsxEsmApiUrl();
  if (tsxApi === undefined) return undefined;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(ts.href)}); });`;
  return () => new Worker(bootstrap, { eval: true });
}
