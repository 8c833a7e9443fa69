import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMaculaError } from '../shared/errors';
import { extractImage, hashImage } from '../electron/engine/source/extract';
import type { ImageSource } from '../electron/engine/source/image-source';
import { openImage } from '../electron/engine/source/open-image';
import { type CliResult, maculaArgv, runCollecting } from './helpers/cli';
import { type GpgHome, createGpgHome } from './helpers/gpg';
import { type TestServer, startHttpTestServer } from './helpers/http-test-server';
import { writeSignedCatalog } from './helpers/signed-catalog';

/**
 * Decompression bombs (issue 13, item 6): a small download that decodes to far more than the catalog declares must
 * stop as soon as the decoded bytes pass the declared size, not after filling the disk, and leave no file behind.
 * The bomb is 1 GiB of zeros in a 150 KiB .xz, declared as a 1 MiB image.
 */

const MiB = 1 << 20;
const DECLARED = MiB;
/** Far less than the bomb's 1 GiB, far more than the declared 1 MiB plus a decoder's read-ahead. */
const WRITE_BUDGET = 64 * MiB;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Bytes this process has passed to write(2) so far (/proc/self/io wchar). */
async function bytesWrittenSoFar(): Promise<number> {
  return Number(/^wchar: (\d+)$/m.exec(await readFile('/proc/self/io', 'utf8'))?.[1] ?? Number.NaN);
}

/** The same source without the size its container records: only the decoded byte count can stop it. */
function withoutSizeHint(source: ImageSource): ImageSource {
  const { sizeHint: _dropped, ...rest } = source;
  return rest;
}

/** Runs the CLI under RLIMIT_FSIZE, so a run that writes past `budget` to one file fails with EFBIG instead of filling the disk. */
function maculaCapped(args: readonly string[], budget: number): Promise<CliResult> {
  return runCollecting(['prlimit', `--fsize=${budget}`, '--', ...maculaArgv(args)]);
}

describe('extraction stops at the declared size', () => {
  let dir: string;
  let server: TestServer;
  let gpg: GpgHome;
  let bomb: string;
  let gzBomb: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-bomb-'));
    bomb = join(dir, 'macula-os-6.6.6-amd64.img.xz');
    gzBomb = join(dir, 'bomb.img.gz');
    execFileSync('sh', ['-c', `head -c 1G /dev/zero | xz -T1 -0 -c > ${bomb}`]);
    execFileSync('sh', ['-c', `head -c 256M /dev/zero | gzip -1 -c > ${gzBomb}`]);
    server = await startHttpTestServer();
    gpg = await createGpgHome();
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await gpg?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['xz (its index not consulted)', () => bomb],
    ['gzip (no size recorded)', () => gzBomb],
  ])('%s: ERR_SIZE_MISMATCH once past the declared size, little written, no file left', async (_label, path) => {
    const source = withoutSizeHint(await openImage(path()));
    const dest = join(dir, `out-${_label.slice(0, 2)}.img`);
    const before = await bytesWrittenSoFar();
    const err: unknown = await extractImage(source, dest, { expectedSize: DECLARED }).catch((e: unknown) => e);
    const written = (await bytesWrittenSoFar()) - before;
    expect(written).toBeLessThan(WRITE_BUDGET);
    expect(isMaculaError(err, 'ERR_SIZE_MISMATCH'), String(err)).toBe(true);
    expect(String(err)).toMatch(/more than the declared 1048576 bytes/);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('refuses an xz whose index records another size than declared before writing anything', async () => {
    const dest = join(dir, 'indexed.img');
    const before = await bytesWrittenSoFar();
    const err: unknown = await extractImage(await openImage(bomb), dest, { expectedSize: DECLARED }).catch((e: unknown) => e);
    expect((await bytesWrittenSoFar()) - before).toBeLessThan(MiB);
    expect(err).toMatchObject({ code: 'ERR_SIZE_MISMATCH', details: { expected: DECLARED, actual: 1 << 30 } });
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('inspect (hashImage) stops as well: a 1 MiB declared size never decodes the 1 GiB', async () => {
    const err: unknown = await hashImage(withoutSizeHint(await openImage(bomb)), { expectedSize: DECLARED }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_SIZE_MISMATCH' });
    expect(String(err)).toMatch(/more than the declared/);
    // Where it stopped: the first piece past the declared size, not the end of the 1 GiB.
    expect(isMaculaError(err) ? Number(err.details.actual) : Number.NaN).toBeLessThan(DECLARED + WRITE_BUDGET);
  });

  it('macula download --extract of a signed catalog entry declaring 1 MiB: exit 3, nothing left, under a 64 MiB file-size limit', async () => {
    const xz = await readFile(bomb);
    const name = 'macula-os-6.6.6-amd64.img.xz';
    const sums = Buffer.from(`${sha256(xz)}  ${name}\n`);
    server.setFile(`/r/${name}`, xz);
    server.setFile('/r/SHA256SUMS', sums);
    server.setFile('/r/SHA256SUMS.asc', Buffer.from(await gpg.sign(sums, { armor: true })));
    const entry = {
      name: 'Bomb', version: '6.6.6', release_date: '2026-11-01', arch: 'amd64', variant: 'airgapped',
      url: server.url(`/r/${name}`), image_download_size: xz.length, image_download_sha256: sha256(xz),
      extract_size: DECLARED, extract_sha256: sha256(Buffer.alloc(DECLARED)), min_target_size: DECLARED, init_format: 'maculaos',
      sha256sums_url: server.url('/r/SHA256SUMS'), sha256sums_sig_url: server.url('/r/SHA256SUMS.asc'),
    };
    const catalog = await writeSignedCatalog(join(dir, 'catalog.json'), gpg, { catalog_version: 1, os_list: [entry] });
    const keyFile = join(dir, 'key.asc');
    await writeFile(keyFile, gpg.publicKeyArmored);
    const out = join(dir, 'extract-dir');
    execFileSync('mkdir', ['-p', out]);
    const run = await maculaCapped(
      ['download', '6.6.6-amd64-airgapped', '--catalog', catalog, '--key', keyFile, '--cache', join(dir, 'cache'), '--allow-http', '--extract', join(out, 'bomb.img'), '--json'],
      WRITE_BUDGET,
    );
    expect(run.events.at(-1), run.stderr).toMatchObject({ event: 'error', code: 'ERR_SIZE_MISMATCH' });
    expect(run.code).toBe(3);
    expect(readdirSync(out)).toEqual([]);
  });
});
