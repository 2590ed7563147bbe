// Users: who can sign in to this account, and with what role (admin: changes everything; user: reads, and changes
// only their own profile and password). Create, edit, reset a password, delete — but never the user you are signed
// in as. A `user`-level login sees the list read-only and can edit itself. API: /v2/accounts/{id}/users.

import { useMemo, useState, type FormEvent } from 'react';
import { api, listAll, type ApiError } from '../api/client';
import { useAction, useLoad } from '../api/hooks';
import { useAccount, useSession } from '../api/session';
import {
  Button,
  Checkbox,
  EmptyState,
  Field,
  PageHeader,
  SelectField,
  TextField,
  useConfirm,
  useToast,
} from '../components/ui';
import {
  FormErrorBanner,
  ListCount,
  ListState,
  Notice,
  ReadOnlyNotice,
  asApiError,
  fieldError,
  matches,
  randomPassword,
  useIsAdmin,
  FormModal,
  ListToolbar,
} from '../admin/parts';

interface UserDoc {
  id: string;
  username?: string;
  first_name?: string;
  last_name?: string;
  email?: string;
  priv_level?: 'admin' | 'user';
  enabled?: boolean;
  created?: number;
}

const fullName = (u: UserDoc) => [u.first_name, u.last_name].filter(Boolean).join(' ');

/** 0 (very weak) to 4 (strong), and what would make it better. */
function passwordStrength(pw: string): { score: number; label: string; advice?: string } {
  if (!pw) return { score: 0, label: '' };
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((r) => r.test(pw)).length;
  let score = 0;
  if (pw.length >= 8) score++;
  if (pw.length >= 12) score++;
  if (pw.length >= 16) score++;
  if (classes >= 3) score++;
  if (/^(.)\1+$/.test(pw) || /^(password|123456|qwerty)/i.test(pw)) score = 0;
  score = Math.min(score, 4);
  const label = ['Very weak', 'Weak', 'Fair', 'Good', 'Strong'][score];
  const advice =
    pw.length < 12
      ? 'Use at least 12 characters.'
      : classes < 3
        ? 'Mix upper and lower case letters, digits and symbols.'
        : undefined;
  return { score, label, advice };
}

/** A password input with a strength meter, a show toggle and "Generate". */
function PasswordField({
  label,
  value,
  onChange,
  error,
  autoFocus,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  error?: string;
  autoFocus?: boolean;
}) {
  const [show, setShow] = useState(false);
  const strength = passwordStrength(value);
  return (
    <Field
      label={label}
      error={error}
      hint={
        value ? (
          <span className={`strength strength-${strength.score}`}>
            <span className="strength-bar" aria-hidden>
              <span style={{ width: `${(strength.score + 1) * 20}%` }} />
            </span>
            <span>
              Strength: <strong>{strength.label}</strong>
              {strength.advice ? ` — ${strength.advice}` : ''}
            </span>
          </span>
        ) : (
          'At least 12 characters, mixing letters, digits and symbols, is a good password.'
        )
      }
    >
      {(id, describedBy) => (
        <div className="input-with-button">
          <input
            id={id}
            name="password"
            type={show ? 'text' : 'password'}
            autoComplete="new-password"
            value={value}
            autoFocus={autoFocus}
            onChange={(e) => onChange(e.target.value)}
            aria-invalid={!!error || undefined}
            aria-describedby={describedBy}
          />
          <Button className="btn-small" aria-pressed={show} onClick={() => setShow((s) => !s)}>
            {show ? 'Hide' : 'Show'}
          </Button>
          <Button
            className="btn-small"
            onClick={() => {
              onChange(randomPassword(16));
              setShow(true);
            }}
          >
            Generate
          </Button>
        </div>
      )}
    </Field>
  );
}

const USER_FIELDS = ['username', 'password', 'first_name', 'last_name', 'email', 'priv_level', 'enabled'];

