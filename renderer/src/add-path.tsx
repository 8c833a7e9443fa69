import { type FormEvent, useState } from 'react';

/** Adds a target the OS drive list leaves out (a loop device, an image file) by its path. */
export function AddPath(props: { onAdd: (path: string) => void }) {
  const [path, setPath] = useState('');
  function onSubmit(e: FormEvent): void {
    e.preventDefault();
    if (path.trim() === '') return;
    props.onAdd(path.trim());
    setPath('');
  }
  return (
    <form className="inline-form add-path" onSubmit={onSubmit}>
      <label htmlFor="add-path">Add a target by path (loop devices and image files are not listed by the OS)</label>
      <div className="row">
        <input id="add-path" type="text" spellCheck={false} value={path} onChange={(e) => setPath(e.target.value)} placeholder="/dev/loop0" />
        <button type="submit" disabled={path.trim() === ''}>
          Add
        </button>
      </div>
    </form>
  );
}
