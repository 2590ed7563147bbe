// The parameters of one block, as a form built from its catalog entry's fields: asked when a block is dropped into
// the flow, and again when it is clicked. The form edits a copy of the node's data and writes back only the fields it
// shows, over everything else the node had (fields this editor does not know are kept). Errors the server found on
// this node when saving are shown next to their fields.

import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { Button, Checkbox, Field, Modal, TextField } from '../components/ui';
import { Link } from '../router';
import { getPath, setPath, type ActionDef, type FieldSpec } from './catalog';
import { ENTITY_INFO, useEntities } from './entities';

type Values = Record<string, unknown>;

/** The data of a new block: its pinned data and the initial values of its fields. */
export function initialData(action: ActionDef): Record<string, unknown> {
  const data: Record<string, unknown> = { ...(action.fixed ?? {}) };
  for (const f of action.fields) {
    if (
      (f.kind === 'text' || f.kind === 'url' || f.kind === 'textarea' || f.kind === 'number') &&
      f.initial !== undefined
    )
      setPath(data, f.name, f.initial);
    if (f.kind === 'select' && f.initial !== undefined) setPath(data, f.name, f.initial);
  }
  return data;
}

/** The form's view of a field's stored value. */
function toForm(f: FieldSpec, data: Record<string, unknown>): unknown {
  if (f.kind === 'json') return JSON.stringify(data, null, 2);
  const v = getPath(data, f.name);
  switch (f.kind) {
    case 'number':
      return typeof v === 'number' || typeof v === 'string' ? String(v) : '';
    case 'checkbox':
      return typeof v === 'boolean' ? v : (f.default ?? false);
    case 'select': {
      const s = typeof v === 'string' ? v : '';
      if (f.anyCase) return f.options.find((o) => o.value.toLowerCase() === s.toLowerCase())?.value ?? s;
      return s || (f.optional !== undefined ? '' : (f.initial ?? f.options[0]?.value ?? ''));
    }
    case 'list':
      return Array.isArray(v) ? v.join(', ') : '';
    case 'pairs':
      return v && typeof v === 'object' && !Array.isArray(v)
        ? Object.entries(v as Record<string, unknown>).map(([k, x]) => [
            k,
            typeof x === 'string' ? x : JSON.stringify(x),
          ])
        : [];
    case 'endpoints':
      return Array.isArray(v)
        ? v.map((e) =>
            typeof e === 'string' ? { id: e, endpoint_type: 'device' } : { ...(e as Record<string, unknown>) },
          )
        : [];
    default:
      return typeof v === 'string' ? v : v === undefined ? '' : String(v);
  }
}

interface Built {
  data: Record<string, unknown>;
  errors: Record<string, string>;
}

