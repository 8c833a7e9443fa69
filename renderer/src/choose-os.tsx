import { useEffect, useState } from 'react';
import { catalogEntryId } from '../../shared/catalog';
import { describeDowngrades } from '../../shared/catalog-seen';
import type { IpcResponse } from '../../shared/ipc-contract';
import { type EngineClient, EngineError, messageOf } from './bridge';
import { CatalogList } from './catalog-list';
import { LocalImage } from './local-image';
import type { ImagePick } from './wizard-types';

type CatalogState =
  | { kind: 'loading' }
  | { kind: 'loaded'; value: IpcResponse<'catalog.load'>; allowDowngrade: boolean }
  | { kind: 'failed'; message: string }
  /** A signed catalog older than one seen before: shown only if the user says so (no silent downgrade). */
  | { kind: 'older'; message: string };

/** Step 1: an image from the release catalog, or a local file. */
export function ChooseOs(props: { bridge: EngineClient; chosen: ImagePick | undefined; onChoose: (pick: ImagePick) => void; onNext: () => void }) {
  const [state, setState] = useState<CatalogState>({ kind: 'loading' });
  const [allowDowngrade, setAllowDowngrade] = useState(false);

  useEffect(() => {
    setState({ kind: 'loading' });
    props.bridge
      .invoke('catalog.load', allowDowngrade ? { allowDowngrade } : {})
      .then((value) => setState({ kind: 'loaded', value, allowDowngrade }))
      .catch((e: unknown) => setState({ kind: e instanceof EngineError && e.code === 'ERR_CATALOG_DOWNGRADE' ? 'older' : 'failed', message: messageOf(e) }));
  }, [props.bridge, allowDowngrade]);

  const chosenId = props.chosen?.kind === 'catalog' ? catalogEntryId(props.chosen.entry) : undefined;
  return (
    <section aria-labelledby="step-title">
      <h2 id="step-title" tabIndex={-1}>Choose OS</h2>
      {state.kind === 'loading' && <p role="status">Loading the release catalog…</p>}
      {state.kind === 'failed' && <p role="alert">Catalog unavailable: {state.message}</p>}
      {state.kind === 'older' && (
        <div role="alert" className="warning-box">
          <p>Not shown: {state.message}</p>
          <button type="button" onClick={() => setAllowDowngrade(true)}>
            Show the older catalog anyway
          </button>
        </div>
      )}
      {state.kind === 'loaded' && (
        <>
          <p className="source">
            {state.value.source === 'bundled' ? 'Offline copy bundled with the app' : state.value.location}
            {state.value.fallbackReason && <span title={state.value.fallbackReason}> (network unavailable)</span>}
          </p>
          {state.value.downgrades && (
            <p role="alert" className="warning-box">
              Older than seen before: {describeDowngrades(state.value.downgrades)}.
            </p>
          )}
          <CatalogList
            images={state.value.catalog.os_list}
            chosenId={chosenId}
            onChoose={(entry) => props.onChoose({ kind: 'catalog', entry, allowDowngrade: state.allowDowngrade })}
          />
        </>
      )}
      <LocalImage bridge={props.bridge} chosen={props.chosen} onChoose={props.onChoose} />
      <div className="actions">
        <button type="button" className="primary" disabled={!props.chosen} onClick={props.onNext}>
          Next: Customise
        </button>
      </div>
    </section>
  );
}
