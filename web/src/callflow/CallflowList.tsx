// The account's callflows: search by name or number, open one in the editor, add one, delete one.

import { useState } from 'react';
import { api, listAll } from '../api/client';
import { useLoad } from '../api/hooks';
import { useAccount } from '../api/session';
import { Button, EmptyState, ErrorBanner, Loading, PageHeader, useConfirm, useToast } from '../components/ui';
import { Link, navigate } from '../router';
import { actionFor } from './catalog';
import type { CallflowDoc } from './Editor';
import './callflow.css';

function countNodes(flow: unknown): number {
  if (!flow || typeof flow !== 'object') return 0;
  const children = (flow as { children?: Record<string, unknown> }).children;
  return 1 + Object.values(children ?? {}).reduce<number>((n, c) => n + countNodes(c), 0);
}

export function CallflowList() {
  const { base } = useAccount();
  const confirm = useConfirm();
  const toast = useToast();
  const [query, setQuery] = useState('');
  const list = useLoad(() => listAll<CallflowDoc>(`${base}/callflows`), [base]);

  const q = query.trim().toLowerCase();
  const digits = q.replace(/[^0-9+]/g, '');
  const rows = (list.data ?? [])
    .filter(
      (cf) =>
        !q ||
        (cf.name ?? '').toLowerCase().includes(q) ||
        (cf.numbers ?? []).some((n) => n.toLowerCase().includes(q) || (digits.length > 1 && n.includes(digits))),
    )
    .sort((a, b) => (a.name || a.numbers?.[0] || '').localeCompare(b.name || b.numbers?.[0] || ''));

  const remove = async (cf: CallflowDoc) => {
    const ok = await confirm({
      title: 'Delete this callflow?',
      message: `“${cf.name || cf.numbers?.[0] || cf.id}” will be deleted; calls to its numbers will no longer be answered by it.`,
      confirm: 'Delete',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.del(`${base}/callflows/${encodeURIComponent(String(cf.id))}`);
      toast('Callflow deleted');
      list.setData((old) => (old ?? []).filter((x) => x.id !== cf.id));
    } catch (err) {
      toast(`Could not delete: ${(err as Error).message}`, 'error');
    }
  };

  const add = (
    <Button variant="primary" onClick={() => navigate('/callflows/new')}>
      + Add callflow
    </Button>
  );

  return (
    <div>
      <PageHeader
        title="Callflows"
        subtitle="What happens to a call to each number: ring users and devices, play prompts, ask your web server (Pivot)…"
        actions={add}
      />
      {list.error ? (
        <ErrorBanner error={list.error} onRetry={list.reload} title="Could not load the callflows" />
      ) : null}
      {list.loading && !list.data ? <Loading what="callflows" /> : null}
      {list.data && list.data.length === 0 ? (
        <EmptyState title="No callflows yet" action={add}>
          A callflow routes the calls to its numbers through a flow of actions you draw: add one, give it a number, then
          drag actions into it.
        </EmptyState>
      ) : null}
      {list.data && list.data.length > 0 ? (
        <>
          <div className="toolbar">
            <input
              type="search"
              className="search"
              aria-label="Search callflows"
              placeholder="Search by name or number"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
            />
            <span className="muted" aria-live="polite">
              {rows.length} of {list.data.length}
            </span>
          </div>
          {rows.length === 0 ? (
            <EmptyState title="No callflow matches">
              Nothing has “{query}” in its name or numbers.{' '}
              <Button onClick={() => setQuery('')}>Clear the search</Button>
            </EmptyState>
          ) : (
            <div className="table-wrap">
              <table className="table cf-list">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Numbers</th>
                    <th className="hide-narrow">Starts with</th>
                    <th className="actions">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((cf) => {
                    const flow = cf.flow as { module?: string; data?: Record<string, unknown> } | undefined;
                    const first = flow?.module ? actionFor(flow.module, flow.data ?? {}).label : '—';
                    const count = countNodes(cf.flow);
                    return (
                      <tr key={cf.id}>
                        <td>
                          <Link to={`/callflows/${encodeURIComponent(String(cf.id))}`}>
                            {cf.name || <span className="muted">Unnamed</span>}
                          </Link>
                        </td>
                        <td>
                          {(cf.numbers ?? []).length ? (
                            <span className="cf-list-numbers">
                              {(cf.numbers ?? []).map((n) => (
                                <span key={n} className="mono">
                                  {n}
                                </span>
                              ))}
                            </span>
                          ) : (
                            <span className="muted">
                              {(cf.patterns as string[] | undefined)?.length ? 'patterns' : 'none'}
                            </span>
                          )}
                        </td>
                        <td className="hide-narrow">
                          {first}
                          {count > 1 ? <span className="muted"> + {count - 1} more</span> : null}
                          {flow?.module === 'pivot' ? (
                            <span className="badge badge-info cf-badge">Pivot action</span>
                          ) : null}
                        </td>
                        <td className="actions">
                          <Button
                            variant="ghost"
                            aria-label={`Delete ${cf.name || cf.numbers?.[0] || 'callflow'}`}
                            onClick={() => void remove(cf)}
                          >
                            Delete
                          </Button>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
        </>
      ) : null}
    </div>
  );
}
