// Live Debug's list: recent calls that made Pivot requests, newest first, updated live from the event stream
// (`pivot.debug` adds and updates lines, `call.*` says which calls are still up). Filters (action, number, status,
// time) live in the URL so a filtered view can be shared, and the server applies them; lines that arrive live are
// checked against the same filters here. Each line opens the call's details.

import { useCallback, useEffect, useRef, useState, type ChangeEvent } from 'react';
import { listAll, request } from '../api/client';
import { useLiveEvents, type LiveEvent, type LiveState } from '../api/events';
import { useLoad } from '../api/hooks';
import { useAccount } from '../api/session';
import { Button, EmptyState, ErrorBanner, Loading, PageHeader, Spinner, formatTime } from '../components/ui';
import { Link, leaveTo, navigate, useLocation } from '../router';
import {
  RESULTS,
  TIME_PRESETS,
  apiQuery,
  filtersOf,
  lineOfEvent,
  formatMs,
  hasFilters,
  matchesFilters,
  queryOf,
  resultInfo,
  shortId,
  shortUrl,
  type CallSummary,
  type DebugEventData,
  type Filters,
} from './model';

const PAGE = 50;

interface Callflow {
  id: string;
  name?: string;
  numbers?: string[];
}

interface Page {
  items: CallSummary[];
  next?: string;
}

const newestFirst = (a: CallSummary, b: CallSummary) => b.created - a.created || (a.call_id < b.call_id ? 1 : -1);

export function ResultBadge({ s }: { s: Pick<CallSummary, 'result' | 'error_code' | 'error_message'> }) {
  const info = resultInfo(s.result);
  const title = s.error_message ? `${s.error_code ? `${s.error_code}: ` : ''}${s.error_message}` : undefined;
  return (
    <span className={`badge ${info.badge}`} title={title}>
      {info.label}
    </span>
  );
}

export function LiveIndicator({ state }: { state: LiveState }) {
  const text = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Reconnecting…';
  return (
    <span
      className={`ld-live ld-live-${state}`}
      role="status"
      title={state === 'live' ? 'New calls appear as they happen' : 'The live event stream is not connected'}
    >
      <span className="ld-live-dot" aria-hidden="true" />
      {text}
    </span>
  );
}

/** Today's calls by their time; older ones with their date too. */
function clock(ms: number): string {
  const d = new Date(ms);
  const today = new Date().toDateString() === d.toDateString();
  return today
    ? d.toLocaleTimeString(undefined, { timeStyle: 'medium' })
    : d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
}

function statusText(s: CallSummary): string {
  const code = s.last_status_code ?? s.status_code;
  return code === undefined ? '—' : String(code);
}

function FilterBar({ filters, actions }: { filters: Filters; actions: Callflow[] | undefined }) {
  const [number, setNumber] = useState(filters.number);
  const set = useCallback((patch: Partial<Filters>) => {
    const next = { ...filtersOf(new URLSearchParams(window.location.search)), ...patch };
    navigate(`/debug${queryOf(next)}`, { replace: true });
  }, []);
  // The number is typed: the URL (and the request) follow once typing pauses.
  useEffect(() => {
    if (number === filters.number) return;
    const t = setTimeout(() => set({ number }), 350);
    return () => clearTimeout(t);
  }, [number, filters.number, set]);
  useEffect(() => setNumber(filters.number), [filters.number]);
  const pick = (key: keyof Filters) => (e: ChangeEvent<HTMLSelectElement | HTMLInputElement>) =>
    set({ [key]: e.target.value });
  const actionKnown = !filters.action || actions?.some((a) => a.id === filters.action);

  return (
    <form className="ld-filters" role="search" aria-label="Filter calls" onSubmit={(e) => e.preventDefault()}>
      <label className="ld-filter">
        <span>Action</span>
        <select value={filters.action} onChange={pick('action')}>
          <option value="">All actions</option>
          {!actionKnown ? <option value={filters.action}>{shortId(filters.action)}</option> : null}
          {(actions ?? []).map((a) => (
            <option key={a.id} value={a.id}>
              {a.name || a.numbers?.join(', ') || a.id}
            </option>
          ))}
        </select>
      </label>
      <label className="ld-filter">
        <span>Number</span>
        <input
          type="search"
          inputMode="tel"
          placeholder="Caller or number dialled"
          value={number}
          onChange={(e) => setNumber(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') set({ number });
          }}
        />
      </label>
      <label className="ld-filter">
        <span>Status</span>
        <select value={filters.status} onChange={pick('status')}>
          <option value="">All statuses</option>
          <option value="error">Any error</option>
          {RESULTS.map((r) => (
            <option key={r.value} value={r.value}>
              {r.label}
            </option>
          ))}
        </select>
      </label>
      <label className="ld-filter">
        <span>Time</span>
        <select value={filters.since} onChange={pick('since')}>
          {TIME_PRESETS.map((p) => (
            <option key={p.value} value={p.value}>
              {p.label}
            </option>
          ))}
        </select>
      </label>
      {filters.since === 'custom' ? (
        <>
          <label className="ld-filter">
            <span>From</span>
            <input type="datetime-local" value={filters.from} onChange={pick('from')} />
          </label>
          <label className="ld-filter">
            <span>To</span>
            <input type="datetime-local" value={filters.to} onChange={pick('to')} />
          </label>
        </>
      ) : null}
      {hasFilters(filters) ? (
        <Button variant="ghost" className="ld-clear" onClick={() => navigate('/debug', { replace: true })}>
          Clear filters
        </Button>
      ) : null}
    </form>
  );
}

