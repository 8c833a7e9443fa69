import { useEffect, useRef, useState } from 'react';
import { isFlashEvent } from '../../shared/ipc-events';
import { type EngineClient, messageOf } from './bridge';
import { formatEta, formatRate, percent } from './format';
import { type FlashState, reduceFlash } from './flash-state';
import { TargetProgress } from './target-progress';
import { useEngineEvents } from './use-engine-events';

const STAGE_TEXT: Record<FlashState['stage'], string> = {
  starting: 'Starting…',
  downloading: 'Downloading and verifying the image…',
  checking: 'Checking the targets…',
  writing: 'Flashing…',
  finished: 'Finished',
};

/**
 * The running flash: overall stage, one row per target, cancel while running, the outcome at the end. `downloads`: the
 * image is fetched first (a catalog entry), so the download block holds its place from the start.
 */
export function FlashProgress(props: { bridge: EngineClient; initial: FlashState; downloads: boolean; onAgain: () => void }) {
  const [state, setState] = useState(props.initial);
  // A catalog image downloads while it is written: only the engine's `flash.download` with `verified` says it is
  // complete and matched its signed SHA-256; a flash that ends before that ended without its image.
  const [downloaded, setDownloaded] = useState(false);
  const [cancelError, setCancelError] = useState<string>();
  // "Erase and flash" is gone once the flash starts: focus moves to Cancel, then stays on the same button when it
  // becomes "Flash more drives" (one element, relabelled), so a keyboard user is never dropped to the page top.
  const action = useRef<HTMLButtonElement>(null);
  useEffect(() => action.current?.focus(), []);
  useEngineEvents(props.bridge, (event) => {
    if (!isFlashEvent(event)) return;
    setState((s) => reduceFlash(s, event));
    // A streamed download runs beside the writes: only its own `verified` says it is done.
    const pastDownload = event.type === 'flash.download' && event.verified;
    if (pastDownload && event.flashId === props.initial.flashId) setDownloaded(true);
  });

  async function cancel(): Promise<void> {
    try {
      await props.bridge.invoke('flash.cancel', { flashId: state.flashId });
    } catch (e) {
      setCancelError(messageOf(e));
    }
  }

  const running = state.outcome === undefined;
  const d = state.download;
  const downloading = running && d !== undefined && !d.verified;
  const pct = d ? percent(d.bytes, d.total) : undefined;
  return (
    <div className="flash-progress">
      <p className="stage" role="status" aria-live="polite" data-outcome={state.outcome ?? 'running'}>
        {state.outcome === 'succeeded' && 'Flash complete: every target written and checked.'}
        {state.outcome === 'failed' && `Flash failed${state.error ? `: ${state.error.message}` : ''}`}
        {state.outcome === 'cancelled' && 'Flash cancelled.'}
        {running && STAGE_TEXT[state.stage]}
      </p>
      {/* Shown from the start for a catalog image, kept (complete) while the targets are written: no layout jump. */}
      {(props.downloads || d) && (
        <div className="download">
          <progress aria-label="Download" max={100} value={downloaded ? 100 : running ? pct : (pct ?? 0)} />
          <div className="numbers">
            {downloaded ? (
              <span className="done">Image downloaded and verified</span>
            ) : (
              <>
                <span className="pct">{pct ?? '–'}%</span>
                {/* Kept (blank) before the first byte and once stopped, so the row does not jump. */}
                <span className="rate">{downloading && d ? formatRate(d.rate) : ''}</span>
                <span className="eta">{downloading && d ? `ETA ${formatEta(d.etaSeconds)}` : ''}</span>
              </>
            )}
          </div>
        </div>
      )}
      <ul className="targets" aria-label="Targets">
        {Object.entries(state.targets).map(([target, t]) => (
          <TargetProgress key={target} target={target} state={t} />
        ))}
      </ul>
      {cancelError && <p role="alert">Could not cancel: {cancelError}</p>}
      <div className="actions">
        <button type="button" ref={action} className={running ? undefined : 'primary'} onClick={running ? () => void cancel() : props.onAgain}>
          {running ? 'Cancel' : 'Flash more drives'}
        </button>
      </div>
    </div>
  );
}
