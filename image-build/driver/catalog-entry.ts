import { type Catalog, type CatalogImage, CATALOG_FORMAT_VERSION, catalogImageSchema, catalogSchema } from '../../shared/catalog';
import type { BuildOptions } from './options';

const MiB = 1024 * 1024;
/** The flasher adds MACULAOS_STATE after the image and refuses less than 64 MiB for it (docs/seeding.md). */
const STATE_MIN = 64 * MiB;

export interface BuiltImage {
  readonly fileName: string;
  readonly size: number;
  readonly sha256: string;
}

/** The release's catalog entry (shared/catalog.ts), checked against the schema the app reads it with. */
export function catalogEntry(options: BuildOptions, image: BuiltImage, releaseDate: string): CatalogImage {
  const variantName = options.variant === 'airgapped' ? 'Airgapped' : options.variant === 'netboot' ? 'Netboot' : 'Raspberry Pi';
  return catalogImageSchema.parse({
    name: `MaculaOS ${options.version} (${options.arch}, ${variantName})`,
    description:
      options.variant === 'netboot'
        ? `Netboot MaculaOS on a Debian bookworm base: boots a kernel and a small initrd, which downloads the signed root squashfs from ${options.baseUrl}/; persistence on MACULAOS_STATE.`
        : 'Live MaculaOS on a Debian bookworm base: read-only squashfs root, persistence on MACULAOS_STATE.',
    version: options.version,
    release_date: releaseDate,
    arch: options.arch,
    variant: options.variant,
    url: `${options.baseUrl}/${image.fileName}`,
    image_download_size: image.size,
    image_download_sha256: image.sha256,
    extract_size: image.size,
    extract_sha256: image.sha256,
    // Rounded up to a whole MiB, plus room for the state partition.
    min_target_size: Math.ceil(image.size / MiB) * MiB + STATE_MIN,
    init_format: 'maculaos',
    sha256sums_url: `${options.baseUrl}/SHA256SUMS`,
    sha256sums_sig_url: `${options.baseUrl}/SHA256SUMS.asc`,
  });
}

/** A whole catalog holding just this entry: `macula catalog --url catalog.json` reads it as is. */
export function catalogOf(entry: CatalogImage): Catalog {
  return catalogSchema.parse({ catalog_version: CATALOG_FORMAT_VERSION, title: `MaculaOS ${entry.version} build`, os_list: [entry] });
}
