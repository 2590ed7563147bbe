// Devices: the account's SIP phones and softphones. Each registers with a username and password (generated when
// left blank) in the account's realm; the list shows who owns it and whether it is registered right now (polled from
// devices/status every 10 s while the page is visible, faster while a new device waits for its phone). Creating a
// device shows its SIP credentials and a ready-to-paste configuration. API: /v2/accounts/{id}/devices.

import { useCallback, useId, useMemo, useState, type FormEvent } from 'react';
import { api, listAll, type ApiError } from '../api/client';
import { useAction, useLoad } from '../api/hooks';
import { useAccount, useSession } from '../api/session';
import {
  Button,
  Checkbox,
  EmptyState,
  PageHeader,
  SelectField,
  TextField,
  useConfirm,
  useToast,
} from '../components/ui';
import {
  FormErrorBanner,
  ListState,
  Notice,
  ReadOnlyNotice,
  asApiError,
  fieldError,
  matches,
  randomPassword,
  useIsAdmin,
  usePolling,
  FormModal,
  ListToolbar,
  NameField,
} from '../admin/parts';
import { RegistrationSummary, SipCredentialsDialog, type Registration, type SipServer } from '../admin/SipCredentials';

interface DeviceDoc {
  id: string;
  name?: string;
  device_type?: string;
  owner_id?: string;
  enabled?: boolean;
  created?: number;
  sip?: { username?: string; password?: string; realm?: string };
  registration?: Registration;
}

interface UserDoc {
  id: string;
  username?: string;
  first_name?: string;
  last_name?: string;
}

interface StatusRow extends Registration {
  device_id: string;
}

const TYPES = [
  { value: 'softphone', label: 'Softphone (computer or browser app)' },
  { value: 'sip_device', label: 'Desk phone (SIP)' },
  { value: 'smartphone', label: 'Smartphone app' },
  { value: 'fax', label: 'Fax or analogue adapter (ATA)' },
];
const typeLabel = (t: string | undefined) => TYPES.find((x) => x.value === t)?.label.replace(/ \(.*\)$/, '') ?? t ?? '';

const userName = (u: UserDoc | undefined): string | undefined => {
  if (!u) return undefined;
  const full = [u.first_name, u.last_name].filter(Boolean).join(' ');
  return full ? `${full} (${u.username ?? ''})` : (u.username ?? u.id);
};

/** How often the status is fetched, and faster while a phone is expected to register. */
const POLL_MS = 10_000;
const WAITING_POLL_MS = 2_000;
const WAIT_LIMIT_MS = 3 * 60_000;

const FORM_FIELDS = ['name', 'device_type', 'owner_id', 'enabled', 'sip.username', 'sip.password'];

