import { gunzipSync } from 'node:zlib';
import type { Seed } from '../../shared/seed';
import { MAX_FILE_BYTES, type WriteFileEncoding } from '../../shared/seed-fields';
import type { Change } from './changes';

/**
 * The seed's `write_files`, decoded as k3OS decodes them (rancher/k3os pkg/util DecodeContent): none, `b64`/`base64`,
 * or base64 of gzip (`gz+b64`, `gzip+base64` …). A file that does not decode is left out with a note, as k3OS skips
 * it, and the others are written. Decoded gzip is bounded by the seed's per-file limit (1 MiB): a small seed cannot
 * unpack into a disk-filling file.
 */

/** The file's bytes, or why there are none. */
export function decodeContent(content: string, encoding: WriteFileEncoding | undefined): { bytes: string | Uint8Array } | { problem: string } {
  if (encoding === undefined || encoding === '') return { bytes: content };
  const raw = Buffer.from(content.replace(/\s+/g, ''), 'base64');
  if (!encoding.startsWith('gz')) return { bytes: raw };
  try {
    return { bytes: gunzipSync(raw, { maxOutputLength: MAX_FILE_BYTES }) };
  } catch (err) {
    const tooBig = err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    return { problem: tooBig ? `unpacks to more than ${MAX_FILE_BYTES} bytes (1 MiB)` : 'is not gzip data' };
  }
}

/** The `write_files` part of the plan: the files, and a note for each one left out. */
export function planWriteFiles(seed: Seed): { changes: Change[]; notes: string[] } {
  const changes: Change[] = [];
  const notes: string[] = [];
  for (const [i, f] of (seed.write_files ?? []).entries()) {
    const decoded = decodeContent(f.content, f.encoding);
    if ('problem' in decoded) {
      notes.push(`write_files[${i}] (${f.path}) not written: its ${f.encoding ?? ''} content ${decoded.problem}`);
      continue;
    }
    const mode = f.permissions === undefined ? 0o644 : parseInt(f.permissions, 8);
    changes.push({ kind: 'file', path: f.path, content: decoded.bytes, mode, ...(f.owner ? { owner: f.owner } : {}) });
  }
  return { changes, notes };
}
