import { readFile, readdir } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MaculaBridge } from '../shared/ipc-contract';
import { EVENT_CHANNEL } from '../shared/ipc-contract';
import { INVOKE_CHANNEL } from '../electron/preload/invoke-channel';

/**
 * What crosses into the renderer, checked on the built artefacts (issue 6): the renderer bundle imports nothing from
 * Node or Electron, and the preload exposes nothing but the one bridge, `window.macula`.
 */
const root = new URL('..', import.meta.url).pathname;
const NODE_OR_ELECTRON = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`), 'electron']);
const isNodeOrElectron = (spec: string): boolean => NODE_OR_ELECTRON.has(spec) || spec.startsWith('node:') || spec.startsWith('electron/');

// Every member of MaculaBridge, and nothing else (the type check fails when the interface gains or loses one).
const BRIDGE_KEYS = ['invoke', 'onEvent', 'pathForFile'] as const satisfies readonly (keyof MaculaBridge)[];
type Missing = Exclude<keyof MaculaBridge, (typeof BRIDGE_KEYS)[number]>;
const _allKeys: [Missing] extends [never] ? true : Missing = true;

beforeAll(async () => {
  // `npm run build` output is what ships; build only when it is missing so the suite also runs on a clean checkout.
  const { existsSync } = await import('node:fs');
  if (!existsSync(join(root, 'dist/electron/preload.cjs')) || !existsSync(join(root, 'dist/renderer/index.html'))) {
    const { execFileSync } = await import('node:child_process');
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
  }
}, 120_000);

/**
 * Every import (static, dynamic, require) of a built file, as esbuild's parser sees it: a regular expression over
 * minified code also matches strings and member names that merely look like imports.
 */
async function importsOf(file: string): Promise<string[]> {
  const specifiers: string[] = [];
  await build({
    entryPoints: [file],
    bundle: true,
    write: false,
    logLevel: 'silent',
    outdir: '/tmp/macula-renderer-imports',
    plugins: [
      {
        name: 'record-imports',
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) => {
            if (args.kind === 'entry-point') return undefined;
            specifiers.push(args.path);
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  return specifiers;
}

describe('renderer bundle', () => {
  it('resolves no Node built-in and no Electron module (esbuild metafile, platform browser)', async () => {
    const reached: string[] = [];
    const result = await build({
      entryPoints: [join(root, 'renderer/src/main.tsx')],
      bundle: true,
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'silent',
      outdir: '/tmp/macula-renderer-check',
      plugins: [
        {
          name: 'record-node-and-electron',
          setup(b) {
            b.onResolve({ filter: /.*/ }, (args) => {
              if (!isNodeOrElectron(args.path)) return undefined;
              reached.push(`${args.path} (from ${args.importer.replace(root, '')})`);
              return { path: args.path, external: true };
            });
          },
        },
      ],
    });
    expect(reached).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((i) => i.startsWith('renderer/'))).toBe(true);
    expect(inputs.filter((i) => /^(electron|test)\/|node_modules\/electron\//.test(i))).toEqual([]);
  });

  it("Vite's output imports nothing but its own chunks", async () => {
    const assets = join(root, 'dist/renderer/assets');
    const files = (await readdir(assets)).filter((f) => f.endsWith('.js'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const specifiers = await importsOf(join(assets, file));
      expect(specifiers.filter((s) => !s.startsWith('./') && !s.startsWith('../')), file).toEqual([]);
      expect(specifiers.filter(isNodeOrElectron), file).toEqual([]);
    }
  });
});

interface Exposure {
  readonly key: string;
  readonly api: unknown;
}

/** Runs the built preload in a fresh context whose only module is a recording fake of `electron`. */
async function runPreload(): Promise<{ exposed: Exposure[]; required: string[]; invoked: unknown[][]; listening: string[] }> {
  const code = await readFile(join(root, 'dist/electron/preload.cjs'), 'utf8');
  const exposed: Exposure[] = [];
  const required: string[] = [];
  const invoked: unknown[][] = [];
  const listening: string[] = [];
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => void exposed.push({ key, api }) },
    ipcRenderer: {
      invoke: async (...args: unknown[]) => {
        invoked.push(args);
        return { ok: true, value: { drives: [] } };
      },
      on: (channel: string) => void listening.push(channel),
      removeListener: () => undefined,
    },
    webUtils: { getPathForFile: () => '/dropped.iso' },
  };
  // A sandboxed preload's require knows `electron` (and a few shims); nothing of npm or Node's file system.
  const fakeRequire = (name: string): unknown => {
    required.push(name);
    if (name === 'electron') return electron;
    throw new Error(`a sandboxed preload cannot require "${name}"`);
  };
  const module = { exports: {} };
  runInNewContext(code, { require: fakeRequire, module, exports: module.exports, console }, { filename: 'preload.cjs' });
  return { exposed, required, invoked, listening };
}

describe('preload bundle', () => {
  it('requires only electron and exposes exactly one key, `macula`, with exactly the bridge members', async () => {
    const { exposed, required } = await runPreload();
    expect([...new Set(required)]).toEqual(['electron']);
    expect(exposed.map((e) => e.key)).toEqual(['macula']);
    const api = exposed[0]?.api as Record<string, unknown>;
    expect(Object.keys(api).sort()).toEqual([...BRIDGE_KEYS].sort());
    for (const key of BRIDGE_KEYS) expect(typeof api[key], key).toBe('function');
  });

  it('sends requests on the one invoke channel and hands listeners only event payloads', async () => {
    const { exposed, invoked, listening } = await runPreload();
    const api = exposed[0]?.api as MaculaBridge;
    const request = { showSystem: false, extraPaths: [] };
    await expect(api.invoke('drives.list', request)).resolves.toEqual({ drives: [] });
    expect(invoked).toEqual([[INVOKE_CHANNEL, 'drives.list', request]]);
    const off = api.onEvent(() => undefined);
    expect(listening).toEqual([EVENT_CHANNEL]);
    expect(typeof off).toBe('function');
  });
});
