import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { macula } from './helpers/cli';
import { type GpgHome, createGpgHome } from './helpers/gpg';
import { type TestServer, startHttpTestServer, startHttpsTestServer } from './helpers/http-test-server';
import { writeSignedCatalog } from './helpers/signed-catalog';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A 4 MiB disk image with an MBR: a FAT partition (0x0c) and a Linux one (0x83), like a Raspberry Pi image. */
function mbrImage(): Buffer {
  const img = Buffer.alloc(4 << 20);
  randomBytes(1 << 20).copy(img, 1 << 20);
  const entry = (slot: number, type: number, startLba: number, sectors: number): void => {
    const at = 446 + slot * 16;
    img[at + 4] = type;
    img.writeUInt32LE(startLba, at + 8);
    img.writeUInt32LE(sectors, at + 12);
  };
  entry(0, 0x0c, 2048, 2048);
  entry(1, 0x83, 4096, 4096);
  img[510] = 0x55;
  img[511] = 0xaa;
  return img;
}

describe('macula CLI (real process, real HTTP server, real GnuPG)', () => {
  let dir: string;
  let server: TestServer;
  let gpg: GpgHome;
  let image: Buffer;
  let xz: Buffer;
  let bmap: Buffer;
  let keyFile: string;
  let catalogFile: string;
  const cache = (): string => join(dir, 'cache');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-cli-'));
    server = await startHttpTestServer();
    gpg = await createGpgHome();
    image = mbrImage();
    await writeFile(join(dir, 'macula-os-1.0.0-arm64.img'), image);
    execFileSync('xz', ['-k', '-T2', join(dir, 'macula-os-1.0.0-arm64.img')]);
    xz = await readFile(join(dir, 'macula-os-1.0.0-arm64.img.xz'));
    bmap = execFileSync('bmaptool', ['create', join(dir, 'macula-os-1.0.0-arm64.img')]);
    await writeFile(join(dir, 'macula-os-1.0.0-arm64.img.bmap'), bmap);
    // Real coreutils output, signed by real gpg.
    const sums = Buffer.from(
      execFileSync('sha256sum', ['macula-os-1.0.0-arm64.img', 'macula-os-1.0.0-arm64.img.xz', 'macula-os-1.0.0-arm64.img.bmap'], { cwd: dir }),
    );
    const sig = Buffer.from(await gpg.sign(sums, { armor: true }));
    await writeFile(join(dir, 'SHA256SUMS'), sums);
    await writeFile(join(dir, 'SHA256SUMS.asc'), sig);
    keyFile = join(dir, 'release-test-key.asc');
    await writeFile(keyFile, gpg.publicKeyArmored);
    server.setFile('/v1.0.0/macula-os-1.0.0-arm64.img.xz', xz);
    server.setFile('/v1.0.0/SHA256SUMS', sums);
    server.setFile('/v1.0.0/macula-os-1.0.0-arm64.img.bmap', bmap);
    server.setFile('/evil/macula-os-1.0.0-arm64.img.bmap', Buffer.from(bmap.toString().replace('<BlockMap>', '<BlockMap>\n')));
    server.setFile('/v1.0.0/SHA256SUMS.asc', sig);
    server.setFile('/tampered/SHA256SUMS', Buffer.from(sums.toString().replace(/^[0-9a-f]/, (c) => (c === '0' ? '1' : '0'))));
    server.setFile('/tampered/SHA256SUMS.asc', sig);
    const entry = {
      name: 'MaculaOS 1.0.0 (Raspberry Pi)',
      version: '1.0.0',
      release_date: '2026-11-01',
      arch: 'arm64',
      variant: 'rpi',
      url: server.url('/v1.0.0/macula-os-1.0.0-arm64.img.xz'),
      image_download_size: xz.length,
      image_download_sha256: sha256(xz),
      extract_size: image.length,
      extract_sha256: sha256(image),
      min_target_size: 8 << 20,
      init_format: 'maculaos',
      sha256sums_url: server.url('/v1.0.0/SHA256SUMS'),
      sha256sums_sig_url: server.url('/v1.0.0/SHA256SUMS.asc'),
      bmap_url: server.url('/v1.0.0/macula-os-1.0.0-arm64.img.bmap'),
    };
    // Each catalog signed by the release key (catalog.json.asc beside it), as a release publishes it.
    catalogFile = await writeSignedCatalog(join(dir, 'catalog.json'), gpg, { catalog_version: 1, os_list: [entry] });
    await writeSignedCatalog(join(dir, 'bad-catalog.json'), gpg, { catalog_version: 1, os_list: [{ ...entry, arch: 'mips' }] });
    const evil = { ...entry, bmap_url: server.url('/evil/macula-os-1.0.0-arm64.img.bmap') };
    await writeSignedCatalog(join(dir, 'evil-bmap-catalog.json'), gpg, { catalog_version: 1, os_list: [evil] });
  });

  afterAll(async () => {
    await server.close();
    await gpg.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('prints help and refuses unknown commands and options as usage errors (exit 2)', async () => {
    expect((await macula(['--help'])).stdout).toMatch(/Exit codes:\n {2}0 {2}ok\n {2}1 {2}internal error/);
    expect((await macula(['frobnicate'])).code).toBe(2);
    const bad = await macula(['catalog', '--no-such-option']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/usage: macula catalog/);
  });

  it('lists a local catalog as JSON lines, and refuses a bad one naming the field (exit 5)', async () => {
    const ok = await macula(['catalog', '--url', catalogFile, '--key', keyFile, '--json']);
    expect(ok.code).toBe(0);
    expect(ok.events.find((e) => e['event'] === 'image')).toMatchObject({ id: '1.0.0-arm64-rpi', variant: 'rpi' });
    const bad = await macula(['catalog', '--url', join(dir, 'bad-catalog.json'), '--key', keyFile]);
    expect(bad.code).toBe(5);
    expect(bad.stderr).toContain('os_list[0].arch');
  });

  it('downloads a catalog entry after checking the signed sums, then extracts and checks it', async () => {
    const out = join(dir, 'extracted.img');
    const run = await macula([
      'download', '1.0.0-arm64-rpi', '--catalog', catalogFile, '--key', keyFile, '--cache', cache(),
      '--allow-http', '--extract', out, '--json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.events.find((e) => e['event'] === 'signature')).toMatchObject({ fingerprint: gpg.fingerprint, sha256: sha256(xz) });
    const downloaded = run.events.find((e) => e['event'] === 'downloaded');
    expect(downloaded).toMatchObject({ sha256: sha256(xz), trust: 'signed', fromCache: false, bmap: { path: `${String(downloaded?.['path'])}.bmap` } });
    // The catalog's block map sits beside the cached image, checked against the signed sums, for `macula flash`.
    expect(await readFile(`${String(downloaded?.['path'])}.bmap`)).toEqual(bmap);
    expect(sha256(await readFile(out))).toBe(sha256(image));
    // Second time: straight from the cache, no request made.
    server.clearLog();
    const again = await macula(['download', '1.0.0-arm64-rpi', '--catalog', catalogFile, '--key', keyFile, '--cache', cache(), '--allow-http', '--json']);
    expect(again.events.find((e) => e['event'] === 'downloaded')).toMatchObject({ fromCache: true });
    expect(server.log.filter((r) => r.path.endsWith('.xz'))).toEqual([]);
  });

  it('refuses a catalog block map that differs from the signed sums (exit 3)', async () => {
    const run = await macula(['download', '1.0.0-arm64-rpi', '--catalog', join(dir, 'evil-bmap-catalog.json'), '--key', keyFile, '--cache', join(dir, 'c-evil'), '--allow-http', '--json']);
    expect(run.code).toBe(3);
    expect(run.events.at(-1)).toMatchObject({ code: 'ERR_HASH_MISMATCH', path: 'macula-os-1.0.0-arm64.img.bmap' });
  });

  it('refuses plain http without --allow-http (exit 2) before any request', async () => {
    server.clearLog();
    const run = await macula(['download', '1.0.0-arm64-rpi', '--catalog', catalogFile, '--key', keyFile, '--cache', join(dir, 'c2')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/http/i);
    expect(server.log).toEqual([]);
  });

  it('refuses tampered sums (exit 3) and downloads nothing', async () => {
    const c = join(dir, 'c3');
    const run = await macula([
      'download', server.url('/v1.0.0/macula-os-1.0.0-arm64.img.xz'), '--sums', server.url('/tampered/SHA256SUMS'),
      '--sig', server.url('/tampered/SHA256SUMS.asc'), '--key', keyFile, '--cache', c, '--allow-http',
    ]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/signature/i);
    expect(existsSync(c) ? readdirSync(c, { recursive: true }).filter((f) => String(f).endsWith('.xz')) : []).toEqual([]);
  });

  it('refuses a bare URL without anything to verify it against (exit 2), and a wrong --sha256 (exit 3)', async () => {
    const url = server.url('/v1.0.0/macula-os-1.0.0-arm64.img.xz');
    const bare = await macula(['download', url, '--allow-http', '--cache', join(dir, 'c4')]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/never offered for flashing/);
    const wrong = await macula(['download', url, '--sha256', sha256(image), '--allow-http', '--cache', join(dir, 'c4'), '--json']);
    expect(wrong.code).toBe(3);
    expect(wrong.events.at(-1)).toMatchObject({ event: 'error', code: 'ERR_HASH_MISMATCH', expected: sha256(image), actual: sha256(xz) });
  });

  it('verifies a local file against signed sums, and refuses it when the signing key is not trusted', async () => {
    const file = join(dir, 'macula-os-1.0.0-arm64.img');
    const args = ['verify', file, '--sums', join(dir, 'SHA256SUMS'), '--sig', join(dir, 'SHA256SUMS.asc')];
    const ok = await macula([...args, '--key', keyFile]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(gpg.fingerprint);
    const untrusted = await macula([...args, '--json']);
    expect(untrusted.code).toBe(3);
    expect(untrusted.events.at(-1)).toMatchObject({ code: 'ERR_SIGNATURE_UNKNOWN_KEY' });
  });

  it('inspects a compressed image: format, sizes, hash and partition table', async () => {
    const run = await macula(['inspect', join(dir, 'macula-os-1.0.0-arm64.img.xz'), '--json']);
    expect(run.code).toBe(0);
    expect(run.events.find((e) => e['event'] === 'image')).toMatchObject({
      compression: 'xz',
      layout: 'mbr',
      compressedSize: xz.length,
      extracted: { size: image.length, sha256: sha256(image) },
      partitionTable: {
        type: 'mbr',
        partitions: [
          { index: 1, offset: 2048 * 512, size: 2048 * 512, type: '0x0c' },
          { index: 2, offset: 4096 * 512, size: 4096 * 512, type: '0x83' },
        ],
      },
    });
    const text = await macula(['inspect', join(dir, 'macula-os-1.0.0-arm64.img')]);
    expect(text.stdout).toMatch(/partitions: +mbr/);
  });

  it('reads a self-hosted catalog over https when given its CA, and refuses the unknown certificate without it', async () => {
    const tls = await startHttpsTestServer();
    try {
      tls.setFile('/catalog.json', await readFile(catalogFile));
      tls.setFile('/catalog.json.asc', await readFile(`${catalogFile}.asc`));
      const caFile = join(dir, 'mirror-ca.pem');
      await writeFile(caFile, tls.caPem);
      const ok = await macula(['catalog', '--url', tls.url('/catalog.json'), '--ca', caFile, '--key', keyFile, '--json']);
      expect(ok.code).toBe(0);
      expect(ok.events.find((e) => e['event'] === 'catalog')).toMatchObject({ source: 'remote' });
      const refused = await macula(['catalog', '--url', tls.url('/catalog.json')]);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toMatch(/certificate/i);
    } finally {
      await tls.close();
    }
  });

  it('reports a missing file as an I/O error (exit 4)', async () => {
    const run = await macula(['inspect', join(dir, 'nope.img')]);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('nope.img');
  });
});
