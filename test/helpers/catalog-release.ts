import { createHash } from 'node:crypto';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { type Catalog, type CatalogImage, catalogEntryId } from '../../shared/catalog';
import type { GpgHome } from './gpg';
import type { TestServer } from './http-test-server';
import { serveSignedCatalog } from './signed-catalog';

/**
 * A MaculaOS release as the app meets it, made for one test: an image, its SHA256SUMS with a detached signature by a
 * real GnuPG key, and a catalog (shared/catalog.ts) naming them, signed by the same key, all served by a test server;
 * plus an assets directory (MACULA_ASSETS_DIR) whose pinned release key is that test key, so the engine trusts the
 * release as it trusts a real one.
 */

/** Which catalog entry the image is published as. */
export interface ReleaseEntry {
  readonly name: string;
  readonly version: string;
  readonly arch: CatalogImage['arch'];
  readonly variant: CatalogImage['variant'];
}

export interface PublishedRelease {
  readonly catalogUrl: string;
  readonly entry: CatalogImage;
  /** `1.2.3-arm64-rpi`: what the app sends back when this entry is flashed. */
  readonly entryId: string;
  /** Where the image, SHA256SUMS and SHA256SUMS.asc are served. */
  readonly imagePath: string;
  readonly sumsPath: string;
  readonly sigPath: string;
  /** The SHA256SUMS bytes as served (for a signature over other bytes, in the tampered case). */
  readonly sums: Buffer;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Serves `image` under /release/, its signed SHA256SUMS beside it and /catalog.json (signed: .asc) listing it as `entry`. */
export async function publishRelease(server: TestServer, gpg: GpgHome, image: string, entry: ReleaseEntry): Promise<PublishedRelease> {
  const bytes = await readFile(image);
  const name = basename(image);
  const digest = sha256(bytes);
  const sums = Buffer.from(`${digest}  ${name}\n`);
  const [imagePath, sumsPath, sigPath] = ['/release/' + name, '/release/SHA256SUMS', '/release/SHA256SUMS.asc'] as const;
  server.setFile(imagePath, bytes);
  server.setFile(sumsPath, sums);
  server.setFile(sigPath, Buffer.from(await gpg.sign(sums, { armor: true })));
  const listed: CatalogImage = {
    name: entry.name,
    description: 'A test image published by the test',
    version: entry.version,
    release_date: '2026-01-15',
    arch: entry.arch,
    variant: entry.variant,
    url: server.url(imagePath),
    image_download_size: bytes.length,
    image_download_sha256: digest,
    extract_size: bytes.length,
    extract_sha256: digest,
    min_target_size: bytes.length,
    init_format: 'maculaos',
    sha256sums_url: server.url(sumsPath),
    sha256sums_sig_url: server.url(sigPath),
  };
  const catalog: Catalog = { catalog_version: 1, title: 'Test release catalog', os_list: [listed] };
  const catalogUrl = await serveSignedCatalog(server, '/catalog.json', gpg, catalog);
  return { catalogUrl, entry: listed, entryId: catalogEntryId(listed), imagePath, sumsPath, sigPath, sums };
}

/** An assets directory like the shipped one (links to its files) whose pinned release key is `gpg`'s public key. */
export async function assetsTrusting(dir: string, gpg: GpgHome): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const name of ['catalog.json', 'state-template.ext4.zst']) await symlink(resolve('assets', name), join(dir, name));
  await writeFile(join(dir, 'release-key.asc'), gpg.publicKeyArmored);
  return dir;
}
