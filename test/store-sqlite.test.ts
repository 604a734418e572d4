/**
 * Runs the store and engine conformance suites against the embedded SQLite store, one fresh
 * database file per test in a temp directory that is removed afterwards.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createSqliteStore } from '../src/adapters/storage/sqlite/index.js';
import { describeEngineConformance } from '../src/testing/engine-conformance.js';
import { describeSqlConformance } from '../src/testing/sql-conformance.js';
import { describeStoreConformance } from '../src/testing/store-conformance.js';

let dir: string | undefined;
let opened = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bosun-sqlite-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const openStore = async () => {
  if (!dir) throw new Error('the temp directory was not created');
  opened += 1;
  return createSqliteStore({ path: join(dir, `store-${opened}.db`) });
};

describeStoreConformance('sqlite', openStore);
describeEngineConformance('sqlite', openStore);
describeSqlConformance('sqlite', openStore);