export function CallList() {
  const { accountId, base } = useAccount();
  const { query } = useLocation();
  const filters = filtersOf(query);
  const qs = queryOf(filters);
  const filtersRef = useRef(filters);
  filtersRef.current = filters;

  const list = useLoad<Page>(
    async (signal) => {
      const env = await request<CallSummary[]>('GET', `${base}/pivot/debug`, {
        query: { ...apiQuery(filtersRef.current, Date.now()), page_size: PAGE },
        signal,
      });
      return { items: env.data ?? [], next: env.next_start_key };
    },
    [base, qs],
  );
  const items = list.data?.items ?? [];
  const itemsRef = useRef(items);
  itemsRef.current = items;
  const actions = useLoad(() => listAll<Callflow>(`${base}/callflows`, { 'filter_flow.module': 'pivot' }), [base]);

  const [older, setOlder] = useState<{ busy: boolean; error?: Error }>({ busy: false });
  const loadOlder = async () => {
    const next = list.data?.next;
    if (!next) return;
    setOlder({ busy: true });
    try {
      const env = await request<CallSummary[]>('GET', `${base}/pivot/debug`, {
        query: { ...apiQuery(filters, Date.now()), page_size: PAGE, start_key: next },
      });
      list.setData((old) => {
        const have = new Set((old?.items ?? []).map((s) => s.call_id));
        return {
          items: [...(old?.items ?? []), ...(env.data ?? []).filter((s) => !have.has(s.call_id))],
          next: env.next_start_key,
        };
      });
      setOlder({ busy: false });
    } catch (err) {
      setOlder({ busy: false, error: err as Error });
    }
  };

  // Lines that just arrived or changed, highlighted for a moment.
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const flash = (id: string) => {
    setFresh((f) => new Set(f).add(id));
    setTimeout(
      () =>
        setFresh((f) => {
          const n = new Set(f);
          n.delete(id);
          return n;
        }),
      2500,
    );
  };

  const onEvent = (e: LiveEvent) => {
    if (e.account_id !== accountId) return;
    const callId = String(e.data.call_id ?? '');
    if (!callId) return;
    if (e.name === 'pivot.debug') {
      // The event carries the call's line as GET /pivot/debug has it: it replaces (or adds) the call's line, if the
      // filters still want it.
      const d = e.data as unknown as DebugEventData;
      const prev = itemsRef.current.find((s) => s.call_id === callId);
      const next = lineOfEvent(prev, d);
      if (!next) return;
      if (matchesFilters(next, filtersRef.current, Date.now())) flash(callId);
      list.setData((old) => {
        const items = old?.items ?? [];
        const line = lineOfEvent(
          items.find((s) => s.call_id === callId),
          d,
        )!;
        const rest = items.filter((s) => s.call_id !== callId);
        if (!matchesFilters(line, filtersRef.current, Date.now())) return { ...old, items: rest };
        return { ...old, items: [line, ...rest].sort(newestFirst) };
      });
      return;
    }
    list.setData((old) => {
      const items = old?.items ?? [];
      if (!items.some((s) => s.call_id === callId)) return old ?? { items };
      return { ...old, items: items.map((s) => (s.call_id === callId ? { ...s, live: e.name !== 'call.ended' } : s)) };
    });
  };
  const live = useLiveEvents(accountId, 'pivot.debug,call.*', onEvent);
  // Back after the stream dropped: what happened meanwhile is read again.
  const was = useRef(live);
  const reload = list.reload;
  useEffect(() => {
    if (was.current === 'offline' && live === 'live') reload();
    was.current = live;
  }, [live, reload]);

  const open = (s: CallSummary) => `/debug/${encodeURIComponent(s.call_id)}${qs}`;

  return (
    <div className="live-debug">
      <PageHeader
        title="Live Debug"
        subtitle="Every Pivot request of recent calls: what was sent, what came back, and what ran."
        actions={<LiveIndicator state={live} />}
      />
      <FilterBar filters={filters} actions={actions.data} />
      {actions.error ? (
        <ErrorBanner
          title="The actions for the filter could not be loaded"
          error={actions.error}
          onRetry={actions.reload}
        />
      ) : null}
      {list.error ? <ErrorBanner title="Calls could not be loaded" error={list.error} onRetry={list.reload} /> : null}
      {list.loading && !list.data ? (
        <Loading what="calls" />
      ) : !list.error && items.length === 0 ? (
        hasFilters(filters) ? (
          <EmptyState
            title="No calls match these filters"
            action={
              <Button variant="primary" onClick={() => navigate('/debug', { replace: true })}>
                Clear filters
              </Button>
            }
          >
            Calls that match appear here as they happen. Clear the filters to see every call.
          </EmptyState>
        ) : (
          <EmptyState
            title="No Pivot requests yet"
            action={
              <Link to="/" className="btn btn-primary">
                Open the Pivot Manager
              </Link>
            }
          >
            No Pivot requests yet — calls to an action with debug on appear here as they happen. Turn debug on for an
            action in the Pivot Manager, then call one of its numbers.
          </EmptyState>
        )
      ) : items.length ? (
        <>
          <div className="table-wrap ld-table-wrap">
            <table className="table ld-calls">
              <caption className="sr-only">Recent calls that made Pivot requests, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Call</th>
                  <th scope="col">From → To</th>
                  <th scope="col">Action</th>
                  <th scope="col">Iterations</th>
                  <th scope="col">Last status</th>
                  <th scope="col">Webhook time</th>
                  <th scope="col">Result</th>
                  <th scope="col">
                    <span className="sr-only">Details</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((s) => (
                  <tr
                    key={s.call_id}
                    className={`clickable${fresh.has(s.call_id) ? ' ld-fresh' : ''}`}
                    data-call-id={s.call_id}
                    onClick={() => void leaveTo(open(s))}
                  >
                    <td data-label="Time" className="ld-time">
                      <span>
                        <time dateTime={new Date(s.created).toISOString()} title={formatTime(s.created)}>
                          {clock(s.created)}
                        </time>
                        {s.live ? (
                          <span className="ld-in-call" title="The call is still up">
                            in call
                          </span>
                        ) : null}
                      </span>
                    </td>
                    <td data-label="Call">
                      <span className="mono" title={s.call_id}>
                        {shortId(s.call_id, 14)}
                      </span>
                    </td>
                    <td data-label="From → To" className="ld-nowrap">
                      <span className="mono">
                        {s.from_number || '—'} → {s.to_number || '—'}
                      </span>
                    </td>
                    <td data-label="Action">
                      {s.callflow_name ? (
                        s.callflow_name
                      ) : (
                        <span className="muted" title={s.uri}>
                          {shortUrl(s.uri) || '—'}
                        </span>
                      )}
                    </td>
                    <td data-label="Iterations">{s.iterations}</td>
                    <td data-label="Last status">
                      <span className={`ld-status${(s.last_status_code ?? 200) >= 300 ? ' ld-status-bad' : ''}`}>
                        {statusText(s)}
                      </span>
                    </td>
                    <td data-label="Webhook time">{formatMs(s.duration_ms)}</td>
                    <td data-label="Result">
                      <ResultBadge s={s} />
                    </td>
                    <td className="actions">
                      <Link
                        to={open(s)}
                        className="btn btn-secondary ld-view"
                        aria-label={`View details of call ${s.call_id}`}
                        onClick={(e) => e.stopPropagation()}
                      >
                        View details
                      </Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="ld-more">
            {older.error ? (
              <ErrorBanner title="Older calls could not be loaded" error={older.error} onRetry={loadOlder} />
            ) : null}
            {list.data?.next ? (
              <Button onClick={() => void loadOlder()} busy={older.busy}>
                Load older calls
              </Button>
            ) : (
              <span className="muted">
                {items.length} call{items.length === 1 ? '' : 's'}
                {list.loading ? (
                  <>
                    {' '}
                    <Spinner small label="Refreshing" />
                  </>
                ) : null}
              </span>
            )}
          </div>
        </>
      ) : null}
    </div>
  );
}
