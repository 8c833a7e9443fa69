import { open } from 'node:fs/promises';
import { MaculaError } from '../../../shared/errors';
import { readSuperblock } from './ext4-superblock';
import { describeExt2fsError, ext2fsCode, OverlayDisk, withExt2fs, type ReadAt } from './ext2fs-session';
import { EXT2FS_CHUNK_BYTES, MAX_STATE_CONFIG_BYTES, STATE_CONFIG_PATH, STATE_GROWPART_PATH } from './state-filesystem';

/** The seed found on a state filesystem (for `macula seed show DEV`); the text holds secrets: mask before printing. */
export interface StateConfig {
  readonly text: string;
  /** Permission bits of config.yaml (0o600 when seeded by us). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Whether the first-boot growpart marker is still there (the node removes it once grown). */
  readonly growpart: boolean;
  readonly label: string;
  readonly uuid: string;
}

/** Where the state filesystem is: a buffer holding it, or a file or device with the filesystem at `offset`. */
export type StateSource = Buffer | { readonly path: string; readonly offset?: number };

/**
 * Reads config.yaml back through libext2fs, without mounting and without writing a byte: the file is opened with
 * O_NOATIME and whatever libext2fs writes on close stays in a copy-on-write overlay.
 */
export async function readStateConfig(source: StateSource): Promise<StateConfig> {
  if (Buffer.isBuffer(source)) return readFrom(bufferReader(source), 'buffer');
  const handle = await open(source.path, 'r').catch((err: unknown) => {
    throw new MaculaError('ERR_IO', `cannot open ${source.path}`, { path: source.path }, { cause: err });
  });
  try {
    const base = source.offset ?? 0;
    return await readFrom(async (buffer, offset, length, position) => {
      const { bytesRead } = await handle.read(buffer, offset, length, base + position);
      if (bytesRead !== length) throw new RangeError(`short read at ${base + position}`);
    }, source.path);
  } finally {
    await handle.close();
  }
}

function bufferReader(bytes: Buffer): ReadAt {
  return async (buffer, offset, length, position) => {
    if (position + length > bytes.length) throw new RangeError(`read past the end at ${position}`);
    bytes.copy(buffer, offset, position, position + length);
  };
}

async function readFrom(readAt: ReadAt, where: string): Promise<StateConfig> {
  const head = Buffer.alloc(2048);
  await readAt(head, 0, head.length, 0).catch(() => undefined);
  const sb = readSuperblock(head);
  if (!sb.isExt) throw new MaculaError('ERR_FORMAT_UNKNOWN', `${where}: no ext2/3/4 filesystem found`, { path: where });
  try {
    return await withExt2fs(new OverlayDisk(readAt), 0, async ({ promises: fs }) => {
      const { fd } = await fs.open(STATE_CONFIG_PATH, fs.constants.O_RDONLY | fs.constants.O_NOATIME, 0);
      try {
        const stats = await fs.fstat(fd);
        if (stats.size > MAX_STATE_CONFIG_BYTES) {
          throw new MaculaError('ERR_IO', `${where}: ${STATE_CONFIG_PATH} is ${stats.size} bytes, too large for a seed`, {
            path: STATE_CONFIG_PATH,
            expected: MAX_STATE_CONFIG_BYTES,
            actual: stats.size,
          });
        }
        const bytes = Buffer.alloc(stats.size);
        let done = 0;
        while (done < bytes.length) {
          const chunk = Buffer.alloc(Math.min(EXT2FS_CHUNK_BYTES, bytes.length - done));
          const { bytesRead } = await fs.read(fd, chunk, 0, chunk.length, done);
          if (bytesRead <= 0) break;
          chunk.copy(bytes, done, 0, bytesRead);
          done += bytesRead;
        }
        const growpart = await fs.stat(STATE_GROWPART_PATH).then(
          () => true,
          () => false,
        );
        return {
          text: bytes.subarray(0, done).toString('utf8'),
          mode: stats.mode & 0o7777,
          uid: stats.uid,
          gid: stats.gid,
          growpart,
          label: sb.label,
          uuid: sb.uuid,
        };
      } finally {
        await fs.close(fd);
      }
    });
  } catch (err) {
    if (err instanceof MaculaError) throw err;
    const code = ext2fsCode(err);
    if (code === 'ENOENT') {
      throw new MaculaError('ERR_IO', `${where}: no ${STATE_CONFIG_PATH} on this filesystem`, { path: STATE_CONFIG_PATH }, { cause: err });
    }
    throw new MaculaError('ERR_IO', `${where}: reading the state filesystem failed: ${describeExt2fsError(err)}`, { path: where }, { cause: err });
  }
}
