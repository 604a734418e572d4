export { createPostgresStore } from './postgres-store.js';
export type { PostgresStoreSettings } from './postgres-store.js';
