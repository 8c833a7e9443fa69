import { link, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { keyOf, cachedStep } from './driver/cache';
import { catalogEntry, catalogOf } from './driver/catalog-entry';
import { sha256File } from './driver/hash-file';
import { prepareLibexec } from './driver/libexec';
import { type BuildOptions, USAGE, parseOptions } from './driver/options';
import { runStep } from './driver/run';
import { formatSizeTable, sizeTable } from './driver/sizes';

/**
 * `npm run image:build -- --arch amd64 --variant airgapped`: builds MaculaOS from Debian packages (issue 7 part 1;
 * docs/image-build.md). Steps are scripts under steps/; each one's outputs are cached under --cache keyed by all it
 * reads, so a second build with nothing changed only re-signs. Needs root (mmdebstrap --mode=root, chroot).
 */

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = resolve(here, '..');
const step = (name: string): string => join(here, 'steps', name);

function log(line: string): void {
  console.log(`image-build: ${line}`);
}

async function timed<T>(what: string, work: () => Promise<{ hit: boolean } & T>): Promise<T> {
  const start = Date.now();
  const result = await work();
  log(`${what}: ${result.hit ? 'cached' : `built in ${((Date.now() - start) / 1000).toFixed(1)} s`}`);
  return result;
}

/** Hard link (same file system) or copy: release files are large. */
async function place(from: string, to: string): Promise<void> {
  await rm(to, { force: true });
  await link(from, to).catch(async () => writeFile(to, await readFile(from)));
}

async function buildImage(options: BuildOptions): Promise<void> {
  if (options.arch !== 'amd64' || options.variant !== 'airgapped') {
    throw new Error(`--arch ${options.arch} --variant ${options.variant} is not built yet: only amd64 airgapped (issue 7)`);
  }
  if (process.getuid?.() !== 0) throw new Error('image:build needs root (mmdebstrap --mode=root, chroot, mount)');
  const started = Date.now();
  const cache = resolve(repo, options.cacheDir);
  const out = resolve(repo, options.outDir);
  const env = { ...process.env, SOURCE_DATE_EPOCH: String(options.sourceDateEpoch), LC_ALL: 'C', TZ: 'UTC' };
  await mkdir(cache, { recursive: true });

  const sources = process.env.MACULA_APT_SOURCES ?? '/etc/apt/sources.list.d/debian.sources';
  const baseKey = await keyOf([{ path: step('base.sh') }, { path: join(here, 'packages.txt') }, { path: sources }, String(options.sourceDateEpoch)]);
  const base = await timed('base (mmdebstrap)', () =>
    cachedStep(cache, 'base', baseKey, (dir) => runStep(step('base.sh'), [join(dir, 'base.tar'), join(here, 'packages.txt'), join(cache, 'apt-archives')], env)),
  );

  const libexec = join(cache, 'libexec.tmp');
  await rm(libexec, { recursive: true, force: true });
  await prepareLibexec(options, repo, libexec, log);
  const rootKey = await keyOf([baseKey, { path: step('root.sh') }, { path: step('squashfs.sh') }, { path: join(here, 'rootfs') }, { path: libexec }, options.version]);
  const root = await timed('root + initrd + squashfs', () =>
    cachedStep(cache, 'root', rootKey, async (dir) => {
      const tree = join(cache, 'tree.tmp');
      await runStep(step('root.sh'), [join(base.dir, 'base.tar'), join(here, 'rootfs'), libexec, options.version, tree, dir], env);
      await runStep(step('squashfs.sh'), [tree, join(dir, 'rootfs.squashfs')], env);
      await rm(tree, { recursive: true, force: true });
    }),
  );
  await rm(libexec, { recursive: true, force: true });

  const isoKey = await keyOf([rootKey, { path: step('iso.sh') }, { path: join(here, 'iso/grub.cfg') }]);
  const iso = await timed('ISO (grub-mkrescue)', () =>
    cachedStep(cache, 'iso', isoKey, (dir) =>
      runStep(step('iso.sh'), [join(root.dir, 'vmlinuz'), join(root.dir, 'initrd.img'), join(root.dir, 'rootfs.squashfs'), join(here, 'iso/grub.cfg'), options.version, join(dir, 'image.iso')], env),
    ),
  );

  // Release files, named as plan §8.2 (macula-os-{version}-{arch}.{format}); the netboot pieces beside the ISO.
  const prefix = `macula-os-${options.version}-${options.arch}`;
  const isoName = `${prefix}.iso`;
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  await place(join(iso.dir, 'image.iso'), join(out, isoName));
  await place(join(root.dir, 'rootfs.squashfs'), join(out, `${prefix}-rootfs.squashfs`));
  await place(join(root.dir, 'vmlinuz'), join(out, `${prefix}-vmlinuz`));
  await place(join(root.dir, 'initrd.img'), join(out, `${prefix}-initrd`));
  await runStep(step('release.sh'), options.signKey ? [out, options.signKey] : [out], env);
  if (!options.signKey) log('SHA256SUMS: not signed (no --sign-key / MACULA_SIGN_KEY): the app refuses an unsigned release');

  const isoSize = (await stat(join(out, isoName))).size;
  const entry = catalogEntry(options, { fileName: isoName, size: isoSize, sha256: await sha256File(join(out, isoName)) }, new Date(options.sourceDateEpoch * 1000).toISOString().slice(0, 10));
  await writeFile(join(out, 'catalog-entry.json'), `${JSON.stringify(entry, null, 2)}\n`);
  await writeFile(join(out, 'catalog.json'), `${JSON.stringify(catalogOf(entry), null, 2)}\n`);

  const size = async (p: string): Promise<number> => (await stat(p)).size;
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${out}/${isoName}\n${formatSizeTable(
    sizeTable({
      iso: isoSize,
      initrd: await size(join(root.dir, 'initrd.img')),
      squashfs: await size(join(root.dir, 'rootfs.squashfs')),
      vmlinuz: await size(join(root.dir, 'vmlinuz')),
    }),
  )}`);
}

try {
  await buildImage(parseOptions(process.argv.slice(2), process.env));
} catch (err) {
  console.error(`image-build: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  process.exitCode = 1;
}
