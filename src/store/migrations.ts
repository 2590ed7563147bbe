import type { Db, Dialect } from './db.js';

// Ordered, numbered schema migrations. Never edit a released migration: add a new one. The SQL is kept to
// what SQLite and PostgreSQL both accept (TEXT, INTEGER, BIGINT; JSON as TEXT; ms timestamps as BIGINT).
// On PostgreSQL every TEXT column is created COLLATE "C" (see `forDialect`).

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

/** A per-account document table: the JSON body plus the columns the store searches on. */
function docTable(table: string, extraColumns = ''): string[] {
  return [
    `CREATE TABLE ${table} (
      id TEXT NOT NULL PRIMARY KEY,
      account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      created BIGINT NOT NULL,
      modified BIGINT NOT NULL,
      doc TEXT NOT NULL${extraColumns}
    )`,
    `CREATE INDEX ${table}_account_created ON ${table} (account_id, created, id)`,
  ];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    statements: [
      // name_key/realm_key hold lower-cased copies so uniqueness is case-insensitive on every database.
      `CREATE TABLE accounts (
        id TEXT NOT NULL PRIMARY KEY,
        name_key TEXT NOT NULL UNIQUE,
        realm_key TEXT NOT NULL UNIQUE,
        parent_id TEXT,
        created BIGINT NOT NULL,
        modified BIGINT NOT NULL,
        doc TEXT NOT NULL
      )`,
      `CREATE INDEX accounts_parent ON accounts (parent_id, created)`,
      // Closure table: one row per (account, ancestor) so descendant queries are one indexed lookup.
      `CREATE TABLE account_tree (
        account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        ancestor_id TEXT NOT NULL,
        depth INTEGER NOT NULL,
        PRIMARY KEY (account_id, ancestor_id)
      )`,
      `CREATE INDEX account_tree_ancestor ON account_tree (ancestor_id, depth)`,

      ...docTable('users', ',\n      username TEXT'),
      `CREATE UNIQUE INDEX users_username ON users (account_id, username)`,
      ...docTable('devices', ',\n      sip_username TEXT,\n      owner_id TEXT'),
      `CREATE UNIQUE INDEX devices_sip_username ON devices (account_id, sip_username)`,
      `CREATE INDEX devices_owner ON devices (account_id, owner_id)`,
      ...docTable('callflows', ',\n      has_patterns INTEGER NOT NULL DEFAULT 0'),
      `CREATE INDEX callflows_patterns ON callflows (account_id, has_patterns)`,
      // Numbers and extensions are unique per account; the primary key enforces it.
      `CREATE TABLE callflow_numbers (
        account_id TEXT NOT NULL,
        number TEXT NOT NULL,
        callflow_id TEXT NOT NULL REFERENCES callflows (id) ON DELETE CASCADE,
        PRIMARY KEY (account_id, number)
      )`,
      `CREATE INDEX callflow_numbers_callflow ON callflow_numbers (callflow_id)`,
      ...docTable('menus'),
      ...docTable('temporal_rules'),
      ...docTable('media'),
      ...docTable('vmboxes', ',\n      mailbox TEXT'),
      `CREATE UNIQUE INDEX vmboxes_mailbox ON vmboxes (account_id, mailbox)`,
      ...docTable('conferences'),
      ...docTable('resources'),

      `CREATE TABLE phone_numbers (
        number TEXT NOT NULL PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        state TEXT NOT NULL,
        created BIGINT NOT NULL,
        modified BIGINT NOT NULL,
        doc TEXT NOT NULL
      )`,
      `CREATE INDEX phone_numbers_account ON phone_numbers (account_id, number)`,

      `CREATE TABLE pivot_debug (
        id TEXT NOT NULL PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        call_id TEXT NOT NULL,
        iteration INTEGER NOT NULL,
        kind TEXT NOT NULL,
        created BIGINT NOT NULL,
        doc TEXT NOT NULL
      )`,
      `CREATE INDEX pivot_debug_call ON pivot_debug (account_id, call_id, created, id)`,
      `CREATE INDEX pivot_debug_created ON pivot_debug (created)`,
      // One row per call, kept current by each insert, so the Live Debug list is a plain indexed query.
      `CREATE TABLE pivot_debug_calls (
        account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        call_id TEXT NOT NULL,
        created BIGINT NOT NULL,
        last_created BIGINT NOT NULL,
        uri TEXT,
        status_code INTEGER,
        node TEXT,
        first_iteration INTEGER NOT NULL,
        iterations INTEGER NOT NULL,
        duration_ms BIGINT NOT NULL,
        has_schema_errors INTEGER NOT NULL,
        has_json_errors INTEGER NOT NULL,
        has_errors INTEGER NOT NULL,
        PRIMARY KEY (account_id, call_id)
      )`,
      `CREATE INDEX pivot_debug_calls_created ON pivot_debug_calls (account_id, created, call_id)`,
      `CREATE INDEX pivot_debug_calls_last ON pivot_debug_calls (last_created)`,

      ...docTable('cdrs', ',\n      call_id TEXT NOT NULL'),
      `CREATE INDEX cdrs_call ON cdrs (account_id, call_id)`,
      ...docTable('recordings', ',\n      call_id TEXT NOT NULL'),
      `CREATE INDEX recordings_call ON recordings (account_id, call_id)`,
      ...docTable(
        'voicemail_messages',
        ',\n      vmbox_id TEXT NOT NULL REFERENCES vmboxes (id) ON DELETE CASCADE,\n      folder TEXT NOT NULL',
      ),
      `CREATE INDEX voicemail_messages_box ON voicemail_messages (vmbox_id, folder, created)`,
    ],
  },
  {
    version: 2,
    name: 'API tokens and API keys',
    statements: [
      // Both keyed by the SHA-256 of the secret: the secrets themselves are never stored.
      `CREATE TABLE auth_tokens (
        id TEXT NOT NULL PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        created BIGINT NOT NULL,
        expires BIGINT NOT NULL,
        doc TEXT NOT NULL
      )`,
      `CREATE INDEX auth_tokens_account ON auth_tokens (account_id)`,
      `CREATE INDEX auth_tokens_expires ON auth_tokens (expires)`,
      `CREATE TABLE api_keys (
        id TEXT NOT NULL PRIMARY KEY,
        account_id TEXT NOT NULL UNIQUE REFERENCES accounts (id) ON DELETE CASCADE,
        created BIGINT NOT NULL
      )`,
    ],
  },
  {
    version: 3,
    name: 'Live Debug call lines: who called whom, the action, the last status and the first error',
    statements: [
      `ALTER TABLE pivot_debug_calls ADD COLUMN from_number TEXT`,
      `ALTER TABLE pivot_debug_calls ADD COLUMN to_number TEXT`,
      `ALTER TABLE pivot_debug_calls ADD COLUMN callflow_id TEXT`,
      `ALTER TABLE pivot_debug_calls ADD COLUMN callflow_name TEXT`,
      `ALTER TABLE pivot_debug_calls ADD COLUMN last_status_code INTEGER`,
      `ALTER TABLE pivot_debug_calls ADD COLUMN error_code INTEGER`,
      `ALTER TABLE pivot_debug_calls ADD COLUMN error_type TEXT`,
      `ALTER TABLE pivot_debug_calls ADD COLUMN error_message TEXT`,
      `ALTER TABLE pivot_debug_calls ADD COLUMN has_warnings INTEGER NOT NULL DEFAULT 0`,
    ],
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/**
 * PostgreSQL's TEXT compares by the database's locale; COLLATE "C" compares bytes, as SQLite does, so lists and
 * page keys (ORDER BY id, call_id, number) come out in the same order on both, whatever locale the server has.
 */
function forDialect(sql: string, dialect: Dialect): string {
  return dialect === 'postgres' ? sql.replace(/\bTEXT\b/g, 'TEXT COLLATE "C"') : sql;
}

/**
 * One migrator at a time across processes. SQLite's BEGIN IMMEDIATE already takes the write lock; on PostgreSQL
 * two transactions would both see a step as missing, so each takes this transaction-scoped advisory lock first.
 */
async function lockMigrations(tx: Db): Promise<void> {
  if (tx.dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(7305206151)');
}

// Indented as it was when created inline: SQLite keeps the text, and existing databases have this one.
const SCHEMA_MIGRATIONS = `CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER NOT NULL PRIMARY KEY,
      name TEXT NOT NULL,
      applied BIGINT NOT NULL
    )`;

/**
 * Applies the migrations not yet recorded in `schema_migrations`, each in its own transaction, and returns
 * the versions applied (none on an up-to-date database). Refuses a database written by a newer Pivot.
 */
export async function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  await db.transaction(async (tx) => {
    await lockMigrations(tx);
    await tx.run(forDialect(SCHEMA_MIGRATIONS, db.dialect));
  });
  const current = await schemaVersion(db);
  const known = migrations.length ? migrations[migrations.length - 1].version : 0;
  if (current > known) {
    throw new Error(`database schema version ${current} is newer than this Pivot understands (${known})`);
  }
  const applied: number[] = [];
  for (const m of migrations) {
    // Checked inside the transaction so two processes opening the same database apply each step once.
    const done = await db.transaction(async (tx) => {
      await lockMigrations(tx);
      if (await tx.get('SELECT version FROM schema_migrations WHERE version = ?', [m.version])) return false;
      for (const sql of m.statements) await tx.run(forDialect(sql, db.dialect));
      await tx.run('INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)', [
        m.version,
        m.name,
        Date.now(),
      ]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}

export async function schemaVersion(db: Db): Promise<number> {
  const row = await db.get<{ v: number | string | null }>('SELECT MAX(version) AS v FROM schema_migrations');
  return row?.v == null ? 0 : Number(row.v);
}
