import { MaculaError } from '../../../shared/errors';
import { serveWriter } from '../../engine/writer-process/serve-writer';
import type { Command } from '../command';

/** `macula write --ipc`: the privileged writer process, speaking shared/writer-protocol.ts on stdio. */
export const writeCommand: Command = {
  usage: 'macula write --ipc [--drive DEV …]',
  summary: 'run as the (elevated) writer process of the app: JSON-lines requests on stdin, events on stdout',
  options: { ipc: { type: 'boolean' }, drive: { type: 'string', multiple: true } },
  async run({ args }) {
    if (!args.flag('ipc')) throw new MaculaError('ERR_USAGE', 'macula write only runs as the writer process: macula write --ipc');
    // The error already went out as an `error` event; rethrown, it also sets the exit code.
    // --drive: the drives the user was asked to approve (the elevation prompt shows this command line).
    const drives = args.strings('drive');
    const error = await serveWriter(process.stdin, process.stdout, drives.length > 0 ? { approvedDrives: drives } : {});
    if (error) throw error;
  },
};
