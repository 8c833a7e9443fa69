import type { Readable } from 'node:stream';
import type { ImageCompression } from '../../../shared/image-format';
import type { ImageReader } from './image-reader';
import type { PlacedReader } from './placed-reader';

/** An image file opened for reading: what it is, and a way to stream its decompressed bytes. */
export interface ImageSource {
  readonly path: string;
  readonly compression: ImageCompression;
  /** Size of the file on disk. */
  readonly compressedSize: number;
  /** Name of the image entry inside a zip. */
  readonly entryName?: string;
  /** Uncompressed size when the container records it reliably (zip header, xz index, raw file size). */
  readonly sizeHint?: number;
  /** Why the content, not the file name, decided the format (name and bytes disagree). */
  readonly note?: string;
  /** A fresh stream of the decompressed image bytes; errors are MaculaErrors; aborting destroys it with ERR_ABORTED. */
  createReadStream(signal?: AbortSignal): Readable;
  /**
   * The same bytes read into buffers the caller owns (see ImageReader), for formats whose decoder can write into them
   * (xz, zstd): no copy out of a decoder's buffer and no garbage buffer per piece. Errors as for `createReadStream`.
   */
  openReader?(signal?: AbortSignal): ImageReader;
  /**
   * The same bytes decoded out of order, each piece to its place (see PlacedReader), where the format allows it: a
   * multi-Block .xz. Errors as for `createReadStream`.
   */
  openPlaced?(signal?: AbortSignal): PlacedReader;
}
