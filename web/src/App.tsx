// The app shell: sign-in gate, top bar (account switcher, session, sign out), navigation, the page for the current
// path, the softphone panel, and the sign-in dialog that comes back when the session expires.

import { useEffect, useState, type ReactNode } from 'react';
import { api } from './api/client';
import { useLoad } from './api/hooks';
import { useSession, type ActingAccount } from './api/session';
import { Modal, Spinner, formatTime } from './components/ui';
import { CallflowsPage } from './pages/Callflows';
import { DevicesPage } from './pages/Devices';
import { LiveDebugPage } from './pages/LiveDebug';
import { LoginForm, LoginPage } from './pages/Login';
import { MediaPage } from './pages/Media';
import { NumbersPage } from './pages/Numbers';
import { PivotManagerPage } from './pages/PivotManager';
import { UsersPage } from './pages/Users';
import { Link, match, useLocation } from './router';
import { SoftphoneProvider } from './softphone/Softphone';

interface Page {
  path: string;
  label: string;
  /** The path patterns this page answers (first match wins). */
  patterns: string[];
  render: (params: Record<string, string>) => ReactNode;
}

const PAGES: Page[] = [
  { path: '/', label: 'Pivot Manager', patterns: ['/'], render: () => <PivotManagerPage /> },
  {
    path: '/debug',
    label: 'Live Debug',
    patterns: ['/debug', '/debug/:callId'],
    render: (p) => <LiveDebugPage callId={p.callId} />,
  },
  {
    path: '/callflows',
    label: 'Callflows',
    patterns: ['/callflows', '/callflows/:id'],
    render: (p) => <CallflowsPage id={p.id} />,
  },
  { path: '/numbers', label: 'Numbers', patterns: ['/numbers'], render: () => <NumbersPage /> },
  { path: '/devices', label: 'Devices', patterns: ['/devices'], render: () => <DevicesPage /> },
  { path: '/media', label: 'Media', patterns: ['/media'], render: () => <MediaPage /> },
  { path: '/users', label: 'Users', patterns: ['/users'], render: () => <UsersPage /> },
];

function current(path: string): { page: Page; params: Record<string, string> } | undefined {
  for (const page of PAGES) {
    for (const pattern of page.patterns) {
      const params = match(pattern, path);
      if (params) return { page, params };
    }
  }
  return undefined;
}

interface AccountSummary {
  id: string;
  name: string;
}

/** The account being worked on: the login account or one of its sub-accounts. */
function AccountSwitcher() {
  const { login, account, switchAccount } = useSession();
  const list = useLoad(
    (signal) => api.get<AccountSummary[]>(`/accounts/${login!.accountId}/descendants`, { signal }),
    [login?.accountId],
  );
  if (!login || !account) return null;
  const options: ActingAccount[] = [{ id: login.accountId, name: login.accountName }, ...(list.data ?? [])];
  if (options.length < 2 && !list.loading) return <span className="account-name">{account.name}</span>;
  return (
    <label className="account-switcher">
      <span className="sr-only">Account</span>
      <select
        aria-label="Account"
        value={account.id}
        onChange={(e) => {
          const next = options.find((o) => o.id === e.target.value);
          if (next) switchAccount({ id: next.id, name: next.name });
        }}
      >
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.id === login.accountId ? o.name : `↳ ${o.name}`}
          </option>
        ))}
      </select>
    </label>
  );
}

function TopBar({ onMenu }: { onMenu: () => void }) {
  const { login, signOut } = useSession();
  return (
    <header className="topbar">
      <button type="button" className="icon-btn menu-btn" aria-label="Menu" onClick={onMenu}>
        ☰
      </button>
      <Link to="/" className="brand">
        <span className="brand-mark" aria-hidden>
          P
        </span>
        Pivot
      </Link>
      <AccountSwitcher />
      <div className="topbar-end">
        <span className="session-info" title={`Session ends ${formatTime(login?.expires)}`}>
          {login?.username} · until{' '}
          {login ? new Date(login.expires).toLocaleTimeString([], { timeStyle: 'short' }) : ''}
        </span>
        <button type="button" className="btn btn-ghost" onClick={() => void signOut()}>
          Sign out
        </button>
      </div>
    </header>
  );
}

function Shell() {
  const { path } = useLocation();
  const { login, account, expired } = useSession();
  const [menuOpen, setMenuOpen] = useState(false);
  const found = current(path);
  useEffect(() => setMenuOpen(false), [path]);
  useEffect(() => {
    document.title = found ? `${found.page.label} · Pivot` : 'Pivot';
  }, [found]);
  return (
    <SoftphoneProvider>
      <div className="app">
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <TopBar onMenu={() => setMenuOpen((o) => !o)} />
        <div className="layout">
          <nav className={`sidenav${menuOpen ? ' open' : ''}`} aria-label="Main">
            {PAGES.map((p) => (
              <Link key={p.path} to={p.path} aria-current={found?.page === p ? 'page' : undefined}>
                {p.label}
              </Link>
            ))}
          </nav>
          <main id="main" className="content" tabIndex={-1}>
            {/* The page remounts when the account changes: every page loads that account's data. */}
            <div key={account?.id}>
              {found ? (
                found.page.render(found.params)
              ) : (
                <div className="empty">
                  <h3>Page not found</h3>
                  <p>
                    Nothing lives at <code>{path}</code>. <Link to="/">Go to the Pivot Manager</Link>.
                  </p>
                </div>
              )}
            </div>
          </main>
        </div>
      </div>
      <Modal title="Your session has expired" open={expired} onClose={() => {}}>
        <p className="muted">Sign in again to go on where you were; nothing on this page is lost.</p>
        {login ? <LoginForm again={{ accountName: login.accountName, username: login.username }} /> : null}
      </Modal>
    </SoftphoneProvider>
  );
}

export function App() {
  const { login, ready } = useSession();
  if (!ready) {
    return (
      <div className="loading loading-page">
        <Spinner /> Starting…
      </div>
    );
  }
  return login ? <Shell /> : <LoginPage />;
}
