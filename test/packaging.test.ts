import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENGINE_NODE_FLAGS } from '../electron/engine/app/engine-node-flags';
import { FIXED_WRITER } from '../electron/engine/app/writer-launch';

/**
 * electron-builder.yml checked without packaging (that needs Electron and the network): against electron-builder's
 * own schema, for the targets and associations issue 6 asks for, for every native addon unpacked from app.asar, and
 * for every file it names existing after `npm run build`.
 */
const root = new URL('..', import.meta.url).pathname;

interface FileSet {
  readonly from: string;
  readonly to: string;
}
interface TargetSpec {
  readonly target: string;
  readonly arch?: readonly string[];
}
interface BuilderConfig {
  readonly files: readonly string[];
  readonly asarUnpack: readonly string[];
  readonly extraResources: readonly FileSet[];
  readonly extraMetadata: { readonly main: string };
  readonly npmRebuild: boolean;
  readonly electronFuses: Readonly<Record<string, boolean>>;
  readonly fileAssociations: readonly { readonly ext: readonly string[]; readonly name: string }[];
  readonly linux: { readonly target: readonly string[] };
  readonly deb: { readonly afterInstall: string; readonly afterRemove: string };
  readonly rpm: { readonly afterInstall: string; readonly afterRemove: string };
  readonly mac: { readonly target: readonly TargetSpec[] };
  readonly win: { readonly target: readonly TargetSpec[]; readonly requestedExecutionLevel: string };
}

const config = parse(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as BuilderConfig;

/** A glob of electron-builder's file patterns (`**`, `*`) as a RegExp over slash paths. */
function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\/?|\*/g, (m) => (m === '*' ? '[^/]*' : '.*'));
  return new RegExp(`^${body}$`);
}

/** Files under the static prefix of `glob` (the part before its first wildcard), relative to the repository. */
function filesUnder(glob: string): string[] {
  const prefix = glob.split('*')[0] ?? '';
  const start = prefix.endsWith('/') || !glob.includes('*') ? prefix.replace(/\/$/, '') : prefix.slice(0, prefix.lastIndexOf('/'));
  const abs = join(root, start);
  if (!existsSync(abs)) return [];
  if (statSync(abs).isFile()) return [start];
  return (readdirSync(abs, { recursive: true, encoding: 'utf8' }) as string[]).map((f) => `${start}/${f}`).filter((f) => statSync(join(root, f)).isFile());
}

const matchesAny = (file: string, globs: readonly string[]): boolean => globs.some((g) => globToRegExp(g).test(file));

/** package.json dependencies with a node-gyp binding: the addons that must be rebuilt and unpacked. */
function nativeDependencies(): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  return Object.keys(pkg.dependencies).filter((d) => existsSync(join(root, 'node_modules', d, 'binding.gyp')));
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist/electron/main.cjs')) || !existsSync(join(root, 'dist/bin/macula'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
}, 120_000);

