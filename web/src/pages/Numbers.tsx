// Numbers: the account's phone numbers (E.164) and the callflow each routes to, or "spare". Add a number (it is
// unique across the whole system: the server says when another account has it); release one (the server refuses
// while a callflow lists it, and says which). API: /v2/accounts/{id}/phone_numbers ({numbers: {…}}).

import { useMemo, useState, type FormEvent } from 'react';
import { api, type ApiError } from '../api/client';
import { useAction, useLoad } from '../api/hooks';
import { useAccount } from '../api/session';
import { Button, EmptyState, PageHeader, TextField, formatTime, useConfirm, useToast } from '../components/ui';
import { Link } from '../router';
import {
  FormErrorBanner,
  ListCount,
  ListState,
  Notice,
  ReadOnlyNotice,
  asApiError,
  matches,
  useIsAdmin,
  FormModal,
  ListToolbar,
} from '../admin/parts';

interface NumberDoc {
  number: string;
  state?: string;
  created?: number;
  used_by?: string;
  callflow_id?: string;
}

interface CallflowSummary {
  id: string;
  name?: string;
  flow?: { module?: string };
}

interface Row extends NumberDoc {
  callflowName?: string;
}

/** The server's reading of a typed number (src/call/numbers.ts `toE164`): E.164, or undefined. */
function toE164(input: string): string | undefined {
  const compact = input.trim().replace(/[\s().\-/]/g, '');
  if (!/^\+?\d{1,17}$/.test(compact)) return undefined;
  let n: string;
  if (compact.startsWith('+')) n = compact;
  else if (compact.startsWith('011')) n = `+${compact.slice(3)}`;
  else if (compact.startsWith('00')) n = `+${compact.slice(2)}`;
  else if (compact.length === 10) n = `+1${compact}`;
  else if (compact.length === 11 && compact.startsWith('1')) n = `+${compact}`;
  else n = compact;
  return /^\+\d{6,15}$/.test(n) ? n : undefined;
}

function AddNumberDialog({
  open,
  onClose,
  onAdded,
}: {
  open: boolean;
  onClose: () => void;
  onAdded: (n: string) => void;
}) {
  const { base } = useAccount();
  const [value, setValue] = useState('');
  const [touched, setTouched] = useState(false);
  const add = useAction((number: string) =>
    api.put<NumberDoc>(`${base}/phone_numbers/${encodeURIComponent(number)}`, {}),
  );
  const e164 = toE164(value);
  const localError =
    touched && value.trim() && !e164
      ? 'Write the number in E.164: + and the country code, then 6 to 15 digits in all (e.g. +14155550100).'
      : touched && !value.trim()
        ? 'Type the phone number to add.'
        : undefined;
  const serverError = add.error ? (add.error.field('number') ?? add.error.message) : undefined;

  const close = () => {
    setValue('');
    setTouched(false);
    add.reset();
    onClose();
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (!e164) return;
    const done = await add.run(e164);
    if (done) {
      onAdded(e164);
      close();
    }
  };

  return (
    <FormModal
      title="Add a number"
      open={open}
      submitLabel="Add number"
      busy={add.busy}
      onClose={close}
      onSubmit={submit}
    >
      <p className="muted">
        Add a number your carrier sends to Pivot. Each number belongs to one account only; once it is here, point it at
        a callflow or a Pivot action so its calls are answered.
      </p>
      <TextField
        label="Phone number"
        name="number"
        inputMode="tel"
        autoComplete="off"
        placeholder="+14155550100"
        autoFocus
        value={value}
        onChange={(e) => {
          setValue(e.target.value);
          add.reset();
        }}
        onBlur={() => value && setTouched(true)}
        error={localError ?? serverError}
        hint={
          e164 && e164 !== value.trim() ? (
            <>
              Will be added as <code>{e164}</code>
            </>
          ) : (
            'E.164: + country code and number. A 10-digit number is read as North American (+1).'
          )
        }
      />
      <FormErrorBanner error={add.error} fields={['number']} title="The number was not added" />
    </FormModal>
  );
}

