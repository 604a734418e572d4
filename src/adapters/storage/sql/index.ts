export { createSqlRepositories } from './sql-repositories.js';
export { createMemoryVectorIndex } from './memory-vector-index.js';
export { createDefinitionCache } from './sql-execution-repositories.js';
export { migrateToLatest, currentSchemaVersion } from './sql-migrator.js';
export { mapDriverError, isTransientConflict } from './sql-errors.js';
export type { Database } from './sql-schema.js';
export { createKyselyExecutor } from './sql-executor.js';
export type { SqlExecutor, SqlParameter } from './sql-executor.js';
export {
  MAX_RESULT_CHARS,
  jsonSizeOf,
  queryRefused,
  queryTimedOut,
  resultTooLarge,
  toJsonValue,
} from './sql-read-only.js';
