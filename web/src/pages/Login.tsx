// Sign in: account name, username, password (PUT /v2/user_auth). Also used as the dialog that comes back over the
// page when the session expires, with the account and username already filled in.

import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { useSession } from '../api/session';
import { Button, TextField } from '../components/ui';

const LAST = 'pivot.lastLogin';

export function LoginForm({ again }: { again?: { accountName: string; username: string } }) {
  const { signIn } = useSession();
  const last =
    again ?? (JSON.parse(localStorage.getItem(LAST) ?? 'null') as { accountName: string; username: string } | null);
  const [accountName, setAccountName] = useState(last?.accountName ?? '');
  const [username, setUsername] = useState(last?.username ?? '');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!accountName.trim() || !username.trim() || !password) {
      setError('Fill in the account, the username and the password.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await signIn(accountName.trim(), username.trim(), password);
      localStorage.setItem(LAST, JSON.stringify({ accountName: accountName.trim(), username: username.trim() }));
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
      setBusy(false);
    }
  };

  return (
    <form className="login-form" onSubmit={submit} noValidate aria-label="Sign in">
      <TextField
        label="Account"
        name="account"
        autoComplete="organization"
        value={accountName}
        onChange={(e) => setAccountName(e.target.value)}
        readOnly={!!again}
        autoFocus={!again && !accountName}
      />
      <TextField
        label="Username"
        name="username"
        autoComplete="username"
        value={username}
        onChange={(e) => setUsername(e.target.value)}
        readOnly={!!again}
        autoFocus={!again && !!accountName && !username}
      />
      <TextField
        label="Password"
        name="password"
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        autoFocus={!!again || (!!accountName && !!username)}
      />
      {error ? (
        <div className="banner banner-error" role="alert">
          {error}
        </div>
      ) : null}
      <Button type="submit" variant="primary" busy={busy} className="wide">
        Sign in
      </Button>
    </form>
  );
}

export function LoginPage() {
  return (
    <main className="login-page">
      <div className="login-card">
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden>
            P
          </span>
          Pivot
        </div>
        <p className="muted">Sign in to manage your voice apps, numbers and devices.</p>
        <LoginForm />
        <p className="hint">
          First start? The admin account, username and password are printed by <code>npm start</code>.
        </p>
      </div>
    </main>
  );
}
