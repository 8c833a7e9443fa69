import { PassThrough } from 'node:stream';
import { open as openZip, type Entry, type ZipFile } from 'yauzl';
import { isMaculaError, MaculaError } from '../../../shared/errors';
import { archiveError } from './archive-error';
import { Crc32Check } from './crc32-check';
import { decodedStream } from './decoded-stream';
import { isZlibTruncation } from './gzip-source';
import type { ImageSource } from './image-source';
import { chooseImageEntry } from './zip-entry-policy';

/** APPNOTE 6.3.10 §4.4.5 methods yauzl can decode: 0 stored, 8 deflated. */
const DECODABLE_METHODS = new Set([0, 8]);

/** Maps yauzl/zlib failures: unsafe names, unsupported features, truncation, else corruption. */
function zipError(path: string, err: unknown): MaculaError {
  if (isMaculaError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/^(absolute path|invalid relative path|invalid characters in fileName)/.test(message)) {
    return new MaculaError('ERR_ARCHIVE_PATH_TRAVERSAL', `zip ${path} has an entry with an unsafe path (${message})`, { path }, { cause: err });
  }
  if (/unsupported compression method|encrypt|multi-disk/i.test(message)) {
    return new MaculaError('ERR_ARCHIVE_UNSUPPORTED', `zip ${path} uses an unsupported feature (${message})`, { path }, { cause: err });
  }
  const truncated = isZlibTruncation(err) || /central directory record signature not found|unexpected EOF|overflows file bounds/i.test(message);
  return archiveError('zip', path, err, truncated);
}

function openZipFile(path: string): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    openZip(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false }, (err, zip) =>
      err ? reject(err) : resolve(zip),
    );
  });
}

/** Reads the whole central directory; yauzl rejects unsafe names here, before any data is read. */
function readEntries(zip: ZipFile): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: Entry[] = [];
    zip.on('entry', (entry: Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    zip.once('error', reject);
    zip.readEntry();
  });
}

async function withEntries<T>(path: string, use: (zip: ZipFile, entries: Entry[]) => Promise<T>): Promise<T> {
  const zip = await openZipFile(path);
  try {
    return await use(zip, await readEntries(zip));
  } finally {
    zip.close();
  }
}

function checkDecodable(path: string, entry: Entry): void {
  if (entry.isEncrypted() || !DECODABLE_METHODS.has(entry.compressionMethod)) {
    const why = entry.isEncrypted() ? 'is encrypted' : `uses compression method ${entry.compressionMethod}`;
    throw new MaculaError('ERR_ARCHIVE_UNSUPPORTED', `zip ${path}: ${entry.fileName} ${why}`, { path, field: entry.fileName });
  }
}

/** Opens the chosen entry again (by name and local header offset) and pipes its data into `sink`. */
function streamEntry(path: string, chosen: Entry, sink: PassThrough): void {
  openZipFile(path)
    .then(async (zip) => {
      sink.once('close', () => zip.close());
      const entries = await readEntries(zip);
      const entry = entries.find((e) => e.fileName === chosen.fileName && e.relativeOffsetOfLocalHeader === chosen.relativeOffsetOfLocalHeader);
      if (!entry) throw new MaculaError('ERR_ARCHIVE_CORRUPT', `zip ${path} changed while reading: ${chosen.fileName} is gone`, { path });
      const data = await zip.openReadStreamPromise(entry);
      if (sink.destroyed) return void data.destroy();
      sink.once('close', () => data.destroy());
      data.once('error', (err) => sink.destroy(err));
      data.pipe(sink);
    })
    .catch((err: unknown) => sink.destroy(err instanceof Error ? err : new Error(String(err))));
}

/**
 * A zip holding one raw image (APPNOTE 6.3.10). The entry is chosen, and every name checked, when the
 * source is opened; reading checks the recorded sizes (yauzl) and CRC-32.
 */
export async function zipSource(path: string, compressedSize: number): Promise<ImageSource> {
  const chosen = await withEntries(path, async (_zip, entries) => {
    const name = chooseImageEntry(
      entries.map((e) => e.fileName),
      path,
    );
    const entry = entries.find((e) => e.fileName === name);
    if (!entry) throw new Error(`entry ${name} vanished`);
    checkDecodable(path, entry);
    return entry;
  }).catch((err: unknown) => {
    throw zipError(path, err);
  });
  return {
    path,
    compression: 'zip',
    compressedSize,
    entryName: chosen.fileName,
    sizeHint: chosen.uncompressedSize,
    createReadStream(signal) {
      const input = new PassThrough({ highWaterMark: 1 << 20 });
      streamEntry(path, chosen, input);
      return decodedStream({ path, input, decoder: new Crc32Check(chosen.crc32), mapError: (err) => zipError(path, err), signal });
    },
  };
}
