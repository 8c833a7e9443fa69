import { access } from 'node:fs/promises';

/*
 * Apart from read-bmap.ts: looking for a block map must not load the parser (balena's blockmap and its XML stack,
 * ≈ 16 MiB resident once imported), which every flash does and few need.
 */

/** Compression suffixes stripped when looking for a sidecar: `os.img.xz` → `os.img.bmap` (as bmaptool does). */
const COMPRESSED_SUFFIX = /\.(gz|xz|zst|bz2|zip)$/i;

/** The block map beside an image, if there is one: `IMAGE.bmap`, else for a compressed image the name without its suffix. */
export async function findSidecarBmap(imagePath: string): Promise<string | undefined> {
  const candidates = [`${imagePath}.bmap`];
  if (COMPRESSED_SUFFIX.test(imagePath)) candidates.push(`${imagePath.replace(COMPRESSED_SUFFIX, '')}.bmap`);
  for (const candidate of candidates) {
    if (await access(candidate).then(() => true, () => false)) return candidate;
  }
  return undefined;
}
