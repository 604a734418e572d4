/**
 * The SQLite read-only query process on its own: it ends itself at its deadline when nobody
 * kills it (its parent died), and the store's close ends a query in flight. What it refuses and
 * how is the SQL conformance suite's (src/testing/sql-conformance.ts).
 */

import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BosunError } from '../../../shared/errors.js';
import { createSqliteReadOnlyQueries, startQueryProcess } from './sqlite-read-only-query.js';

const ENDLESS =
  'with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c';
/** Room for a slow machine to start a process and deliver a signal; never reached when it works. */
const MARGIN_MS = 4_000;

let dir = '';
let path = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bosun-read-only-'));
  path = join(dir, 'store.db');
  const db = new BetterSqlite3(path);
  db.exec('create table t (a integer)');
  db.close();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const rejection = (work: Promise<unknown>): Promise<unknown> =>
  work.then(
    () => {
      throw new Error('expected the query to fail');
    },
    (error: unknown) => error,
  );

describe('the read-only query process', () => {
  it('kills itself at its deadline when no parent does, stuck inside one SQLite step', async () => {
    const child = startQueryProcess(createRequire(import.meta.url).resolve('better-sqlite3'));
    const started = performance.now();

    const error = await rejection(
      child.run(
        { path, sql: ENDLESS, maxRows: 1, busyTimeoutMs: 100, deadlineMs: 300, maxChars: 1_000 },
        60_000,
      ),
    );

    expect(error).toBeInstanceOf(BosunError);
    expect((error as BosunError).message).toMatch(/ended unexpectedly \(SIGKILL\)/);
    expect(performance.now() - started).toBeLessThan(300 + MARGIN_MS);
    expect(child.exited).toBe(true);
  });
});

describe('createSqliteReadOnlyQueries', () => {
  it('ends a query in flight when the store closes', async () => {
    const queries = createSqliteReadOnlyQueries(path);
    const started = performance.now();
    const running = rejection(queries.query(ENDLESS, { maxRows: 1, timeoutMs: 30_000 }));

    await queries.close();
    const error = await running;

    expect((error as BosunError).code).toBe('unavailable');
    expect(performance.now() - started).toBeLessThan(MARGIN_MS);
  });

  it('says an in-memory store cannot be queried from another connection', async () => {
    const queries = createSqliteReadOnlyQueries(':memory:');

    const error = await rejection(queries.query('select 1', { maxRows: 1, timeoutMs: 1_000 }));

    expect(error).toMatchObject({ code: 'unavailable' });
    expect((error as BosunError).message).toMatch(/in-memory store/);
    await queries.close();
  });
});
