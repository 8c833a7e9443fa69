import { isMaculaError, MaculaError } from '../../../../shared/errors';
import { LzmaError } from './lzma-decoder';
import type { XzBlock } from './xz-index';
import { XzLaneFailure } from './xz-lane';

/**
 * What a failed decoding step of Block `index` (from 0) means: a MaculaError as it is; a lane that failed or ran out
 * of memory, or a reader stopped (`closed`), is ERR_IO (not bad data); anything else from liblzma or the size checks is
 * ERR_ARCHIVE_CORRUPT naming the Block (from 1, as `xz -lvv` counts) and its file offset.
 */
export function xzBlockError(path: string, blocks: readonly XzBlock[], index: number, err: unknown, closed: boolean): MaculaError {
  if (isMaculaError(err)) return err;
  if (closed) return new MaculaError('ERR_IO', `reading ${path} was stopped`, { path }, { cause: err });
  const failed = err instanceof XzLaneFailure || (err instanceof LzmaError && err.memory);
  if (failed) return new MaculaError('ERR_IO', `cannot decode ${path}: ${err.message}`, { path }, { cause: err });
  const detail = err instanceof Error ? err.message : String(err);
  const offset = blocks[index]?.offset;
  return new MaculaError('ERR_ARCHIVE_CORRUPT', `xz data in ${path} is corrupt (block ${index + 1}: ${detail})`, { path, offset }, { cause: err });
}
