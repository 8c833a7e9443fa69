import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { macula } from './helpers/cli';
import { type GpgHome, createGpgHome } from './helpers/gpg';
import { type TestServer, startHttpTestServer } from './helpers/http-test-server';
import { serveSignedCatalog, signCatalog, writeSignedCatalog } from './helpers/signed-catalog';

/**
 * The release catalog is signed (issue 13, item 4): a catalog host or mirror must not be able to list what it likes.
 * Each case is what an attacker holding the catalog host can serve: no signature, a signature over other bytes, a
 * signature by their own key. Real GnuPG keys, a real HTTP server on 127.0.0.1, the real CLI.
 */

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('signed release catalog (CLI)', () => {
  let dir: string;
  let server: TestServer;
  let release: GpgHome;
  let attacker: GpgHome;
  let keyFile: string;
  const image = Buffer.alloc(1 << 20, 7);

  /** A one-entry catalog of `version`, served from /v{version}/. */
  function catalogOf(version: string, arch = 'amd64', variant = 'airgapped'): Record<string, unknown> {
    const name = `macula-os-${version}-${arch}.img`;
    return {
      catalog_version: 1,
      os_list: [{
        name: `MaculaOS ${version}`, version, release_date: '2026-11-01', arch, variant,
        url: server.url(`/v${version}/${name}`), image_download_size: image.length, image_download_sha256: sha256(image),
        extract_size: image.length, extract_sha256: sha256(image), min_target_size: image.length, init_format: 'maculaos',
        sha256sums_url: server.url(`/v${version}/SHA256SUMS`), sha256sums_sig_url: server.url(`/v${version}/SHA256SUMS.asc`),
      }],
    };
  }

  /** Publishes the image of `version` with its signed SHA256SUMS. */
  async function publish(version: string, arch = 'amd64'): Promise<void> {
    const name = `macula-os-${version}-${arch}.img`;
    const sums = Buffer.from(`${sha256(image)}  ${name}\n`);
    server.setFile(`/v${version}/${name}`, image);
    server.setFile(`/v${version}/SHA256SUMS`, sums);
    server.setFile(`/v${version}/SHA256SUMS.asc`, Buffer.from(await release.sign(sums, { armor: true })));
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-catalog-trust-'));
    server = await startHttpTestServer();
    [release, attacker] = await Promise.all([createGpgHome({ uid: 'Release <release@example.invalid>' }), createGpgHome({ uid: 'Mallory <m@example.invalid>' })]);
    keyFile = join(dir, 'release-key.asc');
    await writeFile(keyFile, release.publicKeyArmored);
    await publish('1.0.0');
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await release?.cleanup();
    await attacker?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A fresh config dir per case, so the newest versions seen (no-downgrade record) do not leak between cases. */
  let configs = 0;
  const env = (): Record<string, string> => ({ MACULA_CONFIG_DIR: join(dir, `config-${configs++}`) });

  it('lists a catalog file whose catalog.json.asc verifies against the release key, naming the signer', async () => {
    const file = await writeSignedCatalog(join(dir, 'good.json'), release, catalogOf('1.0.0'));
    const run = await macula(['catalog', '--url', file, '--key', keyFile, '--json'], env());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.events.find((e) => e['event'] === 'catalog')).toMatchObject({ source: 'file', signer: release.fingerprint });
  });

  it('refuses a catalog without its signature (exit 3, ERR_SIGNATURE_MISSING), file or remote', async () => {
    const file = join(dir, 'unsigned.json');
    await writeFile(file, JSON.stringify(catalogOf('1.0.0')));
    const local = await macula(['catalog', '--url', file, '--key', keyFile, '--json'], env());
    expect(local.code).toBe(3);
    expect(local.events.at(-1)).toMatchObject({ event: 'error', code: 'ERR_SIGNATURE_MISSING' });
    expect(String(local.events.at(-1)?.['message'])).toContain(`${file}.asc`);

    server.setFile('/unsigned/catalog.json', Buffer.from(JSON.stringify(catalogOf('1.0.0'))));
    const remote = await macula(['catalog', '--url', server.url('/unsigned/catalog.json'), '--key', keyFile, '--allow-http', '--json'], env());
    expect(remote.code).toBe(3);
    expect(remote.events.at(-1)).toMatchObject({ event: 'error', code: 'ERR_SIGNATURE_MISSING' });
  });

  it('refuses an edited catalog under the original signature (ERR_SIGNATURE_INVALID) and fetches nothing it lists', async () => {
    const { bytes, sig } = await signCatalog(release, catalogOf('1.0.0'));
    const edited = Buffer.from(bytes.toString().replace('"name": "MaculaOS 1.0.0"', '"name": "MaculaOS 1.0.0 (evil)"'));
    expect(edited.equals(bytes)).toBe(false);
    server.setFile('/edited/catalog.json', edited);
    server.setFile('/edited/catalog.json.asc', sig);
    server.clearLog();
    const run = await macula(
      ['download', '1.0.0-amd64-airgapped', '--catalog', server.url('/edited/catalog.json'), '--key', keyFile, '--cache', join(dir, 'c1'), '--allow-http', '--json'],
      env(),
    );
    expect(run.code).toBe(3);
    expect(run.events.at(-1)).toMatchObject({ event: 'error', code: 'ERR_SIGNATURE_INVALID' });
    expect(server.log.map((r) => r.path)).toEqual(['/edited/catalog.json', '/edited/catalog.json.asc']);
  });

  it('refuses a catalog signed by a key that is not trusted (ERR_SIGNATURE_UNKNOWN_KEY)', async () => {
    const url = await serveSignedCatalog(server, '/mallory/catalog.json', attacker, catalogOf('1.0.0'));
    const run = await macula(['catalog', '--url', url, '--key', keyFile, '--allow-http', '--json'], env());
    expect(run.code).toBe(3);
    expect(run.events.at(-1)).toMatchObject({ event: 'error', code: 'ERR_SIGNATURE_UNKNOWN_KEY' });
    expect(String(run.events.at(-1)?.['message'])).toContain(attacker.keyId);
  });

  it('takes the signature from --catalog-sig when it is not beside the catalog', async () => {
    const { bytes, sig } = await signCatalog(release, catalogOf('1.0.0'));
    server.setFile('/elsewhere/catalog.json', bytes);
    const sigFile = join(dir, 'detached.asc');
    await writeFile(sigFile, sig);
    const url = server.url('/elsewhere/catalog.json');
    const ok = await macula(['catalog', '--url', url, '--catalog-sig', sigFile, '--key', keyFile, '--allow-http', '--json'], env());
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const downloaded = await macula(
      ['download', '1.0.0-amd64-airgapped', '--catalog', url, '--catalog-sig', sigFile, '--key', keyFile, '--cache', join(dir, 'c2'), '--allow-http', '--json'],
      env(),
    );
    expect(downloaded.code).toBe(0);
    expect(await readFile(String(downloaded.events.find((e) => e['event'] === 'downloaded')?.['path']))).toEqual(image);
  });
});
