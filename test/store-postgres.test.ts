/**
 * Runs the store and engine conformance suites against the PostgreSQL store: one throwaway
 * cluster for the file, one fresh database per test. Also checks that the cluster helper says
 * what to install when the server binaries are missing.
 */

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../src/adapters/storage/postgres/index.js';
import { readerSql } from '../src/operations/db-operations.js';
import type { PostgresCluster } from '../src/testing/postgres-cluster.js';
import { startPostgresCluster } from '../src/testing/postgres-cluster.js';
import { describeEngineConformance } from '../src/testing/engine-conformance.js';
import { describeSqlConformance } from '../src/testing/sql-conformance.js';
import { describeStoreConformance } from '../src/testing/store-conformance.js';

let cluster: PostgresCluster | undefined;

beforeAll(async () => {
  cluster = await startPostgresCluster();
});

afterAll(async () => {
  await cluster?.stop();
});

const openStore = async () => {
  if (!cluster) throw new Error('the PostgreSQL cluster did not start; see the beforeAll error');
  return createPostgresStore({ url: await cluster.createDatabase() });
};

describeStoreConformance('postgres', openStore);
describeEngineConformance('postgres', openStore);
describeSqlConformance('postgres', openStore);

describe('startPostgresCluster', () => {
  it('names the package to install when the server binaries are missing', async () => {
    const previous = process.env['BOSUN_PG_BIN'];
    process.env['BOSUN_PG_BIN'] = '/nonexistent/postgresql/bin';
    try {
      await expect(startPostgresCluster()).rejects.toThrow('apt-get install -y postgresql-15');
    } finally {
      if (previous === undefined) delete process.env['BOSUN_PG_BIN'];
      else process.env['BOSUN_PG_BIN'] = previous;
    }
  });

  it('hands out a new empty database on every call', async () => {
    if (!cluster) throw new Error('the PostgreSQL cluster did not start');
    const first = await cluster.createDatabase();
    const second = await cluster.createDatabase();
    expect(first).not.toBe(second);
    const store = await createPostgresStore({ url: second });
    try {
      expect(await store.transaction('read', (repos) => repos.projects.count())).toBe(0);
    } finally {
      await store.close();
    }
  });
});

describe('db.query as the read-only role of `bosun db reader` (query_db)', () => {
  it('reads every table, and calls to functions act with the role’s rights, not bosun’s', async () => {
    if (!cluster) throw new Error('the PostgreSQL cluster did not start');
    const url = await cluster.createDatabase();
    const owner = await createPostgresStore({ url });
    const role = `bosun_reader_${process.pid}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect(); // open until the end: a connection of bosun's role to end
    await admin.query(readerSql(role));
    const readerUrl = new URL(url);
    readerUrl.username = role;
    const reader = await createPostgresStore({ url, queryUrl: readerUrl.href });
    const limits = { maxRows: 10, timeoutMs: 5_000 };
    try {
      const counted = await reader.readOnlySql!.query(
        'select current_user as who, (select count(*) from tasks) as tasks, (select count(*) from memory_items) as memories',
        limits,
      );
      expect(counted.rows).toEqual([[role, 0, 0]]);
      // As bosun's own role (the cluster's superuser here) a query may read server files…
      const asOwner = await owner.readOnlySql!.query(
        "select pg_read_file('PG_VERSION') as v",
        limits,
      );
      expect(String(asOwner.rows[0]![0])).toMatch(/^15/);
      // …and end bosun's connections; as the reader it may do neither.
      for (const sql of [
        "select pg_read_file('PG_VERSION')",
        'select pg_terminate_backend(pid) from pg_stat_activity where usename <> current_user',
        "select set_config('role', 'postgres', true)",
      ]) {
        await expect(reader.readOnlySql!.query(sql, limits), sql).rejects.toMatchObject({
          code: 'invalid_input',
          details: { field: 'sql', reason: 'refused' },
        });
      }
      expect((await admin.query('select 1 as alive')).rows).toEqual([{ alive: 1 }]);
    } finally {
      await reader.close();
      await owner.close();
      await admin.end();
    }
  });
});
