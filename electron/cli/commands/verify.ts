import { basename } from 'node:path';
import { MaculaError } from '../../../shared/errors';
import { fetchBytes } from '../../engine/download/fetch-bytes';
import { loadTrustedKeys } from '../../engine/trust/keyring';
import { hashFile, verifyImageAgainstSums, verifySignedSums } from '../../engine/trust/verify-release';
import { caOption } from '../ca-option';
import type { Command } from '../command';
import { formatBytes } from '../output';

/** `macula verify`: check a local file against a release's signed SHA256SUMS. */
export const verifyCommand: Command = {
  usage: 'macula verify FILE --sums SHA256SUMS --sig SHA256SUMS.asc [--key KEY.asc] [--name NAME] [--ca CA.pem] [--allow-http] [--json]',
  summary: 'check a file against SHA256SUMS after checking the OpenPGP signature of SHA256SUMS',
  options: {
    sums: { type: 'string' },
    sig: { type: 'string' },
    key: { type: 'string' },
    name: { type: 'string' },
    ca: { type: 'string' },
    'allow-http': { type: 'boolean' },
  },
  async run({ args, out, signal }) {
    const file = args.positional(0, 'FILE');
    const [sumsAt, sigAt] = [args.string('sums'), args.string('sig')];
    if (sumsAt === undefined || sigAt === undefined) {
      throw new MaculaError('ERR_USAGE', `--sums and --sig are both required\nusage: ${verifyCommand.usage}`);
    }
    const key = args.string('key');
    const keys = await loadTrustedKeys(key !== undefined ? { userKeyringPath: key } : {});
    const fetchOpts = { allowHttp: args.flag('allow-http'), signal, ...(await caOption(args)) };
    const [sums, signature] = await Promise.all([fetchBytes(sumsAt, fetchOpts), fetchBytes(sigAt, fetchOpts)]);
    const signed = await verifySignedSums({ sums, signature, keys });
    const name = args.string('name') ?? basename(file);
    const digest = await hashFile(file, signal);
    verifyImageAgainstSums({ name, sha256: digest.sha256, signedSums: signed });
    out.event(
      'verified',
      { path: file, name, sha256: digest.sha256, size: digest.bytes, fingerprint: signed.signer.fingerprint, keyId: signed.signer.keyId },
      `OK ${name}: sha256 ${digest.sha256} (${formatBytes(digest.bytes)}) is in SHA256SUMS signed by ${signed.signer.fingerprint}`,
    );
  },
};
