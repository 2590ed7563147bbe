// One call in Live Debug: each iteration in order — the request sent (method, full URL, headers with the signatures,
// parameters, raw body), the response (status, headers, duration, body pretty-printed and highlighted), errors with
// line, column and Twilio-style code, and the verbs or modules that ran — with "Copy as cURL" and "Replay request"
// per request (the replay's answer is shown beside the original). It follows the call live: new records appear
// as they are stored, and a call that has made no request yet is waited for.

import { useEffect, useRef, useState } from 'react';
import { api, type ApiError } from '../api/client';
import { useLiveEvents } from '../api/events';
import { useLoad } from '../api/hooks';
import { useAccount } from '../api/session';
import { Button, EmptyState, ErrorBanner, Loading, Modal, formatTime, useToast } from '../components/ui';
import { Link } from '../router';
import { LiveIndicator, ResultBadge } from './CallList';
import { curlCommand } from './curl';
import { Executed } from './executed';
import { detectLang, prettyJson, prettyXml } from './format';
import { CodeView } from './highlight';
import {
  SIGNATURE_HEADERS,
  callContext,
  explainCode,
  formatBytes,
  formatMs,
  groupIterations,
  headerValue,
  isSoftError,
  iterationResult,
  requestParams,
  resultInfo,
  type DebugError,
  type DebugRecord,
  type Iteration,
  type ReplayResult,
  type Result,
} from './model';

