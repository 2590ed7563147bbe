import { DbConstraintError, type Db, type SqlValue } from './db.js';
import { NotFoundError, ValidationError } from './errors.js';
import { newId } from './ids.js';
import type {
  Page,
  PivotCallSummary,
  PivotDebugInput,
  PivotDebugKind,
  PivotDebugListOptions,
  PivotDebugRecord,
  PivotDebugRepo,
  PivotDebugResult,
} from './types.js';
import { checkLimit, decodeKey, encodeKey, num, parseBody, withoutKeys } from './util.js';
import type { WriteBatch } from './write-batch.js';

// Pivot debug records (spec §8). Each insert also folds the record into pivot_debug_calls, one row per call,
// with single-statement updates (CASE/COALESCE) so concurrent writers on PostgreSQL stay correct.

const KINDS: readonly PivotDebugKind[] = ['request', 'response', 'error', 'execution', 'cdr_request', 'cdr_response'];
const COLUMNS = ['id', 'account_id', 'call_id', 'iteration', 'kind', 'created'] as const;

interface RecordRow {
  id: string;
  account_id: string;
  call_id: string;
  iteration: number | string;
  kind: string;
  created: number | string;
  doc: string;
}

interface CallRow {
  call_id: string;
  created: number | string;
  uri: string | null;
  status_code: number | string | null;
  node: string | null;
  first_iteration: number | string;
  iterations: number | string;
  duration_ms: number | string;
  has_schema_errors: number | string;
  has_json_errors: number | string;
  has_errors: number | string;
  last_created: number | string;
  from_number: string | null;
  to_number: string | null;
  callflow_id: string | null;
  callflow_name: string | null;
  last_status_code: number | string | null;
  error_code: number | string | null;
  error_type: string | null;
  error_message: string | null;
  has_warnings: number | string;
}

/** Error records that do not stop a request: a warning, a status callback that failed. */
const SOFT_ERRORS = ['warning', 'callback'];

/** The Live Debug result of a call from its first stopping error (`type`), or its warnings. */
export function resultOf(errorType: string | undefined, hasWarnings: boolean): PivotDebugResult {
  switch (errorType) {
    case undefined:
      return hasWarnings ? 'warning' : 'ok';
    case 'timeout':
      return 'timeout';
    case 'xml':
      return 'invalid_xml';
    case 'json':
      return 'invalid_json';
    case 'schema':
    case 'twiml':
      return 'schema_error';
    case 'runtime':
      return 'runtime_error';
    default:
      // http, connect, dns, policy, and anything else that kept Pivot from getting a document
      return 'http_error';
  }
}