/** The node's data with the form's values written over it, and the fields that are not right. */
function build(action: ActionDef, original: Record<string, unknown>, values: Values): Built {
  const errors: Record<string, string> = {};
  let data: Record<string, unknown> = structuredClone(original);
  for (const f of action.fields) {
    const v = values[f.name];
    switch (f.kind) {
      case 'json': {
        try {
          const parsed = JSON.parse(String(v || '{}')) as unknown;
          if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
            errors[f.name] = 'Data must be a JSON object';
          else data = parsed as Record<string, unknown>;
        } catch (err) {
          errors[f.name] = `Not valid JSON: ${(err as Error).message}`;
        }
        break;
      }
      case 'text':
      case 'url':
      case 'textarea': {
        const s = String(v ?? '').trim();
        if (!s) {
          if (f.required) errors[f.name] = `${f.label} is required`;
          setPath(data, f.name, undefined);
        } else if (f.pattern && !f.pattern.test(s)) errors[f.name] = f.patternMessage ?? `${f.label} is not valid`;
        else if (f.maxLength && s.length > f.maxLength) errors[f.name] = `At most ${f.maxLength} characters`;
        else setPath(data, f.name, s);
        break;
      }
      case 'number': {
        const s = String(v ?? '').trim();
        if (!s) {
          if (f.required) errors[f.name] = `${f.label} is required`;
          setPath(data, f.name, undefined);
          break;
        }
        const n = Number(s);
        if (!Number.isInteger(n)) errors[f.name] = 'A whole number';
        else if (f.min !== undefined && n < f.min) errors[f.name] = `At least ${f.min}`;
        else if (f.max !== undefined && n > f.max) errors[f.name] = `At most ${f.max}`;
        else setPath(data, f.name, n);
        break;
      }
      case 'select':
        setPath(data, f.name, v === '' || v === undefined ? undefined : v);
        break;
      case 'checkbox': {
        const had = getPath(original, f.name) !== undefined;
        setPath(data, f.name, !had && v === (f.default ?? false) ? undefined : v);
        break;
      }
      case 'entity': {
        const s = String(v ?? '').trim();
        if (!s && f.required) errors[f.name] = `Choose a ${f.label.toLowerCase()}`;
        setPath(data, f.name, s || undefined);
        break;
      }
      case 'list': {
        const items = String(v ?? '')
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean);
        const bad = f.item ? items.find((x) => !f.item!.test(x)) : undefined;
        if (bad) errors[f.name] = `"${bad}": ${f.itemMessage ?? 'not valid'}`;
        else setPath(data, f.name, items.length ? items : undefined);
        break;
      }
      case 'pairs': {
        const rows = (v as [string, string][]).filter(([k, x]) => k.trim() || x.trim());
        const obj: Record<string, string> = {};
        for (const [k, x] of rows) {
          if (!k.trim()) errors[f.name] = 'Every value needs a name';
          else obj[k.trim()] = x;
        }
        if (f.required && rows.length === 0)
          errors[f.name] = `Add at least one ${f.keyLabel?.toLowerCase() ?? 'entry'}`;
        setPath(data, f.name, rows.length || f.required ? obj : undefined);
        break;
      }
      case 'endpoints': {
        const rows = (v as Record<string, unknown>[]).filter((e) => e.id);
        if (f.required && rows.length === 0) errors[f.name] = 'Add at least one member';
        setPath(data, f.name, rows);
        break;
      }
    }
  }
  return { data, errors };
}

function EntityField({
  spec,
  value,
  onChange,
  error,
  selfId,
}: {
  spec: Extract<FieldSpec, { kind: 'entity' }>;
  value: string;
  onChange: (v: string) => void;
  error?: string;
  selfId?: string;
}) {
  const list = useEntities(spec.entity);
  const info = ENTITY_INFO[spec.entity];
  const items = (list.items ?? []).filter((e) => !(spec.exclude === 'self' && e.id === selfId));
  const known = !value || items.some((e) => e.id === value);
  const [custom, setCustom] = useState(!!spec.custom && !!value && !!list.items && !known);
  const useText = spec.custom && (custom || (!!value && !!list.items && !known));
  const empty = list.items && items.length === 0;
  const hint: ReactNode = (
    <>
      {spec.hint ? <span>{spec.hint} </span> : null}
      {list.loading ? <span>Loading {info.many}…</span> : null}
      {list.error ? (
        <span className="field-error">
          Could not load the {info.many}: {list.error.message}.{' '}
          <button type="button" className="cf-linkbtn" onClick={list.reload}>
            Try again
          </button>
        </span>
      ) : null}
      {empty ? (
        <span>
          This account has no {info.many} yet
          {info.page ? (
            <>
              {' '}
              — <Link to={info.page}>add one on the {info.many[0].toUpperCase() + info.many.slice(1)} page</Link>
            </>
          ) : (
            <>
              {' '}
              — create one with <code>PUT /v2/accounts/…/{info.api}</code>
            </>
          )}
          {spec.custom ? `, or type one ${spec.custom.replace(/^or /, '')}` : ''}.
        </span>
      ) : null}
    </>
  );
  return (
    <Field label={spec.label + (spec.required ? ' *' : '')} error={error} hint={hint}>
      {(id, describedBy) => (
        <div className="cf-entity">
          {useText ? (
            <input
              id={id}
              value={value}
              onChange={(e) => onChange(e.target.value)}
              aria-invalid={!!error || undefined}
              aria-describedby={describedBy}
              placeholder={spec.custom?.replace(/^or /, '')}
            />
          ) : (
            <select
              id={id}
              value={value}
              onChange={(e) => onChange(e.target.value)}
              aria-invalid={!!error || undefined}
              aria-describedby={describedBy}
              disabled={list.loading && !list.items}
            >
              <option value="">{list.loading && !list.items ? 'Loading…' : `— choose a ${info.one} —`}</option>
              {items.map((e) => (
                <option key={e.id} value={e.id}>
                  {e.label}
                </option>
              ))}
              {value && !known ? <option value={value}>{value} (not found)</option> : null}
            </select>
          )}
          {spec.custom ? (
            <button
              type="button"
              className="cf-linkbtn"
              onClick={() => {
                setCustom(!useText);
                onChange('');
              }}
            >
              {useText ? `Choose a ${info.one}` : `Type ${spec.custom.replace(/^or /, '')}`}
            </button>
          ) : null}
        </div>
      )}
    </Field>
  );
}

