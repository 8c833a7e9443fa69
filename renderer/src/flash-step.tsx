import { useState } from 'react';
import type { ImageChoice } from '../../shared/ipc-flash';
import { catalogEntryId } from '../../shared/catalog';
import { SEED_FORM_FIELDS, type SeedFormField } from '../../shared/seed-form';
import { type EngineClient, EngineError, messageOf } from './bridge';
import { FlashProgress } from './flash-progress';
import { type FlashState, initialFlash } from './flash-state';
import { type Customisation, type ImagePick, type SeedRefusal, imageName } from './wizard-types';

function imageChoice(pick: ImagePick): ImageChoice {
  if (pick.kind === 'file') return { kind: 'file', path: pick.path };
  return { kind: 'catalog', entryId: catalogEntryId(pick.entry), ...(pick.allowDowngrade ? { allowDowngrade: true } : {}) };
}

function describe(c: Customisation): string {
  if (c.kind === 'none') return 'none (image only)';
  const s = c.summary;
  const portal = s.portalUrl && `Portal ${s.portalUrl}${c.portalSignInId !== undefined ? ' (an enrollment token per drive, from your sign-in)' : ''}`;
  const parts = [s.hostname ?? 'no hostname', s.timezone, s.keyboard, s.locale, portal, s.sshKeyCount > 0 && `${s.sshKeyCount} SSH key(s)`];
  return parts.filter(Boolean).join(', ');
}

/** The seed form's field a refusal names (the hostname template that fails for a target), if it names one. */
function refusedField(e: unknown): SeedFormField | undefined {
  if (!(e instanceof EngineError) || e.code !== 'ERR_SEED_INVALID') return undefined;
  return SEED_FORM_FIELDS.find((f) => f === e.field);
}

/**
 * Step 4: what is about to happen, one explicit "erase and flash", then the progress of that flash. A seed the engine
 * refuses for these targets (seed.validate cannot know them) goes back to its field in Customise.
 */
export function FlashStep(props: {
  bridge: EngineClient;
  image: ImagePick;
  customisation: Customisation;
  targets: readonly string[];
  onBusy: (busy: boolean) => void;
  onAgain: () => void;
  onSeedRefused: (refusal: SeedRefusal) => void;
}) {
  const [verify, setVerify] = useState(true);
  const [flash, setFlash] = useState<FlashState>();
  const [error, setError] = useState<{ message: string }>();
  const [starting, setStarting] = useState(false);

  async function start(): Promise<void> {
    setStarting(true);
    setError(undefined);
    try {
      const { flashId } = await props.bridge.invoke('flash.start', {
        image: imageChoice(props.image),
        targets: [...props.targets],
        seed: props.customisation.kind === 'seed' ? props.customisation.form : null,
        ...(props.customisation.kind === 'seed' && props.customisation.portalSignInId !== undefined ? { portalSignInId: props.customisation.portalSignInId } : {}),
        verify,
      });
      props.onBusy(true);
      setFlash(initialFlash(flashId, props.targets));
    } catch (e) {
      const field = refusedField(e);
      if (field !== undefined) props.onSeedRefused({ field, message: messageOf(e) });
      else setError({ message: messageOf(e) });
    } finally {
      setStarting(false);
    }
  }

  return (
    <section aria-labelledby="step-title">
      <h2 id="step-title" tabIndex={-1}>Flash</h2>
      {flash ? (
        <FlashProgress bridge={props.bridge} initial={flash} downloads={props.image.kind === 'catalog'} onAgain={() => { props.onBusy(false); props.onAgain(); }} />
      ) : (
        <>
          <dl className="summary">
            <dt>Image</dt>
            <dd>{imageName(props.image)}</dd>
            <dt>Customisation</dt>
            <dd>{describe(props.customisation)}</dd>
            <dt>Targets</dt>
            <dd>{props.targets.join(', ')}</dd>
          </dl>
          <label className="toggle">
            <input type="checkbox" checked={verify} onChange={(e) => setVerify(e.target.checked)} /> Read every target back and compare (recommended)
          </label>
          <p className="warning-box">Everything on {props.targets.length === 1 ? 'this drive' : `these ${props.targets.length} drives`} will be erased.</p>
          {error && <p className="error" role="alert">Cannot flash: {error.message}</p>}
          <div className="actions">
            <button type="button" className="primary danger" disabled={starting} onClick={() => void start()}>
              Erase and flash
            </button>
          </div>
        </>
      )}
    </section>
  );
}