/** A numeric error code, or null (codes are Twilio's numbers; a record may carry a string). */
function codeOf(code: unknown): number | null {
  const n = typeof code === 'number' ? code : typeof code === 'string' && code.trim() !== '' ? Number(code) : NaN;
  return Number.isInteger(n) ? n : null;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** Kazoo's debug id: the UTC month of the call's first record, then the call id. */
export function debugId(created: number, callId: string): string {
  const d = new Date(created);
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}-${callId}`;
}

/**
 * A call's Live Debug line with one more record folded in, exactly as `add` folds it into pivot_debug_calls (the live
 * event hub keeps lines this way without reading the store back).
 */
export function foldRecord(prev: PivotCallSummary | undefined, r: PivotDebugRecord): PivotCallSummary {
  const s: PivotCallSummary = prev
    ? { ...prev }
    : {
        call_id: r.call_id,
        created: r.created,
        debug_id: debugId(r.created, r.call_id),
        iteration: r.iteration,
        iterations: r.iteration,
        duration_ms: 0,
        has_schema_errors: false,
        has_json_errors: false,
        has_errors: false,
        last_created: r.created,
        has_warnings: false,
        result: 'ok',
      };
  if (r.created < s.created) {
    s.created = r.created;
    s.debug_id = debugId(r.created, r.call_id);
  }
  s.last_created = Math.max(s.last_created, r.created);
  s.iteration = Math.min(s.iteration, r.iteration);
  s.iterations = Math.max(s.iterations, r.iteration);
  if (typeof r.duration_ms === 'number') s.duration_ms += Math.round(r.duration_ms);
  if (r.schema_errors != null || r.error?.type === 'schema') s.has_schema_errors = true;
  if (r.json_errors != null || r.error?.type === 'json') s.has_json_errors = true;
  if (s.uri === undefined && r.kind === 'request' && typeof r.uri === 'string') s.uri = r.uri;
  if (r.kind === 'response' && typeof r.resp_status_code === 'number') {
    s.status_code ??= r.resp_status_code;
    s.last_status_code = r.resp_status_code;
  }
  if (s.node === undefined && typeof r.node === 'string') s.node = r.node;
  for (const key of ['from_number', 'to_number', 'callflow_id', 'callflow_name'] as const) {
    const v = text(r[key]);
    if (s[key] === undefined && v !== null) s[key] = v;
  }
  if (r.kind === 'error') {
    s.has_errors = true;
    const type = r.error?.type ?? 'http';
    if (SOFT_ERRORS.includes(type)) s.has_warnings = true;
    else if (s.error_type === undefined) {
      const code = codeOf(r.error?.code);
      if (code !== null) s.error_code = code;
      s.error_message = text(r.error?.message) ?? '';
      s.error_type = type;
    }
  }
  s.result = resultOf(s.error_type, s.has_warnings);
  return s;
}

const RECORD_SELECT = 'SELECT id, account_id, call_id, iteration, kind, created, doc FROM pivot_debug';

function fromRecordRow(row: RecordRow): PivotDebugRecord {
  return {
    ...parseBody(row.doc),
    id: row.id,
    account_id: row.account_id,
    call_id: row.call_id,
    iteration: num(row.iteration),
    kind: row.kind as PivotDebugKind,
    created: num(row.created),
  };
}

function fromCallRow(row: CallRow): PivotCallSummary {
  const created = num(row.created);
  const hasWarnings = num(row.has_warnings) > 0;
  return {
    call_id: row.call_id,
    created,
    debug_id: debugId(created, row.call_id),
    ...(row.uri !== null && { uri: row.uri }),
    ...(row.status_code !== null && { status_code: num(row.status_code) }),
    ...(row.node !== null && { node: row.node }),
    iteration: num(row.first_iteration),
    iterations: num(row.iterations),
    duration_ms: num(row.duration_ms),
    has_schema_errors: num(row.has_schema_errors) > 0,
    has_json_errors: num(row.has_json_errors) > 0,
    has_errors: num(row.has_errors) > 0,
    last_created: num(row.last_created),
    ...(row.from_number !== null && { from_number: row.from_number }),
    ...(row.to_number !== null && { to_number: row.to_number }),
    ...(row.callflow_id !== null && { callflow_id: row.callflow_id }),
    ...(row.callflow_name !== null && { callflow_name: row.callflow_name }),
    ...(row.last_status_code !== null && { last_status_code: num(row.last_status_code) }),
    ...(row.error_code !== null && { error_code: num(row.error_code) }),
    ...(row.error_type !== null && { error_type: row.error_type }),
    ...(row.error_message !== null && { error_message: row.error_message }),
    has_warnings: hasWarnings,
    result: resultOf(row.error_type ?? undefined, hasWarnings),
  };
}

function validate(input: PivotDebugInput): void {
  if (typeof input.call_id !== 'string' || input.call_id === '')
    throw new ValidationError('call_id', 'call_id is required');
  if (!Number.isInteger(input.iteration) || input.iteration < 0) {
    throw new ValidationError('iteration', 'iteration must be a non-negative integer');
  }
  if (!KINDS.includes(input.kind)) throw new ValidationError('kind', `unknown kind ${String(input.kind)}`);
}

export class PivotDebugTable implements PivotDebugRepo {
  constructor(
    private readonly db: Db,
    /** Records are committed in batches (with CDRs): a call's request, response and steps cost one commit. */
    private readonly batch: WriteBatch,
  ) {}

  async add(accountId: string, input: PivotDebugInput): Promise<PivotDebugRecord> {
    validate(input);
    const id = typeof input.id === 'string' && input.id !== '' ? input.id : newId();
    const created = typeof input.created === 'number' ? input.created : Date.now();
    const body = withoutKeys(input, COLUMNS);
    const { call_id: callId, iteration, kind } = input;
    const flag = (on: boolean): number => (on ? 1 : 0);
    const max = (col: string): string => `${col} = CASE WHEN ${col} < ? THEN ? ELSE ${col} END`;
    const min = (col: string): string => `${col} = CASE WHEN ${col} > ? THEN ? ELSE ${col} END`;
    const schema = flag(input.schema_errors != null || input.error?.type === 'schema');
    const json = flag(input.json_errors != null || input.error?.type === 'json');
    const error = flag(kind === 'error');
    const uri = kind === 'request' && typeof input.uri === 'string' ? input.uri : null;
    const status = kind === 'response' && typeof input.resp_status_code === 'number' ? input.resp_status_code : null;
    const node = typeof input.node === 'string' ? input.node : null;
    const duration = typeof input.duration_ms === 'number' ? Math.round(input.duration_ms) : 0;
    const errorType = kind === 'error' ? (input.error?.type ?? 'http') : undefined;
    const stopping = errorType !== undefined && !SOFT_ERRORS.includes(errorType);
    const warning = flag(errorType !== undefined && !stopping);

    try {
      await this.batch.add(async (tx) => {
        await tx.run(
          'INSERT INTO pivot_debug (id, account_id, call_id, iteration, kind, created, doc) VALUES (?, ?, ?, ?, ?, ?, ?)',
          [id, accountId, callId, iteration, kind, created, JSON.stringify(body)],
        );
        await tx.run(
          `INSERT INTO pivot_debug_calls (account_id, call_id, created, last_created, first_iteration, iterations,
             duration_ms, has_schema_errors, has_json_errors, has_errors)
           VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0, 0) ON CONFLICT (account_id, call_id) DO NOTHING`,
          [accountId, callId, created, created, iteration, iteration],
        );
        const sets = [
          min('created'),
          max('last_created'),
          min('first_iteration'),
          max('iterations'),
          max('has_schema_errors'),
          max('has_json_errors'),
          max('has_errors'),
          'uri = COALESCE(uri, ?)',
          'status_code = COALESCE(status_code, ?)',
          'node = COALESCE(node, ?)',
          'duration_ms = duration_ms + ?',
          'from_number = COALESCE(from_number, ?)',
          'to_number = COALESCE(to_number, ?)',
          'callflow_id = COALESCE(callflow_id, ?)',
          'callflow_name = COALESCE(callflow_name, ?)',
          'last_status_code = COALESCE(?, last_status_code)',
          // The first stopping error names the result; these read the row as it was before this update.
          'error_code = CASE WHEN error_type IS NULL THEN ? ELSE error_code END',
          'error_message = CASE WHEN error_type IS NULL THEN ? ELSE error_message END',
          'error_type = COALESCE(error_type, ?)',
          max('has_warnings'),
        ];
        const twice = (v: SqlValue): SqlValue[] => [v, v];
        await tx.run(`UPDATE pivot_debug_calls SET ${sets.join(', ')} WHERE account_id = ? AND call_id = ?`, [
          ...twice(created),
          ...twice(created),
          ...twice(iteration),
          ...twice(iteration),
          ...twice(schema),
          ...twice(json),
          ...twice(error),
          uri,
          status,
          node,
          duration,
          text(input.from_number),
          text(input.to_number),
          text(input.callflow_id),
          text(input.callflow_name),
          status,
          stopping ? codeOf(input.error?.code) : null,
          stopping ? (text(input.error?.message) ?? '') : null,
          stopping ? errorType : null,
          ...twice(warning),
          accountId,
          callId,
        ]);
      });
    } catch (err) {
      if (err instanceof DbConstraintError && err.kind === 'foreign_key') throw new NotFoundError('account', accountId);
      throw err;
    }
    return { ...body, id, account_id: accountId, call_id: callId, iteration, kind, created };
  }

  async listCalls(accountId: string, opts: PivotDebugListOptions = {}): Promise<Page<PivotCallSummary>> {
    checkLimit(opts.limit);
    const conds = ['account_id = ?'];
    const params: SqlValue[] = [accountId];
    if (opts.createdFrom !== undefined) {
      conds.push('created >= ?');
      params.push(opts.createdFrom);
    }
    if (opts.createdTo !== undefined) {
      conds.push('created <= ?');
      params.push(opts.createdTo);
    }
    if (opts.startKey) {
      // Newest first, so the page continues downwards from the key (inclusive).
      const key = decodeKey(opts.startKey);
      conds.push('(created < ? OR (created = ? AND call_id <= ?))');
      params.push(key.created, key.created, key.id);
    }
    let sql = `SELECT call_id, created, uri, status_code, node, first_iteration, iterations, duration_ms,
        has_schema_errors, has_json_errors, has_errors, last_created, from_number, to_number, callflow_id,
        callflow_name, last_status_code, error_code, error_type, error_message, has_warnings
      FROM pivot_debug_calls WHERE ${conds.join(' AND ')} ORDER BY created DESC, call_id DESC`;
    if (opts.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(opts.limit + 1);
    }
    const calls = (await this.db.all<CallRow>(sql, params)).map(fromCallRow);
    const next = opts.limit !== undefined ? calls[opts.limit] : undefined;
    return {
      items: calls.slice(0, opts.limit),
      ...(next && { nextStartKey: encodeKey(next.created, next.call_id) }),
    };
  }

  async forCall(accountId: string, callIdOrDebugId: string): Promise<PivotDebugRecord[]> {
    const records = await this.records(accountId, callIdOrDebugId);
    if (records.length) return records;
    // Not a known call id: try the `YYYYMM-<call_id>` form, which must name the month the call started.
    const m = /^(\d{6})-(.+)$/s.exec(callIdOrDebugId);
    if (!m) return [];
    const call = await this.db.get<{ created: number | string }>(
      'SELECT created FROM pivot_debug_calls WHERE account_id = ? AND call_id = ?',
      [accountId, m[2]],
    );
    return call && debugId(num(call.created), m[2]) === callIdOrDebugId ? this.records(accountId, m[2]) : [];
  }

  async purgeOlderThan(cutoff: number): Promise<number> {
    // Whole calls only: a call still being written keeps its early records.
    return this.db.transaction(async (tx) => {
      const { changes } = await tx.run(
        `DELETE FROM pivot_debug WHERE created < ? AND EXISTS (
           SELECT 1 FROM pivot_debug_calls c
           WHERE c.account_id = pivot_debug.account_id AND c.call_id = pivot_debug.call_id AND c.last_created < ?)`,
        [cutoff, cutoff],
      );
      await tx.run('DELETE FROM pivot_debug_calls WHERE last_created < ?', [cutoff]);
      return changes;
    });
  }

  private async records(accountId: string, callId: string): Promise<PivotDebugRecord[]> {
    const rows = await this.db.all<RecordRow>(
      `${RECORD_SELECT} WHERE account_id = ? AND call_id = ? ORDER BY created, id`,
      [accountId, callId],
    );
    return rows.map(fromRecordRow);
  }
}
