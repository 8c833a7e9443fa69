import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppEngine, createAppEngine } from '../electron/engine/app/app-engine';
import { EXTRA_CA_FILE } from '../electron/engine/app/extra-ca';
import { resolveImage } from '../electron/engine/app/resolve-image';
import { dispatchIpc } from '../electron/engine/ipc-dispatch';
import { assetsTrusting } from './helpers/catalog-release';
import { macula } from './helpers/cli';
import { type GpgHome, createGpgHome } from './helpers/gpg';
import { type HttpsTestServer, type TestServer, startHttpTestServer, startHttpsTestServer } from './helpers/http-test-server';
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

  /** A one-entry catalog of `version`, served from /v{version}/ of `on`. */
  function catalogOf(version: string, arch = 'amd64', variant = 'airgapped', on: TestServer = server): Record<string, unknown> {
    const name = `macula-os-${version}-${arch}.img`;
    return {
      catalog_version: 1,
      os_list: [{
        name: `MaculaOS ${version}`, version, release_date: '2026-11-01', arch, variant,
        url: on.url(`/v${version}/${name}`), image_download_size: image.length, image_download_sha256: sha256(image),
        extract_size: image.length, extract_sha256: sha256(image), min_target_size: image.length, init_format: 'maculaos',
        sha256sums_url: on.url(`/v${version}/SHA256SUMS`), sha256sums_sig_url: on.url(`/v${version}/SHA256SUMS.asc`),
      }],
    };
  }

  /** Publishes the image of `version` with its signed SHA256SUMS on `on`. */
  async function publish(version: string, arch = 'amd64', on: TestServer = server): Promise<void> {
    const name = `macula-os-${version}-${arch}.img`;
    const sums = Buffer.from(`${sha256(image)}  ${name}\n`);
    on.setFile(`/v${version}/${name}`, image);
    on.setFile(`/v${version}/SHA256SUMS`, sums);
    on.setFile(`/v${version}/SHA256SUMS.asc`, Buffer.from(await release.sign(sums, { armor: true })));
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
    expect((await readFile(String(downloaded.events.find((e) => e['event'] === 'downloaded')?.['path']))).equals(image)).toBe(true);
  });

  /** Catalogs `versions` of amd64-airgapped, signed and served at /cat/NAME.json; returns the URL. */
  const served = async (name: string, catalog: Record<string, unknown>): Promise<string> => serveSignedCatalog(server, `/cat/${name}.json`, release, catalog);

  it('refuses a signed catalog older than one already seen (exit 2, ERR_CATALOG_DOWNGRADE) and fetches nothing it lists', async () => {
    await publish('1.1.0');
    const config = env();
    const newer = await served('newer', catalogOf('1.1.0'));
    const older = await served('older', catalogOf('1.0.0'));
    const first = await macula(['catalog', '--url', newer, '--key', keyFile, '--allow-http', '--json'], config);
    expect(first.code).toBe(0);
    expect(JSON.parse(await readFile(join(config['MACULA_CONFIG_DIR'] ?? '', 'catalog-seen.json'), 'utf8'))).toMatchObject({ newest: { 'amd64-airgapped': '1.1.0' } });

    // The attacker replays last release's catalog, validly signed back then.
    const listed = await macula(['catalog', '--url', older, '--key', keyFile, '--allow-http', '--json'], config);
    expect(listed.code).toBe(2);
    expect(listed.events.at(-1)).toMatchObject({ event: 'error', code: 'ERR_CATALOG_DOWNGRADE' });
    expect(String(listed.events.at(-1)?.['message'])).toMatch(/amd64-airgapped.*1\.0\.0.*1\.1\.0.*--allow-downgrade/);
    server.clearLog();
    const fetched = await macula(['download', 'amd64-airgapped', '--catalog', older, '--key', keyFile, '--cache', join(dir, 'c3'), '--allow-http', '--json'], config);
    expect(fetched.code).toBe(2);
    expect(fetched.events.at(-1)).toMatchObject({ event: 'error', code: 'ERR_CATALOG_DOWNGRADE' });
    expect(server.log.map((r) => r.path)).toEqual(['/cat/older.json', '/cat/older.json.asc']);
  });

  it('takes the older catalog with --allow-downgrade, saying so, and still remembers the newer version', async () => {
    const config = env();
    await macula(['catalog', '--url', await served('newer', catalogOf('1.1.0')), '--key', keyFile, '--allow-http'], config);
    const older = await served('older', catalogOf('1.0.0'));
    const run = await macula(['download', 'amd64-airgapped', '--catalog', older, '--allow-downgrade', '--key', keyFile, '--cache', join(dir, 'c4'), '--allow-http', '--json'], config);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.events.find((e) => e['event'] === 'notice')?.['message']).toMatch(/older than seen before: amd64-airgapped 1\.0\.0 \(1\.1\.0 seen\)/);
    expect(run.events.find((e) => e['event'] === 'downloaded')).toMatchObject({ trust: 'signed' });
    expect(JSON.parse(await readFile(join(config['MACULA_CONFIG_DIR'] ?? '', 'catalog-seen.json'), 'utf8'))).toMatchObject({ newest: { 'amd64-airgapped': '1.1.0' } });
    // Older entries beside a newest one that is not older, and a variant seen for the first time, are no downgrade.
    const both = { catalog_version: 1, os_list: [...(catalogOf('1.1.0')['os_list'] as unknown[]), ...(catalogOf('1.0.0')['os_list'] as unknown[]), ...(catalogOf('0.9.0', 'arm64', 'rpi')['os_list'] as unknown[])] };
    const ok = await macula(['catalog', '--url', await served('both', both), '--key', keyFile, '--allow-http', '--json'], config);
    expect(ok.code).toBe(0);
    expect(JSON.parse(await readFile(join(config['MACULA_CONFIG_DIR'] ?? '', 'catalog-seen.json'), 'utf8'))).toMatchObject({ newest: { 'amd64-airgapped': '1.1.0', 'arm64-rpi': '0.9.0' } });
  });

  it('an unsigned or badly signed catalog teaches nothing: a forged 9.9.9 cannot block the real release', async () => {
    const config = env();
    server.setFile('/forged/catalog.json', Buffer.from(JSON.stringify(catalogOf('9.9.9'))));
    server.setFile('/forged/catalog.json.asc', await attacker.sign(Buffer.from(JSON.stringify(catalogOf('9.9.9'))), { armor: true }).then(Buffer.from));
    expect((await macula(['catalog', '--url', server.url('/forged/catalog.json'), '--key', keyFile, '--allow-http'], config)).code).toBe(3);
    expect(existsSync(join(config['MACULA_CONFIG_DIR'] ?? '', 'catalog-seen.json'))).toBe(false);
    expect((await macula(['catalog', '--url', await served('real', catalogOf('1.1.0')), '--key', keyFile, '--allow-http'], config)).code).toBe(0);
  });

  describe('in the app (IPC contract)', () => {
    let engine: AppEngine;
    let configDir: string;
    let tls: HttpsTestServer;
    const assetsBefore = process.env['MACULA_ASSETS_DIR'];

    beforeAll(async () => {
      configDir = join(dir, 'app-config');
      await mkdir(configDir, { recursive: true });
      tls = await startHttpsTestServer();
      await writeFile(join(configDir, EXTRA_CA_FILE), tls.caPem);
      process.env['MACULA_ASSETS_DIR'] = await assetsTrusting(join(dir, 'app-assets'), release);
      engine = createAppEngine({ launch: () => ({ kind: 'in-process' }), configDir, fleetDir: join(dir, 'app-fleet'), driveSource: { list: async () => [] } });
    });

    afterAll(async () => {
      engine?.close();
      await tls?.close();
      if (assetsBefore === undefined) delete process.env['MACULA_ASSETS_DIR'];
      else process.env['MACULA_ASSETS_DIR'] = assetsBefore;
    });

    it('refuses a rolled-back catalog with ERR_CATALOG_DOWNGRADE, and loads it, with the reason, once the user chooses to', async () => {
      const newer = await serveSignedCatalog(tls, '/newer.json', release, catalogOf('1.1.0'));
      const older = await serveSignedCatalog(tls, '/older.json', release, catalogOf('1.0.0'));
      const load = (url: string, allowDowngrade?: boolean) =>
        dispatchIpc('catalog.load', { url, ...(allowDowngrade !== undefined ? { allowDowngrade } : {}) }, engine.handlers);
      expect(await load(newer)).toMatchObject({ ok: true, value: { signer: release.fingerprint } });
      const refused = await load(older);
      expect(refused).toMatchObject({ ok: false, error: { code: 'ERR_CATALOG_DOWNGRADE' } });
      expect(await load(older, true)).toMatchObject({
        ok: true,
        value: { downgrades: [{ kind: 'amd64-airgapped', offered: '1.0.0', seen: '1.1.0' }] },
      });
      expect(JSON.parse(await readFile(join(configDir, 'catalog-seen.json'), 'utf8'))).toMatchObject({ newest: { 'amd64-airgapped': '1.1.0' } });
    });
      it('loads the same new catalog from several windows at once without tripping over its own record', async () => {
      const url = await serveSignedCatalog(tls, '/concurrent.json', release, catalogOf('1.2.0', 'arm64', 'rpi', tls));
      const results = await Promise.all(Array.from({ length: 4 }, () => dispatchIpc('catalog.load', { url }, engine.handlers)));
      expect(results.map((r) => (r.ok ? 'ok' : r.error.message))).toEqual(['ok', 'ok', 'ok', 'ok']);
      expect(JSON.parse(await readFile(join(configDir, 'catalog-seen.json'), 'utf8'))).toMatchObject({ newest: { 'arm64-rpi': '1.2.0' } });
    });

    it('a flash of an entry of that catalog goes ahead only with the choice made in Choose OS (allowDowngrade)', async () => {
      await publish('1.0.0', 'amd64', tls);
      const older = await serveSignedCatalog(tls, '/flash-older.json', release, catalogOf('1.0.0', 'amd64', 'airgapped', tls));
      const where = { ca: Buffer.from(tls.caPem), configDir };
      const choice = { kind: 'catalog', entryId: '1.0.0-amd64-airgapped', catalogUrl: older } as const;
      const cacheBefore = process.env['MACULA_CACHE_DIR'];
      process.env['MACULA_CACHE_DIR'] = join(dir, 'app-cache');
      try {
        const signal = new AbortController().signal;
        await expect(resolveImage(choice, signal, where, () => undefined)).rejects.toMatchObject({ code: 'ERR_CATALOG_DOWNGRADE' });
        const resolved = await resolveImage({ ...choice, allowDowngrade: true }, signal, where, () => undefined);
        expect((await readFile(resolved.path)).equals(image)).toBe(true);
      } finally {
        if (cacheBefore === undefined) delete process.env['MACULA_CACHE_DIR'];
        else process.env['MACULA_CACHE_DIR'] = cacheBefore;
      }
    });
  });
});
