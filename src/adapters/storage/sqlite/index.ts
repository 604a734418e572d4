export { createSqliteStore } from './sqlite-store.js';
export type { SqliteStoreSettings } from './sqlite-store.js';