export function NumbersPage() {
  const { base } = useAccount();
  const admin = useIsAdmin();
  const confirm = useConfirm();
  const toast = useToast();
  const [query, setQuery] = useState('');
  const [adding, setAdding] = useState(false);
  const [releaseError, setReleaseError] = useState<{ number: string; error: ApiError; callflowId?: string }>();
  const [releasing, setReleasing] = useState<string>();

  const list = useLoad(
    async (signal): Promise<Row[]> => {
      const [numbers, callflows] = await Promise.all([
        api.get<{ numbers: Record<string, NumberDoc> }>(`${base}/phone_numbers`, { signal }),
        // Names only make the list friendlier: without them the link shows the callflow's id.
        api.get<CallflowSummary[]>(`${base}/callflows`, { signal }).catch(() => [] as CallflowSummary[]),
      ]);
      const names = new Map(callflows.map((c) => [c.id, c.name]));
      return Object.values(numbers?.numbers ?? {})
        .map((n) => ({ ...n, callflowName: n.callflow_id ? names.get(n.callflow_id) : undefined }))
        .sort((a, b) => (a.number < b.number ? -1 : 1));
    },
    [base],
  );

  const shown = useMemo(
    () =>
      (list.data ?? []).filter((n) =>
        matches(query, n.number, n.callflowName, n.callflow_id, n.callflow_id ? 'used' : 'spare'),
      ),
    [list.data, query],
  );

  const release = async (n: Row) => {
    setReleaseError(undefined);
    const ok = await confirm({
      title: `Release ${n.number}?`,
      message: (
        <>
          <p>
            <strong>{n.number}</strong> leaves this account: calls to it will no longer reach Pivot's callflows, and any
            account may add it again.
          </p>
          {n.callflow_id ? (
            <p className="muted">It is still listed by a callflow, so Pivot will refuse until you remove it there.</p>
          ) : null}
        </>
      ),
      confirm: 'Release',
      danger: true,
    });
    if (!ok) return;
    setReleasing(n.number);
    try {
      await api.del(`${base}/phone_numbers/${encodeURIComponent(n.number)}`);
      list.setData((rows) => (rows ?? []).filter((r) => r.number !== n.number));
      toast(`Released ${n.number}`);
    } catch (err) {
      setReleaseError({ number: n.number, error: asApiError(err), callflowId: n.callflow_id });
    } finally {
      setReleasing(undefined);
    }
  };

  return (
    <div className="admin-page">
      <PageHeader
        title="Numbers"
        subtitle="Phone numbers (E.164) that route calls from your carriers to this account's callflows."
        actions={
          admin ? (
            <Button variant="primary" onClick={() => setAdding(true)}>
              + Add number
            </Button>
          ) : null
        }
      />
      {!admin ? <ReadOnlyNotice what="numbers" /> : null}
      {releaseError ? (
        <Notice
          kind="error"
          title={`${releaseError.number} was not released`}
          onDismiss={() => setReleaseError(undefined)}
        >
          {releaseError.error.field('number') ?? releaseError.error.detail}
          {releaseError.callflowId ? (
            <>
              {' '}
              <Link to={`/callflows/${releaseError.callflowId}`}>Open the callflow</Link>
            </>
          ) : null}
        </Notice>
      ) : null}
      <ListToolbar
        items={list.data}
        value={query}
        onChange={setQuery}
        label="Search numbers"
        placeholder="Search numbers or callflows"
      >
        {(total) => <ListCount shown={shown.length} total={total} one="number" many="numbers" />}
      </ListToolbar>
      <ListState
        what="numbers"
        load={list}
        items={list.data}
        shown={shown}
        query={query}
        onClearQuery={() => setQuery('')}
        empty={
          <EmptyState
            title="No numbers yet"
            action={
              admin ? (
                <Button variant="primary" onClick={() => setAdding(true)}>
                  + Add number
                </Button>
              ) : null
            }
          >
            Numbers route calls from your carriers to this account: add the numbers your carrier sends to Pivot, then
            choose what answers each one in a callflow or a Pivot action.
          </EmptyState>
        }
      >
        <div className="table-wrap">
          <table className="table admin-table">
            <thead>
              <tr>
                <th scope="col">Number</th>
                <th scope="col">Used by</th>
                <th scope="col">Added</th>
                {admin ? (
                  <th scope="col" className="actions">
                    <span className="sr-only">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {shown.map((n) => (
                <tr key={n.number}>
                  <td data-label="Number">
                    <span className="mono">{n.number}</span>
                    {n.state && n.state !== 'in_service' ? <span className="badge badge-warn">{n.state}</span> : null}
                  </td>
                  <td data-label="Used by">
                    {n.callflow_id ? (
                      <Link to={`/callflows/${n.callflow_id}`}>
                        {n.callflowName || `Callflow ${n.callflow_id.slice(0, 8)}`}
                      </Link>
                    ) : (
                      <span className="badge" title="No callflow routes this number yet">
                        spare
                      </span>
                    )}
                  </td>
                  <td data-label="Added">{formatTime(n.created)}</td>
                  {admin ? (
                    <td className="actions">
                      <div className="row-actions">
                        <Button
                          variant="ghost"
                          className="btn-small btn-danger-text"
                          aria-label={`Release ${n.number}`}
                          busy={releasing === n.number}
                          onClick={() => void release(n)}
                        >
                          Release
                        </Button>
                      </div>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </ListState>
      <AddNumberDialog
        open={adding}
        onClose={() => setAdding(false)}
        onAdded={(number) => {
          toast(`Added ${number}`);
          setQuery('');
          list.reload();
        }}
      />
    </div>
  );
}
