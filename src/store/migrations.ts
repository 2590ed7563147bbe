import type { Db } from './db.js';

// Ordered, numbered schema migrations. Never edit a released migration: add a new one. The SQL is kept to
// what SQLite and PostgreSQL both accept (TEXT, INTEGER, BIGINT; JSON as TEXT; ms timestamps as BIGINT).

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
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/**
 * Applies the migrations not yet recorded in `schema_migrations`, each in its own transaction, and returns
 * the versions applied (none on an up-to-date database). Refuses a database written by a newer Pivot.
 */
export async function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  await db.run(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER NOT NULL PRIMARY KEY,
      name TEXT NOT NULL,
      applied BIGINT NOT NULL
    )`,
  );
  const current = await schemaVersion(db);
  const known = migrations.length ? migrations[migrations.length - 1].version : 0;
  if (current > known) {
    throw new Error(`database schema version ${current} is newer than this Pivot understands (${known})`);
  }
  const applied: number[] = [];
  for (const m of migrations) {
    // Checked inside the transaction so two processes opening the same database apply each step once.
    const done = await db.transaction(async (tx) => {
      if (await tx.get('SELECT version FROM schema_migrations WHERE version = ?', [m.version])) return false;
      for (const sql of m.statements) await tx.run(sql);
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