function PairsField({
  spec,
  rows,
  onChange,
  error,
}: {
  spec: Extract<FieldSpec, { kind: 'pairs' }>;
  rows: [string, string][];
  onChange: (rows: [string, string][]) => void;
  error?: string;
}) {
  const shown = rows.length ? rows : [['', ''] as [string, string]];
  const set = (i: number, j: 0 | 1, v: string) =>
    onChange(shown.map((r, k) => (k === i ? ((j === 0 ? [v, r[1]] : [r[0], v]) as [string, string]) : r)));
  return (
    <fieldset className={`cf-fieldset${error ? ' field-invalid' : ''}`}>
      <legend>{spec.label + (spec.required ? ' *' : '')}</legend>
      {shown.map((r, i) => (
        <div className="cf-pair" key={i}>
          <input
            aria-label={`${spec.keyLabel ?? 'Name'} ${i + 1}`}
            placeholder={spec.keyLabel ?? 'Name'}
            value={r[0]}
            onChange={(e) => set(i, 0, e.target.value)}
          />
          <input
            aria-label={`${spec.valueLabel ?? 'Value'} ${i + 1}`}
            placeholder={spec.valueLabel ?? 'Value'}
            value={r[1]}
            onChange={(e) => set(i, 1, e.target.value)}
          />
          <button
            type="button"
            className="icon-btn"
            aria-label={`Remove ${spec.keyLabel?.toLowerCase() ?? 'entry'} ${i + 1}`}
            onClick={() => onChange(shown.filter((_, k) => k !== i))}
          >
            ✕
          </button>
        </div>
      ))}
      <button type="button" className="cf-linkbtn" onClick={() => onChange([...shown, ['', '']])}>
        + Add {spec.keyLabel?.toLowerCase() ?? 'entry'}
      </button>
      {error ? (
        <div className="field-error" role="alert">
          {error}
        </div>
      ) : null}
    </fieldset>
  );
}

function MemberPicker({
  type,
  value,
  onChange,
  label,
}: {
  type: 'user' | 'device';
  value: string;
  onChange: (v: string) => void;
  label: string;
}) {
  const list = useEntities(type === 'user' ? 'users' : 'devices');
  return (
    <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">{list.loading && !list.items ? 'Loading…' : `— choose a ${type} —`}</option>
      {(list.items ?? []).map((e) => (
        <option key={e.id} value={e.id}>
          {e.label}
        </option>
      ))}
      {value && list.items && !list.items.some((e) => e.id === value) ? <option value={value}>{value}</option> : null}
    </select>
  );
}

