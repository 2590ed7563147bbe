// The branch key of a block under a parent with keyed children: which digit of a menu, which time rule of a time of
// day block, which value of a branch variable, which failure of a dial. Asked before a block is dropped under such a
// parent, when a block moves there, and when a branch label is clicked. Keys already taken are not offered.

import { useId, useState, type FormEvent } from 'react';
import { Button, Modal } from '../components/ui';
import { keyChoices, type KeyKind, type KeyOption } from './catalog';
import { useEntities } from './entities';

export interface KeyDialogProps {
  kind: KeyKind;
  parentLabel: string;
  /** Keys the parent already has (the current key of a relabelled branch is not among them). */
  used: string[];
  current?: string;
  onChoose(key: string): void;
  onCancel(): void;
}

const OTHER = '\u0000other';

export function KeyDialog({ kind, parentLabel, used, current, onChoose, onCancel }: KeyDialogProps) {
  const formId = useId();
  const choices = keyChoices(kind);
  const rules = useEntities('temporal_rules');
  const presets: KeyOption[] = [
    ...(kind === 'temporal' ? (rules.items ?? []).map((r) => ({ value: r.id, label: r.label })) : []),
    ...choices.presets,
  ];
  const free = presets.filter((p) => !used.includes(p.value));
  const initialChoice =
    current && presets.some((p) => p.value === current)
      ? current
      : current && choices.free
        ? OTHER
        : choices.free && kind === 'digits'
          ? OTHER
          : (free[0]?.value ?? (choices.free ? OTHER : ''));
  const [choice, setChoice] = useState(initialChoice);
  const [typed, setTyped] = useState(current && initialChoice === OTHER ? current : '');
  const [error, setError] = useState<string>();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const key = choice === OTHER ? typed.trim() : choice;
    if (!key) {
      setError(choice === OTHER ? `Type the ${choices.free?.label.toLowerCase() ?? 'key'}` : 'Choose a branch');
      return;
    }
    if (choice === OTHER && choices.free && !choices.free.pattern.test(key)) {
      setError(`${choices.free.label}: ${choices.free.hint}`);
      return;
    }
    if (used.includes(key)) {
      setError(`${parentLabel} already has this branch: choose another one`);
      return;
    }
    onChoose(key);
  };

  return (
    <Modal
      title="Choose the branch"
      open
      onClose={onCancel}
      footer={
        <>
          <Button onClick={onCancel}>Cancel</Button>
          <Button variant="primary" type="submit" form={formId}>
            Continue
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} noValidate>
        <fieldset className="cf-fieldset cf-keys">
          <legend>When does {parentLabel} take this branch?</legend>
          {presets.map((p) => {
            const taken = used.includes(p.value);
            return (
              <label key={p.value} className={`cf-radio${taken ? ' cf-taken' : ''}`}>
                <input
                  type="radio"
                  name="key"
                  value={p.value}
                  checked={choice === p.value}
                  disabled={taken}
                  onChange={() => {
                    setChoice(p.value);
                    setError(undefined);
                  }}
                />
                {p.label}
                {taken ? <span className="muted"> (already used)</span> : null}
              </label>
            );
          })}
          {kind === 'temporal' && rules.loading ? <div className="hint">Loading the time rules…</div> : null}
          {kind === 'temporal' && rules.error ? (
            <div className="field-error">
              Could not load the time rules: {rules.error.message}{' '}
              <button type="button" className="cf-linkbtn" onClick={rules.reload}>
                Try again
              </button>
            </div>
          ) : null}
          {kind === 'temporal' && rules.items?.length === 0 ? (
            <div className="hint">
              This account has no time rules yet: create them with <code>PUT /v2/accounts/…/temporal_rules</code>.
            </div>
          ) : null}
          {choices.free ? (
            <div className="cf-radio cf-other">
              <label>
                <input
                  type="radio"
                  name="key"
                  value={OTHER}
                  checked={choice === OTHER}
                  onChange={() => {
                    setChoice(OTHER);
                    setError(undefined);
                  }}
                />
                {choices.free.label}
              </label>
              <input
                aria-label={choices.free.label}
                value={typed}
                placeholder={choices.free.hint}
                autoFocus={choice === OTHER}
                onFocus={() => setChoice(OTHER)}
                onChange={(e) => {
                  setTyped(e.target.value);
                  setError(undefined);
                }}
              />
            </div>
          ) : null}
        </fieldset>
        {error ? (
          <div className="field-error" role="alert">
            {error}
          </div>
        ) : null}
      </form>
    </Modal>
  );
}
