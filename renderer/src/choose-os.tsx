import { useEffect, useState } from 'react';
import { catalogEntryId } from '../../shared/catalog';
import type { IpcResponse } from '../../shared/ipc-contract';
import { type EngineClient, messageOf } from './bridge';
import { CatalogList } from './catalog-list';
import { LocalImage } from './local-image';
import type { ImagePick } from './wizard-types';

type CatalogState = { kind: 'loading' } | { kind: 'loaded'; value: IpcResponse<'catalog.load'> } | { kind: 'failed'; message: string };

/** Step 1: an image from the release catalog, or a local file. */
export function ChooseOs(props: { bridge: EngineClient; chosen: ImagePick | undefined; onChoose: (pick: ImagePick) => void; onNext: () => void }) {
  const [state, setState] = useState<CatalogState>({ kind: 'loading' });

  useEffect(() => {
    props.bridge
      .invoke('catalog.load', {})
      .then((value) => setState({ kind: 'loaded', value }))
      .catch((e: unknown) => setState({ kind: 'failed', message: messageOf(e) }));
  }, [props.bridge]);

  const chosenId = props.chosen?.kind === 'catalog' ? catalogEntryId(props.chosen.entry) : undefined;
  return (
    <section aria-labelledby="step-title">
      <h2 id="step-title" tabIndex={-1}>Choose OS</h2>
      {state.kind === 'loading' && <p role="status">Loading the release catalog…</p>}
      {state.kind === 'failed' && <p role="alert">Catalog unavailable: {state.message}</p>}
      {state.kind === 'loaded' && (
        <>
          <p className="source">
            {state.value.source === 'bundled' ? 'Offline copy bundled with the app' : state.value.location}
            {state.value.fallbackReason && <span title={state.value.fallbackReason}> (network unavailable)</span>}
          </p>
          <CatalogList images={state.value.catalog.os_list} chosenId={chosenId} onChoose={(entry) => props.onChoose({ kind: 'catalog', entry })} />
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
