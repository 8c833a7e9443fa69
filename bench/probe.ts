/**
 * One engine operation per process, for bench/measure.ts:
 * `download URL SHA256 CACHE` | `decode FILE` (decompress + SHA-256, as the product does) | `decode-only FILE`.
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { download } from '../electron/engine/download/download';
import { hashImage } from '../electron/engine/source/extract';
import { openImage } from '../electron/engine/source/open-image';

const [op, ...args] = process.argv.slice(2);
const started = performance.now();
if (op === 'download') {
  const [url, sha256, cacheDir] = args as [string, string, string];
  await download({ url, expectedSha256: sha256, cacheDir, allowHttp: true });
} else if (op === 'decode') {
  const result = await hashImage(await openImage(args[0]!));
  process.stderr.write(`decoded ${result.size} bytes sha256 ${result.sha256}\n`);
} else if (op === 'decode-only') {
  const sink = new Writable({ highWaterMark: 1 << 20, write: (_chunk, _enc, done) => done() });
  await pipeline((await openImage(args[0]!)).createReadStream(), sink);
} else {
  throw new Error(`unknown probe op ${op}`);
}
process.stderr.write(`ELAPSED ${((performance.now() - started) / 1000).toFixed(3)}\n`);
