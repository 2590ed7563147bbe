// The form of a Pivot Callflow Action, new or edited, in a dialog: name, numbers and extensions, method, URL, request
// format, and under "Advanced" the body format, timeout, debug, CDR URL and what happens when the request fails.
// Quick checks run before sending; the server's field errors (a flow path like `flow.data.voice_url`, a number used
// by another callflow) are shown at their fields. An edit is written over the document as loaded, so fields this
// form does not know are kept, and is refused when the action changed elsewhere since it was opened (the revision is
// compared first).

import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, request, type Envelope, type FieldErrors } from '../api/client';
import { useAction, useLoad } from '../api/hooks';
import { useAccount } from '../api/session';
import { Button, Checkbox, ErrorBanner, Loading, Modal, SelectField, TextField, useConfirm } from '../components/ui';
import { FailureEditor } from './FailureEditor';
import { NumberPicker } from './NumberPicker';
import {
  ADVANCED_FIELDS,
  formFieldOf,
  NAME_MAX,
  TIMEOUT_DEFAULT_MS,
  TIMEOUT_MAX_MS,
  TIMEOUT_MIN_MS,
  validate,
  valuesOf,
  docOf,
  type CallflowDoc,
  type FieldName,
  type FormErrors,
  type PivotValues,
} from './model';

interface Props {
  /** The callflow to edit; a new action when absent. */
  editId?: string;
  onClose: () => void;
  onSaved: (doc: CallflowDoc, created: boolean) => void;
}

const NEW_TITLE = 'New Pivot Callflow Action';

export function PivotForm({ editId, onClose, onSaved }: Props) {
  const { base } = useAccount();
  const loaded = useLoad(
    (signal) =>
      editId
        ? request<CallflowDoc>('GET', `${base}/callflows/${encodeURIComponent(editId)}`, { signal })
        : Promise.resolve(undefined),
    [base, editId],
  );
  if (editId && !loaded.data) {
    return (
      <Modal title="Edit Pivot Callflow Action" open onClose={onClose}>
        {loaded.error ? (
          <ErrorBanner title="Could not load the action" error={loaded.error} onRetry={loaded.reload} />
        ) : (
          <Loading what="the action" />
        )}
      </Modal>
    );
  }
  return (
    <FormBody
      key={loaded.data?.revision ?? 'new'}
      loaded={loaded.data}
      onClose={onClose}
      onSaved={onSaved}
      onReload={loaded.reload}
    />
  );
}

/** Server field errors split into the form's fields and the rest. */
function placeErrors(err: ApiError): { fields: FormErrors; rest: FieldErrors } {
  const fields: FormErrors = {};
  const rest: FieldErrors = {};
  for (const [name, messages] of Object.entries(err.fields)) {
    const at = formFieldOf(name);
    if (at) fields[at] = [fields[at], ...messages].filter(Boolean).join('; ');
    else rest[name] = messages;
  }
  return { fields, rest };
}

