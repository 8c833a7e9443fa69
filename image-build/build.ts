import { link, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAirgapped } from './driver/airgapped';
import { keyOf, cachedStep } from './driver/cache';
import { catalogEntry, catalogOf } from './driver/catalog-entry';
import { archInputs } from './driver/arch';
import { type BuildContext, timed } from './driver/context';
import { sha256File } from './driver/hash-file';
import { prepareLibexec } from './driver/libexec';
import { buildNetboot, netbootReleaseKey } from './driver/netboot';
import { type BuildOptions, USAGE, parseOptions } from './driver/options';
import { buildRpiImg } from './driver/rpi';
import { runStep } from './driver/run';
import { type SizedFile, formatSizeTable, sizeTable } from './driver/sizes';

/**
 * `npm run image:build -- --arch amd64 --variant airgapped|netboot`: builds MaculaOS from Debian packages (issue 7;
 * docs/image-build.md). Steps are scripts under steps/; each one's outputs are cached under --cache keyed by all it
 * reads, so a second build with nothing changed only re-signs. Both variants share the base and root steps (same
 * keys); airgapped adds the ISO and its qcow2, netboot its own initrd and a small ISO. Needs root (mmdebstrap
 * --mode=root, chroot).
 */

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = resolve(here, '..');
const step = (name: string): string => join(here, 'steps', name);

function log(line: string): void {
  console.log(`image-build: ${line}`);
}

/** Hard link (same file system) or copy: release files are large. */
async function place(from: string, to: string): Promise<void> {
  await rm(to, { force: true });
  await link(from, to).catch(async () => writeFile(to, await readFile(from)));
}

/**
 * Steps 1–3, shared by every variant of one architecture: the Debian base, then the root tree, its live initrd and its
 * squashfs. arm64 has its own sources, package list and step names (driver/arch.ts); amd64's are unchanged.
 */
async function buildRoot(ctx: BuildContext): Promise<{ dir: string; key: string }> {
  const { options, cache } = ctx;
  const arch = await archInputs(ctx);
  const env = arch.env;
  const archPart = arch.suffix === '' ? [] : [`arch:${options.arch}`];
  const baseKey = await keyOf([{ path: step('base.sh') }, { path: arch.packagesFile }, { path: arch.sourcesFile }, String(options.sourceDateEpoch), ...archPart]);
  const base = await timed(ctx, `base${arch.suffix} (mmdebstrap)`, () =>
    cachedStep(cache, `base${arch.suffix}`, baseKey, (dir) => runStep(step('base.sh'), [join(dir, 'base.tar'), arch.packagesFile, arch.aptCache], env)),
  );

  // Per architecture: an amd64 and an arm64 build may run at once (their tests take different locks).
  const libexec = join(cache, `libexec${arch.suffix}.tmp`);
  await rm(libexec, { recursive: true, force: true });
  await prepareLibexec(options, repo, libexec, log);
  const key = await keyOf([baseKey, { path: step('root.sh') }, { path: step('squashfs.sh') }, { path: join(here, 'rootfs') }, { path: libexec }, options.version]);
  const root = await timed(ctx, `root${arch.suffix} + initrd + squashfs`, () =>
    cachedStep(cache, `root${arch.suffix}`, key, async (dir) => {
      const tree = join(cache, `tree${arch.suffix}.tmp`);
      await runStep(step('root.sh'), [join(base.dir, 'base.tar'), join(here, 'rootfs'), libexec, options.version, tree, dir], env);
      await runStep(step('squashfs.sh'), [tree, join(dir, 'rootfs.squashfs')], env);
      await rm(tree, { recursive: true, force: true });
    }),
  );
  await rm(libexec, { recursive: true, force: true });
  return { dir: root.dir, key };
}

async function buildImage(options: BuildOptions): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('image:build needs root (mmdebstrap --mode=root, chroot, mount)');
  const started = Date.now();
  const cache = resolve(repo, options.cacheDir);
  const out = resolve(repo, options.outDir);
  const env = { ...process.env, SOURCE_DATE_EPOCH: String(options.sourceDateEpoch), LC_ALL: 'C', TZ: 'UTC' };
  await mkdir(cache, { recursive: true });
  const ctx: BuildContext = { options, here, cache, env, log };
  const keyring = options.variant === 'netboot' ? await netbootReleaseKey(ctx) : undefined;
  const root = await buildRoot(ctx);

  // Release files, named as plan §8.2 (macula-os-{version}-{arch}.{format}); the netboot ISO as §7.5 (…-netboot.iso).
  const prefix = `macula-os-${options.version}-${options.arch}`;
  const rootfsName = `${prefix}-rootfs.squashfs`;
  const files: [SizedFile, string, string][] = [
    ['squashfs', join(root.dir, 'rootfs.squashfs'), rootfsName],
    ['vmlinuz', join(root.dir, 'vmlinuz'), `${prefix}-vmlinuz`],
  ];
  let image: string;
  if (keyring !== undefined) {
    const netboot = await buildNetboot(ctx, root, rootfsName, keyring);
    image = `${prefix}-netboot.iso`;
    files.unshift(['netbootIso', netboot.iso, image]);
    files.push(['netbootInitrd', netboot.initrd, `${prefix}-netboot-initrd`]);
  } else if (options.variant === 'rpi') {
    // Plan §8.2: macula-os-{version}-{arch}.{format}, its example macula-os-1.0.0-arm64.img (no variant in the name).
    image = `${prefix}.img`;
    files.unshift(['rpiImg', await buildRpiImg(ctx, root), image]);
    files.push(['initrd', join(root.dir, 'initrd.img'), `${prefix}-initrd`]);
  } else {
    const airgapped = await buildAirgapped(ctx, root);
    image = `${prefix}.iso`;
    files.unshift(['iso', airgapped.iso, image]);
    files.push(['initrd', join(root.dir, 'initrd.img'), `${prefix}-initrd`], ['qcow2', airgapped.qcow2, `${prefix}.qcow2`]);
  }

  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  for (const [, from, name] of files) await place(from, join(out, name));
  const size = async (name: string): Promise<number> => (await stat(join(out, name))).size;
  const entry = catalogEntry(options, { fileName: image, size: await size(image), sha256: await sha256File(join(out, image)) }, new Date(options.sourceDateEpoch * 1000).toISOString().slice(0, 10));
  await writeFile(join(out, 'catalog-entry.json'), `${JSON.stringify(entry, null, 2)}\n`);
  await writeFile(join(out, 'catalog.json'), `${JSON.stringify(catalogOf(entry), null, 2)}\n`);
  // Every release file is in the signed sums, the qcow2 too: whatever a user downloads, they can check. The catalog is
  // written first so that release.sh signs it as well (catalog.json.asc): the app refuses an unsigned catalog.
  await runStep(step('release.sh'), options.signKey ? [out, options.signKey] : [out], env);
  if (!options.signKey) log('SHA256SUMS and catalog.json: not signed (no --sign-key / MACULA_SIGN_KEY): the app refuses an unsigned release');

  const sizes: Partial<Record<SizedFile, number>> = {};
  for (const [what, , name] of files) sizes[what] = await size(name);
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${out}/${image}\n${formatSizeTable(sizeTable(sizes))}`);
}

try {
  await buildImage(parseOptions(process.argv.slice(2), process.env));
} catch (err) {
  console.error(`image-build: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  process.exitCode = 1;
}
