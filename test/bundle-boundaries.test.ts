import { readFile, readdir } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MaculaBridge } from '../shared/ipc-contract';
import { EVENT_CHANNEL } from '../shared/ipc-contract';
import { INVOKE_CHANNEL } from '../electron/preload/invoke-channel';
import { copyAcrossBridge } from './helpers/context-bridge';

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

/**
 * Runs the built preload in a fresh context whose only module is a recording fake of `electron`; its contextBridge
 * copies what is exposed the way Electron's does (helpers/context-bridge.ts), and main answers every invoke with `answer`.
 */
async function runPreload(answer: unknown = { ok: true, value: { drives: [] } }): Promise<{ exposed: Exposure[]; required: string[]; invoked: unknown[][]; listening: string[] }> {
  const code = await readFile(join(root, 'dist/electron/preload.cjs'), 'utf8');
  const exposed: Exposure[] = [];
  const required: string[] = [];
  const invoked: unknown[][] = [];
  const listening: string[] = [];
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => void exposed.push({ key, api: copyAcrossBridge(api) }) },
    ipcRenderer: {
      invoke: async (...args: unknown[]) => {
        invoked.push(args);
        return answer;
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
    await expect(api.invoke('drives.list', request)).resolves.toEqual({ ok: true, value: { drives: [] } });
    expect(invoked).toEqual([[INVOKE_CHANNEL, 'drives.list', request]]);
    const off = api.onEvent(() => undefined);
    expect(listening).toEqual([EVENT_CHANNEL]);
    expect(typeof off).toBe('function');
  });

  it("hands the renderer an engine refusal as a value, its code, field and details intact across contextBridge", async () => {
    const refusal = {
      ok: false,
      error: { code: 'ERR_SEED_INVALID', message: 'hostname: "edge-{serial}" uses {serial} but target 1 has no serial number', field: 'hostname', details: { path: '/dev/loop7' } },
    };
    const { exposed } = await runPreload(refusal);
    const api = exposed[0]?.api as MaculaBridge;
    const request = { image: { kind: 'file' as const, path: '/img.iso' }, targets: ['/dev/loop7'], seed: null, verify: true };
    await expect(api.invoke('flash.start', request)).resolves.toEqual(refusal);
  });
});

describe('the fake contextBridge', () => {
  it('rebuilds a thrown or rejected Error from its message alone, as Electron does', async () => {
    const api = copyAcrossBridge({
      fails: () => {
        throw Object.assign(new Error('refused'), { code: 'ERR_USAGE' });
      },
      rejects: async () => Promise.reject(Object.assign(new Error('refused later'), { code: 'ERR_USAGE', field: 'hostname' })),
    }) as { fails: () => void; rejects: () => Promise<void> };
    let thrown: unknown;
    try {
      api.fails();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown).toMatchObject({ message: 'refused' });
    expect(Object.keys(thrown as object)).toEqual([]);
    const rejected: unknown = await api.rejects().catch((e: unknown) => e);
    expect(rejected).toMatchObject({ message: 'refused later' });
    expect(rejected).not.toHaveProperty('code');
    expect(rejected).not.toHaveProperty('field');
  });

  it('copies values with their prototypes dropped, and proxies functions both ways', async () => {
    class Answer {
      constructor(readonly drives: number[]) {}
      count(): number {
        return this.drives.length;
      }
    }
    const seen: unknown[] = [];
    const api = copyAcrossBridge({ get: async () => new Answer([1, 2]), on: (listener: (x: unknown) => void) => listener({ at: new Date(0) }) }) as {
      get: () => Promise<unknown>;
      on: (l: (x: unknown) => void) => void;
    };
    const value = await api.get();
    expect(value).toEqual({ drives: [1, 2] });
    expect(value).not.toBeInstanceOf(Answer);
    api.on((x) => seen.push(x));
    expect(seen).toEqual([{ at: new Date(0) }]);
  });
});
