// "Add number": the account's spare numbers (not listed by any callflow, this one's saved numbers included when the
// editor dropped them), or an extension typed in. Numbers reach the account on the Numbers page.

import { useId, useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { useLoad } from '../api/hooks';
import { Button, ErrorBanner, Loading, Modal, TextField } from '../components/ui';
import { Link } from '../router';

interface NumberDoc {
  number?: string;
  used_by?: string;
  callflow_id?: string;
}

export function AddNumberDialog({
  base,
  callflowId,
  taken,
  onAdd,
  onCancel,
}: {
  base: string;
  callflowId?: string;
  /** The numbers the editor has already. */
  taken: string[];
  onAdd(numbers: string[]): void;
  onCancel(): void;
}) {
  const formId = useId();
  const list = useLoad(
    (signal) => api.get<{ numbers?: Record<string, NumberDoc> }>(`${base}/phone_numbers`, { signal }),
    [base],
  );
  const [picked, setPicked] = useState<string[]>([]);
  const [extension, setExtension] = useState('');
  const [error, setError] = useState<string>();
  const spare = Object.entries(list.data?.numbers ?? {})
    .filter(([n, doc]) => !taken.includes(n) && (!doc.callflow_id || doc.callflow_id === callflowId))
    .map(([n]) => n)
    .sort();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const ext = extension.trim();
    if (ext) {
      if (ext.length > 64 || /\s/.test(ext)) {
        setError('An extension is up to 64 characters, without spaces');
        return;
      }
      if (ext.startsWith('+') && !/^\+[1-9][0-9]{5,14}$/.test(ext)) {
        setError(`${ext} is not an E.164 number (+ and 6 to 15 digits)`);
        return;
      }
      if (taken.includes(ext)) {
        setError(`${ext} is already a number of this callflow`);
        return;
      }
    }
    const numbers = [...picked, ...(ext ? [ext] : [])];
    if (!numbers.length) {
      setError('Pick a number or type an extension');
      return;
    }
    onAdd(numbers);
  };

  return (
    <Modal
      title="Add a number"
      open
      onClose={onCancel}
      footer={
        <>
          <Button onClick={onCancel}>Cancel</Button>
          <Button variant="primary" type="submit" form={formId}>
            Add
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} noValidate>
        <fieldset className="cf-fieldset">
          <legend>The account's spare numbers</legend>
          {list.loading && !list.data ? <Loading what="numbers" /> : null}
          {list.error ? (
            <ErrorBanner error={list.error} onRetry={list.reload} title="Could not load the numbers" />
          ) : null}
          {list.data && spare.length === 0 ? (
            <p className="muted">
              No spare numbers: every number of the account is used by a callflow. Add one on the{' '}
              <Link to="/numbers">Numbers page</Link>, or type an extension below.
            </p>
          ) : null}
          <div className="cf-spare">
            {spare.map((n) => (
              <label key={n} className="cf-radio">
                <input
                  type="checkbox"
                  checked={picked.includes(n)}
                  onChange={(e) => {
                    setError(undefined);
                    setPicked((p) => (e.target.checked ? [...p, n] : p.filter((x) => x !== n)));
                  }}
                />
                <span className="mono">{n}</span>
              </label>
            ))}
          </div>
        </fieldset>
        <TextField
          label="Extension"
          value={extension}
          placeholder="e.g. 1001"
          hint="A short number devices of the account dial (or a phone number of the account)."
          onChange={(e) => {
            setError(undefined);
            setExtension(e.target.value);
          }}
        />
        {error ? (
          <div className="field-error" role="alert">
            {error}
          </div>
        ) : null}
      </form>
    </Modal>
  );
}
