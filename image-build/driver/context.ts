import type { BuildOptions } from './options';

/** What every build step of one `image:build` run shares: its options, folders, environment and log. */
export interface BuildContext {
  readonly options: BuildOptions;
  /** `image-build/` itself: steps/, rootfs/, iso/, netboot/. */
  readonly here: string;
  readonly cache: string;
  /** The steps' environment: SOURCE_DATE_EPOCH, LC_ALL=C, TZ=UTC, GNUPGHOME as given. */
  readonly env: NodeJS.ProcessEnv;
  log(line: string): void;
}

/** Runs a cached step and logs whether it was a cache hit or how long it took. */
export async function timed<T>(ctx: BuildContext, what: string, work: () => Promise<{ hit: boolean } & T>): Promise<T> {
  const start = Date.now();
  const result = await work();
  ctx.log(`${what}: ${result.hit ? 'cached' : `built in ${((Date.now() - start) / 1000).toFixed(1)} s`}`);
  return result;
}
