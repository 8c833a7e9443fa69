import { useEffect, useState } from 'react';
import { type CatalogImage, catalogEntryId } from '../../shared/catalog';
import type { IpcResponse, MaculaBridge } from '../../shared/ipc-contract';
import { CatalogList } from './catalog-list';

type CatalogState =
  | { kind: 'loading' }
  | { kind: 'loaded'; value: IpcResponse<'catalog.load'> }
  | { kind: 'failed'; message: string };

/** Step 1 of the wizard: choose an OS image from the release catalog. */
export function App({ bridge }: { bridge: MaculaBridge }) {
  const [state, setState] = useState<CatalogState>({ kind: 'loading' });
  const [chosen, setChosen] = useState<CatalogImage | undefined>();

  useEffect(() => {
    bridge
      .invoke('catalog.load', {})
      .then((value) => setState({ kind: 'loaded', value }))
      .catch((e: unknown) => setState({ kind: 'failed', message: e instanceof Error ? e.message : String(e) }));
  }, [bridge]);

  return (
    <main>
      <h1>Macula Companion</h1>
      <h2>Choose OS</h2>
      {state.kind === 'loading' && <p role="status">Loading the release catalog…</p>}
      {state.kind === 'failed' && <p role="alert">Catalog unavailable: {state.message}</p>}
      {state.kind === 'loaded' && (
        <>
          <p className="source">
            {state.value.source === 'bundled' ? 'Offline copy bundled with the app' : state.value.location}
            {state.value.fallbackReason && <span title={state.value.fallbackReason}> (network unavailable)</span>}
          </p>
          <CatalogList images={state.value.catalog.os_list} chosenId={chosen && catalogEntryId(chosen)} onChoose={setChosen} />
        </>
      )}
    </main>
  );
}
