// The Pivot Manager (the home page): the account's Pivot Callflow Actions — callflows whose flow root is the `pivot`
// module (DESIGN §2) — with search, a "Test call" from the browser, the gear to edit, delete with confirmation, and
// "+ New Pivot Callflow Action" at the top right. The list is one request (GET …/callflows?filter_flow.module=pivot:
// listings return whole documents). On a phone-sized screen the rows become cards.

import { useRef, useState } from 'react';
import { api, listAll, type ApiError } from '../api/client';
import { useLoad } from '../api/hooks';
import { useAccount } from '../api/session';
import {
  Button,
  EmptyState,
  ErrorBanner,
  IconButton,
  Loading,
  PageHeader,
  Spinner,
  useConfirm,
  useToast,
} from '../components/ui';
import { useSoftphone } from '../softphone/Softphone';
import { PivotForm } from '../pivot-manager/PivotForm';
import { isPhoneNumber, matchesSearch, pivotData, valuesOf, type CallflowDoc } from '../pivot-manager/model';
import '../pivot-manager/pivot-manager.css';

const NEW_LABEL = '+ New Pivot Callflow Action';

const byName = (a: CallflowDoc, b: CallflowDoc) =>
  (a.name ?? '').localeCompare(b.name ?? '', undefined, { sensitivity: 'base' }) || a.id.localeCompare(b.id);

function failureSummary(doc: CallflowDoc): string {
  const f = valuesOf(doc).failure;
  switch (f.kind) {
    case 'hangup':
      return 'hang up';
    case 'media':
      return 'play a media file';
    case 'tts':
      return 'speak a message';
    case 'callflow':
      return 'go to another callflow';
    default:
      return `run its ${f.module} branch`;
  }
}

function GearIcon() {
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path
        fill="currentColor"
        d="M19.4 13a7.6 7.6 0 0 0 0-2l2.1-1.6-2-3.5-2.5 1a7.5 7.5 0 0 0-1.7-1L15 3.2h-4l-.4 2.7a7.5 7.5 0 0 0-1.7 1l-2.5-1-2 3.5L6.6 11a7.6 7.6 0 0 0 0 2l-2.1 1.6 2 3.5 2.5-1a7.5 7.5 0 0 0 1.7 1l.4 2.7h4l.4-2.7a7.5 7.5 0 0 0 1.7-1l2.5 1 2-3.5L19.4 13ZM13 15.5a3.5 3.5 0 1 1 0-7 3.5 3.5 0 0 1 0 7Z"
        transform="translate(-1 0)"
      />
    </svg>
  );
}

function PhoneIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path
        fill="currentColor"
        d="M6.6 10.8a15.2 15.2 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1l-2.22 2.23Z"
      />
    </svg>
  );
}

function TrashIcon() {
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path fill="currentColor" d="M9 3h6l1 2h4v2H4V5h4l1-2Zm-3 6h12l-1 12H7L6 9Zm4 2v8h2v-8h-2Zm4 0v8h2v-8h-2Z" />
    </svg>
  );
}

