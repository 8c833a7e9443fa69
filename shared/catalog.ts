import { z } from 'zod';

/**
 * The release catalog: which MaculaOS images exist and how to check them.
 * Modelled on Raspberry Pi Imager's `os_list` JSON (snake_case keys, `extract_size`, `extract_sha256`,
 * `image_download_size`, `image_download_sha256`, `release_date`, `init_format`), extended with what MaculaOS
 * needs: version, arch, variant, bmap, minimum target size and the signed `SHA256SUMS` of the release.
 */

export const CATALOG_FORMAT_VERSION = 1;

/** Where the catalog lives by default: the latest MaculaOS GitHub release (plan §7.5). */
export const DEFAULT_CATALOG_URL = 'https://github.com/macula-io/macula-os/releases/latest/download/catalog.json';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (SHA-256)');
const httpUrl = z.url({ protocol: /^https?$/ });
const byteCount = z.number().int().nonnegative();

export const ARCHES = ['amd64', 'arm64'] as const;
export const VARIANTS = ['airgapped', 'netboot', 'rpi'] as const;

/** A SemVer version (SemVer §2, §9: `1.0.0`, `1.0.0-rc.1`), as the catalog and the seen-versions record hold it. */
export const versionSchema = z.string().regex(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/, 'must be a SemVer version such as 1.0.0');

export const archSchema = z.enum(ARCHES);
export const variantSchema = z.enum(VARIANTS);

export type Arch = z.infer<typeof archSchema>;
/** airgapped ISO (self-contained), netboot ISO (downloads its root), Raspberry Pi IMG. */
export type Variant = z.infer<typeof variantSchema>;

export const catalogImageSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(''),
  version: versionSchema,
  release_date: z.iso.date(),
  arch: archSchema,
  variant: variantSchema,
  url: httpUrl,
  icon: httpUrl.optional(),
  image_download_size: byteCount,
  image_download_sha256: sha256Hex,
  extract_size: byteCount,
  extract_sha256: sha256Hex,
  bmap_url: httpUrl.optional(),
  min_target_size: byteCount,
  init_format: z.literal('maculaos'),
  sha256sums_url: httpUrl,
  sha256sums_sig_url: httpUrl,
});

export const catalogSchema = z.strictObject({
  catalog_version: z.literal(CATALOG_FORMAT_VERSION),
  /** Free text shown in the UI, e.g. where this catalog comes from. */
  title: z.string().optional(),
  os_list: z.array(catalogImageSchema).min(1),
});

export type CatalogImage = z.infer<typeof catalogImageSchema>;
export type Catalog = z.infer<typeof catalogSchema>;

/** A stable, human-typable id of a catalog entry: `1.0.0-amd64-airgapped`. */
export function catalogEntryId(image: Pick<CatalogImage, 'version' | 'arch' | 'variant'>): string {
  return `${image.version}-${image.arch}-${image.variant}`;
}

/** The file name of the download, i.e. the last segment of its URL (what `SHA256SUMS` lists). */
export function downloadFileName(image: Pick<CatalogImage, 'url'>): string {
  // No URL class here: shared/ runs where only ES2022 is guaranteed.
  const path = image.url.replace(/[?#].*$/, '');
  return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
}