function UserForm({
  user,
  self,
  admin,
  onClose,
  onSaved,
}: {
  /** The user edited, or undefined to create one. */
  user?: UserDoc;
  self: boolean;
  admin: boolean;
  onClose: () => void;
  onSaved: (u: UserDoc, created: boolean) => void;
}) {
  const { base, accountName } = useAccount();
  const editing = !!user;
  const [username, setUsername] = useState(user?.username ?? '');
  const [password, setPassword] = useState('');
  const [first, setFirst] = useState(user?.first_name ?? '');
  const [last, setLast] = useState(user?.last_name ?? '');
  const [email, setEmail] = useState(user?.email ?? '');
  const [role, setRole] = useState<'admin' | 'user'>(user?.priv_level ?? 'user');
  const [enabled, setEnabled] = useState(user?.enabled !== false);
  const [tried, setTried] = useState(false);
  const renamed = editing && username.trim() !== (user?.username ?? '');

  const save = useAction(async () => {
    if (!user) {
      return api.put<UserDoc>(`${base}/users`, {
        username: username.trim(),
        password,
        priv_level: role,
        ...(first.trim() ? { first_name: first.trim() } : {}),
        ...(last.trim() ? { last_name: last.trim() } : {}),
        ...(email.trim() ? { email: email.trim() } : {}),
      });
    }
    const patch: Record<string, unknown> = {};
    const text = (k: keyof UserDoc, v: string) => {
      if (v.trim() !== ((user[k] as string | undefined) ?? '')) patch[k] = v.trim() || null;
    };
    text('first_name', first);
    text('last_name', last);
    text('email', email);
    if (renamed) {
      patch.username = username.trim();
      patch.password = password;
    }
    if (admin && role !== (user.priv_level ?? 'user')) patch.priv_level = role;
    if (admin && enabled !== (user.enabled !== false)) patch.enabled = enabled;
    if (!Object.keys(patch).length) return user;
    return api.patch<UserDoc>(`${base}/users/${user.id}`, patch);
  });

  const local = {
    username: !username.trim()
      ? 'A username is needed to sign in.'
      : /\s/.test(username.trim())
        ? 'A username has no spaces.'
        : undefined,
    password:
      (!editing || renamed) && !password
        ? renamed
          ? 'A new username needs a password too (the stored password is tied to the username).'
          : 'Choose a password.'
        : undefined,
    email:
      email.trim() && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim()) ? 'This is not an email address.' : undefined,
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (local.username || local.password || local.email) return;
    const saved = await save.run();
    if (saved) onSaved(saved, !editing);
  };

  return (
    <FormModal
      title={editing ? `Edit ${user?.username ?? 'user'}` : 'New user'}
      submitLabel={editing ? 'Save changes' : 'Create user'}
      busy={save.busy}
      onClose={onClose}
      onSubmit={submit}
    >
      <div className="form-row">
        <TextField
          label="First name"
          name="first_name"
          autoComplete="off"
          autoFocus
          maxLength={128}
          value={first}
          onChange={(e) => setFirst(e.target.value)}
          error={fieldError(save.error, 'first_name')}
        />
        <TextField
          label="Last name"
          name="last_name"
          autoComplete="off"
          maxLength={128}
          value={last}
          onChange={(e) => setLast(e.target.value)}
          error={fieldError(save.error, 'last_name')}
        />
      </div>
      <TextField
        label="Email"
        name="email"
        type="email"
        autoComplete="off"
        maxLength={254}
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={(tried ? local.email : undefined) ?? fieldError(save.error, 'email')}
      />
      <TextField
        label="Username"
        name="username"
        autoComplete="off"
        spellCheck={false}
        maxLength={128}
        value={username}
        onChange={(e) => setUsername(e.target.value)}
        hint={editing ? 'Renaming needs a new password too.' : `Signs in to account “${accountName}”.`}
        error={(tried ? local.username : undefined) ?? fieldError(save.error, 'username')}
      />
      {!editing || renamed ? (
        <PasswordField
          label={editing ? 'New password' : 'Password'}
          value={password}
          onChange={setPassword}
          error={(tried ? local.password : undefined) ?? fieldError(save.error, 'password')}
        />
      ) : null}
      {admin ? (
        <>
          <SelectField
            label="Role"
            name="priv_level"
            value={role}
            onChange={(e) => setRole(e.target.value as 'admin' | 'user')}
            options={[
              { value: 'user', label: 'User — reads everything, changes only their own profile' },
              { value: 'admin', label: 'Admin — changes everything in this account' },
            ]}
            hint={self && role !== 'admin' ? 'You would lose admin rights and be signed out.' : undefined}
            error={fieldError(save.error, 'priv_level')}
          />
          {editing ? (
            <Checkbox
              label="Can sign in"
              checked={enabled}
              onChange={(e) => setEnabled(e.target.checked)}
              hint={self && !enabled ? 'You would lock yourself out.' : undefined}
            />
          ) : null}
        </>
      ) : null}
      <FormErrorBanner
        error={save.error}
        fields={USER_FIELDS}
        title={editing ? 'The user was not saved' : 'The user was not created'}
      />
    </FormModal>
  );
}

