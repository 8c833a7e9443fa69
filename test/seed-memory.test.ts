import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForNode } from '../bench/measure';

/**
 * What seeding adds to a flash's peak memory (issue 3: every flash within 100 MB). The same image is flashed to a
 * regular file plain and seeded, each in a fresh Node process from a bundle made the way electron/build.mjs makes the
 * CLI's, and the peaks (VmHWM) are compared. The seed is given as text, as the writer gets it: its
 * validation (YAML, zod) is not what is measured here.
 */
const MiB = 1 << 20;
const IMAGE = 64 * MiB;
let dir: string;

const at = (name: string): string => join(dir, name);
const sh = (script: string): void => void execFileSync('sh', ['-c', script], { cwd: dir, stdio: 'pipe' });

const PROBE = `
import { readFileSync } from 'node:fs';
import { openImage } from ${JSON.stringify(resolve('electron/engine/source/open-image.ts'))};
import { writeImage } from ${JSON.stringify(resolve('electron/engine/write/write-targets.ts'))};
const [image, target, seeded] = process.argv.slice(2);
const stateConfigs = seeded === 'seeded' ? ['#cloud-config\\nhostname: memory-test\\n'] : undefined;
const result = await writeImage({ source: await openImage(image), targets: [target], verify: true, ...(stateConfigs ? { stateConfigs } : {}) });
const peak = Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
const t = result.targets[0];
console.log(JSON.stringify({ peak, ok: t.ok, state: t.ok ? t.state : t.error }));
`;

beforeAll(async () => {
  mkdirSync(resolve('.cache'), { recursive: true });
  dir = mkdtempSync(resolve('.cache', 'test-seed-memory-'));
  writeFileSync(at('probe.mts'), PROBE);
  await bundleForNode(dir, { probe: at('probe.mts') });
  // Incompressible bytes with an MBR (one partition over the image), as an RPi-style image.
  sh(`head -c ${IMAGE} /dev/urandom > image.img && printf 'label: dos\\nstart=2048, type=83\\n' | sfdisk -q image.img`);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function flash(seeded: boolean): { peak: number; ok: boolean; state?: { partition: number } } {
  const target = at(seeded ? 'seeded.img' : 'plain.img');
  rmSync(target, { force: true });
  sh(`truncate -s ${IMAGE + 80 * MiB} ${target}`);
  const out = execFileSync(process.execPath, [at('probe.js'), at('image.img'), target, seeded ? 'seeded' : 'plain'], { encoding: 'utf8' });
  return JSON.parse(out) as { peak: number; ok: boolean; state?: { partition: number } };
}

describe('a seeded flash', () => {
  it('peaks within a few MiB of the same flash unseeded: the state filesystem is built before the chunk buffers fill', () => {
    const plain = flash(false);
    const seeded = flash(true);
    expect(plain.ok).toBe(true);
    expect(seeded).toMatchObject({ ok: true, state: { partition: 2 } });
    // Measured: +17 to +21 MiB (62–66 MiB plain, 84 seeded): libext2fs's WebAssembly instance (loaded while the pool
    // is still empty), the chunk buffer the state writes take beyond this fast target's five, the partition table
    // modules. Building the filesystem after the image, with the pool full, made it +37 (103.6 MiB seeded): the
    // template decoded whole, libext2fs on top of the full pool, a dense read-back buffer.
    expect(seeded.peak - plain.peak).toBeLessThan(27 * MiB);
  }, 120_000);
});
