// The numbers and extensions of an action: chosen entries as removable chips, and three ways to add one — a spare
// number of the account (one no callflow lists), an extension typed in, or a new number added to the account right
// here (PUT /v2/accounts/{id}/phone_numbers/{number}, whose refusal — e.g. another account has it — is shown as is).

import { useId, useState, type KeyboardEvent } from 'react';
import { api, ApiError } from '../api/client';
import { useAction, useLoad } from '../api/hooks';
import { useAccount } from '../api/session';
import { Button, IconButton, useToast } from '../components/ui';
import { ENTRY_MAX, isPhoneNumber, phoneOf } from './model';

interface PhoneNumber {
  number: string;
  used_by?: string;
  callflow_id?: string;
}

interface Props {
  value: string[];
  onChange: (next: string[]) => void;
  /** The server's or the form's error for `numbers`. */
  error?: string;
  /** The callflow being edited: its own numbers count as spare. */
  editingId?: string;
}

export function NumberPicker({ value, onChange, error, editingId }: Props) {
  const { base } = useAccount();
  const toast = useToast();
  const id = useId();
  const owned = useLoad(
    (signal) =>
      api
        .get<{ numbers: Record<string, PhoneNumber> }>(`${base}/phone_numbers`, { signal })
        .then((d) => Object.values(d?.numbers ?? {})),
    [base],
  );
  const [spare, setSpare] = useState('');
  const [extension, setExtension] = useState('');
  const [extensionError, setExtensionError] = useState<string>();
  const [addOpen, setAddOpen] = useState(false);
  const [newNumber, setNewNumber] = useState('');
  const [newNumberError, setNewNumberError] = useState<string>();

  const free = (owned.data ?? []).filter(
    (n) => (!n.callflow_id || n.callflow_id === editingId) && !value.includes(n.number),
  );
  const add = (entry: string) => {
    if (!value.includes(entry)) onChange([...value, entry]);
  };

  const pickSpare = () => {
    const pick = spare || free[0]?.number;
    if (!pick) return;
    add(pick);
    setSpare('');
  };

  const addExtension = () => {
    const typed = extension.trim();
    setExtensionError(undefined);
    if (!typed) return setExtensionError('Type an extension, e.g. 2001');
    const phone = phoneOf(typed);
    if (phone) {
      const mine = (owned.data ?? []).find((n) => n.number === phone);
      if (!mine) {
        setExtensionError(`${phone} is a phone number this account does not have yet: add it to the account below`);
        setAddOpen(true);
        setNewNumber(phone);
        return;
      }
      if (mine.callflow_id && mine.callflow_id !== editingId) {
        return setExtensionError(`${phone} is already used by another callflow of this account`);
      }
      if (value.includes(phone)) return setExtensionError(`${phone} is already in the list`);
      add(phone);
      setExtension('');
      return;
    }
    if (typed.startsWith('+')) return setExtensionError('A phone number is + and 6 to 15 digits');
    if (/\s/.test(typed)) return setExtensionError('An extension has no spaces');
    if (typed.length > ENTRY_MAX) return setExtensionError(`At most ${ENTRY_MAX} characters`);
    if (value.includes(typed)) return setExtensionError(`${typed} is already in the list`);
    add(typed);
    setExtension('');
  };

  const adding = useAction(async () => {
    const typed = newNumber.trim();
    setNewNumberError(undefined);
    if (!typed) {
      setNewNumberError('Type the phone number, e.g. +14155550100');
      return;
    }
    try {
      const stored = await api.put<PhoneNumber>(`${base}/phone_numbers/${encodeURIComponent(typed)}`);
      add(stored.number);
      setNewNumber('');
      setAddOpen(false);
      owned.reload();
      toast(`${stored.number} was added to the account`);
    } catch (err) {
      if (err instanceof ApiError) setNewNumberError(err.field('number') ?? err.detail);
      else setNewNumberError(String(err));
    }
  });

  const onEnter = (action: () => void) => (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      action();
    }
  };

  return (
    <fieldset className={`field np${error ? ' field-invalid' : ''}`} aria-describedby={error ? `${id}-err` : undefined}>
      <legend>Numbers and extensions</legend>
      {value.length ? (
        <ul className="np-chips" aria-label="Chosen numbers and extensions">
          {value.map((entry) => (
            <li
              key={entry}
              className={`np-chip${error?.includes(entry) ? ' np-chip-bad' : ''}`}
              data-kind={isPhoneNumber(entry) ? 'number' : 'extension'}
            >
              <span className="np-kind">{isPhoneNumber(entry) ? 'number' : 'ext'}</span>
              <span className="mono">{entry}</span>
              <IconButton label={`Remove ${entry}`} onClick={() => onChange(value.filter((v) => v !== entry))}>
                ✕
              </IconButton>
            </li>
          ))}
        </ul>
      ) : (
        <p className="hint np-none">
          None yet. Calls to these numbers and extensions run the action; without one it can only be reached from
          another callflow.
        </p>
      )}
      {error ? (
        <div className="field-error" id={`${id}-err`} role="alert">
          {error}
        </div>
      ) : null}

      <div className="np-row">
        <label htmlFor={`${id}-spare`}>Spare numbers</label>
        <div className="np-controls">
          <select
            id={`${id}-spare`}
            value={spare}
            onChange={(e) => setSpare(e.target.value)}
            disabled={owned.loading || !!owned.error || free.length === 0}
          >
            {owned.loading ? (
              <option value="">Loading the account's numbers…</option>
            ) : free.length === 0 ? (
              <option value="">No spare numbers: add one below</option>
            ) : (
              free.map((n) => (
                <option key={n.number} value={n.number}>
                  {n.number}
                </option>
              ))
            )}
          </select>
          <Button onClick={pickSpare} disabled={free.length === 0}>
            Use number
          </Button>
        </div>
        {owned.error ? (
          <div className="field-error" role="alert">
            Could not load the account's numbers: {owned.error.detail}{' '}
            <button type="button" className="pm-link" onClick={owned.reload}>
              Try again
            </button>
          </div>
        ) : null}
      </div>

      <div className={`np-row${extensionError ? ' field-invalid' : ''}`}>
        <label htmlFor={`${id}-ext`}>Extension</label>
        <div className="np-controls">
          <input
            id={`${id}-ext`}
            value={extension}
            placeholder="e.g. 2001"
            inputMode="numeric"
            autoComplete="off"
            aria-invalid={!!extensionError || undefined}
            aria-describedby={extensionError ? `${id}-ext-err` : undefined}
            onChange={(e) => setExtension(e.target.value)}
            onKeyDown={onEnter(addExtension)}
          />
          <Button onClick={addExtension}>Add extension</Button>
        </div>
        {extensionError ? (
          <div className="field-error" id={`${id}-ext-err`} role="alert">
            {extensionError}
          </div>
        ) : null}
      </div>

      {addOpen ? (
        <div className={`np-row np-new${newNumberError ? ' field-invalid' : ''}`}>
          <label htmlFor={`${id}-new`}>New number</label>
          <div className="np-controls">
            <input
              id={`${id}-new`}
              value={newNumber}
              placeholder="+14155550100"
              inputMode="tel"
              autoComplete="off"
              autoFocus
              aria-invalid={!!newNumberError || undefined}
              aria-describedby={`${id}-new-hint${newNumberError ? ` ${id}-new-err` : ''}`}
              onChange={(e) => setNewNumber(e.target.value)}
              onKeyDown={onEnter(() => void adding.run())}
            />
            <Button variant="primary" onClick={() => void adding.run()} busy={adding.busy}>
              Add to account
            </Button>
            <Button variant="ghost" onClick={() => setAddOpen(false)}>
              Cancel
            </Button>
          </div>
          <div className="hint" id={`${id}-new-hint`}>
            The number becomes this account's (numbers are unique across Pivot) and is added to this action.
          </div>
          {newNumberError ? (
            <div className="field-error" id={`${id}-new-err`} role="alert">
              {newNumberError}
            </div>
          ) : null}
        </div>
      ) : (
        <button type="button" className="pm-link np-open-new" onClick={() => setAddOpen(true)}>
          + Add a new number to the account
        </button>
      )}
    </fieldset>
  );
}