function PasswordDialog({
  user,
  self,
  onClose,
  onDone,
}: {
  user: UserDoc;
  self: boolean;
  onClose: () => void;
  onDone: () => void;
}) {
  const { base } = useAccount();
  const [password, setPassword] = useState('');
  const [tried, setTried] = useState(false);
  const save = useAction(() => api.patch<UserDoc>(`${base}/users/${user.id}`, { password }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (!password) return;
    if (await save.run()) onDone();
  };
  return (
    <FormModal
      title={`${self ? 'Change your password' : `Reset the password of ${user.username ?? 'user'}`}`}
      submitLabel="Set password"
      busy={save.busy}
      onClose={onClose}
      onSubmit={submit}
    >
      <p className="muted">
        {self
          ? 'Your sessions end when the password changes: you will be asked to sign in again.'
          : `${user.username ?? 'The user'} is signed out everywhere and signs in with the new password. Tell them it securely.`}
      </p>
      <PasswordField
        label="New password"
        value={password}
        onChange={setPassword}
        autoFocus
        error={
          (tried && !password ? 'Type or generate the new password.' : undefined) ?? fieldError(save.error, 'password')
        }
      />
      <FormErrorBanner error={save.error} fields={['password']} title="The password was not changed" />
    </FormModal>
  );
}

export function UsersPage() {
  const { base, accountId } = useAccount();
  const { login } = useSession();
  const admin = useIsAdmin();
  const confirm = useConfirm();
  const toast = useToast();
  const [query, setQuery] = useState('');
  const [form, setForm] = useState<{ user?: UserDoc }>();
  const [resetting, setResetting] = useState<UserDoc>();
  const [notice, setNotice] = useState<{ kind: 'error' | 'info'; title: string; text: string }>();
  const [actionError, setActionError] = useState<{ title: string; error: ApiError }>();

  const list = useLoad(() => listAll<UserDoc>(`${base}/users`), [base]);
  // "You" only in the login's own account (an admin acting on a sub-account is not one of its users).
  const selfId = login && login.accountId === accountId ? login.ownerId : undefined;
  const shown = useMemo(
    () => (list.data ?? []).filter((u) => matches(query, u.username, fullName(u), u.email, u.priv_level)),
    [list.data, query],
  );

  const remove = async (u: UserDoc) => {
    setActionError(undefined);
    setNotice(undefined);
    if (u.id === selfId) {
      setNotice({
        kind: 'info',
        title: 'You cannot delete yourself',
        text: `${u.username} is the user you are signed in as. Another admin of this account can delete it.`,
      });
      return;
    }
    const ok = await confirm({
      title: `Delete ${u.username ?? 'this user'}?`,
      message: (
        <p>
          {fullName(u) || u.username} can no longer sign in, and their sessions end now. Devices they own stay, without
          an owner.
        </p>
      ),
      confirm: 'Delete user',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.del(`${base}/users/${u.id}`);
      list.setData((rows) => (rows ?? []).filter((x) => x.id !== u.id));
      toast(`Deleted ${u.username ?? 'the user'}`);
    } catch (err) {
      setActionError({ title: `${u.username ?? 'The user'} was not deleted`, error: asApiError(err) });
    }
  };

  const onSaved = (u: UserDoc, created: boolean) => {
    setForm(undefined);
    list.setData((rows) => {
      const r = rows ?? [];
      return created ? [...r, u] : r.map((x) => (x.id === u.id ? u : x));
    });
    toast(created ? `Created ${u.username}` : `Saved ${u.username}`);
  };

  const newButton = admin ? (
    <Button variant="primary" onClick={() => setForm({})}>
      + New user
    </Button>
  ) : null;

  return (
    <div className="admin-page">
      <PageHeader
        title="Users"
        subtitle="People who sign in to this account. Admins change everything; users read, and edit only themselves."
        actions={newButton}
      />
      {!admin ? <ReadOnlyNotice what="users" extra="You can edit your own profile and password." /> : null}
      {notice ? (
        <Notice kind={notice.kind} title={notice.title} onDismiss={() => setNotice(undefined)}>
          {notice.text}
        </Notice>
      ) : null}
      {actionError ? (
        <Notice kind="error" title={actionError.title} onDismiss={() => setActionError(undefined)}>
          {actionError.error.status === 403
            ? `Only an admin can do this (${actionError.error.detail}).`
            : actionError.error.detail}
        </Notice>
      ) : null}
      <ListToolbar
        items={list.data}
        value={query}
        onChange={setQuery}
        label="Search users"
        placeholder="Search name, username, email"
      >
        {(total) => <ListCount shown={shown.length} total={total} one="user" many="users" />}
      </ListToolbar>
      <ListState
        what="users"
        load={list}
        items={list.data}
        shown={shown}
        query={query}
        onClearQuery={() => setQuery('')}
        empty={
          <EmptyState title="No users yet" action={newButton}>
            Add the people who manage this account: admins change everything, users can look around and edit themselves.
          </EmptyState>
        }
      >
        <div className="table-wrap">
          <table className="table admin-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Username</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col" className="actions">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.map((u) => {
                const self = u.id === selfId;
                const label = u.username ?? 'user';
                const canEdit = admin || self;
                return (
                  <tr key={u.id} className={u.enabled === false ? 'is-disabled' : undefined} data-user={u.id}>
                    <td data-label="Name">
                      {fullName(u) || <span className="muted">—</span>}{' '}
                      {self ? <span className="badge badge-info">you</span> : null}
                    </td>
                    <td data-label="Username">
                      <span className="mono">{u.username}</span>
                      {u.enabled === false ? <span className="sub">cannot sign in</span> : null}
                    </td>
                    <td data-label="Email">{u.email ? <a href={`mailto:${u.email}`}>{u.email}</a> : null}</td>
                    <td data-label="Role">
                      <span className={`badge ${u.priv_level === 'admin' ? 'badge-warn' : ''}`}>
                        {u.priv_level ?? 'user'}
                      </span>
                    </td>
                    <td className="actions">
                      {canEdit ? (
                        <div className="row-actions">
                          <Button
                            variant="ghost"
                            className="btn-small"
                            aria-label={`Edit ${label}`}
                            onClick={() => setForm({ user: u })}
                          >
                            Edit
                          </Button>
                          <Button
                            variant="ghost"
                            className="btn-small"
                            aria-label={`${self ? 'Change password of' : 'Reset password of'} ${label}`}
                            onClick={() => setResetting(u)}
                          >
                            {self ? 'Change password' : 'Reset password'}
                          </Button>
                          {admin ? (
                            <Button
                              variant="ghost"
                              className="btn-small btn-danger-text"
                              aria-label={`Delete ${label}`}
                              title={self ? 'You cannot delete the user you are signed in as' : undefined}
                              onClick={() => void remove(u)}
                            >
                              Delete
                            </Button>
                          ) : null}
                        </div>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </ListState>
      {form ? (
        <UserForm
          user={form.user}
          self={!!form.user && form.user.id === selfId}
          admin={admin}
          onClose={() => setForm(undefined)}
          onSaved={onSaved}
        />
      ) : null}
      {resetting ? (
        <PasswordDialog
          user={resetting}
          self={resetting.id === selfId}
          onClose={() => setResetting(undefined)}
          onDone={() => {
            const u = resetting;
            setResetting(undefined);
            toast(u.id === selfId ? 'Your password was changed' : `New password set for ${u.username}`);
          }}
        />
      ) : null}
    </div>
  );
}
