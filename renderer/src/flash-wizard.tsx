import { useEffect, useRef, useState } from 'react';
import { EMPTY_SEED_FORM, type SeedSummary } from '../../shared/seed-form';
import { ChooseOs } from './choose-os';
import { ChooseTargets } from './choose-targets';
import { CustomiseForm } from './customise-form';
import { FlashStep } from './flash-step';
import { StepNav } from './step-nav';
import { type Customisation, type ImagePick, STEPS, type SeedRefusal, type Step } from './wizard-types';
import type { EngineClient } from './bridge';

/** The flash wizard: Choose OS → Customise → Choose targets → Flash. State flows down; each step reports up. */
export function FlashWizard({ bridge }: { bridge: EngineClient }) {
  const [step, setStep] = useState<Step>('os');
  const [image, setImage] = useState<ImagePick>();
  const [customisation, setCustomisation] = useState<Customisation>({ kind: 'seed', form: EMPTY_SEED_FORM, summary: EMPTY_SUMMARY });
  const [customised, setCustomised] = useState(false);
  const [targets, setTargets] = useState<string[]>([]);
  const [extraPaths, setExtraPaths] = useState<string[]>([]);
  const [flashing, setFlashing] = useState(false);
  // The engine refused the seed for the chosen targets: shown beside its field when Customise opens again.
  const [refusal, setRefusal] = useState<SeedRefusal>();
  // A flash key: each visit to the Flash step after "flash more" starts fresh.
  const [round, setRound] = useState(0);
  const firstStep = useRef(true);

  // Focus follows the user into the step they moved to (WCAG 2.4.3): the button they pressed left with the old step,
  // and focus left on <body> would send the next Tab back to the top of the page. Not on the first render.
  useEffect(() => {
    if (firstStep.current) {
      firstStep.current = false;
      return;
    }
    document.getElementById('step-title')?.focus();
  }, [step, round]);

  const reachable = (s: Step): boolean => {
    if (flashing) return s === 'flash';
    const i = STEPS.indexOf(s);
    const done = [true, image !== undefined, image !== undefined && customised, image !== undefined && customised && targets.length > 0];
    return done.slice(0, i + 1).every(Boolean);
  };

  return (
    <>
      <StepNav current={step} reachable={reachable} onGo={setStep} />
      {step === 'os' && <ChooseOs bridge={bridge} chosen={image} onChoose={setImage} onNext={() => setStep('customise')} />}
      {step === 'customise' && (
        <CustomiseForm bridge={bridge} initial={customisation} refusal={refusal}
          onDone={(c) => { setCustomisation(c); setCustomised(true); setRefusal(undefined); setStep('targets'); }} />
      )}
      {step === 'targets' && image && (
        <ChooseTargets bridge={bridge} image={image} selected={targets} onSelect={setTargets} extraPaths={extraPaths} onExtraPaths={setExtraPaths} onNext={() => setStep('flash')} />
      )}
      {step === 'flash' && image && (
        <FlashStep key={round} bridge={bridge} image={image} customisation={customisation} targets={targets} onBusy={setFlashing}
          onAgain={() => { setRound((r) => r + 1); setStep('targets'); }}
          onSeedRefused={(r) => { setRefusal(r); setStep('customise'); }} />
      )}
    </>
  );
}

/** Placeholder until the form is validated; `customised` gates the steps after it. */
const EMPTY_SUMMARY: SeedSummary = { template: false, mesh: { bootstrap: false, relay: false }, hasEnrollmentToken: false, sshKeyCount: 0, hasWifiPassphrase: false };
