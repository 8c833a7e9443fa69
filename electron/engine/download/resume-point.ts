import { stat } from 'node:fs/promises';
import { readSidecar, type PartialPaths, type Sidecar } from './partial-state';

/** Where a resumed request starts: the bytes on disk (whose hash the downloader seeds from the file) and the If-Range validator. */
export interface ResumePoint {
  readonly offset: number;
  readonly ifRange?: string;
  readonly total?: number;
}

/**
 * Decides whether the partial on disk can be resumed, and from which offset.
 * Without a validator the server cannot tell us whether the resource changed (RFC 9110 §13.1.5), so we resume
 * only when the content is pinned by an expected hash, which catches a changed file at the end.
 */
export async function findResumePoint(paths: PartialPaths, url: URL, pinned: boolean): Promise<ResumePoint | undefined> {
  const size = await fileSize(paths.part);
  if (size === undefined || size === 0) return undefined;
  const sidecar = await readSidecar(paths.sidecar);
  if (!sidecar) return undefined;
  if (sidecar.total !== undefined && size > sidecar.total) return undefined;
  // A validator from another mirror means nothing to this server.
  const ifRange = sidecar.url === url.href ? validatorOf(sidecar) : undefined;
  if (ifRange === undefined && !pinned) return undefined;
  return {
    offset: size,
    ...(ifRange !== undefined ? { ifRange } : {}),
    ...(sidecar.total !== undefined ? { total: sidecar.total } : {}),
  };
}

/** RFC 9110 §13.1.5: If-Range takes a strong entity-tag, or else a Last-Modified date; never a weak tag. */
function validatorOf(sidecar: Sidecar): string | undefined {
  if (sidecar.etag !== undefined && !sidecar.etag.startsWith('W/')) return sidecar.etag;
  return sidecar.lastModified;
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}