function HeadersTable({ headers, caption }: { headers: Record<string, string> | undefined; caption: string }) {
  const entries = Object.entries(headers ?? {});
  if (!entries.length) return <p className="muted">No headers recorded.</p>;
  return (
    <table className="ld-kv">
      <caption className="sr-only">{caption}</caption>
      <tbody>
        {entries.map(([k, v]) => {
          const signature = SIGNATURE_HEADERS.includes(k.toLowerCase());
          return (
            <tr key={k} className={signature ? 'ld-signature' : undefined}>
              <th scope="row">
                {k}
                {signature ? <span className="badge badge-info ld-sig-badge">signature</span> : null}
              </th>
              <td className="mono">{v}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** A body, pretty-printed when it parses (raw when an error points into it, so its line and column are right). */
function BodyView({
  body,
  contentType,
  mark,
  label,
}: {
  body: string | undefined;
  contentType?: string;
  mark?: { line: number; column?: number; message?: string };
  label: string;
}) {
  const text = body ?? '';
  const lang = detectLang(text, contentType);
  const pretty = lang === 'json' ? prettyJson(text) : lang === 'xml' ? prettyXml(text) : undefined;
  const [raw, setRaw] = useState(!!mark || pretty === undefined);
  if (!text) return <p className="muted">Empty body.</p>;
  const canPretty = pretty !== undefined && pretty !== text;
  return (
    <div className="ld-body">
      {canPretty ? (
        <div className="ld-body-tools" role="group" aria-label={`${label} view`}>
          <button type="button" className="ld-toggle" aria-pressed={!raw} onClick={() => setRaw(false)}>
            Pretty
          </button>
          <button type="button" className="ld-toggle" aria-pressed={raw} onClick={() => setRaw(true)}>
            Raw
          </button>
          <span className="muted">{formatBytes(text)}</span>
        </div>
      ) : (
        <div className="ld-body-tools">
          <span className="muted">{formatBytes(text)}</span>
        </div>
      )}
      <CodeView text={raw || !canPretty ? text : pretty!} lang={lang} mark={raw ? mark : undefined} label={label} />
    </div>
  );
}

function CodeLink({ code }: { code: number | string | undefined }) {
  if (code === undefined || code === '') return null;
  const known = explainCode(code);
  return (
    <a className="ld-code" href={`#code-${code}`} title={known ? `${known.title}: ${known.text}` : undefined}>
      {code}
    </a>
  );
}

function ErrorItem({ e }: { e: DebugError }) {
  const known = explainCode(e.code);
  const soft = isSoftError(e);
  return (
    <li className={soft ? 'ld-error ld-error-soft' : 'ld-error'}>
      <div className="ld-error-head">
        <span className={`badge ${soft ? 'badge-warn' : 'badge-bad'}`}>{soft ? 'warning' : (e.type ?? 'error')}</span>
        <CodeLink code={e.code} />
        {known ? <strong>{known.title}</strong> : null}
        {e.line ? (
          <span className="ld-pos">
            line {e.line}
            {e.column ? `, column ${e.column}` : ''}
          </span>
        ) : null}
      </div>
      <div className="ld-error-msg">{e.message}</div>
    </li>
  );
}

type ReplayState = { busy: boolean; error?: ApiError; result?: ReplayResult };

function ReplayPanel({ state }: { state: ReplayState }) {
  if (state.busy && !state.result) return <Loading what="the replay" />;
  if (state.error) return <ErrorBanner title="The request could not be replayed" error={state.error} />;
  const r = state.result;
  if (!r) return null;
  const e = r.error;
  return (
    <section className="ld-panel ld-replay" aria-label="Replay response">
      <h4>
        Replay <span className="muted">at {formatTime(r.replayed_at)}</span>
      </h4>
      <p className="ld-resline">
        {r.response ? <StatusBadge status={r.response.status} /> : <span className="badge badge-bad">no response</span>}
        <span>{formatMs(r.response?.duration_ms ?? r.duration_ms)}</span>
        {r.response?.content_type ? <span className="muted mono">{r.response.content_type}</span> : null}
      </p>
      {e ? (
        <ul className="ld-errors">
          <ErrorItem e={e} />
        </ul>
      ) : (
        <p className="ld-replay-ok">The document is usable.</p>
      )}
      {r.notes.map((n) => (
        <p key={n} className="hint">
          {n}
        </p>
      ))}
      {r.response ? (
        <>
          <details>
            <summary>Headers ({Object.keys(r.response.headers).length})</summary>
            <HeadersTable headers={r.response.headers} caption="Replay response headers" />
          </details>
          <BodyView
            key={r.replayed_at}
            body={r.response.body}
            contentType={r.response.content_type}
            mark={e?.line ? { line: e.line, column: e.column, message: e.message } : undefined}
            label="Replay response body"
          />
        </>
      ) : null}
    </section>
  );
}

function StatusBadge({ status }: { status: number | undefined }) {
  if (status === undefined) return <span className="badge">—</span>;
  return <span className={`badge ${status >= 200 && status < 300 ? 'badge-ok' : 'badge-bad'}`}>HTTP {status}</span>;
}

function IterationCard({ it, callId }: { it: Iteration; callId: string }) {
  const { base } = useAccount();
  const toast = useToast();
  const req = it.request;
  const res = it.response;
  const result: Result = iterationResult(it);
  const info = resultInfo(result);
  const [curl, setCurl] = useState<string>();
  const [replay, setReplay] = useState<ReplayState>({ busy: false });
  const firstError = it.errors.find((e) => !isSoftError(e.error))?.error;
  const params = req ? requestParams(req) : [];
  const title = it.cdr ? 'CDR post' : `Iteration ${it.iteration}`;
  const headingId = `it-${it.index}`;

  const copyCurl = async () => {
    if (!req) return;
    const text = curlCommand(req);
    try {
      await navigator.clipboard.writeText(text);
      toast('cURL command copied to the clipboard');
    } catch {
      setCurl(text); // no clipboard here (permissions, insecure page): show it to copy by hand
    }
  };
  const runReplay = async () => {
    if (!req) return;
    setReplay((r) => ({ ...r, busy: true, error: undefined }));
    try {
      const result = await api.post<ReplayResult>(`${base}/pivot/debug/${encodeURIComponent(callId)}/replay`, {
        id: req.id,
      });
      setReplay({ busy: false, result });
    } catch (err) {
      setReplay({ busy: false, error: err as ApiError });
    }
  };

  return (
    <section className="ld-iteration" aria-labelledby={headingId}>
      <header className="ld-it-head">
        <h2 id={headingId}>
          {title}
          {req ? (
            <span className="ld-it-sub">
              <span className="ld-method">{(req.method ?? '').toUpperCase()}</span>
              <span className="mono">{req.uri}</span>
            </span>
          ) : null}
        </h2>
        <div className="ld-it-meta">
          {res ? <StatusBadge status={res.resp_status_code} /> : null}
          {res?.duration_ms !== undefined ? <span>{formatMs(res.duration_ms)}</span> : null}
          <span className={`badge ${info.badge}`}>{info.label}</span>
          <span className="muted">{formatTime(req?.created ?? it.errors[0]?.created ?? it.executed[0]?.created)}</span>
        </div>
      </header>

      {req ? (
        <section className="ld-panel" aria-label={`${title} request`}>
          <div className="ld-panel-head">
            <h3>Request</h3>
            <div className="ld-panel-actions">
              <Button onClick={() => void copyCurl()}>Copy as cURL</Button>
              <Button onClick={() => void runReplay()} busy={replay.busy}>
                Replay request
              </Button>
            </div>
          </div>
          <p className="ld-reqline">
            <span className="ld-method">{(req.method ?? '').toUpperCase()}</span>
            <span className="mono ld-url">{req.uri}</span>
          </p>
          {req.redirects?.length ? <p className="hint">Redirected from {req.redirects.join(' → ')}</p> : null}
          {params.length ? (
            <>
              <h4>Parameters ({params.length})</h4>
              <div className="ld-scroll">
                <table className="ld-kv ld-params">
                  <caption className="sr-only">{title} request parameters</caption>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Value</th>
                    </tr>
                  </thead>
                  <tbody>
                    {params.map(([k, v], i) => (
                      <tr key={`${k}-${i}`}>
                        <th scope="row" className="mono">
                          {k}
                        </th>
                        <td className="mono">{v}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          ) : null}
          <details open>
            <summary>Headers ({Object.keys(req.req_headers ?? {}).length})</summary>
            <HeadersTable headers={req.req_headers} caption={`${title} request headers`} />
          </details>
          {req.req_body ? (
            <details>
              <summary>Raw body ({formatBytes(req.req_body)})</summary>
              <CodeView text={req.req_body} lang="text" label={`${title} raw request body`} />
            </details>
          ) : null}
        </section>
      ) : null}

      <div className={replay.result || replay.busy || replay.error ? 'ld-compare' : undefined}>
        {res ? (
          <section className="ld-panel" aria-label={`${title} response`}>
            <h3>Response{replay.result || replay.busy || replay.error ? ' (original)' : ''}</h3>
            <p className="ld-resline">
              <StatusBadge status={res.resp_status_code} />
              <span>{formatMs(res.duration_ms)}</span>
              {headerValue(res.resp_headers, 'content-type') ? (
                <span className="muted mono">{headerValue(res.resp_headers, 'content-type')}</span>
              ) : null}
            </p>
            <details>
              <summary>Headers ({Object.keys(res.resp_headers ?? {}).length})</summary>
              <HeadersTable headers={res.resp_headers} caption={`${title} response headers`} />
            </details>
            <BodyView
              body={res.resp_body}
              contentType={headerValue(res.resp_headers, 'content-type')}
              mark={
                firstError?.line
                  ? { line: firstError.line, column: firstError.column, message: firstError.message }
                  : undefined
              }
              label={`${title} response body`}
            />
          </section>
        ) : req ? (
          <section className="ld-panel" aria-label={`${title} response`}>
            <h3>Response</h3>
            <p className="muted">No response: {firstError?.message ?? 'the request did not complete'}.</p>
          </section>
        ) : null}
        {replay.result || replay.busy || replay.error ? <ReplayPanel state={replay} /> : null}
      </div>

      {it.errors.length ? (
        <section className="ld-panel" aria-label={`${title} errors`}>
          <h3>Errors</h3>
          <ul className="ld-errors">
            {it.errors.map((r) => (
              <ErrorItem key={r.id} e={r.error ?? { message: 'error' }} />
            ))}
          </ul>
        </section>
      ) : null}

      {it.executed.length ? (
        <section className="ld-panel" aria-label={`${title} executed`}>
          <h3>Executed</h3>
          <Executed records={it.executed} />
        </section>
      ) : null}

      <Modal title="cURL command" open={curl !== undefined} onClose={() => setCurl(undefined)} wide>
        <p className="muted">The clipboard is not available here: select the command and copy it.</p>
        <textarea
          className="ld-curl"
          readOnly
          aria-label="cURL command"
          value={curl ?? ''}
          rows={8}
          onFocus={(e) => e.currentTarget.select()}
        />
      </Modal>
    </section>
  );
}

function CodesGlossary({ records }: { records: DebugRecord[] }) {
  const codes = [...new Set(records.map((r) => r.error?.code).filter((c) => c !== undefined && c !== ''))].map(String);
  if (!codes.length) return null;
  return (
    <section className="ld-panel ld-glossary" aria-labelledby="ld-codes">
      <h2 id="ld-codes">Error codes on this page</h2>
      <dl>
        {codes.map((c) => {
          const known = explainCode(c);
          return (
            <div key={c} id={`code-${c}`} tabIndex={-1}>
              <dt>
                <span className="mono">{c}</span> {known?.title ?? 'Error'}
              </dt>
              <dd>
                {known?.text ?? 'See the error message above.'}{' '}
                <a href={`https://www.twilio.com/docs/api/errors/${c}`} target="_blank" rel="noreferrer noopener">
                  Twilio's description of {c}
                </a>
              </dd>
            </div>
          );
        })}
      </dl>
    </section>
  );
}

export function CallDetails({ callId }: { callId: string }) {
  const { accountId, base } = useAccount();
  const path = `${base}/pivot/debug/${encodeURIComponent(callId)}`;
  const records = useLoad((signal) => api.get<DebugRecord[]>(path, { signal }), [path]);
  const [live, setLive] = useState<boolean>();
  const heading = useRef<HTMLHeadingElement>(null);
  const reloadTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const reload = records.reload;

  useEffect(() => heading.current?.focus(), [callId]);
  useEffect(() => () => clearTimeout(reloadTimer.current), []);

  const stream = useLiveEvents(accountId, 'pivot.debug,call.*', (e) => {
    if (e.account_id !== accountId || e.data.call_id !== callId) return;
    if (e.name === 'pivot.debug') {
      clearTimeout(reloadTimer.current);
      reloadTimer.current = setTimeout(reload, 250);
    } else {
      setLive(e.name !== 'call.ended');
    }
  });

  const back = `/debug${window.location.search}`;
  const data = records.data ?? [];
  const its = groupIterations(data);
  const ctx = callContext(data);
  const webhookMs = data.reduce((sum, r) => sum + (r.kind === 'response' ? (r.duration_ms ?? 0) : 0), 0);
  const requests = data.filter((r) => r.kind === 'request').length;
  const stop = data.find((r) => r.kind === 'error' && !isSoftError(r.error))?.error;
  const warned = data.some((r) => r.kind === 'error');
  const summary = {
    result: (stop
      ? its.map(iterationResult).find((r) => r !== 'ok' && r !== 'warning')
      : warned
        ? 'warning'
        : 'ok') as Result,
    error_code: typeof stop?.code === 'number' ? stop.code : undefined,
    error_message: stop?.message,
  };
  const missing = records.error?.status === 404;

  return (
    <div className="live-debug">
      <p className="ld-back">
        <Link to={back}>← All calls</Link>
      </p>
      <header className="page-header">
        <div>
          <h1 ref={heading} tabIndex={-1}>
            Call details
          </h1>
          <p className="muted mono ld-callid">{callId}</p>
        </div>
        <div className="page-actions">
          {live ? <span className="badge badge-info">Call in progress</span> : null}
          <LiveIndicator state={stream} />
        </div>
      </header>

      {records.error && !missing ? (
        <ErrorBanner title="The call's records could not be loaded" error={records.error} onRetry={reload} />
      ) : null}
      {records.loading && !records.data && !records.error ? <Loading what="the call's requests" /> : null}
      {missing && !records.data ? (
        <EmptyState title="No Pivot requests for this call yet" action={<Link to={back}>Back to all calls</Link>}>
          This page follows the call: its requests appear here as soon as it makes them. Only actions with debug on keep
          every request (failures are always kept).
        </EmptyState>
      ) : null}

      {data.length ? (
        <>
          <dl className="ld-summary">
            <div>
              <dt>Started</dt>
              <dd>{formatTime(data[0].created)}</dd>
            </div>
            <div>
              <dt>From → To</dt>
              <dd className="mono">
                {ctx.from_number || '—'} → {ctx.to_number || '—'}
              </dd>
            </div>
            <div>
              <dt>Action</dt>
              <dd>{ctx.callflow_name ?? <span className="muted">—</span>}</dd>
            </div>
            <div>
              <dt>Requests</dt>
              <dd>{requests}</dd>
            </div>
            <div>
              <dt>Webhook time</dt>
              <dd>{formatMs(webhookMs)}</dd>
            </div>
            <div>
              <dt>Result</dt>
              <dd>
                <ResultBadge s={summary} />
              </dd>
            </div>
          </dl>
          {its.map((it) => (
            <IterationCard key={`${it.index}-${it.request?.id ?? it.errors[0]?.id ?? ''}`} it={it} callId={callId} />
          ))}
          <CodesGlossary records={data} />
        </>
      ) : null}
    </div>
  );
}