function EndpointsField({
  spec,
  rows,
  onChange,
  error,
}: {
  spec: Extract<FieldSpec, { kind: 'endpoints' }>;
  rows: Record<string, unknown>[];
  onChange: (rows: Record<string, unknown>[]) => void;
  error?: string;
}) {
  const users = useEntities('users');
  const devices = useEntities('devices');
  const set = (i: number, patch: Record<string, unknown>) =>
    onChange(rows.map((r, k) => (k === i ? { ...r, ...patch } : r)));
  const none = users.items?.length === 0 && devices.items?.length === 0;
  return (
    <fieldset className={`cf-fieldset${error ? ' field-invalid' : ''}`}>
      <legend>{spec.label + (spec.required ? ' *' : '')}</legend>
      {rows.map((r, i) => {
        const type = r.endpoint_type === 'user' ? 'user' : 'device';
        return (
          <div className="cf-member" key={i}>
            <select
              aria-label={`Member ${i + 1} type`}
              value={type}
              onChange={(e) => set(i, { endpoint_type: e.target.value, id: '' })}
            >
              <option value="device">Device</option>
              <option value="user">User</option>
            </select>
            <MemberPicker
              type={type}
              label={`Member ${i + 1}`}
              value={String(r.id ?? '')}
              onChange={(id) => set(i, { id })}
            />
            <input
              type="number"
              min={1}
              aria-label={`Member ${i + 1} rings for (seconds)`}
              placeholder="20 s"
              value={r.timeout === undefined ? '' : String(r.timeout)}
              onChange={(e) => set(i, { timeout: e.target.value === '' ? undefined : Number(e.target.value) })}
            />
            <button
              type="button"
              className="icon-btn"
              aria-label={`Remove member ${i + 1}`}
              onClick={() => onChange(rows.filter((_, k) => k !== i))}
            >
              ✕
            </button>
          </div>
        );
      })}
      <button
        type="button"
        className="cf-linkbtn"
        onClick={() => onChange([...rows, { endpoint_type: 'device', id: '' }])}
      >
        + Add member
      </button>
      {none ? (
        <div className="hint">
          No users or devices yet: add them on the <Link to="/users">Users</Link> and <Link to="/devices">Devices</Link>{' '}
          pages.
        </div>
      ) : null}
      {error ? (
        <div className="field-error" role="alert">
          {error}
        </div>
      ) : null}
    </fieldset>
  );
}

