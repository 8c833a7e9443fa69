import { type DragEvent, type FormEvent, useState } from 'react';
import { formatBytes } from '../../shared/format-bytes';
import { type EngineClient, messageOf } from './bridge';
import type { ImagePick } from './wizard-types';

type Inspect = { kind: 'idle' } | { kind: 'busy' } | { kind: 'failed'; message: string };

/**
 * A local image by path (typed, or dropped where the shell can tell a dropped file's path: Electron), inspected by
 * the engine before it counts as chosen.
 */
export function LocalImage(props: { bridge: EngineClient; chosen: ImagePick | undefined; onChoose: (pick: ImagePick) => void }) {
  const [path, setPath] = useState(props.chosen?.kind === 'file' ? props.chosen.path : '');
  const [state, setState] = useState<Inspect>({ kind: 'idle' });

  async function inspect(p: string): Promise<void> {
    setState({ kind: 'busy' });
    try {
      const info = await props.bridge.invoke('image.inspect', { path: p });
      setState({ kind: 'idle' });
      props.onChoose({ kind: 'file', path: p, info });
    } catch (e) {
      setState({ kind: 'failed', message: messageOf(e) });
    }
  }

  function onSubmit(e: FormEvent): void {
    e.preventDefault();
    if (path.trim() !== '') void inspect(path.trim());
  }

  function onDrop(e: DragEvent): void {
    e.preventDefault();
    const file = e.dataTransfer.files[0];
    const dropped = file && props.bridge.pathForFile?.(file);
    if (dropped) {
      setPath(dropped);
      void inspect(dropped);
    } else {
      setState({ kind: 'failed', message: 'This browser does not say where a dropped file lives: type its path instead.' });
    }
  }

  const chosen = props.chosen?.kind === 'file' ? props.chosen : undefined;
  return (
    <section className="local-image" aria-labelledby="local-image-title" onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
      <h3 id="local-image-title">Or use a local image file</h3>
      <form onSubmit={onSubmit} className="inline-form">
        <label htmlFor="image-path">Image file path (.img, .iso, compressed or not; or drop a file here)</label>
        <div className="row">
          <input id="image-path" type="text" spellCheck={false} value={path} onChange={(e) => setPath(e.target.value)} placeholder="/home/me/maculaos.img.xz" />
          <button type="submit" disabled={state.kind === 'busy' || path.trim() === ''}>
            Use this file
          </button>
        </div>
      </form>
      {state.kind === 'failed' && (
        <p role="alert" className="error">
          {state.message}
        </p>
      )}
      {chosen && (
        <p className="chosen" role="status">
          Chosen: <code>{chosen.path}</code> — {chosen.info.layout === 'unknown' ? 'no known layout' : chosen.info.layout.toUpperCase()}
          {chosen.info.compression !== 'none' && `, ${chosen.info.compression}`}, {formatBytes(chosen.info.compressedSize)} file
          {chosen.info.size !== undefined && `, ${formatBytes(chosen.info.size)} on disk`}
        </p>
      )}
    </section>
  );
}