export function PivotManagerPage() {
  const { base } = useAccount();
  const confirm = useConfirm();
  const toast = useToast();
  const softphone = useSoftphone();
  const list = useLoad(
    () => listAll<CallflowDoc>(`${base}/callflows`, { 'filter_flow.module': 'pivot' }).then((l) => l.sort(byName)),
    [base],
  );
  const [query, setQuery] = useState('');
  const [form, setForm] = useState<{ editId?: string }>();
  const [deleting, setDeleting] = useState<string>();
  const [actionError, setActionError] = useState<{ title: string; error: ApiError | Error }>();
  const opener = useRef<HTMLElement | null>(null);
  const search = useRef<HTMLInputElement>(null);

  const open = (editId?: string) => {
    opener.current = document.activeElement as HTMLElement | null;
    setForm({ editId });
  };
  const closeForm = () => {
    setForm(undefined);
    const back = opener.current;
    requestAnimationFrame(() => (back?.isConnected ? back : search.current)?.focus());
  };

  const remove = async (doc: CallflowDoc) => {
    const name = doc.name || doc.id;
    const numbers = doc.numbers ?? [];
    const ok = await confirm({
      title: `Delete “${name}”?`,
      message: (
        <>
          {numbers.length ? (
            <>
              Calls to <strong>{numbers.join(', ')}</strong> will no longer reach{' '}
              <code>{String(pivotData(doc).voice_url ?? '')}</code>. Its numbers stay in the account, free for another
              action.
            </>
          ) : (
            <>The action and its settings are removed.</>
          )}{' '}
          This cannot be undone.
        </>
      ),
      confirm: 'Delete',
      danger: true,
    });
    if (!ok) return;
    setDeleting(doc.id);
    setActionError(undefined);
    try {
      await api.del(`${base}/callflows/${encodeURIComponent(doc.id)}`);
      list.setData((old) => (old ?? []).filter((d) => d.id !== doc.id));
      toast(`Deleted “${name}”`);
      search.current?.focus();
    } catch (err) {
      setActionError({ title: `Could not delete “${name}”`, error: err as ApiError });
    } finally {
      setDeleting(undefined);
    }
  };

  const all = list.data ?? [];
  const shown = all.filter((d) => matchesSearch(d, query));

  let body;
  if (list.error && !list.data) {
    body = <ErrorBanner title="Could not load the Pivot Callflow Actions" error={list.error} onRetry={list.reload} />;
  } else if (!list.data) {
    body = <Loading what="Pivot Callflow Actions" />;
  } else if (all.length === 0) {
    body = (
      <EmptyState
        title="No Pivot Callflow Actions yet"
        action={
          <Button variant="primary" onClick={() => open()}>
            {NEW_LABEL}
          </Button>
        }
      >
        An action connects phone numbers and extensions to your web server: when a call comes in, Pivot asks your URL
        what to do, your server answers with TwiML or a Kazoo callflow, and Pivot runs it on the call. Create one, give
        it a number, and place a test call from the browser.
      </EmptyState>
    );
  } else {
    body = (
      <>
        <div className="toolbar">
          <input
            ref={search}
            type="search"
            className="search"
            aria-label="Search actions"
            placeholder="Search by name, number or URL"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
          <span className="muted pm-count" aria-live="polite">
            {query
              ? `${shown.length} of ${all.length} actions`
              : `${all.length} ${all.length === 1 ? 'action' : 'actions'}`}
          </span>
          <span className="pm-toolbar-end">
            {list.loading ? <Spinner small label="Refreshing" /> : null}
            <IconButton label="Refresh the list" onClick={list.reload} disabled={list.loading}>
              ↻
            </IconButton>
          </span>
        </div>
        {list.error ? (
          <ErrorBanner title="Could not refresh the list" error={list.error} onRetry={list.reload} />
        ) : null}
        {shown.length === 0 ? (
          <EmptyState
            title={`No action matches “${query}”`}
            action={
              <Button
                onClick={() => {
                  setQuery('');
                  search.current?.focus();
                }}
              >
                Clear the search
              </Button>
            }
          >
            The search looks at names, numbers and extensions, and URLs.
          </EmptyState>
        ) : (
          <div className="table-wrap pm-table-wrap">
            <table className="table pm-table" aria-label="Pivot Callflow Actions">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Numbers</th>
                  <th scope="col">Method</th>
                  <th scope="col">URL</th>
                  <th scope="col">Format</th>
                  <th scope="col">Debug</th>
                  <th scope="col" className="actions">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {shown.map((doc) => (
                  <Row
                    key={doc.id}
                    doc={doc}
                    deleting={deleting === doc.id}
                    onEdit={() => open(doc.id)}
                    onDelete={() => void remove(doc)}
                    onCall={(to) => softphone.call(to, doc.name || to)}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </>
    );
  }

  return (
    <div className="pm-page">
      <PageHeader
        title="Pivot Manager"
        subtitle="Calls to an action's numbers ask your web server what to do, in TwiML or Kazoo callflow JSON."
        actions={
          <Button variant="primary" onClick={() => open()}>
            {NEW_LABEL}
          </Button>
        }
      />
      {actionError ? (
        <div className="pm-dismissible">
          <ErrorBanner title={actionError.title} error={actionError.error} />
          <IconButton label="Dismiss" onClick={() => setActionError(undefined)}>
            ✕
          </IconButton>
        </div>
      ) : null}
      {body}
      {form ? (
        <PivotForm
          editId={form.editId}
          onClose={closeForm}
          onSaved={(saved, created) => {
            closeForm();
            list.setData((old) => [...(old ?? []).filter((d) => d.id !== saved.id), saved].sort(byName));
            list.reload();
            toast(created ? `Created “${saved.name ?? saved.id}”` : `Saved “${saved.name ?? saved.id}”`);
          }}
        />
      ) : null}
    </div>
  );
}

function Row({
  doc,
  deleting,
  onEdit,
  onDelete,
  onCall,
}: {
  doc: CallflowDoc;
  deleting: boolean;
  onEdit: () => void;
  onDelete: () => void;
  onCall: (to: string) => void;
}) {
  const data = pivotData(doc);
  const name = doc.name || doc.id;
  const numbers = doc.numbers ?? [];
  const url = typeof data.voice_url === 'string' ? data.voice_url : '';
  const method = String(data.method ?? 'get').toUpperCase();
  const twiml = data.req_format === 'twiml';
  const first = numbers[0];
  const noNumber = 'Add a number or extension to this action to call it';
  return (
    <tr>
      <td data-label="Name" className="pm-name">
        <strong>{doc.name || <span className="muted">(no name)</span>}</strong>
        <div className="hint">On failure: {failureSummary(doc)}</div>
      </td>
      <td data-label="Numbers">
        {numbers.length ? (
          <ul className="pm-numbers" aria-label={`Numbers of ${name}`}>
            {numbers.map((n) => (
              <li
                key={n}
                className={`badge ${isPhoneNumber(n) ? 'badge-info' : ''}`}
                title={isPhoneNumber(n) ? 'Phone number' : 'Extension'}
              >
                {isPhoneNumber(n) ? n : `ext ${n}`}
              </li>
            ))}
          </ul>
        ) : (
          <span className="muted">none</span>
        )}
      </td>
      <td data-label="Method">
        <span className="badge">{method}</span>
      </td>
      <td data-label="URL" className="pm-url">
        <span className="mono" title={url}>
          {url}
        </span>
      </td>
      <td data-label="Format">{twiml ? 'TwiML' : 'Kazoo'}</td>
      <td data-label="Debug">
        {data.debug === true ? <span className="badge badge-ok">on</span> : <span className="badge">off</span>}
      </td>
      <td className="actions pm-actions">
        <Button
          className="pm-call"
          aria-disabled={!first || undefined}
          title={first ? `Call ${first} from the browser` : noNumber}
          aria-label={`Test call ${name}`}
          onClick={() => (first ? onCall(first) : undefined)}
        >
          <PhoneIcon /> Test call
        </Button>
        <IconButton label={`Edit ${name}`} onClick={onEdit}>
          <GearIcon />
        </IconButton>
        <IconButton label={`Delete ${name}`} onClick={onDelete} disabled={deleting} aria-busy={deleting || undefined}>
          {deleting ? <Spinner small label="Deleting" /> : <TrashIcon />}
        </IconButton>
      </td>
    </tr>
  );
}
