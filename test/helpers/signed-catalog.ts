import { writeFile } from 'node:fs/promises';
import type { GpgHome } from './gpg';
import type { TestServer } from './http-test-server';

/**
 * A release catalog as a publisher ships it: the JSON bytes and `catalog.json.asc` beside them, a detached armored
 * signature made by a real GnuPG key (docs/acquisition.md, "Signed catalog").
 */

/** The catalog's bytes and a detached armored signature over exactly those bytes. */
export async function signCatalog(gpg: GpgHome, catalog: unknown): Promise<{ bytes: Buffer; sig: Buffer }> {
  const bytes = Buffer.from(JSON.stringify(catalog, null, 2));
  return { bytes, sig: Buffer.from(await gpg.sign(bytes, { armor: true })) };
}

/** Writes `path` and `path.asc`; returns `path`. */
export async function writeSignedCatalog(path: string, gpg: GpgHome, catalog: unknown): Promise<string> {
  const { bytes, sig } = await signCatalog(gpg, catalog);
  await writeFile(path, bytes);
  await writeFile(`${path}.asc`, sig);
  return path;
}

/** Serves the catalog at `path` and its signature at `path.asc`; returns the catalog's URL. */
export async function serveSignedCatalog(server: TestServer, path: string, gpg: GpgHome, catalog: unknown): Promise<string> {
  const { bytes, sig } = await signCatalog(gpg, catalog);
  server.setFile(path, bytes);
  server.setFile(`${path}.asc`, sig);
  return server.url(path);
}
