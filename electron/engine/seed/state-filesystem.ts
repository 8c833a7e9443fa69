import { randomUUID } from 'node:crypto';
import type { Ext2Promises } from 'ext2fs';
import { MaculaError } from '../../../shared/errors';
import { assetPath } from '../assets';
import type { ZstdDecoder } from '../source/zstd-decoder';
import { isUuid, readSuperblock, setSuperblockUuid } from './ext4-superblock';
import { describeExt2fsError, ext2fsCode, SparseDisk, withExt2fs } from './ext2fs-session';
import { denseBytes, SparseBlocks, type SparseBytes } from './sparse-bytes';

/**
 * The MACULAOS_STATE filesystem of a seeded target, made without mounting anything or running any program, so it
 * works the same on Linux, macOS and Windows: the ext4 template built by image-build/state-template/build.sh, a fresh
 * UUID, and the seed written through libext2fs (ARCHITECTURE.md, "Formats and protocols").
 */

/** ext4 volume label of the persistence filesystem (and GPT partition name). */
export const STATE_LABEL = 'MACULAOS_STATE';
/** The seed, mode 0600, owner root: secrets live only here. */
export const STATE_CONFIG_PATH = '/macula/system/config.yaml';
/** Empty marker: the node grows the partition and this filesystem to the end of the medium on first boot. */
export const STATE_GROWPART_PATH = '/macula/system/growpart';
/** The compressed template among the app's assets. */
export const STATE_TEMPLATE_ASSET = 'state-template.ext4.zst';

/**
 * Largest seed accepted: far above what the seed schema allows (its write_files total 4 MiB), below the 9 MiB free
 * in the template. A guard, not a policy.
 */
export const MAX_STATE_CONFIG_BYTES = 8 * 1024 * 1024;
/**
 * Bytes handed to libext2fs per call. Its WebAssembly heap is a fixed 16 MiB that cannot grow, each call copies its
 * data into that heap, and running out aborts the module for the rest of the process ("Aborted(OOM)").
 */
export const EXT2FS_CHUNK_BYTES = 256 * 1024;

const CONFIG_MODE = 0o600;
const MARKER_MODE = 0o644;
const ROOT = 0;

export interface StateFilesystemOptions {
  /** The seed, written byte for byte as UTF-8. */
  readonly configYaml: string;
  /** Filesystem UUID (RFC 9562 text form); random when absent. */
  readonly uuid?: string;
}

/**
 * The whole state filesystem (16 MiB, mostly zeros; the node grows it to its partition on first boot), ready to be
 * written at the start of the new partition, as its non-zero blocks (about 60 KiB): it is never made dense, neither
 * the template nor the result. Inode and superblock times are the current clock: libext2fs reads it and offers no way
 * to set them.
 */
export async function buildSparseStateFilesystem(options: StateFilesystemOptions): Promise<SparseBytes> {
  const uuid = options.uuid ?? randomUUID();
  if (!isUuid(uuid)) {
    throw new MaculaError('ERR_USAGE', `filesystem UUID ${JSON.stringify(uuid)} is not a UUID`, { field: 'uuid' });
  }
  const config = Buffer.from(options.configYaml, 'utf8');
  if (config.length > MAX_STATE_CONFIG_BYTES) {
    throw new MaculaError('ERR_NO_SPACE', `the seed is ${config.length} bytes, more than ${MAX_STATE_CONFIG_BYTES}`, {
      expected: MAX_STATE_CONFIG_BYTES,
      actual: config.length,
      path: STATE_CONFIG_PATH,
    });
  }
  const fs = await loadSparseTemplate();
  const head = Buffer.alloc(HEAD_BYTES);
  fs.read(head, 0, HEAD_BYTES, 0);
  setSuperblockUuid(head, uuid);
  fs.write(head, 0, HEAD_BYTES, 0);
  try {
    await withExt2fs(new SparseDisk(fs), 0, async ({ promises }) => {
      await createFile(promises, STATE_CONFIG_PATH, config, CONFIG_MODE);
      await createFile(promises, STATE_GROWPART_PATH, Buffer.alloc(0), MARKER_MODE);
    });
  } catch (err) {
    if (err instanceof MaculaError) throw err;
    const code = ext2fsCode(err);
    if (code === 'ENOSPC') {
      throw new MaculaError('ERR_NO_SPACE', `the seed (${config.length} bytes) does not fit the state filesystem`, {
        actual: config.length,
        path: STATE_CONFIG_PATH,
      }, { cause: err });
    }
    throw new MaculaError('ERR_IO', `writing the state filesystem failed: ${describeExt2fsError(err)}`, {
      path: STATE_CONFIG_PATH,
    }, { cause: err });
  }
  return fs.toSparse();
}

