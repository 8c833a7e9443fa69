import { parseArgs } from 'node:util';
import { type Arch, type Variant, archSchema, variantSchema } from '../../shared/catalog';

/** What `npm run image:build -- …` was asked for. */
export interface BuildOptions {
  readonly arch: Arch;
  readonly variant: Variant;
  /** MaculaOS version (SemVer), in file names (plan §8.2), /etc/os-release and the catalog entry. */
  readonly version: string;
  readonly outDir: string;
  readonly cacheDir: string;
  /** GnuPG key id or fingerprint that signs SHA256SUMS; unsigned without one. */
  readonly signKey: string | undefined;
  /** Where the release files will be published: the catalog entry's URLs start here. */
  readonly baseUrl: string;
  /** Optional k3s binary and its pinned SHA-256; the build refuses the binary if the hash differs. */
  readonly k3s: { readonly path: string; readonly sha256: string } | undefined;
  /** 2026-01-01T00:00:00Z unless SOURCE_DATE_EPOCH says otherwise (reproducible-builds.org). */
  readonly sourceDateEpoch: number;
}

export const USAGE = `usage: npm run image:build -- --arch amd64 --variant airgapped|netboot | --arch arm64 --variant rpi
       [--version 0.1.0] [--out DIR] [--cache DIR]
       [--sign-key KEYID] [--base-url URL] [--k3s FILE --k3s-sha256 HEX]
       netboot needs --sign-key: its initrd boots only a root whose SHA256SUMS that key signed (--base-url: where from)
env: MACULA_SIGN_KEY (= --sign-key), GNUPGHOME, SOURCE_DATE_EPOCH`;

const DEFAULT_EPOCH = 1767225600;

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BuildOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      arch: { type: 'string', default: 'amd64' },
      variant: { type: 'string' },
      version: { type: 'string', default: '0.1.0' },
      out: { type: 'string', default: 'dist/image' },
      cache: { type: 'string', default: '.cache/image-build' },
      'sign-key': { type: 'string' },
      'base-url': { type: 'string' },
      k3s: { type: 'string' },
      'k3s-sha256': { type: 'string' },
    },
  });
  const arch = archSchema.parse(values.arch);
  // --arch arm64 alone means the Raspberry Pi IMG, the only arm64 image.
  const variant = variantSchema.parse(values.variant ?? (arch === 'arm64' ? 'rpi' : 'airgapped'));
  const version = values.version;
  if (!/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/.test(version)) throw new Error(`--version ${version} is not SemVer`);
  if ((values.k3s === undefined) !== (values['k3s-sha256'] === undefined)) throw new Error('--k3s and --k3s-sha256 go together');
  const sha = values['k3s-sha256']?.toLowerCase();
  if (sha !== undefined && !/^[0-9a-f]{64}$/.test(sha)) throw new Error('--k3s-sha256 must be 64 hex digits');
  const signKey = values['sign-key'] ?? env.MACULA_SIGN_KEY;
  // The netboot initrd trusts nothing but this key's signature on SHA256SUMS (plan §7.3): without it, it could only
  // boot an unverified root, which it never does.
  if (variant === 'netboot' && !signKey) {
    throw new Error('--variant netboot needs --sign-key KEYID (or MACULA_SIGN_KEY): its initrd checks the downloaded root against that key, and there is no unsigned netboot');
  }
  // amd64: the ISO (airgapped) or netboot; arm64: the Raspberry Pi IMG. The other pairs are not built (yet).
  if ((arch === 'arm64') !== (variant === 'rpi')) {
    throw new Error(`--arch ${arch} --variant ${variant} is not built: amd64 builds airgapped and netboot, arm64 builds rpi (the Raspberry Pi IMG)`);
  }
  const epoch = Number(env.SOURCE_DATE_EPOCH ?? DEFAULT_EPOCH);
  return {
    arch,
    variant,
    version,
    outDir: values.out,
    cacheDir: values.cache,
    signKey,
    baseUrl: (values['base-url'] ?? `https://github.com/macula-io/macula-os/releases/download/v${version}`).replace(/\/$/, ''),
    k3s: values.k3s !== undefined && sha !== undefined ? { path: values.k3s, sha256: sha } : undefined,
    sourceDateEpoch: epoch,
  };
}
