import { formatBytes } from '../../shared/format-bytes';
import type { DriveView } from '../../shared/ipc-drives';

/** One drive: a checkbox labelled with what identifies it; refused drives disabled with the reason, warnings shown. */
export function DriveRow(props: { view: DriveView; selected: boolean; onToggle: (selected: boolean) => void }) {
  const { drive, refusals, warnings } = props.view;
  const id = `drive-${drive.device.replace(/[^A-Za-z0-9]/g, '-')}`;
  const refused = refusals.length > 0;
  const notes = [...refusals.map((r) => ({ kind: 'refusal', text: r.message })), ...warnings.map((w) => ({ kind: 'warning', text: w.message }))];
  return (
    <li className={`drive${refused ? ' refused' : ''}${props.selected ? ' selected' : ''}`}>
      <input id={id} type="checkbox" checked={props.selected && !refused} disabled={refused} aria-describedby={notes.length ? `${id}-notes` : undefined}
        onChange={(e) => props.onToggle(e.target.checked)} />
      <label htmlFor={id}>
        <strong>{drive.description || '(no model)'}</strong>
        <span className="device">{drive.device}</span>
        <span className="size">{drive.size === null ? 'size unknown' : formatBytes(drive.size)}</span>
        <span className="bus">
          {drive.busType}
          {drive.removable ? ' · removable' : ''}
          {drive.system ? ' · system' : ''}
          {props.view.origin === 'path' ? ' · added by path' : ''}
        </span>
      </label>
      {notes.length > 0 && (
        <ul className="drive-notes" id={`${id}-notes`}>
          {notes.map((n) => (
            <li key={n.text} className={n.kind}>
              {n.kind === 'refusal' ? 'Cannot be written: ' : 'Warning: '}
              {n.text}
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}
