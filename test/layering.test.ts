import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '..');
const depcruise = join(repo, 'node_modules', '.bin', 'depcruise');

/** Runs dependency-cruiser with the project's rules in `cwd`; returns its exit code and report. */
async function cruise(cwd: string, dirs: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(depcruise, ['--config', '.dependency-cruiser.cjs', ...dirs], { cwd });
    return { code: 0, output: stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, output: err.stdout + err.stderr };
  }
}

describe('layering rules (dependency-cruiser)', () => {
  let sandbox: string;

  // A scratch tree with the real config and one file breaking each rule; the repository itself is never touched.
  const probes: Record<string, string> = {
    'shared/uses-node.ts': "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
    'shared/uses-engine.ts': "import { y } from '../electron/engine/helper';\nexport const x = y;\n",
    'electron/engine/helper.ts': 'export const y = 1;\n',
    'electron/engine/uses-electron.ts': "import { app } from 'electron';\nexport const x = app;\n",
    'renderer/src/uses-engine.ts': "import { y } from '../../electron/engine/helper';\nexport const x = y;\n",
    'electron/engine/cycle-a.ts': "import { b } from './cycle-b';\nexport const a = () => b;\n",
    'electron/engine/cycle-b.ts': "import { a } from './cycle-a';\nexport const b = () => a;\n",
  };

  beforeAll(async () => {
    sandbox = await mkdtemp(join(tmpdir(), 'macula-layering-'));
    await cp(join(repo, '.dependency-cruiser.cjs'), join(sandbox, '.dependency-cruiser.cjs'));
    await cp(join(repo, 'tsconfig.json'), join(sandbox, 'tsconfig.json'));
    await symlink(join(repo, 'node_modules'), join(sandbox, 'node_modules'));
    for (const [file, text] of Object.entries(probes)) {
      await mkdir(dirname(join(sandbox, file)), { recursive: true });
      await writeFile(join(sandbox, file), text);
    }
  });
  afterAll(async () => {
    await rm(sandbox, { recursive: true, force: true });
  });

  it('passes on the repository as it is', async () => {
    const { code, output } = await cruise(repo, ['shared', 'electron', 'renderer']);
    expect(output).toMatch(/no dependency violations found/);
    expect(code).toBe(0);
  });

  it('fails on each kind of layering break', async () => {
    const { code, output } = await cruise(sandbox, ['shared', 'electron', 'renderer']);
    expect(code).not.toBe(0);
    expect(output).toMatch(/shared-no-node-builtins: shared\/uses-node\.ts → node:fs|shared-no-node-builtins: shared\/uses-node\.ts → fs/);
    expect(output).toMatch(/shared-is-platform-free: shared\/uses-engine\.ts → electron\/engine\/helper\.ts/);
    expect(output).toMatch(/engine-never-imports-electron: electron\/engine\/uses-electron\.ts/);
    expect(output).toMatch(/renderer-imports-only-shared: renderer\/src\/uses-engine\.ts → electron\/engine\/helper\.ts/);
    expect(output).toMatch(/no-cycles: electron\/engine\/cycle-/);
  });
});
