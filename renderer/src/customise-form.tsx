import { type FormEvent, useEffect, useRef, useState } from 'react';
import type { IpcResponse } from '../../shared/ipc-contract';
import { EMPTY_SEED_FORM, type FieldMessage, type SeedForm, type SeedFormField } from '../../shared/seed-form';
import { type EngineClient, messageOf } from './bridge';
import { Field } from './field';
import { MeshRoles } from './mesh-roles';
import { PortalSignIn } from './portal-sign-in';
import { ProfilesPanel } from './profiles-panel';
import { SeedSuggestions, localTimeZone } from './suggestions';
import type { Customisation, SeedRefusal } from './wizard-types';

type Messages = Partial<Record<SeedFormField | 'form', string>>;

function byField(list: readonly FieldMessage[]): Messages {
  const out: Messages = {};
  for (const m of list) out[m.field] ??= m.message;
  return out;
}

/**
 * Step 2: the node's seed (or none). The engine validates the form (seed.validate) and every problem is shown beside
 * its field; once the user has tried to continue, each change is checked again so fixed errors go away. A refusal of
 * flash.start (a hostname template that fails for a chosen target) comes back here, beside its field too.
 */
export function CustomiseForm(props: {
  bridge: EngineClient;
  initial: Customisation;
  /** The engine's refusal of this seed for the chosen targets, shown beside its field until the form is checked again. */
  refusal?: SeedRefusal | undefined;
  onDone: (c: Customisation) => void;
}) {
  const [mode, setMode] = useState<Customisation['kind']>(props.initial.kind);
  const [form, setForm] = useState<SeedForm>(props.initial.kind === 'seed' ? props.initial.form : EMPTY_SEED_FORM);
  const [errors, setErrors] = useState<Messages>(props.refusal ? { [props.refusal.field]: props.refusal.message } : {});
  const [warnings, setWarnings] = useState<Messages>({});
  const [failure, setFailure] = useState<string>();
  const [tried, setTried] = useState(false);
  // The Portal sign-in the flash mints its enrollment tokens through; a pasted token replaces it.
  const [signInId, setSignInId] = useState<string | undefined>(props.initial.kind === 'seed' ? props.initial.portalSignInId : undefined);
  const sequence = useRef(0);

  async function validate(values: SeedForm): Promise<IpcResponse<'seed.validate'> | undefined> {
    const mine = ++sequence.current;
    try {
      const result = await props.bridge.invoke('seed.validate', { form: values });
      // Answers can overtake each other while the user types: only the newest counts.
      if (mine !== sequence.current) return undefined;
      setFailure(undefined);
      setErrors(result.ok ? {} : byField(result.errors));
      setWarnings(result.ok ? byField(result.warnings) : {});
      return result;
    } catch (e) {
      setFailure(messageOf(e));
      return undefined;
    }
  }

  useEffect(() => {
    if (!tried || mode !== 'seed') return;
    const timer = setTimeout(() => void validate(form), 250);
    return () => clearTimeout(timer);
    // validate is recreated every render; the form is what matters.
  }, [form, tried, mode]);

  const set = <K extends keyof SeedForm>(key: K) => (value: SeedForm[K]) => setForm((f) => ({ ...f, [key]: value }));

  async function onSubmit(e: FormEvent): Promise<void> {
    e.preventDefault();
    if (mode === 'none') return props.onDone({ kind: 'none' });
    setTried(true);
    const result = await validate(form);
    if (result?.ok) props.onDone({ kind: 'seed', form, summary: result.summary, ...(signInId !== undefined && form.portalToken.trim() === '' ? { portalSignInId: signInId } : {}) });
  }

  const errorCount = Object.keys(errors).length;
  return (
    <section aria-labelledby="step-title">
      <h2 id="step-title" tabIndex={-1}>Customise</h2>
      <form onSubmit={(e) => void onSubmit(e)} noValidate>
        <fieldset className="mode">
          <legend>Customisation</legend>
          <label>
            <input type="radio" name="mode" checked={mode === 'seed'} onChange={() => setMode('seed')} /> Customise the node (hostname, time zone, Portal, SSH keys, Wi-Fi)
          </label>
          <label>
            <input type="radio" name="mode" checked={mode === 'none'} onChange={() => setMode('none')} /> No customisation: write the image only
          </label>
        </fieldset>
        {mode === 'seed' && (
          <div className="seed-fields">
            <SeedSuggestions />
            <ProfilesPanel bridge={props.bridge} form={form} onLoad={setForm} />
            <Field id="hostname" label="Hostname" value={form.hostname} onChange={set('hostname')} error={errors.hostname} placeholder="edge-{nn}"
              hint="One name, or a template for many drives: {nn} → 01, 02…, {n} → 1, 2…, {serial} → the drive's serial number." />
            <Field id="timezone" label="Time zone" value={form.timezone} onChange={set('timezone')} error={errors.timezone} list="timezone-options" placeholder={localTimeZone()} />
            <Field id="keyboard" label="Keyboard layout" value={form.keyboard} onChange={set('keyboard')} error={errors.keyboard} list="keyboard-options" placeholder="us" />
            <Field id="locale" label="Locale" value={form.locale} onChange={set('locale')} error={errors.locale} list="locale-options" placeholder="en_US.UTF-8" />
            <MeshRoles bootstrap={form.meshBootstrap} relay={form.meshRelay} onBootstrap={set('meshBootstrap')} onRelay={set('meshRelay')}
              error={errors.meshBootstrap} warning={warnings.meshBootstrap} />
            <Field id="portal-url" label="Portal URL" type="url" value={form.portalUrl} onChange={set('portalUrl')} error={errors.portalUrl} placeholder="https://portal.example.com" />
            <PortalSignIn bridge={props.bridge} portalUrl={form.portalUrl} onSignedIn={(id) => { setSignInId(id); set('portalToken')(''); }} />
            <Field id="portal-token" label="Enrollment token" type="password" autoComplete="new-password" value={form.portalToken} onChange={set('portalToken')}
              error={errors.portalToken} warning={signInId !== undefined && form.portalToken === '' ? undefined : warnings.portalToken}
              hint="Pasted, for one drive (a token enrols one node), or left empty after signing in. Stays on the node's state partition; never shown again or logged." />
            <Field id="ssh-keys" label="SSH public keys (one per line)" multiline value={form.sshKeys} onChange={set('sshKeys')} error={errors.sshKeys} placeholder="ssh-ed25519 AAAA… me@laptop" />
            <Field id="wifi-ssid" label="Wi-Fi network name (SSID)" value={form.wifiSsid} onChange={set('wifiSsid')} error={errors.wifiSsid}
              hint="Optional: the node joins this WPA2 network. Leave both Wi-Fi fields blank for wired only." />
            <Field id="wifi-passphrase" label="Wi-Fi passphrase" type="password" autoComplete="new-password" value={form.wifiPassphrase} onChange={set('wifiPassphrase')}
              error={errors.wifiPassphrase} hint="8–63 characters. Stays on the node's state partition; never shown again, logged or saved in a profile." />
          </div>
        )}
        {errors.form && <p className="error" role="alert">{errors.form}</p>}
        {failure && <p className="error" role="alert">Could not check the seed: {failure}</p>}
        <p className="error-summary" role="status" aria-live="polite">
          {errorCount > 0 ? `${errorCount === 1 ? 'One field needs' : `${errorCount} fields need`} fixing.` : ''}
        </p>
        <div className="actions">
          <button type="submit" className="primary">
            Next: Choose targets
          </button>
        </div>
      </form>
    </section>
  );
}
