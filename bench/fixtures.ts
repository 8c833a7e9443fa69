import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where the benchmarks keep their fixtures (made once, reused) and scratch files. */
export const work = join(resolve(import.meta.dirname, '..'), '.cache', 'bench');

/** Runs a shell command, its output discarded and its errors shown. */
export function sh(command: string): void {
  execFileSync('sh', ['-c', command], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** An OS-image-like file: real binaries and text from /usr (tar), then zeros, as partitions with free space look. */
export function makeImageLike(path: string, mib: number): void {
  if (existsSync(path)) return;
  console.log(`making ${mib} MiB image-like fixture…`);
  const dataMiB = Math.floor(mib * 0.85);
  sh(`(tar cf - /usr/lib /usr/share /usr/bin 2>/dev/null | head -c ${dataMiB}M; head -c ${mib - dataMiB}M /dev/zero) > '${path}.tmp' && mv '${path}.tmp' '${path}'`);
}

/** Makes `path` with `command` unless it exists already. */
export function ensure(path: string, command: string, what: string): void {
  if (existsSync(path)) return;
  console.log(`making ${what}…`);
  sh(`${command} && test -s '${path}'`);
}

/** The 512 MiB image-like fixture and the same as multi-block `.xz` (xz -T2 -6) and `.zst` (zstd -3). */
export interface ImageFixtures {
  readonly mib: number;
  readonly image: string;
  readonly xz: string;
  readonly zst: string;
}

/** The image fixtures of the acquire and flash suites, made on first use. */
export function imageFixtures(): ImageFixtures {
  const mib = 512;
  const image = join(work, 'image.img');
  makeImageLike(image, mib);
  const xz = `${image}.xz`;
  const zst = `${image}.zst`;
  ensure(xz, `xz -T2 -6 -k -c '${image}' > '${xz}.tmp' && mv '${xz}.tmp' '${xz}'`, 'multi-block .xz (xz -T2 -6)');
  ensure(zst, `zstd -q -T2 -c '${image}' > '${zst}.tmp' && mv '${zst}.tmp' '${zst}'`, '.zst (zstd -3)');
  return { mib, image, xz, zst };
}
