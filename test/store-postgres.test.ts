/**
 * Runs the store and engine conformance suites against the PostgreSQL store: one throwaway
 * cluster for the file, one fresh database per test. Also checks that the cluster helper says
 * what to install when the server binaries are missing.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../src/adapters/storage/postgres/index.js';
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
