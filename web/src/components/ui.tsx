// The app's building blocks: buttons, fields with their error, dialogs (native <dialog>: focus is kept inside and
// Escape closes), confirmations, banners, empty states and a toast. Pages compose these; styles are in styles.css.

import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useId,
  useRef,
  useState,
  type ButtonHTMLAttributes,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
} from 'react';
import type { ApiError } from '../api/client';

type Variant = 'primary' | 'secondary' | 'danger' | 'ghost';

export function Button({
  variant = 'secondary',
  busy,
  children,
  className = '',
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; busy?: boolean }) {
  return (
    <button
      type="button"
      className={`btn btn-${variant} ${className}`}
      disabled={busy || rest.disabled}
      aria-busy={busy || undefined}
      {...rest}
    >
      {busy ? <Spinner small /> : null}
      {children}
    </button>
  );
}

/** A square icon button; `label` is its accessible name and tooltip. */
export function IconButton({
  label,
  children,
  className = '',
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { label: string }) {
  return (
    <button type="button" className={`icon-btn ${className}`} aria-label={label} title={label} {...rest}>
      {children}
    </button>
  );
}

export function Spinner({ small, label = 'Loading' }: { small?: boolean; label?: string }) {
  return <span className={`spinner${small ? ' spinner-small' : ''}`} role="status" aria-label={label} />;
}

/** A page's loading state: a spinner with words. */
export function Loading({ what }: { what: string }) {
  return (
    <div className="loading">
      <Spinner /> Loading {what}…
    </div>
  );
}

/** An error from a request, with what to do: try again. */
export function ErrorBanner({
  error,
  onRetry,
  title,
}: {
  error: ApiError | Error;
  onRetry?: () => void;
  title?: string;
}) {
  const detail = 'detail' in error ? (error as ApiError).detail : error.message;
  return (
    <div className="banner banner-error" role="alert">
      <div>
        <strong>{title ?? 'Something went wrong'}</strong>
        <div>{detail}</div>
      </div>
      {onRetry ? (
        <Button onClick={onRetry} variant="secondary">
          Try again
        </Button>
      ) : null}
    </div>
  );
}

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty">
      <h3>{title}</h3>
      {children ? <p>{children}</p> : null}
      {action}
    </div>
  );
}

export function PageHeader({ title, subtitle, actions }: { title: string; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle ? <p className="muted">{subtitle}</p> : null}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </header>
  );
}

interface FieldProps {
  label: string;
  error?: string;
  hint?: ReactNode;
  children: (id: string, describedBy: string | undefined) => ReactNode;
}

/** A label, a control, a hint and the control's error, wired for screen readers. */
export function Field({ label, error, hint, children }: FieldProps) {
  const id = useId();
  const describedBy = [error ? `${id}-err` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children(id, describedBy)}
      {hint ? (
        <div className="hint" id={`${id}-hint`}>
          {hint}
        </div>
      ) : null}
      {error ? (
        <div className="field-error" id={`${id}-err`} role="alert">
          {error}
        </div>
      ) : null}
    </div>
  );
}

export function TextField({
  label,
  error,
  hint,
  ...input
}: InputHTMLAttributes<HTMLInputElement> & { label: string; error?: string; hint?: ReactNode }) {
  return (
    <Field label={label} error={error} hint={hint}>
      {(id, describedBy) => (
        <input id={id} aria-invalid={!!error || undefined} aria-describedby={describedBy} {...input} />
      )}
    </Field>
  );
}

export function SelectField({
  label,
  error,
  hint,
  options,
  ...select
}: SelectHTMLAttributes<HTMLSelectElement> & {
  label: string;
  error?: string;
  hint?: ReactNode;
  options: { value: string; label: string }[];
}) {
  return (
    <Field label={label} error={error} hint={hint}>
      {(id, describedBy) => (
        <select id={id} aria-invalid={!!error || undefined} aria-describedby={describedBy} {...select}>
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function Checkbox({
  label,
  hint,
  ...input
}: InputHTMLAttributes<HTMLInputElement> & { label: string; hint?: ReactNode }) {
  const id = useId();
  return (
    <div className="checkbox">
      <input type="checkbox" id={id} {...input} />
      <label htmlFor={id}>{label}</label>
      {hint ? <div className="hint">{hint}</div> : null}
    </div>
  );
}

/**
 * A modal dialog on the native <dialog> element (focus stays inside, Escape closes). `onClose` runs for Escape, the
 * close button and a click on the backdrop.
 */
export function Modal({
  title,
  open,
  onClose,
  children,
  footer,
  wide,
}: {
  title: string;
  open: boolean;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className={`modal${wide ? ' modal-wide' : ''}`}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => {
        if (e.target === ref.current) onClose();
      }}
    >
      {open ? (
        <div className="modal-body">
          <header className="modal-header">
            <h2 id={titleId}>{title}</h2>
            <IconButton label="Close" onClick={onClose}>
              ✕
            </IconButton>
          </header>
          <div className="modal-content">{children}</div>
          {footer ? <footer className="modal-footer">{footer}</footer> : null}
        </div>
      ) : null}
    </dialog>
  );
}

interface ConfirmRequest {
  title: string;
  message: ReactNode;
  confirm?: string;
  danger?: boolean;
  resolve: (ok: boolean) => void;
}

const ConfirmContext = createContext<(r: Omit<ConfirmRequest, 'resolve'>) => Promise<boolean>>(async () => false);

/** `const confirm = useConfirm(); if (await confirm({title, message})) …` */
export function useConfirm() {
  return useContext(ConfirmContext);
}

interface Toast {
  id: number;
  text: string;
  kind: 'ok' | 'error';
}
const ToastContext = createContext<(text: string, kind?: Toast['kind']) => void>(() => {});

/** `const toast = useToast(); toast('Saved')` — a short message at the bottom, announced to screen readers. */
export function useToast() {
  return useContext(ToastContext);
}

/** Hosts the confirmation dialog and the toasts for the whole app. */
export function Overlays({ children }: { children: ReactNode }) {
  const [request, setRequest] = useState<ConfirmRequest>();
  const [toasts, setToasts] = useState<Toast[]>([]);
  const confirm = useCallback(
    (r: Omit<ConfirmRequest, 'resolve'>) => new Promise<boolean>((resolve) => setRequest({ ...r, resolve })),
    [],
  );
  const toast = useCallback((text: string, kind: Toast['kind'] = 'ok') => {
    const id = Date.now() + Math.random();
    setToasts((t) => [...t, { id, text, kind }]);
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), 4000);
  }, []);
  const answer = (ok: boolean) => {
    request?.resolve(ok);
    setRequest(undefined);
  };
  return (
    <ConfirmContext.Provider value={confirm}>
      <ToastContext.Provider value={toast}>
        {children}
        <Modal
          title={request?.title ?? ''}
          open={!!request}
          onClose={() => answer(false)}
          footer={
            <>
              <Button onClick={() => answer(false)}>Cancel</Button>
              <Button variant={request?.danger ? 'danger' : 'primary'} onClick={() => answer(true)} autoFocus>
                {request?.confirm ?? 'OK'}
              </Button>
            </>
          }
        >
          <div>{request?.message}</div>
        </Modal>
        <div className="toasts" role="status" aria-live="polite">
          {toasts.map((t) => (
            <div key={t.id} className={`toast toast-${t.kind}`}>
              {t.text}
            </div>
          ))}
        </div>
      </ToastContext.Provider>
    </ConfirmContext.Provider>
  );
}

/** Time as the debugger shows it: local, with seconds. */
export function formatTime(iso: string | number | undefined): string {
  if (iso === undefined || iso === '') return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}