describe('electron-builder.yml', () => {
  it("passes electron-builder's own configuration schema", async () => {
    const require = createRequire(import.meta.url);
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as { validateConfiguration(c: unknown, l: unknown): Promise<void> };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('builds AppImage + deb, dmg for arm64 and x64, nsis; the UI asks for no privileges on Windows', () => {
    expect([...config.linux.target].sort()).toEqual(['AppImage', 'deb', 'rpm']);
    expect(config.mac.target).toEqual([{ target: 'dmg', arch: ['arm64', 'x64'] }]);
    expect(config.win.target.map((t) => t.target)).toEqual(['nsis']);
    expect(config.win.requestedExecutionLevel).toBe('asInvoker');
  });

  it('installs the writer root-owned at its fixed path with its polkit action (deb, rpm), and removes both', () => {
    const read = (path: string): string => readFileSync(join(root, path), 'utf8');
    for (const pkg of [config.deb, config.rpm]) {
      expect(pkg.afterInstall).toBe('assets/linux/after-install.sh');
      expect(pkg.afterRemove).toBe('assets/linux/after-remove.sh');
    }
    const install = read('assets/linux/after-install.sh');
    expect(install).toContain(`install -o root -g root -m 0755 "$app/resources/assets/linux/macula-writer" ${FIXED_WRITER}`);
    expect(install).toMatch(/install -o root -g root -m 0644 .*io\.macula\.companion\.write\.policy" \/usr\/share\/polkit-1\/actions\//);
    // What electron-builder's own after-install does, kept.
    expect(install).toContain('ln -sf "$app/macula-companion" /usr/bin/macula-companion');
    expect(read('assets/linux/after-remove.sh')).toContain(FIXED_WRITER);
    // The policy binds its action to that path, asks for an administrator every time, and shows the command line
    // (the drives); the launcher runs the installed app's Electron as Node with the engine's flags.
    const policy = read('assets/linux/io.macula.companion.write.policy');
    expect(policy).toContain(`<annotate key="org.freedesktop.policykit.exec.path">${FIXED_WRITER}</annotate>`);
    expect(policy).toContain('<action id="io.macula.companion.write">');
    expect(policy).toContain('$(command_line)');
    expect(policy).not.toMatch(/auth_admin_keep|<allow_\w+>yes</);
    const launcher = read('assets/linux/macula-writer');
    expect(launcher).toContain(`ELECTRON_RUN_AS_NODE=1 exec "$app/macula-companion" ${ENGINE_NODE_FLAGS.join(' ')} "$app/resources/app.asar/dist/cli/macula.js" "$@"`);
    expect(statSync(join(root, 'assets/linux/macula-writer')).mode & 0o111).not.toBe(0);
  });

  it('opens .iso and .img images, compressed with xz, gzip or zstd', () => {
    const exts = config.fileAssociations.flatMap((a) => a.ext);
    for (const ext of ['iso', 'img', 'img.xz', 'img.gz', 'img.zst']) expect(exts, ext).toContain(ext);
    for (const a of config.fileAssociations) expect(a.name).not.toBe('');
  });

  it('rebuilds native addons for Electron and unpacks every one of them from app.asar', () => {
    expect(config.npmRebuild).toBe(true);
    const natives = nativeDependencies();
    expect(natives.length).toBeGreaterThanOrEqual(5);
    for (const dep of natives) {
      const binding = filesUnder(`node_modules/${dep}/**`).find((f) => f.endsWith('.node')) ?? `node_modules/${dep}/build/Release/addon.node`;
      expect(matchesAny(binding, config.asarUnpack), `${dep}: ${binding}`).toBe(true);
      expect(matchesAny(`node_modules/${dep}/package.json`, config.asarUnpack), dep).toBe(true);
    }
  });

  it('unpacks every worker thread script the build produces, and keeps the writer runtime (RunAsNode) on', () => {
    const workers = [...filesUnder('dist/cli/**'), ...filesUnder('dist/electron/**')].filter((f) => /-worker\.js$/.test(f));
    expect(workers.length).toBeGreaterThanOrEqual(4);
    for (const w of workers) expect(matchesAny(w, config.asarUnpack), w).toBe(true);
    // An unpacked worker runs from app.asar.unpacked: a relative import (a shared chunk) would point at a file that is
    // only inside app.asar, so each worker must be a single file.
    for (const w of workers) expect(readFileSync(join(root, w), 'utf8'), w).not.toMatch(/from\s*["']\.\.?\//);
    expect(config.electronFuses['runAsNode']).toBe(true);
  });

  it('names only files that exist after `npm run build`', () => {
    expect(existsSync(join(root, config.extraMetadata.main)), config.extraMetadata.main).toBe(true);
    const included = config.files.filter((g) => !g.startsWith('!'));
    expect(matchesAny(config.extraMetadata.main, included)).toBe(true);
    expect(matchesAny('dist/electron/preload.cjs', included) && matchesAny('dist/renderer/index.html', included) && matchesAny('dist/cli/macula.js', included)).toBe(true);
    for (const glob of [...included, ...config.asarUnpack]) expect(filesUnder(glob).filter((f) => globToRegExp(glob).test(f)).length, glob).toBeGreaterThan(0);
    for (const set of config.extraResources) expect(existsSync(join(root, set.from)) && readdirSync(join(root, set.from)).length > 0, set.from).toBe(true);
    // The CLI beside the app: one launcher per platform family, pointing at the bundle in app.asar.
    expect(readFileSync(join(root, 'dist/bin/macula'), 'utf8')).toContain('app.asar/dist/cli/macula.js');
    expect(statSync(join(root, 'dist/bin/macula')).mode & 0o111).not.toBe(0);
    expect(readFileSync(join(root, 'dist/bin/macula.cmd'), 'utf8')).toContain('app.asar\\dist\\cli\\macula.js');
    // Every way in runs the CLI with the engine's Node options: the launchers and the bundle's own shebang.
    const flags = ENGINE_NODE_FLAGS.join(' ');
    expect(flags).not.toBe('');
    expect(readFileSync(join(root, 'dist/bin/macula'), 'utf8')).toContain(`"$exe" ${flags} "$res/app.asar/dist/cli/macula.js"`);
    expect(readFileSync(join(root, 'dist/bin/macula.cmd'), 'utf8')).toContain(`.exe" ${flags} "%~dp0..\\app.asar`);
    expect(readFileSync(join(root, 'dist/cli/macula.js'), 'utf8').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${flags}`);
  });
});
