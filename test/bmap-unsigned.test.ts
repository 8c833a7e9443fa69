import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { macula } from './helpers/cli';
import { type GpgHome, createGpgHome } from './helpers/gpg';
import { type TestServer, startHttpTestServer } from './helpers/http-test-server';
import { Loops } from './helpers/loops';
import { writeSignedCatalog } from './helpers/signed-catalog';

/**
 * A mirror's block map is not trusted unless the signed SHA256SUMS lists it (issue 13, item 4): a bmap maps the
 * blocks that are written *and* the only blocks read back, so one that maps too little leaves old bytes on the
 * target and still reports "verified". Here the mirror serves a valid, self-consistent bmap that maps only the
 * image's first MiB; the release's signed sums do not list it. Real loop devices (root), as the other bmap tests.
 */

const MiB = 1 << 20;
const IMAGE_MIB = 16;
const FILL = 0xaa;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe.skipIf(process.getuid?.() !== 0)('an unsigned block map is ignored (root, loop devices)', () => {
  let dir: string;
  let server: TestServer;
  let gpg: GpgHome;
  let image: Buffer;
  let shortBmap: Buffer;
  const loops = new Loops();
  const name = 'macula-os-1.0.0-arm64.img';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-bmap-unsigned-'));
    server = await startHttpTestServer();
    gpg = await createGpgHome();
    // Random bytes everywhere (no holes a sparse write could get away with), an MBR in front.
    image = randomBytes(IMAGE_MIB * MiB);
    image.fill(0, 0, 512);
    image[510] = 0x55;
    image[511] = 0xaa;
    await writeFile(join(dir, name), image);
    // The attacker's bmap: made by bmaptool for a file holding only the image's first MiB (so every checksum in it is
    // right for the image) and holes for the rest.
    const decoy = join(dir, 'decoy.img');
    await writeFile(decoy, image.subarray(0, MiB));
    await truncate(decoy, image.length);
    shortBmap = execFileSync('bmaptool', ['create', decoy]);
    expect(shortBmap.toString()).toMatch(/<MappedBlocksCount>\s*256\s*<\/MappedBlocksCount>/);
  }, 60_000);

  afterAll(async () => {
    await loops.cleanup();
    await server?.close();
    await gpg?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('flash of a catalog entry writes and verifies the whole image, with a note, when the bmap is not in the signed sums', async () => {
    const sums = Buffer.from(`${sha256(image)}  ${name}\n`);
    server.setFile(`/r/${name}`, image);
    server.setFile(`/r/${name}.bmap`, shortBmap);
    server.setFile('/r/SHA256SUMS', sums);
    server.setFile('/r/SHA256SUMS.asc', Buffer.from(await gpg.sign(sums, { armor: true })));
    const entry = {
      name: 'MaculaOS 1.0.0 (Raspberry Pi)', version: '1.0.0', release_date: '2026-11-01', arch: 'arm64', variant: 'rpi',
      url: server.url(`/r/${name}`), image_download_size: image.length, image_download_sha256: sha256(image),
      extract_size: image.length, extract_sha256: sha256(image), min_target_size: image.length, init_format: 'maculaos',
      sha256sums_url: server.url('/r/SHA256SUMS'), sha256sums_sig_url: server.url('/r/SHA256SUMS.asc'), bmap_url: server.url(`/r/${name}.bmap`),
    };
    const catalog = await writeSignedCatalog(join(dir, 'catalog.json'), gpg, { catalog_version: 1, os_list: [entry] });
    const keyFile = join(dir, 'key.asc');
    await writeFile(keyFile, gpg.publicKeyArmored);
    // An earlier version of the app left the unsigned bmap beside the cached image: it must not be picked up either.
    const cache = join(dir, 'cache');
    await mkdir(join(cache, 'sha256', sha256(image)), { recursive: true });
    await writeFile(join(cache, 'sha256', sha256(image), `${name}.bmap`), shortBmap);

    const backing = join(dir, 'target.img');
    await writeFile(backing, Buffer.alloc(24 * MiB, FILL));
    const target = await loops.attach(backing);
    const run = await macula([
      'flash', '1.0.0-arm64-rpi', '--catalog', catalog, '--key', keyFile, '--cache', cache, '--allow-http', '--to', target, '--yes', '--no-eject', '--json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.events.find((e) => e['event'] === 'bmap')).toBeUndefined();
    expect(run.events.find((e) => e['event'] === 'notice')?.['message']).toMatch(/block map .*not in the signed SHA256SUMS.*ignored/);
    expect(run.events.find((e) => e['event'] === 'target')).toMatchObject({ path: target, ok: true, verified: true });
    const written = execFileSync('dd', [`if=${target}`, 'bs=1M', `count=${IMAGE_MIB}`, 'iflag=direct', 'status=none'], { maxBuffer: 1 << 26 });
    expect(sha256(written)).toBe(sha256(image));
    expect(await readFile(join(cache, 'sha256', sha256(image), `${name}.bmap`)).catch(() => undefined)).toBeUndefined();
  });

  it('a block map the signed sums list with its hash is used as the release says (here: the 1 MiB one, sparse write)', async () => {
    const sums = Buffer.from(`${sha256(image)}  ${name}\n${sha256(shortBmap)}  ${name}.bmap\n`);
    server.setFile('/s/' + name, image);
    server.setFile(`/s/${name}.bmap`, shortBmap);
    server.setFile('/s/SHA256SUMS', sums);
    server.setFile('/s/SHA256SUMS.asc', Buffer.from(await gpg.sign(sums, { armor: true })));
    const entry = {
      name: 'MaculaOS 1.0.0 (Raspberry Pi)', version: '1.0.0', release_date: '2026-11-01', arch: 'arm64', variant: 'rpi',
      url: server.url(`/s/${name}`), image_download_size: image.length, image_download_sha256: sha256(image),
      extract_size: image.length, extract_sha256: sha256(image), min_target_size: image.length, init_format: 'maculaos',
      sha256sums_url: server.url('/s/SHA256SUMS'), sha256sums_sig_url: server.url('/s/SHA256SUMS.asc'), bmap_url: server.url(`/s/${name}.bmap`),
    };
    const catalog = await writeSignedCatalog(join(dir, 'signed-bmap-catalog.json'), gpg, { catalog_version: 1, os_list: [entry] });
    const keyFile = join(dir, 'key.asc');
    await writeFile(keyFile, gpg.publicKeyArmored);
    const backing = join(dir, 'target2.img');
    await writeFile(backing, Buffer.alloc(24 * MiB, FILL));
    const target = await loops.attach(backing);
    const run = await macula([
      'flash', '1.0.0-arm64-rpi', '--catalog', catalog, '--key', keyFile, '--cache', join(dir, 'cache2'), '--allow-http', '--to', target, '--yes', '--no-eject', '--json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.events.find((e) => e['event'] === 'bmap')).toMatchObject({ mappedBytes: MiB, imageSize: image.length });
    expect(run.events.find((e) => e['event'] === 'target')).toMatchObject({ path: target, ok: true, verified: true });
  });
});