function FormField({
  spec,
  value,
  set,
  error,
  selfId,
}: {
  spec: FieldSpec;
  value: unknown;
  set: (v: unknown) => void;
  error?: string;
  selfId?: string;
}) {
  const label = spec.label + (spec.required ? ' *' : '');
  switch (spec.kind) {
    case 'text':
    case 'url':
      return (
        <TextField
          label={label}
          type={spec.kind === 'url' ? 'url' : 'text'}
          value={String(value)}
          placeholder={spec.placeholder}
          hint={spec.hint}
          error={error}
          onChange={(e) => set(e.target.value)}
        />
      );
    case 'textarea':
    case 'json':
      return (
        <Field label={label} error={error} hint={spec.hint}>
          {(id, describedBy) => (
            <textarea
              id={id}
              className={spec.kind === 'textarea' ? 'cf-prose' : undefined}
              rows={spec.kind === 'json' ? 10 : 3}
              value={String(value)}
              aria-invalid={!!error || undefined}
              aria-describedby={describedBy}
              onChange={(e) => set(e.target.value)}
            />
          )}
        </Field>
      );
    case 'number':
      return (
        <TextField
          label={label}
          type="number"
          inputMode="numeric"
          min={spec.min}
          max={spec.max}
          value={String(value)}
          placeholder={spec.placeholder}
          hint={spec.hint}
          error={error}
          onChange={(e) => set(e.target.value)}
        />
      );
    case 'select':
      return (
        <Field label={label} error={error} hint={spec.hint}>
          {(id, describedBy) => (
            <select
              id={id}
              value={String(value)}
              aria-describedby={describedBy}
              aria-invalid={!!error || undefined}
              onChange={(e) => set(e.target.value)}
            >
              {spec.optional !== undefined ? <option value="">{spec.optional}</option> : null}
              {spec.options.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
              {value && !spec.options.some((o) => o.value === value) ? (
                <option value={String(value)}>{String(value)}</option>
              ) : null}
            </select>
          )}
        </Field>
      );
    case 'checkbox':
      return (
        <>
          <Checkbox label={spec.label} hint={spec.hint} checked={!!value} onChange={(e) => set(e.target.checked)} />
          {error ? <div className="field-error">{error}</div> : null}
        </>
      );
    case 'entity':
      return <EntityField spec={spec} value={String(value)} onChange={set} error={error} selfId={selfId} />;
    case 'list':
      return (
        <TextField
          label={label}
          value={String(value)}
          placeholder={spec.placeholder}
          hint={spec.hint ?? 'Separate them with commas.'}
          error={error}
          onChange={(e) => set(e.target.value)}
        />
      );
    case 'pairs':
      return <PairsField spec={spec} rows={value as [string, string][]} onChange={set} error={error} />;
    case 'endpoints':
      return <EndpointsField spec={spec} rows={value as Record<string, unknown>[]} onChange={set} error={error} />;
  }
}

export interface NodeDialogProps {
  action: ActionDef;
  data: Record<string, unknown>;
  /** "add": a block being dropped (Cancel leaves the flow as it was); "edit": a block of the flow. */
  mode: 'add' | 'edit';
  /** Server errors on this node from the last save: field (dotted, in data) → message. */
  serverErrors?: Record<string, string>;
  /** The callflow being edited (a callflow block may not call itself). */
  selfId?: string;
  where?: string;
  onSave(data: Record<string, unknown>): void;
  onCancel(): void;
}

export function NodeDialog({ action, data, mode, serverErrors, selfId, where, onSave, onCancel }: NodeDialogProps) {
  const formId = useId();
  const [values, setValues] = useState<Values>(() =>
    Object.fromEntries(action.fields.map((f) => [f.name, toForm(f, data)])),
  );
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [skip, setSkip] = useState(data.skip_module === true);
  const basic = action.fields.filter((f) => !f.advanced);
  const advanced = action.fields.filter((f) => f.advanced);
  const server = serverErrors ?? {};
  const errorOf = (name: string) => errors[name] ?? server[name];
  const advancedHasError = advanced.some((f) => errorOf(f.name));
  const unplaced = Object.entries(server).filter(([k]) => !action.fields.some((f) => f.name === k));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const built = build(action, data, values);
    setErrors(built.errors);
    if (Object.keys(built.errors).length) return;
    if (skip) built.data.skip_module = true;
    else delete built.data.skip_module;
    onSave(built.data);
  };

  const render = (f: FieldSpec) => (
    <FormField
      key={f.name}
      spec={f}
      value={values[f.name]}
      selfId={selfId}
      error={errorOf(f.name)}
      set={(v) => setValues((old) => ({ ...old, [f.name]: v }))}
    />
  );

  return (
    <Modal
      title={`${mode === 'add' ? 'Add' : 'Edit'} ${action.label}`}
      open
      onClose={onCancel}
      footer={
        <>
          <Button onClick={onCancel}>Cancel</Button>
          <Button variant="primary" type="submit" form={formId}>
            {mode === 'add' ? 'Add block' : 'Apply'}
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} noValidate className="cf-node-form">
        <p className="muted cf-dialog-help">
          {action.help}
          {where ? <> {where}</> : null}
        </p>
        {unplaced.length ? (
          <div className="banner banner-error" role="alert">
            <div>
              {unplaced.map(([k, m]) => (
                <div key={k}>
                  {k ? <code>{k}</code> : 'This block'}: {m}
                </div>
              ))}
            </div>
          </div>
        ) : null}
        {basic.map(render)}
        {advanced.length ? (
          <details className="cf-more" open={advancedHasError || undefined}>
            <summary>More options</summary>
            {advanced.map(render)}
          </details>
        ) : null}
        {!action.fields.length ? <p>This block has no settings.</p> : null}
        <Checkbox
          label="Disable this block (calls skip it)"
          checked={skip}
          onChange={(e) => setSkip(e.target.checked)}
        />
      </form>
    </Modal>
  );
}
