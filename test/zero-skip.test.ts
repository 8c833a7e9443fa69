import { randomFillSync } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openImage } from '../electron/engine/source/open-image';
import { sampleOffsets } from '../electron/engine/write/discard-zeros';
import { writeImage } from '../electron/engine/write/write-targets';
import { runWriter } from '../electron/engine/writer-process/writer-client';
import type { WriteImageOptions } from '../electron/engine/write/write-types';
import { macula } from './helpers/cli';
import { Loops, sh } from './helpers/loops';

const MiB = 1 << 20;
const root = process.getuid?.() === 0;

/**
 * The image: random data with two runs of zeros (one spanning whole 4 MiB chunks, one a few 4 KiB blocks inside a
 * chunk) and a short, unaligned tail, so zero blocks are found both as whole chunks and as holes in one.
 */
function imageBytes(): { bytes: Buffer; zeroBytes: number } {
  const bytes = randomFillSync(Buffer.alloc(24 * MiB + 1000));
  bytes.fill(0, 6 * MiB, 15 * MiB); // 9 MiB: chunks 2 and 3 whole, parts of 1 and 4
  bytes.fill(0, 17 * MiB + 8192, 17 * MiB + 5 * 4096); // three 4 KiB blocks inside chunk 4
  return { bytes, zeroBytes: 9 * MiB + 3 * 4096 };
}

/** Fills a device with 0xEE, so that a block left unwritten on a device that does not read zeros would show. */
async function fillWithGarbage(device: string, size: number): Promise<void> {
  const handle = await open(device, 'w');
  try {
    await handle.write(Buffer.alloc(size, 0xee), 0, size, 0);
  } finally {
    await handle.close();
  }
}

async function sameAs(image: string, device: string, size: number): Promise<boolean> {
  return sh('cmp', ['-n', String(size), image, device]).then(() => true, () => false);
}