function DeviceForm({
  device,
  users,
  onClose,
  onSaved,
}: {
  /** The device edited, or undefined to create one. */
  device: DeviceDoc | undefined;
  users: UserDoc[];
  onClose: () => void;
  onSaved: (d: DeviceDoc, created: boolean) => void;
}) {
  const { base } = useAccount();
  const formId = useId();
  const editing = !!device;
  const [name, setName] = useState(device?.name ?? '');
  const [type, setType] = useState(device?.device_type ?? 'softphone');
  const [owner, setOwner] = useState(device?.owner_id ?? '');
  const [enabled, setEnabled] = useState(device?.enabled !== false);
  const [username, setUsername] = useState(device?.sip?.username ?? '');
  const [password, setPassword] = useState('');
  const [tried, setTried] = useState(false);
  const save = useAction(async (): Promise<DeviceDoc> => {
    if (!device) {
      const sip: Record<string, string> = {};
      if (username.trim()) sip.username = username.trim();
      if (password) sip.password = password;
      return api.put<DeviceDoc>(`${base}/devices`, {
        name: name.trim(),
        device_type: type,
        ...(owner ? { owner_id: owner } : {}),
        ...(Object.keys(sip).length ? { sip } : {}),
      });
    }
    const patch: Record<string, unknown> = {};
    if (name.trim() !== (device.name ?? '')) patch.name = name.trim();
    if (type !== (device.device_type ?? '')) patch.device_type = type;
    if (owner !== (device.owner_id ?? '')) patch.owner_id = owner || null;
    if (enabled !== (device.enabled !== false)) patch.enabled = enabled;
    const sip: Record<string, string> = {};
    if (username.trim() && username.trim() !== device.sip?.username) sip.username = username.trim();
    if (password) sip.password = password;
    if (Object.keys(sip).length) patch.sip = sip;
    if (!Object.keys(patch).length) return device;
    return api.patch<DeviceDoc>(`${base}/devices/${device.id}`, patch);
  });
  const nameError = tried && !name.trim() ? 'Give the device a name, e.g. “Front desk”.' : undefined;
  const credsChange =
    editing && (password !== '' || (username.trim() !== '' && username.trim() !== device?.sip?.username));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (!name.trim()) return;
    const saved = await save.run();
    if (saved) onSaved(saved, !editing);
  };

  return (
    <FormModal
      title={editing ? `Edit “${device?.name ?? 'device'}”` : 'New device'}
      submitLabel={editing ? 'Save changes' : 'Create device'}
      busy={save.busy}
      onClose={onClose}
      onSubmit={submit}
    >
      <NameField value={name} onChange={setName} error={nameError ?? fieldError(save.error, 'name')} />
      <div className="form-row">
        <SelectField
          label="Type"
          name="device_type"
          value={type}
          onChange={(e) => setType(e.target.value)}
          options={TYPES.some((t) => t.value === type) ? TYPES : [...TYPES, { value: type, label: type || '(none)' }]}
          error={fieldError(save.error, 'device_type')}
        />
        <SelectField
          label="Owner"
          name="owner_id"
          value={owner}
          onChange={(e) => setOwner(e.target.value)}
          options={[
            { value: '', label: 'Nobody (shared device)' },
            ...users.map((u) => ({ value: u.id, label: userName(u) ?? u.id })),
          ]}
          hint="Optional: the user this phone belongs to (they can then see its password)."
          error={fieldError(save.error, 'owner_id')}
        />
      </div>
      {editing ? (
        <Checkbox
          label="Enabled"
          checked={enabled}
          onChange={(e) => setEnabled(e.target.checked)}
          hint="A disabled device cannot register or be called; its phone is logged out at once."
        />
      ) : null}
      <fieldset className="form-group">
        <legend>SIP credentials</legend>
        <TextField
          label="SIP username"
          name="sip.username"
          autoComplete="off"
          spellCheck={false}
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          placeholder={editing ? undefined : 'generated when blank'}
          hint={editing ? undefined : 'Letters, digits and . _ - are safest. Leave blank to have one made up.'}
          error={fieldError(save.error, 'sip.username')}
        />
        <div className="field">
          <label htmlFor={`${formId}-pw`}>{editing ? 'New SIP password' : 'SIP password'}</label>
          <div className="input-with-button">
            <input
              id={`${formId}-pw`}
              name="sip.password"
              type="text"
              autoComplete="new-password"
              spellCheck={false}
              value={password}
              placeholder={editing ? 'unchanged' : 'generated when blank'}
              onChange={(e) => setPassword(e.target.value)}
              aria-invalid={!!fieldError(save.error, 'sip.password') || undefined}
              aria-describedby={`${formId}-pw-hint`}
            />
            <Button className="btn-small" onClick={() => setPassword(randomPassword(16))}>
              Generate
            </Button>
          </div>
          <div className="hint" id={`${formId}-pw-hint`}>
            {editing ? 'Leave blank to keep the current password.' : 'Leave blank to have a strong one made up.'}
          </div>
          {fieldError(save.error, 'sip.password') ? (
            <div className="field-error" role="alert">
              {fieldError(save.error, 'sip.password')}
            </div>
          ) : null}
        </div>
        {credsChange ? (
          <p className="banner banner-warn">
            New credentials log the phone out: it must be configured with them to register again.
          </p>
        ) : null}
      </fieldset>
      <FormErrorBanner
        error={save.error}
        fields={FORM_FIELDS}
        title={editing ? 'The device was not saved' : 'The device was not created'}
      />
    </FormModal>
  );
}

