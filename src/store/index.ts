export type * from './types.js';
export { ConflictError, NotFoundError, StoreError, ValidationError } from './errors.js';
export { newId, newSigningKey } from './ids.js';
export { DbConstraintError, openLibsqlDb, type Db, type Row, type SqlValue } from './db.js';
export { LATEST_VERSION, MIGRATIONS, migrate, schemaVersion, type Migration } from './migrations.js';
export { debugId } from './pivot-debug.js';
export { createStore } from './store.js';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite.js';
