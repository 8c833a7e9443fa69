import { describeRegion } from '../../shared/drive-tools';
import { assertNever } from '../../shared/errors';
import type { DriveToolsState } from './drive-tools-model';
import { ACTION_LABEL } from './drive-tools-model';
import { formatBytes } from './format';

/** The outcome of the last Drive tools action, announced as it changes. */
export function DriveToolsResult({ state }: { state: DriveToolsState }) {
  return (
    <output className="drive-tools-result" aria-live="polite" data-state={state.kind}>
      {body(state)}
    </output>
  );
}

function body(state: DriveToolsState) {
  switch (state.kind) {
    case 'idle':
    case 'confirm-restore':
      return null;
    case 'running':
      return <p>{ACTION_LABEL[state.action]}</p>;
    case 'checked': {
      const { report } = state;
      return (
        <div>
          <p className={report.ok ? 'ok' : 'error'}>
            {report.ok ? `${report.device} holds the image (${formatBytes(report.image.size)} compared).` : `${report.device} differs from the image.`}
          </p>
          <ul>
            {report.differences.map((d) => (
              <li key={d.offset}>
                Offset {d.offset}, in {describeRegion(d.region)}
              </li>
            ))}
          </ul>
          {report.state && (
            <p>
              MACULAOS_STATE on partition {report.state.partition}
              {report.state.seed?.hostname ? `: hostname ${report.state.seed.hostname}` : ''} (secrets masked)
            </p>
          )}
        </div>
      );
    }
    case 'cloned':
      return (
        <p className="ok">
          Backed up {formatBytes(state.result.size)} to {state.result.out} ({state.result.compression}), SHA-256 <code>{state.result.sha256}</code>
        </p>
      );
    case 'restored':
      return (
        <p className="ok">
          {state.result.device} now holds one {state.result.fs === 'fat32' ? 'FAT32' : 'exFAT'} partition “{state.result.label}” of {formatBytes(state.result.partitionSize)}.
        </p>
      );
    case 'failed':
      return <p className="error">{state.message}</p>;
    default:
      return assertNever(state);
  }
}
