import type { ReactNode } from 'react';

export interface FieldProps {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly hint?: ReactNode;
  /** From seed.validate; shown right under the control and announced with it. */
  readonly error?: string | undefined;
  readonly warning?: string | undefined;
  readonly type?: 'text' | 'password' | 'url';
  /** id of a <datalist> of suggestions (the control stays free text, checked by the engine). */
  readonly list?: string;
  readonly multiline?: boolean;
  readonly placeholder?: string;
  readonly autoComplete?: string;
}

/** A labelled text control with its hint, error and warning tied to it by aria-describedby. */
export function Field(p: FieldProps) {
  const described = [p.hint && `${p.id}-hint`, p.error && `${p.id}-error`, p.warning && `${p.id}-warning`].filter(Boolean).join(' ') || undefined;
  const common = {
    id: p.id,
    value: p.value,
    'aria-invalid': p.error ? true : undefined,
    'aria-describedby': described,
    spellCheck: false,
    placeholder: p.placeholder,
    autoComplete: p.autoComplete ?? 'off',
  };
  return (
    <div className={`field${p.error ? ' has-error' : ''}`}>
      <label htmlFor={p.id}>{p.label}</label>
      {p.multiline ? (
        <textarea {...common} rows={3} onChange={(e) => p.onChange(e.target.value)} />
      ) : (
        <input {...common} type={p.type ?? 'text'} list={p.list} onChange={(e) => p.onChange(e.target.value)} />
      )}
      {p.hint && (
        <p className="hint" id={`${p.id}-hint`}>
          {p.hint}
        </p>
      )}
      {p.error && (
        <p className="field-error" id={`${p.id}-error`}>
          {p.error}
        </p>
      )}
      {p.warning && (
        <p className="field-warning" id={`${p.id}-warning`}>
          {p.warning}
        </p>
      )}
    </div>
  );
}
