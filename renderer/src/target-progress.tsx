import type { FlashTargetResult } from '../../shared/ipc-events';
import { formatEta, formatRate, percent } from './format';
import type { TargetState } from './flash-state';

const PHASE_LABEL: Record<TargetState['phase'], string> = {
  waiting: 'Waiting',
  writing: 'Writing',
  verifying: 'Verifying',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

function Result({ result }: { result: FlashTargetResult }) {
  if (!result.ok && result.error.code === 'ERR_ABORTED') {
    return (
      <p className="result cancelled" role="alert">
        Cancelled: {result.error.message}
      </p>
    );
  }
  if (!result.ok) {
    const { offset, expected, actual } = result.error;
    return (
      <div className="result failed" role="alert">
        <p>
          Failed: {result.error.message} <span className="code">({result.error.code})</span>
        </p>
        {(offset !== undefined || expected !== undefined) && (
          <dl className="failure-facts">
            {offset !== undefined && (
              <>
                <dt>At byte</dt>
                <dd>{offset}</dd>
              </>
            )}
            {expected !== undefined && (
              <>
                <dt>Expected</dt>
                <dd><code>{expected}</code></dd>
                <dt>Read back</dt>
                <dd><code>{actual ?? 'unknown'}</code></dd>
              </>
            )}
          </dl>
        )}
      </div>
    );
  }
  return (
    <div className="result ok">
      <p>
        {result.verified ? 'Written and verified' : 'Written (not verified)'}
        {result.state && ` · seeded in MACULAOS_STATE (partition ${result.state.partition})`}
      </p>
      {(result.hostname !== undefined || result.nodeId !== undefined) && (
        <dl className="node">
          {result.hostname !== undefined && (
            <>
              <dt>Hostname</dt>
              <dd>{result.hostname}</dd>
            </>
          )}
          {result.nodeId !== undefined && (
            <>
              <dt>Node id</dt>
              <dd>
                <code>{result.nodeId}</code>
              </dd>
            </>
          )}
        </dl>
      )}
      {result.notes.length > 0 && <p className="hint">{result.notes.join('; ')}</p>}
    </div>
  );
}

/** One target's bar, phase, speed and time left (fixed-width numbers: nothing jumps as they change), then its result. */
export function TargetProgress(props: { target: string; state: TargetState }) {
  const { state } = props;
  const pct = state.phase === 'done' ? 100 : percent(state.bytes, state.total);
  // A <progress> without a value is indeterminate (an endless busy animation): only right while waiting to start.
  const barValue = pct ?? (state.phase === 'waiting' ? undefined : 0);
  const moving = state.phase === 'writing' || state.phase === 'verifying';
  const id = `progress-${props.target.replace(/[^A-Za-z0-9]/g, '-')}`;
  return (
    <li className={`target-progress phase-${state.phase}`} data-target={props.target}>
      <div className="target-head">
        <span className="device" id={`${id}-label`}>
          {props.target}
        </span>
        <span className="phase" data-phase={state.phase}>
          {PHASE_LABEL[state.phase]}
        </span>
      </div>
      <progress aria-labelledby={`${id}-label`} max={100} value={barValue} />
      <div className="numbers" aria-hidden={!moving}>
        <span className="pct">{pct === undefined ? '–' : `${pct}%`}</span>
        {/* Kept (blank) once stopped, so the row does not jump. */}
        <span className="rate">{moving ? formatRate(state.rate) : ''}</span>
        <span className="eta">{moving ? `ETA ${formatEta(state.etaSeconds)}` : ''}</span>
      </div>
      {state.result && <Result result={state.result} />}
      {!state.result && state.phase === 'cancelled' && (
        <p className="result cancelled" role="alert">
          Cancelled: the drive was left incomplete and will not boot — flash it again before use.
        </p>
      )}
    </li>
  );
}