/** buildSparseStateFilesystem's filesystem as one dense buffer (16 MiB): for tests and for writing it to a file. */
export async function buildStateFilesystem(options: StateFilesystemOptions): Promise<Buffer> {
  return denseBytes(await buildSparseStateFilesystem(options));
}

/** The filesystem's first bytes: the superblock (at 1024) and whatever shares its block. */
const HEAD_BYTES = 4096;

/**
 * The template, decompressed a piece at a time into its non-zero blocks, checked to be what build.sh makes (ext4, our
 * label, metadata_csum_seed).
 */
async function loadSparseTemplate(): Promise<SparseBlocks> {
  const path = assetPath(STATE_TEMPLATE_ASSET);
  // Decoded a piece at a time: whole it would be 16 MiB (zstd-napi's DecompressStream also decodes it all at once).
  // Imported here, not at the top: the node agent's bundle takes this module's constants, and must not take the
  // zstd native addon with them (it has no node_modules on the node).
  const { ZstdDecoder } = await import('../source/zstd-decoder');
  const fs = await SparseBlocks.fromChunks(decodedPieces(new ZstdDecoder(path)));
  const head = Buffer.alloc(Math.min(HEAD_BYTES, fs.length));
  fs.read(head, 0, head.length, 0);
  const sb = readSuperblock(head);
  if (!sb.isExt || sb.label !== STATE_LABEL || !sb.checksumSeeded || !sb.metadataCsum) {
    throw new MaculaError('ERR_FORMAT_UNKNOWN', `${path} is not a ${STATE_LABEL} ext4 template with metadata_csum_seed`, {
      path,
    });
  }
  return fs;
}

/** What `reader` decodes, TEMPLATE_PIECE bytes at a time into one buffer (each piece is used before the next). */
async function* decodedPieces(reader: ZstdDecoder): AsyncGenerator<Buffer> {
  const buffer = Buffer.allocUnsafe(TEMPLATE_PIECE);
  try {
    for (let n = await reader.read(buffer); n > 0; n = await reader.read(buffer)) yield buffer.subarray(0, n);
  } finally {
    await reader.close();
  }
}

const TEMPLATE_PIECE = 64 * 1024;

/** The template, decompressed whole (16 MiB) and checked: for tests. */
export async function loadStateTemplate(): Promise<Buffer> {
  return denseBytes((await loadSparseTemplate()).toSparse());
}

/**
 * Creates `path` (which must not exist) with `mode`, owner root:root, holding `bytes`. The mode is given at creation:
 * ext2fs's `writeFile` ignores its `mode` option. Checked afterwards, so a library that drops it cannot pass silently.
 */
async function createFile(fs: Ext2Promises, path: string, bytes: Buffer, mode: number): Promise<void> {
  const { O_WRONLY, O_CREAT, O_EXCL } = fs.constants;
  const { fd } = await fs.open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
  try {
    let done = 0;
    while (done < bytes.length) {
      // ext2fs 4.2 ignores the buffer offset argument, hence the subarray.
      const chunk = bytes.subarray(done, done + EXT2FS_CHUNK_BYTES);
      const { bytesWritten } = await fs.write(fd, chunk, 0, chunk.length, done);
      if (bytesWritten <= 0) throw new MaculaError('ERR_IO', `no progress writing ${path}`, { path, offset: done });
      done += bytesWritten;
    }
    await fs.fchown(fd, ROOT, ROOT);
    const stats = await fs.fstat(fd);
    if ((stats.mode & 0o7777) !== mode || stats.uid !== ROOT || stats.gid !== ROOT || stats.size !== bytes.length) {
      throw new MaculaError('ERR_IO', `${path} came out mode ${(stats.mode & 0o7777).toString(8)}, owner ${stats.uid}:${stats.gid}`, {
        path,
        expected: `${mode.toString(8)} ${ROOT}:${ROOT} ${bytes.length} bytes`,
        actual: `${(stats.mode & 0o7777).toString(8)} ${stats.uid}:${stats.gid} ${stats.size} bytes`,
      });
    }
  } finally {
    await fs.close(fd);
  }
}
