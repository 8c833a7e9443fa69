import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildContext } from './context';

/**
 * What the base and root steps need per architecture. amd64 is the host's own: its apt sources, packages.txt as is,
 * the step names `base`/`root` and `apt-archives/`, so its cache and output are what they always were. arm64 (the
 * Raspberry Pi IMG) is a foreign root built through qemu-user-static: deb.debian.org with non-free-firmware (only for
 * raspi-firmware), packages.txt with `linux-image-arm64` for `linux-image-amd64` plus `raspi-firmware`, and step
 * names of its own, so neither architecture's cache entry evicts the other's (cache.ts keeps one version per step).
 */
export interface ArchInputs {
  /** The package list base.sh reads (packages.txt itself for amd64, a derived file in the cache for arm64). */
  readonly packagesFile: string;
  /** deb822 sources for mmdebstrap. */
  readonly sourcesFile: string;
  readonly aptCache: string;
  /** Appended to the step names: '' for amd64, '-arm64'. */
  readonly suffix: string;
  /** The steps' environment plus MACULA_ARCH / MACULA_APT_SOURCES for a foreign root. */
  readonly env: NodeJS.ProcessEnv;
}

/** Debian bookworm for arm64 from deb.debian.org; non-free-firmware holds raspi-firmware (the Pi's GPU firmware). */
export const ARM64_SOURCES = `Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

/** Packages only the Raspberry Pi root has: the GPU firmware and its kernel hook that fills /boot/firmware. */
export const RPI_EXTRA_PACKAGES = ['raspi-firmware'] as const;

/** packages.txt for another architecture: its kernel flavour instead of amd64's, plus `extra`. */
export function packagesFor(packagesTxt: string, arch: string, extra: readonly string[]): string {
  const lines = packagesTxt.split('\n').map((line) => (line.trim() === 'linux-image-amd64' ? `linux-image-${arch}` : line));
  if (!lines.includes(`linux-image-${arch}`)) throw new Error(`packages.txt: no linux-image-amd64 line to replace with linux-image-${arch}`);
  return `${lines.join('\n').replace(/\n*$/, '\n')}# ${arch} only (image-build/driver/arch.ts)\n${extra.join('\n')}\n`;
}

export async function archInputs(ctx: BuildContext): Promise<ArchInputs> {
  const { options, here, cache, env } = ctx;
  const packagesTxt = join(here, 'packages.txt');
  if (options.arch === 'amd64') {
    return {
      packagesFile: packagesTxt,
      sourcesFile: process.env.MACULA_APT_SOURCES ?? '/etc/apt/sources.list.d/debian.sources',
      aptCache: join(cache, 'apt-archives'),
      suffix: '',
      env,
    };
  }
  const arch = options.arch;
  const packagesFile = join(cache, `packages-${arch}.txt`);
  await writeFile(packagesFile, packagesFor(await readFile(packagesTxt, 'utf8'), arch, RPI_EXTRA_PACKAGES));
  const sourcesFile = process.env.MACULA_RPI_APT_SOURCES ?? join(cache, `sources-${arch}.sources`);
  if (process.env.MACULA_RPI_APT_SOURCES === undefined) await writeFile(sourcesFile, ARM64_SOURCES);
  return {
    packagesFile,
    sourcesFile,
    aptCache: join(cache, `apt-archives-${arch}`),
    suffix: `-${arch}`,
    env: { ...env, MACULA_ARCH: arch, MACULA_APT_SOURCES: sourcesFile },
  };
}