describe.skipIf(!root)('zero blocks skipped where a discarded target reads back zeros (loop devices)', () => {
  let dir: string;
  let image: string;
  let size: number;
  let zeroBytes: number;
  const loops = new Loops();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-zeros-'));
    image = join(dir, 'zeros.img');
    const made = imageBytes();
    size = made.bytes.length;
    zeroBytes = made.zeroBytes;
    await writeFile(image, made.bytes);
  });
  afterEach(async () => {
    await loops.cleanup();
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Flashes the image to one fresh garbage-filled loop device; returns the result and the bytes written there. */
  async function flash(extra: Partial<WriteImageOptions> = {}) {
    const device = await loops.create(join(dir, `target-${Math.random().toString(36).slice(2)}.img`), 32 * MiB);
    await fillWithGarbage(device, 32 * MiB);
    let written = 0;
    let progressed = 0;
    const result = await writeImage({
      source: await openImage(image),
      targets: [device],
      onProgress: (p) => void (p.phase === 'writing' && (progressed = Math.max(progressed, p.bytes))),
      ...extra,
      hooks: { ...extra.hooks, onWrite: (_t, _offset, length) => void (written += length) },
    });
    return { device, result, written, progressed, target: result.targets[0]! };
  }

  it('writes only the non-zero blocks, and the target still holds the image byte for byte', async () => {
    const { device, result, written, progressed, target } = await flash();
    expect(target).toMatchObject({ ok: true, verified: true });
    expect(progressed).toBe(size); // skipped blocks count as written: the bar reaches the end
    expect(target.notes.join('\n')).toMatch(/read back zeros at \d+ places: the image's zero blocks are skipped/);
    // Every non-zero byte, the unaligned tail padded to a whole sector, nothing else.
    expect(written).toBe(size - zeroBytes + (512 - (size % 512)));
    expect(await sameAs(image, device, size)).toBe(true);
    expect(result.size).toBe(size);
  });

  it('writes every block when told not to skip, and when verification is off (nothing would check the skipped ones)', async () => {
    for (const extra of [{ skipZeros: false }, { verify: false }] as const) {
      const { device, written, target } = await flash(extra);
      expect(target.ok).toBe(true);
      expect(target.notes.join('\n')).not.toMatch(/discard/);
      expect(written).toBeGreaterThanOrEqual(size);
      expect(await sameAs(image, device, size)).toBe(true);
    }
  });

  it('writes every block on a target that does not read back zeros after the discard', async () => {
    // Stands in for a card that reads back 0xFF (or old data) after a discard: a sampled place is dirtied at once.
    const afterDiscard = async (path: string): Promise<void> => {
      const handle = await open(path, 'r+');
      try {
        await handle.write(Buffer.alloc(512, 0xff), 0, 512, sampleOffsets(size)[5]);
        await handle.sync();
      } finally {
        await handle.close();
      }
    };
    const { device, written, target } = await flash({ hooks: { afterDiscard } });
    expect(target).toMatchObject({ ok: true, verified: true });
    expect(target.notes.join('\n')).toMatch(/does not read back zeros after a discard \(byte \d+ is not zero\): zero blocks are written/);
    expect(written).toBeGreaterThanOrEqual(size);
    expect(await sameAs(image, device, size)).toBe(true);
  });

  it('still catches a skipped block that stops reading zeros, with its offset', async () => {
    const bad = 10 * MiB + 12345; // inside the zero run: never written
    const afterWrite = async (path: string): Promise<void> => {
      const handle = await open(path, 'r+');
      try {
        await handle.write(Buffer.from([0x5a]), 0, 1, bad);
        await handle.sync();
      } finally {
        await handle.close();
      }
    };
    const { target } = await flash({ hooks: { afterWrite } });
    expect(target.ok).toBe(false);
    expect(target).toMatchObject({ error: { code: 'ERR_VERIFY_MISMATCH', offset: bad } });
  });

  it('macula flash skips them by default and writes them with --write-zeros', async () => {
    for (const [flags, skipped] of [
      [[], true],
      [['--write-zeros'], false],
    ] as const) {
      const device = await loops.create(join(dir, `cli-${Math.random().toString(36).slice(2)}.img`), 32 * MiB);
      const run = await macula(['flash', image, '--to', device, '--yes', '--json', ...flags]);
      expect(run.code, run.stderr).toBe(0);
      const target = run.events.find((e) => e['event'] === 'target') as { notes: string[] } | undefined;
      expect(target?.notes.some((n) => n.includes("the image's zero blocks are skipped"))).toBe(skipped);
      expect(await sameAs(image, device, size)).toBe(true);
    }
  });

  it('the writer process (macula write --ipc) takes writeZeros over its protocol', async () => {
    const writerCommand = [process.execPath, '--import', 'tsx', resolve('electron/cli/macula.ts'), 'write', '--ipc'] as const;
    for (const writeZeros of [false, true]) {
      const device = await loops.create(join(dir, `ipc-${Math.random().toString(36).slice(2)}.img`), 32 * MiB);
      const result = await runWriter({ command: writerCommand, image, targets: [device], verify: true, writeZeros });
      expect(result.targets[0]).toMatchObject({ ok: true, verified: true });
      expect(result.targets[0]?.notes.some((n) => n.includes("the image's zero blocks are skipped"))).toBe(!writeZeros);
    }
  });

  it('a write stopped part way leaves the discarded range without its partition table, as chunk 0 is written last', async () => {
    const device = await loops.create(join(dir, `stopped-${Math.random().toString(36).slice(2)}.img`), 32 * MiB);
    await fillWithGarbage(device, 32 * MiB);
    const controller = new AbortController();
    const writing = writeImage({ source: await openImage(image), targets: [device], signal: controller.signal, hooks: { onWrite: () => controller.abort() } });
    await expect(writing).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    const handle = await open(device, 'r');
    try {
      const head = Buffer.alloc(4 * MiB);
      await handle.read(head, 0, head.length, 0);
      expect(head.equals(Buffer.alloc(4 * MiB))).toBe(true); // neither the old disk's first MiB nor the image's
    } finally {
      await handle.close();
    }
  });
});
