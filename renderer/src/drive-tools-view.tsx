import { useState } from 'react';
import { type RestoreFs, restoreFsSchema } from '../../shared/drive-tools';
import { formatSize } from '../../shared/drive';
import { type EngineClient, messageOf } from './bridge';
import type { DriveAction, DriveToolsState } from './drive-tools-model';
import { DriveToolsResult } from './drive-tools-result';

/**
 * "Drive tools": check a flashed drive against an image, back a drive up into an image file, restore a stick to one
 * FAT32/exFAT partition (docs/drive-tools.md). Restoring asks first, naming the drive's size and model, as a flash does.
 */
export function DriveToolsView({ bridge }: { bridge: EngineClient }) {
  const [device, setDevice] = useState('');
  const [image, setImage] = useState('');
  const [out, setOut] = useState('');
  const [fs, setFs] = useState<RestoreFs | 'auto'>('auto');
  const [state, setState] = useState<DriveToolsState>({ kind: 'idle' });
  const busy = state.kind === 'running';

  async function run(action: DriveAction, work: () => Promise<DriveToolsState>): Promise<void> {
    setState({ kind: 'running', action });
    try {
      setState(await work());
    } catch (e) {
      setState({ kind: 'failed', action, message: messageOf(e) });
    }
  }
  const check = () => run('check', async () => ({ kind: 'checked', report: await bridge.invoke('drive.check', { device, image }) }));
  const clone = () => run('clone', async () => ({ kind: 'cloned', result: await bridge.invoke('drive.clone', { device, out, whole: false, bmap: true }) }));
  async function askRestore(): Promise<void> {
    try {
      const listed = await bridge.invoke('drives.list', { showSystem: false, extraPaths: [device] });
      const problem = listed.problems.find((p) => p.path === device);
      const view = listed.drives.find((d) => d.drive.device === device);
      if (problem || !view) throw new Error(problem?.message ?? `${device} is not a drive`);
      const [refusal] = view.refusals;
      if (refusal) throw new Error(refusal.message);
      setState({ kind: 'confirm-restore', view });
    } catch (e) {
      setState({ kind: 'failed', action: 'restore', message: messageOf(e) });
    }
  }
  const restore = () => run('restore', async () => ({ kind: 'restored', result: await bridge.invoke('drive.restore', { device, confirmed: true, ...(fs === 'auto' ? {} : { fs }) }) }));

  return (
    <section className="drive-tools">
      <h2>Drive tools</h2>
      <div className="field">
        <label htmlFor="tools-device">Drive</label>
        <input id="tools-device" type="text" spellCheck={false} value={device} onChange={(e) => setDevice(e.target.value.trim())} placeholder="/dev/sdb" />
      </div>
      <fieldset>
        <legend>Check a drive</legend>
        <label htmlFor="tools-image">Image to compare with</label>
        <input id="tools-image" type="text" spellCheck={false} value={image} onChange={(e) => setImage(e.target.value.trim())} />
        <button type="button" disabled={busy || !device || !image} onClick={() => void check()}>
          Check a drive
        </button>
      </fieldset>
      <fieldset>
        <legend>Back up a drive</legend>
        <label htmlFor="tools-out">Image file to write (.img, .xz, .zst or .gz)</label>
        <input id="tools-out" type="text" spellCheck={false} value={out} onChange={(e) => setOut(e.target.value.trim())} />
        <button type="button" disabled={busy || !device || !out} onClick={() => void clone()}>
          Back up a drive
        </button>
      </fieldset>
      <fieldset>
        <legend>Restore drive</legend>
        <label htmlFor="tools-fs">Filesystem</label>
        <select id="tools-fs" value={fs} onChange={(e) => setFs(e.target.value === 'auto' ? 'auto' : (restoreFsSchema.safeParse(e.target.value).data ?? 'auto'))}>
          <option value="auto">FAT32 up to 32 GiB, else exFAT</option>
          <option value="fat32">FAT32</option>
          <option value="exfat">exFAT</option>
        </select>
        <button type="button" disabled={busy || !device} onClick={() => void askRestore()}>
          Restore drive
        </button>
      </fieldset>
      {state.kind === 'confirm-restore' && (
        <div role="alertdialog" aria-label="Confirm restore" className="confirm">
          <p>
            This ERASES everything on {state.view.drive.device} ({state.view.drive.size === null ? 'size unknown' : formatSize(state.view.drive.size)},{' '}
            {state.view.drive.description || 'no model'}).
          </p>
          <button type="button" onClick={() => void restore()}>
            Erase and restore
          </button>
          <button type="button" onClick={() => setState({ kind: 'idle' })}>
            Cancel
          </button>
        </div>
      )}
      <DriveToolsResult state={state} />
    </section>
  );
}
