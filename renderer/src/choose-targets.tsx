import { useCallback, useEffect, useRef, useState } from 'react';
import type { IpcResponse } from '../../shared/ipc-contract';
import { AddPath } from './add-path';
import { type EngineClient, messageOf } from './bridge';
import { DriveRow } from './drive-row';
import { useEngineEvents } from './use-engine-events';
import { type ImagePick, imageSize } from './wizard-types';

type Listing = { kind: 'loading' } | { kind: 'loaded'; value: IpcResponse<'drives.list'> } | { kind: 'failed'; message: string };

/**
 * Step 3: the drives to write, classified for the chosen image and kept up to date as drives come and go
 * (the engine's `drives.changed` event). Several may be chosen; refused ones cannot be.
 */
export function ChooseTargets(props: {
  bridge: EngineClient;
  image: ImagePick;
  selected: readonly string[];
  onSelect: (targets: string[]) => void;
  extraPaths: readonly string[];
  onExtraPaths: (paths: string[]) => void;
  onNext: () => void;
}) {
  const [listing, setListing] = useState<Listing>({ kind: 'loading' });
  const [showSystem, setShowSystem] = useState(false);
  const sequence = useRef(0);
  const { bridge, image, extraPaths, selected, onSelect } = props;
  // The selection is read when a listing arrives, without refetching whenever it changes.
  const selection = useRef({ selected, onSelect });
  selection.current = { selected, onSelect };

  const refresh = useCallback(async () => {
    const mine = ++sequence.current;
    const size = imageSize(image);
    try {
      const value = await bridge.invoke('drives.list', {
        showSystem,
        extraPaths: [...extraPaths],
        ...(image.kind === 'file' ? { imagePath: image.path } : {}),
        ...(size !== undefined ? { imageSize: size } : {}),
      });
      if (mine !== sequence.current) return;
      setListing({ kind: 'loaded', value });
      // A chosen drive that went away, or became refused, is chosen no more.
      const writable = new Set(value.drives.filter((d) => d.refusals.length === 0).map((d) => d.drive.device));
      const current = selection.current;
      if (current.selected.some((s) => !writable.has(s))) current.onSelect(current.selected.filter((s) => writable.has(s)));
    } catch (e) {
      if (mine === sequence.current) setListing({ kind: 'failed', message: messageOf(e) });
    }
  }, [bridge, image, showSystem, extraPaths]);

  useEffect(() => void refresh(), [refresh]);
  useEngineEvents(bridge, (event) => {
    if (event.type === 'drives.changed') void refresh();
  });

  const toggle = (device: string, on: boolean): void => onSelect(on ? [...selected, device] : selected.filter((d) => d !== device));
  const drives = listing.kind === 'loaded' ? listing.value.drives : [];
  return (
    <section aria-labelledby="step-title">
      <h2 id="step-title" tabIndex={-1}>Choose targets</h2>
      <p className="hint">Everything on the chosen drives will be erased. Choose several to flash them at once.</p>
      <label className="toggle">
        <input type="checkbox" checked={showSystem} onChange={(e) => setShowSystem(e.target.checked)} /> Show system drives (never writable)
      </label>
      {listing.kind === 'loading' && <p role="status">Looking for drives…</p>}
      {listing.kind === 'failed' && <p role="alert">Drives unavailable: {listing.message}</p>}
      {listing.kind === 'loaded' && drives.length === 0 && <p role="status">No drives found. Insert a USB stick or SD card, or add a target by path.</p>}
      <ul className="drives" aria-label="Drives">
        {drives.map((view) => (
          <DriveRow key={view.drive.device} view={view} selected={selected.includes(view.drive.device)} onToggle={(on) => toggle(view.drive.device, on)} />
        ))}
      </ul>
      {listing.kind === 'loaded' &&
        listing.value.problems.map((p) => (
          <p key={p.path} className="error" role="alert">
            {p.message}
          </p>
        ))}
      <AddPath onAdd={(path) => props.onExtraPaths(extraPaths.includes(path) ? [...extraPaths] : [...extraPaths, path])} />
      <div className="actions">
        <button type="button" className="primary" disabled={selected.length === 0} onClick={props.onNext}>
          {selected.length > 1 ? `Next: flash ${selected.length} drives` : 'Next: Flash'}
        </button>
      </div>
    </section>
  );
}
