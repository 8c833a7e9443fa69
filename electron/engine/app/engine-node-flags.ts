import options from './engine-node-flags.json';

/**
 * Node (V8) options of every process that flashes: the `macula` CLI (its shebang and the packaged app's launchers,
 * electron/build.mjs) and the app's writer process (electron/main/app-writer.ts, electron/web/writer-launch.ts). Kept
 * in a JSON file so that the build script, which is not TypeScript, reads the same list.
 *
 * `--max-semi-space-size=1`: V8's young generation may otherwise grow to 2 × 16 MiB while a flash starts (loading the
 * seed's schemas and libext2fs promotes much), and stays that big, idle, through the whole write. A flash allocates
 * little on the JavaScript heap afterwards (the image moves through a fixed pool of native buffers), so 1 MiB
 * semi-spaces cost no measurable time. Measured on `macula flash --seed` of a 512 MiB image to one loop device: peak
 * RSS 99 → 90.5 MiB, wall time unchanged; issue 3 wants every flash within 100 MB.
 */
export const ENGINE_NODE_FLAGS: readonly string[] = options.flags;
