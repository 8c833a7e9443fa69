import { STEPS, STEP_LABEL, type Step } from './wizard-types';

/** Where the user is in the wizard; steps already done can be revisited (not while flashing). */
export function StepNav(props: { current: Step; reachable: (step: Step) => boolean; onGo: (step: Step) => void }) {
  return (
    <nav aria-label="Steps">
      <ol className="steps">
        {STEPS.map((step, i) => (
          <li key={step}>
            <button type="button" aria-current={props.current === step ? 'step' : undefined} disabled={!props.reachable(step)} onClick={() => props.onGo(step)}>
              <span className="step-number">{i + 1}</span> {STEP_LABEL[step]}
            </button>
          </li>
        ))}
      </ol>
    </nav>
  );
}
