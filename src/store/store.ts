import { AccountTable } from './accounts.js';
import type { Db } from './db.js';
import { DocTable } from './doc-table.js';
import { migrate, schemaVersion } from './migrations.js';
import { PhoneNumberTable } from './phone-numbers.js';
import { PivotDebugTable } from './pivot-debug.js';
import { ApiKeyTable, AuthTokenTable } from './sessions.js';
import {
  CallflowTable,
  CdrTable,
  DeviceTable,
  RecordingTable,
  UserTable,
  VmboxTable,
  VoicemailMessageTable,
} from './repos.js';
import type { MediaFields, NamedFields, Store } from './types.js';
import { WriteBatch } from './write-batch.js';

/** Brings the schema up to date and builds the repositories over any Db adapter (SQLite or PostgreSQL). */
export async function createStore(db: Db): Promise<Store> {
  await migrate(db);
  const batch = new WriteBatch(db);
  return {
    accounts: new AccountTable(db),
    users: new UserTable(db),
    devices: new DeviceTable(db),
    callflows: new CallflowTable(db),
    menus: new DocTable<NamedFields>(db, { table: 'menus', entity: 'menu' }),
    temporalRules: new DocTable<NamedFields>(db, { table: 'temporal_rules', entity: 'temporal rule' }),
    media: new DocTable<MediaFields>(db, { table: 'media', entity: 'media' }),
    vmboxes: new VmboxTable(db),
    conferences: new DocTable<NamedFields>(db, { table: 'conferences', entity: 'conference' }),
    resources: new DocTable<NamedFields>(db, { table: 'resources', entity: 'resource' }),
    phoneNumbers: new PhoneNumberTable(db),
    pivotDebug: new PivotDebugTable(db, batch),
    cdrs: new CdrTable(db, batch),
    recordings: new RecordingTable(db),
    voicemailMessages: new VoicemailMessageTable(db),
    authTokens: new AuthTokenTable(db),
    apiKeys: new ApiKeyTable(db),
    schemaVersion: () => schemaVersion(db),
    close: async () => {
      await batch.flush();
      await db.close();
    },
  };
}
