import { MaculaError, isMaculaError } from '../../../shared/errors';
import type { WriterResult } from '../../../shared/writer-protocol';
import type { AcquiredImage } from '../acquire/acquire-image';
import type { ImageStream } from '../acquire/stream-acquire';
import { openImage } from '../source/open-image';
import { type FlashWriteOptions, runFlashWrite } from './flash-write';

/** A streamed flash's outcome: the write's result and the image as it now lies in the cache. */
export interface StreamedFlash {
  readonly result: WriterResult;
  readonly image: AcquiredImage;
}

/**
 * Flashes an image while it downloads (docs/flashing.md, "Streaming from a download"): the writer reads the partial
 * file as it grows and writes every target meanwhile; chunk 0 only once the download's SHA-256 and the writer's own
 * hash of what it read both matched the signed one. Then the file moves into the cache.
 *
 * A failed download is the error thrown (the write stopped short of chunk 0 because of it). When the server's file
 * changed mid-transfer, what the writer read was of two files: once the download is complete and verified, the write
 * runs again, from the cached file.
 */
export async function writeStreamed(o: Omit<FlashWriteOptions, 'growing' | 'expectedSha256'>, stream: ImageStream): Promise<StreamedFlash> {
  let result: WriterResult | undefined;
  let failure: unknown;
  try {
    result = await runFlashWrite({
      ...o,
      expectedSha256: stream.sha256,
      growing: { expectedSize: stream.expectedSize, downloaded: stream.downloaded },
    });
  } catch (err) {
    failure = err;
  }
  // The download's failure, if any, is what stopped the write: that is the error the user needs, told what it means.
  const image = await stream.settle().catch((err: unknown) => {
    if (!isMaculaError(err)) throw err;
    throw new MaculaError(err.code, `${err.message}; the write stopped before the target's first MiB, so it will not boot: flash it again`, err.details, { cause: err });
  });
  const failed = failure !== undefined || result === undefined || result.targets.some((t) => !t.ok);
  if (failed && stream.restarted()) {
    const again = await runFlashWrite({ ...o, image: image.path, source: await openImage(image.path), expectedSha256: image.sha256 });
    return { result: again, image };
  }
  if (failure !== undefined || result === undefined) throw failure;
  return { result, image };
}