export function DevicesPage() {
  const { base } = useAccount();
  const { login } = useSession();
  const admin = useIsAdmin();
  const confirm = useConfirm();
  const toast = useToast();
  const [query, setQuery] = useState('');
  const [form, setForm] = useState<{ device?: DeviceDoc }>();
  const [creds, setCreds] = useState<{ id: string; justCreated: boolean }>();
  const [waiting, setWaiting] = useState<{ id: string; since: number }>();
  const [actionError, setActionError] = useState<{ title: string; error: ApiError }>();
  const [busyRow, setBusyRow] = useState<string>();

  const list = useLoad(() => listAll<DeviceDoc>(`${base}/devices`), [base]);
  const users = useLoad(
    (signal) => api.get<UserDoc[]>(`${base}/users`, { signal }).catch(() => [] as UserDoc[]),
    [base],
  );
  const server = useLoad(
    (signal) => api.get<SipServer>(`${base}/devices/sip_server`, { signal }).catch(() => undefined),
    [base],
  );

  // Registration status: from the listing at first, then devices/status while the page is visible.
  const [status, setStatus] = useState<Map<string, Registration>>();
  const [statusError, setStatusError] = useState<ApiError>();
  const refreshStatus = useCallback(async () => {
    try {
      const rows = await api.get<StatusRow[]>(`${base}/devices/status`);
      setStatus(new Map(rows.map((r) => [r.device_id, { registered: r.registered, contacts: r.contacts }])));
      setStatusError(undefined);
    } catch (err) {
      setStatusError(asApiError(err));
    }
  }, [base]);
  const waitingNow = waiting && Date.now() - waiting.since < WAIT_LIMIT_MS && !status?.get(waiting.id)?.registered;
  usePolling(() => void refreshStatus(), waitingNow ? WAITING_POLL_MS : POLL_MS, !!list.data);

  const registrationOf = (d: DeviceDoc): Registration | undefined =>
    statusError?.status === 503 ? undefined : (status?.get(d.id) ?? d.registration);

  const usersById = useMemo(() => new Map((users.data ?? []).map((u) => [u.id, u])), [users.data]);
  const shown = useMemo(
    () =>
      (list.data ?? []).filter((d) =>
        matches(query, d.name, d.sip?.username, d.device_type, userName(usersById.get(d.owner_id ?? ''))),
      ),
    [list.data, query, usersById],
  );

  const credsDevice = creds ? list.data?.find((d) => d.id === creds.id) : undefined;

  const onSaved = (saved: DeviceDoc, created: boolean) => {
    setForm(undefined);
    list.setData((rows) => {
      const others = (rows ?? []).filter((r) => r.id !== saved.id);
      return created ? [...others, saved] : (rows ?? []).map((r) => (r.id === saved.id ? saved : r));
    });
    if (created) {
      setCreds({ id: saved.id, justCreated: true });
      setWaiting({ id: saved.id, since: Date.now() });
      toast(`Created ${saved.name ?? 'the device'}`);
    } else toast(`Saved ${saved.name ?? 'the device'}`);
    void refreshStatus();
  };

  const setEnabled = async (d: DeviceDoc, enabled: boolean) => {
    setActionError(undefined);
    setBusyRow(d.id);
    try {
      const saved = await api.patch<DeviceDoc>(`${base}/devices/${d.id}`, { enabled });
      list.setData((rows) => (rows ?? []).map((r) => (r.id === d.id ? saved : r)));
      toast(`${enabled ? 'Enabled' : 'Disabled'} ${d.name ?? 'the device'}`);
      void refreshStatus();
    } catch (err) {
      setActionError({
        title: `${d.name ?? 'The device'} was not ${enabled ? 'enabled' : 'disabled'}`,
        error: asApiError(err),
      });
    } finally {
      setBusyRow(undefined);
    }
  };

  const remove = async (d: DeviceDoc) => {
    setActionError(undefined);
    const ok = await confirm({
      title: `Delete “${d.name ?? d.sip?.username ?? 'device'}”?`,
      message: (
        <p>
          Its phone is logged out at once and its credentials stop working. Callflows that ring this device will no
          longer reach it.
        </p>
      ),
      confirm: 'Delete device',
      danger: true,
    });
    if (!ok) return;
    setBusyRow(d.id);
    try {
      await api.del(`${base}/devices/${d.id}`);
      list.setData((rows) => (rows ?? []).filter((r) => r.id !== d.id));
      toast(`Deleted ${d.name ?? 'the device'}`);
    } catch (err) {
      setActionError({ title: `${d.name ?? 'The device'} was not deleted`, error: asApiError(err) });
    } finally {
      setBusyRow(undefined);
    }
  };

  const newButton = admin ? (
    <Button variant="primary" onClick={() => setForm({})}>
      + New device
    </Button>
  ) : null;

  return (
    <div className="admin-page">
      <PageHeader
        title="Devices"
        subtitle="SIP phones and softphones that register to Pivot, so callflows can ring them and they can call out."
        actions={newButton}
      />
      {!admin ? <ReadOnlyNotice what="devices" extra="You can see the password of the devices you own." /> : null}
      {actionError ? (
        <Notice kind="error" title={actionError.title} onDismiss={() => setActionError(undefined)}>
          {actionError.error.detail}
        </Notice>
      ) : null}
      {statusError && statusError.status !== 503 && list.data ? (
        <Notice kind="warn" title="Registration status could not be refreshed">
          {statusError.detail} — it is tried again every few seconds.
        </Notice>
      ) : null}
      <ListToolbar
        items={list.data}
        value={query}
        onChange={setQuery}
        label="Search devices"
        placeholder="Search name, username, owner"
      >
        {(total) => (
          <span className="count" aria-live="polite">
            {(list.data ?? []).filter((d) => registrationOf(d)?.registered).length} of {total} registered
          </span>
        )}
      </ListToolbar>
      <ListState
        what="devices"
        load={list}
        items={list.data}
        shown={shown}
        query={query}
        onClearQuery={() => setQuery('')}
        empty={
          <EmptyState title="No devices yet" action={newButton}>
            Create a device for each phone or softphone: Pivot gives it a SIP username and password to register with,
            then callflows can ring it and it can call your numbers and Pivot actions.
          </EmptyState>
        }
      >
        <div className="table-wrap">
          <table className="table admin-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">SIP username</th>
                <th scope="col">Owner</th>
                <th scope="col">Status</th>
                <th scope="col" className="actions">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.map((d) => {
                const label = d.name ?? d.sip?.username ?? 'device';
                const mine = !!login?.ownerId && d.owner_id === login.ownerId;
                return (
                  <tr key={d.id} className={d.enabled === false ? 'is-disabled' : undefined} data-device={d.id}>
                    <td data-label="Name">
                      <strong>{d.name ?? '(no name)'}</strong>
                      {d.device_type ? <span className="sub">{typeLabel(d.device_type)}</span> : null}
                    </td>
                    <td data-label="SIP username">
                      <span className="mono">{d.sip?.username}</span>
                    </td>
                    <td data-label="Owner">
                      {d.owner_id ? (
                        (userName(usersById.get(d.owner_id)) ?? <span className="muted">unknown user</span>)
                      ) : (
                        <span className="muted">nobody</span>
                      )}
                    </td>
                    <td data-label="Status" data-status>
                      <RegistrationSummary reg={registrationOf(d)} enabled={d.enabled} />
                    </td>
                    <td className="actions">
                      <div className="row-actions">
                        {admin || mine ? (
                          <Button
                            variant="ghost"
                            className="btn-small"
                            aria-label={`Credentials of ${label}`}
                            onClick={() => setCreds({ id: d.id, justCreated: false })}
                          >
                            Credentials
                          </Button>
                        ) : null}
                        {admin ? (
                          <>
                            <Button
                              variant="ghost"
                              className="btn-small"
                              aria-label={`Edit ${label}`}
                              onClick={() => setForm({ device: d })}
                            >
                              Edit
                            </Button>
                            <Button
                              variant="ghost"
                              className="btn-small"
                              aria-label={`${d.enabled === false ? 'Enable' : 'Disable'} ${label}`}
                              busy={busyRow === d.id}
                              onClick={() => void setEnabled(d, d.enabled === false)}
                            >
                              {d.enabled === false ? 'Enable' : 'Disable'}
                            </Button>
                            <Button
                              variant="ghost"
                              className="btn-small btn-danger-text"
                              aria-label={`Delete ${label}`}
                              onClick={() => void remove(d)}
                            >
                              Delete
                            </Button>
                          </>
                        ) : null}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        {statusError?.status === 503 ? (
          <p className="hint">Registration status is unknown: the SIP runtime is not running.</p>
        ) : (
          <p className="hint">Registration status refreshes every 10 seconds while this page is open.</p>
        )}
      </ListState>
      {form ? (
        <DeviceForm
          device={form.device}
          users={users.data ?? []}
          onClose={() => setForm(undefined)}
          onSaved={onSaved}
        />
      ) : null}
      <SipCredentialsDialog
        device={credsDevice}
        server={server.data}
        registration={credsDevice ? registrationOf(credsDevice) : undefined}
        justCreated={!!creds?.justCreated}
        onClose={() => setCreds(undefined)}
      />
    </div>
  );
}
