import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MaculaError } from '../../../shared/errors';

/**
 * The CA bundle a self-hosted setup (a private mirror of the catalog and images, a self-hosted Portal) drops into the
 * app's config directory to be trusted beside the bundled roots, as the CLI's `--ca FILE` is. The app needs a file of
 * its own: the packaged Electron app ignores NODE_EXTRA_CA_CERTS (electron-builder.yml turns the NODE_OPTIONS fuse
 * off, and Electron reads that variable only with the fuse on).
 */
export const EXTRA_CA_FILE = 'extra-ca.pem';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function refused(path: string, why: string): MaculaError {
  return new MaculaError('ERR_USAGE', `${path} ${why}; fix or remove it to reach servers with a private CA`, { path });
}

/**
 * The extra CA bundle in `configDir`, or undefined when there is none. Read at each use, so a file dropped in takes
 * effect without a restart. A file that is there but is not a bundle of CA certificates is refused, naming the file
 * and the certificate, rather than silently ignored (every https request would then fail with a TLS error far away).
 */
export async function readExtraCa(configDir: string): Promise<Buffer | undefined> {
  const path = join(configDir, EXTRA_CA_FILE);
  let pem: Buffer;
  try {
    pem = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw refused(path, `cannot be read (${(err as Error).message})`);
  }
  const blocks = pem.toString('utf8').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw refused(path, 'holds no PEM certificate');
  for (const [i, block] of blocks.entries()) {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(block);
    } catch (err) {
      throw refused(path, `has an unreadable certificate (number ${i + 1}: ${(err as Error).message})`);
    }
    if (!certificate.ca) throw refused(path, `holds a certificate that is not a CA (number ${i + 1}, ${certificate.subject.replace(/\n/g, ', ')})`);
  }
  return pem;
}