function FormBody({
  loaded,
  onClose,
  onSaved,
  onReload,
}: {
  loaded?: Envelope<CallflowDoc>;
  onClose: () => void;
  onSaved: Props['onSaved'];
  onReload: () => void;
}) {
  const { base } = useAccount();
  const confirm = useConfirm();
  const formId = useId();
  const doc = loaded?.data;
  const initial = useMemo(() => valuesOf(doc), [doc]);
  const [values, setValues] = useState<PivotValues>(initial);
  const [errors, setErrors] = useState<FormErrors>({});
  const [refusal, setRefusal] = useState<ApiError>();
  const [stale, setStale] = useState(false);
  const [advanced, setAdvanced] = useState(
    () =>
      !!doc &&
      (initial.req_body_format !== 'form' ||
        initial.req_timeout_ms !== '' ||
        initial.cdr_url !== '' ||
        initial.failure.kind !== 'hangup'),
  );
  const [attempt, setAttempt] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);

  // After a refused save, the first field in error gets the focus (inside "Advanced", which is opened for it).
  useEffect(() => {
    if (!attempt) return;
    const bad = formRef.current?.querySelector<HTMLElement>(
      '[aria-invalid="true"], .field-invalid input:not([type="radio"]):not(:disabled), .field-invalid select:not(:disabled)',
    );
    bad?.focus();
  }, [attempt]);

  const set = <K extends keyof PivotValues>(key: K, value: PivotValues[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
    setErrors((e) => (e[key as FieldName] ? { ...e, [key]: undefined } : e));
  };

  const showErrors = (found: FormErrors) => {
    setErrors(found);
    if (ADVANCED_FIELDS.some((f) => found[f])) setAdvanced(true);
    setAttempt((a) => a + 1);
  };

  const save = useAction(async (overwrite: boolean) => {
    setRefusal(undefined);
    setStale(false);
    const found = validate(values);
    if (Object.keys(found).length) return showErrors(found);
    setErrors({});
    const path = doc ? `${base}/callflows/${encodeURIComponent(doc.id)}` : `${base}/callflows`;
    try {
      const body = docOf(values, doc);
      // If-Match with the revision the form was opened at: a change made elsewhere meanwhile answers 412.
      const guard = !overwrite && loaded?.revision ? { headers: { 'If-Match': loaded.revision } } : {};
      const saved = doc ? await api.post<CallflowDoc>(path, body, guard) : await api.put<CallflowDoc>(path, body);
      onSaved(saved, !doc);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      // A 412: the stored revision is no longer the one the form was opened at.
      if (err.status === 412) {
        setStale(true);
        return;
      }
      const { fields, rest } = placeErrors(err);
      const placed = Object.keys(fields).length > 0;
      setRefusal(new ApiError(err.status, placed ? `${err.message}: see the fields marked below` : err.message, rest));
      showErrors(fields);
    }
  });

  const dirty = JSON.stringify(values) !== JSON.stringify(initial);
  const requestClose = async () => {
    if (save.busy) return;
    if (
      dirty &&
      !(await confirm({
        title: 'Discard your changes?',
        message: 'What you changed in this form is not saved yet.',
        confirm: 'Discard',
        danger: true,
      }))
    ) {
      return;
    }
    onClose();
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void save.run(false);
  };

  const advancedErrors = ADVANCED_FIELDS.filter((f) => errors[f]).length;
  const kept =
    values.failure.kind === 'keep'
      ? values.failure.module
      : initial.failure.kind === 'keep'
        ? initial.failure.module
        : undefined;

  return (
    <Modal
      title={doc ? `Edit ${doc.name || 'Pivot Callflow Action'}` : NEW_TITLE}
      open
      onClose={() => void requestClose()}
      footer={
        <>
          <Button onClick={() => void requestClose()} disabled={save.busy}>
            Cancel
          </Button>
          <Button type="submit" form={formId} variant="primary" busy={save.busy}>
            {doc ? 'Save changes' : 'Create action'}
          </Button>
        </>
      }
    >
      <form
        id={formId}
        ref={formRef}
        className="pm-form"
        onSubmit={submit}
        noValidate
        aria-label="Pivot Callflow Action"
      >
        {stale ? (
          <div className="banner banner-warn" role="alert">
            <div>
              <strong>This action changed since you opened it.</strong>
              <div>
                Someone saved it elsewhere. Load their version (your edits here are lost), or save yours over it.
              </div>
            </div>
            <div className="pm-banner-actions">
              <Button onClick={onReload}>Load the latest</Button>
              <Button variant="danger" onClick={() => void save.run(true)}>
                Save mine anyway
              </Button>
            </div>
          </div>
        ) : null}
        {refusal ? <ErrorBanner title="Not saved" error={refusal} /> : null}
        {save.error ? <ErrorBanner title="Not saved" error={save.error} /> : null}

        <TextField
          label="Name"
          name="name"
          value={values.name}
          maxLength={NAME_MAX}
          autoFocus
          autoComplete="off"
          placeholder="e.g. Support line"
          error={errors.name}
          onChange={(e) => set('name', e.target.value)}
        />

        <NumberPicker
          value={values.numbers}
          onChange={(n) => set('numbers', n)}
          error={errors.numbers}
          editingId={doc?.id}
        />

        <TextField
          label="URL"
          name="voice_url"
          type="url"
          inputMode="url"
          autoComplete="off"
          spellCheck={false}
          placeholder="https://example.com/voice"
          value={values.voice_url}
          error={errors.voice_url}
          hint="Pivot asks this URL what to do when a call comes in, and again after each Gather, Record or Dial."
          onChange={(e) => set('voice_url', e.target.value)}
        />

        <div className="pm-grid">
          <SelectField
            label="Method"
            name="method"
            value={values.method}
            error={errors.method}
            options={[
              { value: 'get', label: 'GET' },
              { value: 'post', label: 'POST' },
            ]}
            onChange={(e) => set('method', e.target.value as PivotValues['method'])}
          />
          <SelectField
            label="Request format"
            name="req_format"
            value={values.req_format}
            error={errors.req_format}
            hint="What your server answers with; Pivot sends the matching parameters."
            options={[
              { value: 'kazoo', label: 'Kazoo (callflow JSON)' },
              { value: 'twiml', label: 'TwiML (XML)' },
            ]}
            onChange={(e) => set('req_format', e.target.value as PivotValues['req_format'])}
          />
        </div>

        <details className="pm-advanced" open={advanced} onToggle={(e) => setAdvanced(e.currentTarget.open)}>
          <summary>
            Advanced
            {advancedErrors ? (
              <span className="badge badge-bad">
                {advancedErrors} {advancedErrors === 1 ? 'error' : 'errors'}
              </span>
            ) : null}
          </summary>
          <div className="pm-advanced-body">
            <div className="pm-grid">
              <SelectField
                label="Body format"
                name="req_body_format"
                value={values.req_body_format}
                error={errors.req_body_format}
                hint="How a POST carries its parameters."
                options={[
                  { value: 'form', label: 'Form (URL-encoded)' },
                  { value: 'json', label: 'JSON' },
                ]}
                onChange={(e) => set('req_body_format', e.target.value as PivotValues['req_body_format'])}
              />
              <TextField
                label="Timeout (ms)"
                name="req_timeout_ms"
                type="number"
                inputMode="numeric"
                min={TIMEOUT_MIN_MS}
                max={TIMEOUT_MAX_MS}
                step={100}
                placeholder={String(TIMEOUT_DEFAULT_MS)}
                value={values.req_timeout_ms}
                error={errors.req_timeout_ms}
                hint={`${TIMEOUT_MIN_MS} to ${TIMEOUT_MAX_MS} ms; ${TIMEOUT_DEFAULT_MS} when empty.`}
                onChange={(e) => set('req_timeout_ms', e.target.value)}
              />
            </div>
            <Checkbox
              label="Debug: keep every request and response for Live Debug"
              name="debug"
              checked={values.debug}
              onChange={(e) => set('debug', e.target.checked)}
              hint="On by default for new actions, so Live Debug has data to show from the first call. Turn it off for busy production numbers."
            />
            <TextField
              label="CDR URL"
              name="cdr_url"
              type="url"
              inputMode="url"
              autoComplete="off"
              spellCheck={false}
              placeholder="https://example.com/cdr (optional)"
              value={values.cdr_url}
              error={errors.cdr_url}
              hint="Pivot posts the call's detail record here when the call ends."
              onChange={(e) => set('cdr_url', e.target.value)}
            />
            <FailureEditor
              value={values.failure}
              onChange={(f) => set('failure', f)}
              error={errors.failure}
              editingId={doc?.id}
              kept={kept}
            />
          </div>
        </details>
      </form>
    </Modal>
  );
}
