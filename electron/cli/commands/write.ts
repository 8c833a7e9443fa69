import { finished } from 'node:stream/promises';
import { MaculaError } from '../../../shared/errors';
import { OpenLines, SealLines } from '../../engine/writer-process/sealed-lines';
import { serveWriter } from '../../engine/writer-process/serve-writer';
import type { Command } from '../command';

/** `macula write --ipc`: the privileged writer process, speaking shared/writer-protocol.ts on stdio. */
export const writeCommand: Command = {
  usage: 'macula write --ipc [--drive DEV …] [--relay-key KEY]',
  summary: 'run as the (elevated) writer process of the app: JSON-lines requests on stdin, events on stdout',
  options: { ipc: { type: 'boolean' }, drive: { type: 'string', multiple: true }, 'relay-key': { type: 'string' } },
  async run({ args }) {
    if (!args.flag('ipc')) throw new MaculaError('ERR_USAGE', 'macula write only runs as the writer process: macula write --ipc');
    // --drive: the drives the user was asked to approve (the elevation prompt shows this command line).
    const drives = args.strings('drive');
    // --relay-key: stdio is a relay others could open first (Windows named pipes): every line is sealed with this key.
    const key = args.string('relay-key');
    const input = key === undefined ? process.stdin : process.stdin.pipe(new OpenLines(key, 'request'));
    const sealed = key === undefined ? undefined : new SealLines(key, 'event');
    sealed?.pipe(process.stdout);
    const error = await serveWriter(input, sealed ?? process.stdout, drives.length > 0 ? { approvedDrives: drives } : {});
    if (sealed) {
      sealed.end();
      await finished(sealed);
    }
    // The error already went out as an `error` event; rethrown, it also sets the exit code.
    if (error) throw error;
  },
};
