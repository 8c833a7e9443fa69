import { useEffect, useState } from 'react';
import { type Profile, formOfProfile, profileFormOf } from '../../shared/profile';
import type { SeedForm } from '../../shared/seed-form';
import { type EngineClient, messageOf } from './bridge';

/**
 * Saved profiles of the Customise form: save the current form under a name, load one back, delete one. Only the
 * secret-free part of the form ever leaves for the engine (profileFormOf), and loading leaves the secrets blank.
 */
export function ProfilesPanel(props: { bridge: EngineClient; form: SeedForm; onLoad: (form: SeedForm) => void }) {
  const [profiles, setProfiles] = useState<Profile[]>([]);
  const [selected, setSelected] = useState('');
  const [name, setName] = useState('');
  const [status, setStatus] = useState('');
  const [error, setError] = useState<string>();

  /** Runs one engine call, showing its failure beside the panel instead of throwing. */
  async function run(action: () => Promise<Profile[]>, done: string): Promise<void> {
    try {
      const list = await action();
      setProfiles(list);
      setError(undefined);
      setStatus(done);
    } catch (e) {
      setError(messageOf(e));
    }
  }

  useEffect(() => {
    void run(async () => (await props.bridge.invoke('profiles.list', {})).profiles, '');
    // Once per mount: the list changes only through this panel.
  }, []);

  const chosen = profiles.find((p) => p.name === selected);
  const save = () => run(async () => (await props.bridge.invoke('profiles.save', { name, form: profileFormOf(props.form) })).profiles, `Saved "${name.trim()}".`);
  const remove = () => run(async () => (await props.bridge.invoke('profiles.delete', { name: selected })).profiles, `Deleted "${selected}".`).then(() => setSelected(''));
  const load = (): void => {
    if (!chosen) return;
    props.onLoad(formOfProfile(chosen));
    setStatus(`Loaded "${chosen.name}". Enter the enrollment token and Wi-Fi passphrase again if this node needs them.`);
  };

  return (
    <fieldset className="profiles" aria-describedby="profiles-note">
      <legend>Saved profiles</legend>
      <p className="hint" id="profiles-note">
        A profile keeps every field here except the secrets: the enrollment token and the Wi-Fi passphrase are never saved.
      </p>
      <div className="profile-row">
        <label htmlFor="profile-pick">Profile</label>
        <select id="profile-pick" value={selected} onChange={(e) => setSelected(e.target.value)}>
          <option value="">{profiles.length === 0 ? 'No saved profiles' : 'Choose a profile…'}</option>
          {profiles.map((p) => (
            <option key={p.name} value={p.name}>
              {p.name}
            </option>
          ))}
        </select>
        <button type="button" disabled={!chosen} onClick={load}>
          Load
        </button>
        <button type="button" disabled={!chosen} onClick={() => void remove()}>
          Delete
        </button>
      </div>
      <div className="profile-row">
        <label htmlFor="profile-name">Save as</label>
        <input id="profile-name" type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="lab rack A" maxLength={64} autoComplete="off" />
        <button type="button" disabled={name.trim() === ''} onClick={() => void save()}>
          Save profile
        </button>
      </div>
      {error && <p className="error" role="alert">Profiles: {error}</p>}
      <p className="hint" role="status" aria-live="polite">
        {status}
      </p>
    </fieldset>
  );
}
