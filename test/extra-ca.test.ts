import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppEngine, createAppEngine } from '../electron/engine/app/app-engine';
import { EXTRA_CA_FILE, readExtraCa } from '../electron/engine/app/extra-ca';
import { assetsTrusting } from './helpers/catalog-release';
import { type GpgHome, createGpgHome } from './helpers/gpg';
import { type HttpsTestServer, startHttpsTestServer } from './helpers/http-test-server';
import { signCatalog } from './helpers/signed-catalog';
import { throwawayCa } from './helpers/throwaway-ca';

/**
 * The app's way to trust a private CA (a self-hosted catalog, mirror or Portal): extra-ca.pem in its config
 * directory, read at each use. The packaged Electron app cannot use NODE_EXTRA_CA_CERTS (its NODE_OPTIONS fuse is off).
 */
describe('extra-ca.pem in the config directory', () => {
  let dir: string;
  let server: HttpsTestServer;
  let engine: AppEngine;
  let configDir: string;
  let gpg: GpgHome;
  const assetsBefore = process.env['MACULA_ASSETS_DIR'];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'macula-extra-ca-'));
    configDir = join(dir, 'config');
    await mkdir(configDir);
    server = await startHttpsTestServer();
    // A self-hosted catalog is signed like any other: by a key the engine pins as its release key here.
    gpg = await createGpgHome();
    process.env['MACULA_ASSETS_DIR'] = await assetsTrusting(join(dir, 'assets'), gpg);
    const { bytes, sig } = await signCatalog(gpg, JSON.parse(await readFile(resolve('assets/catalog.json'), 'utf8')));
    server.setFile('/catalog.json', bytes);
    server.setFile('/catalog.json.asc', sig);
    engine = createAppEngine({ launch: () => ({ kind: 'in-process' }), configDir, fleetDir: join(dir, 'fleet'), driveSource: { list: async () => [] } });
  }, 60_000);

  afterAll(async () => {
    engine?.close();
    await server?.close();
    await gpg?.cleanup();
    if (assetsBefore === undefined) delete process.env['MACULA_ASSETS_DIR'];
    else process.env['MACULA_ASSETS_DIR'] = assetsBefore;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const loadCatalog = () => engine.handlers['catalog.load']({ url: server.url('/catalog.json') });

  it('is needed: without it, a catalog behind a private CA is refused by TLS', async () => {
    await expect(loadCatalog()).rejects.toThrow(/certificate/i);
  });

  it('makes the catalog load once it is there, without a restart', async () => {
    await writeFile(join(configDir, EXTRA_CA_FILE), server.caPem);
    const loaded = await loadCatalog();
    expect(loaded.catalog.os_list.length).toBeGreaterThan(0);
    expect(loaded.location).toBe(server.url('/catalog.json'));
  });

  it('refuses a file that is not a CA bundle, naming it, instead of failing every request far away', async () => {
    const file = join(configDir, EXTRA_CA_FILE);
    await writeFile(file, 'not a certificate\n');
    await expect(loadCatalog()).rejects.toMatchObject({ code: 'ERR_USAGE', message: expect.stringContaining(`${file} holds no PEM certificate`) });
    const other = await throwawayCa(dir, '127.0.0.1');
    await writeFile(file, other.serverCert);
    await expect(readExtraCa(configDir)).rejects.toThrow(/holds a certificate that is not a CA \(number 1, .*CN=127\.0\.0\.1/);
    await writeFile(file, `${server.caPem}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`);
    await expect(readExtraCa(configDir)).rejects.toThrow(/unreadable certificate \(number 2/);
  });

  it('is optional: no file, no extra trust', async () => {
    await rm(join(configDir, EXTRA_CA_FILE));
    expect(await readExtraCa(configDir)).toBeUndefined();
  });
});
