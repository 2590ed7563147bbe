// Parts shared by the Numbers, Devices, Media and Users pages: who may write, search, the list's states (loading,
// error, empty, nothing matches), copy and show/hide of secrets, polling while the page is visible, and the
// small formatters. Styles in admin.css.

import { useCallback, useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError } from '../api/client';
import { useSession } from '../api/session';
import { Button, EmptyState, ErrorBanner, Loading, Modal, TextField, useToast } from '../components/ui';
import './admin.css';

/** True when the signed-in user may change things (the API refuses writes to `user`-level tokens). */
export function useIsAdmin(): boolean {
  return useSession().login?.privLevel === 'admin';
}

/** Said once at the top of a page when the login is `user`-level: the page is read-only, and why. */
export function ReadOnlyNotice({ what, extra }: { what: string; extra?: ReactNode }) {
  return (
    <div className="banner banner-info" role="note">
      <div>
        <strong>Read-only view.</strong> You are signed in as a user, so you can look at the {what} but only an admin
        can add, change or delete them.{extra ? <> {extra}</> : null}
      </div>
    </div>
  );
}

/** A banner about something that just happened (an action refused, a file rejected), closed with "Dismiss". */
export function Notice({
  kind,
  title,
  children,
  onDismiss,
}: {
  kind: 'error' | 'info' | 'warn';
  title: string;
  children?: ReactNode;
  onDismiss?: () => void;
}) {
  return (
    <div className={`banner banner-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      <div>
        <strong>{title}</strong>
        {children ? <div>{children}</div> : null}
      </div>
      {onDismiss ? (
        <Button variant="ghost" className="btn-small" onClick={onDismiss}>
          Dismiss
        </Button>
      ) : null}
    </div>
  );
}

/** Case-insensitive match of a search over some fields; digits also match numbers written with spaces or dashes. */
export function matches(query: string, ...values: (string | number | undefined | null)[]): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  const digits = q.replace(/[^\d]/g, '');
  const digitsOnly = digits.length > 0 && /^[\d\s()+.-]+$/.test(q);
  return values.some((v) => {
    if (v === undefined || v === null) return false;
    const s = String(v).toLowerCase();
    if (s.includes(q)) return true;
    return digitsOnly && s.replace(/[^\d]/g, '').includes(digits);
  });
}

/** A search box for a list; Escape clears it. */
export function SearchBox({
  value,
  onChange,
  label,
  placeholder,
}: {
  value: string;
  onChange: (v: string) => void;
  label: string;
  placeholder?: string;
}) {
  return (
    <input
      type="search"
      className="search"
      aria-label={label}
      placeholder={placeholder ?? label}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && value) {
          e.preventDefault();
          onChange('');
        }
      }}
    />
  );
}

/**
 * The states of a list page in one place: loading (first load only), the load's error with a retry, the empty state
 * when there is nothing at all, "nothing matches" when a search hides everything, else the list.
 */
export function ListState<T>({
  what,
  load,
  items,
  shown,
  query,
  onClearQuery,
  empty,
  children,
}: {
  what: string;
  load: { loading: boolean; error?: ApiError; reload(): void };
  items: T[] | undefined;
  shown: T[];
  query: string;
  onClearQuery: () => void;
  empty: ReactNode;
  children: ReactNode;
}) {
  if (load.error && !items)
    return <ErrorBanner title={`Could not load the ${what}`} error={load.error} onRetry={load.reload} />;
  if (!items) return <Loading what={what} />;
  return (
    <>
      {load.error ? (
        <ErrorBanner title={`Could not refresh the ${what}`} error={load.error} onRetry={load.reload} />
      ) : null}
      {items.length === 0 ? (
        empty
      ) : shown.length === 0 ? (
        <EmptyState
          title={`No ${what} match “${query}”`}
          action={<Button onClick={onClearQuery}>Clear the search</Button>}
        >
          Try fewer letters or digits.
        </EmptyState>
      ) : (
        children
      )}
    </>
  );
}

/** The name field an admin form starts with, focused when its dialog opens. */
export function NameField({
  value,
  onChange,
  error,
}: {
  value: string;
  onChange: (value: string) => void;
  error?: string;
}) {
  return (
    <TextField
      label="Name"
      name="name"
      autoFocus
      maxLength={128}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      error={error}
    />
  );
}

/** A list's search box and its count (`children`, given the number of items), once it has something to search. */
export function ListToolbar({
  items,
  children,
  ...search
}: { items: readonly unknown[] | undefined; children: (total: number) => ReactNode } & Parameters<
  typeof SearchBox
>[0]) {
  if (!items?.length) return null;
  return (
    <div className="toolbar">
      <SearchBox {...search} />
      {children(items.length)}
    </div>
  );
}

/**
 * A dialog around one form: Cancel and the submit button in its footer (the button submits the form by its id).
 * While the form is busy saving, the dialog stays open and Cancel waits.
 */
export function FormModal({
  title,
  submitLabel,
  busy,
  onClose,
  onSubmit,
  open = true,
  children,
}: {
  title: string;
  submitLabel: ReactNode;
  busy: boolean;
  onClose: () => void;
  onSubmit: (e: FormEvent) => void;
  open?: boolean;
  children: ReactNode;
}) {
  const formId = useId();
  return (
    <Modal
      title={title}
      open={open}
      onClose={() => !busy && onClose()}
      footer={
        <>
          <Button onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" form={formId} variant="primary" busy={busy}>
            {submitLabel}
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={onSubmit} noValidate>
        {children}
      </form>
    </Modal>
  );
}

/** How many items a list shows: "3 numbers", or "1 of 3 numbers" while a search hides some. */
export function ListCount({ shown, total, one, many }: { shown: number; total: number; one: string; many: string }) {
  return (
    <span className="count">
      {shown === total ? total : `${shown} of ${total}`} {total === 1 ? one : many}
    </span>
  );
}

/** Copies `text`; says so (or why not) in a toast. */
export function CopyButton({ text, label, className }: { text: string; label: string; className?: string }) {
  const toast = useToast();
  const [done, setDone] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const copy = async () => {
    const ok = await copyText(text);
    if (ok) {
      setDone(true);
      clearTimeout(timer.current);
      timer.current = setTimeout(() => setDone(false), 2000);
      toast('Copied to the clipboard');
    } else {
      toast('The browser did not allow copying: select the text and copy it by hand', 'error');
    }
  };
  return (
    <Button
      variant="secondary"
      className={`btn-small ${className ?? ''}`}
      aria-label={label}
      onClick={() => void copy()}
    >
      {done ? 'Copied' : 'Copy'}
    </Button>
  );
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Plain http on another host has no clipboard API: the old way still works there.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

/** A secret shown as dots until "Show" is pressed, with a copy button. `shown`/`onShownChange` make it controlled. */
export function SecretValue({
  value,
  label,
  shown: shownProp,
  onShownChange,
}: {
  value: string;
  label: string;
  shown?: boolean;
  onShownChange?: (shown: boolean) => void;
}) {
  const [own, setOwn] = useState(false);
  const shown = shownProp ?? own;
  const toggle = () => {
    setOwn(!shown);
    onShownChange?.(!shown);
  };
  return (
    <span className="cred-value">
      <code aria-label={shown ? label : `${label} (hidden)`} data-secret={shown ? 'shown' : 'hidden'}>
        {shown ? value : '•'.repeat(Math.min(Math.max(value.length, 8), 16))}
      </code>
      <Button
        className="btn-small"
        aria-pressed={shown}
        aria-label={`${shown ? 'Hide' : 'Show'} ${label.toLowerCase()}`}
        onClick={toggle}
      >
        {shown ? 'Hide' : 'Show'}
      </Button>
      <CopyButton text={value} label={`Copy ${label.toLowerCase()}`} />
    </span>
  );
}

/**
 * Runs `tick` every `ms` while the page is visible (and at once when it becomes visible again); stops while the
 * tab is hidden. `ms` may change (faster while waiting for something).
 */
export function usePolling(tick: () => void, ms: number, enabled = true): void {
  const fn = useRef(tick);
  fn.current = tick;
  useEffect(() => {
    if (!enabled) return;
    let timer: ReturnType<typeof setInterval> | undefined;
    const start = () => {
      clearInterval(timer);
      timer = setInterval(() => fn.current(), ms);
    };
    const onVisibility = () => {
      if (document.visibilityState === 'visible') {
        fn.current();
        start();
      } else clearInterval(timer);
    };
    if (document.visibilityState === 'visible') start();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [ms, enabled]);
}

/** An unknown failure as an ApiError (actions and loads keep ApiErrors as they are). */
export function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError(0, (err as Error)?.message || String(err));
}

/**
 * The error of a form field from an action's ApiError; `names` are the API's field names for it (`sip.username`).
 * Errors on fields the form does not show go to the form's banner (see `otherErrors`).
 */
export function fieldError(err: ApiError | undefined, ...names: string[]): string | undefined {
  if (!err) return undefined;
  for (const n of names) {
    const e = err.field(n);
    if (e) return e;
  }
  return undefined;
}

/** True when the error has something the form's fields do not show (so the banner must say it). */
export function hasOtherErrors(err: ApiError | undefined, shownFields: string[]): boolean {
  if (!err) return false;
  const fields = Object.keys(err.fields);
  return fields.length === 0 || fields.some((f) => !shownFields.includes(f));
}

/** An action's error in a form: the banner when its fields are not all shown next to their inputs. */
export function FormErrorBanner({
  error,
  fields,
  title,
}: {
  error: ApiError | undefined;
  fields: string[];
  title: string;
}) {
  if (!error || !hasOtherErrors(error, fields)) return null;
  return <ErrorBanner title={title} error={error} />;
}

/** `1:05` or `3.2 s`. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** "in 9 min", "in 40 s", "2 min ago". */
export function relative(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '';
  const ms = Date.parse(iso) - now;
  if (!Number.isFinite(ms)) return '';
  const abs = Math.abs(ms);
  const text =
    abs < 60_000
      ? `${Math.round(abs / 1000)} s`
      : abs < 3_600_000
        ? `${Math.round(abs / 60_000)} min`
        : `${(abs / 3_600_000).toFixed(1)} h`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

/** A value that changes every `ms` (relative times re-render). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** A random password: letters and digits, `length` long (for "Generate"). */
export function randomPassword(length = 16): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

/** A stable callback that always calls the latest `fn` (for effects and timers). */
export function useLatest<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  const ref = useRef(fn);
  ref.current = fn;
  return useCallback((...args: A) => ref.current(...args), []);
}
