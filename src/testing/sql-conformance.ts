/**
 * The conformance suite of a store's read-only SQL, driven through `db.query` and `db.schema` the
 * way an agent reaches them. A corpus of attacks — writes, schema changes, ATTACH, PRAGMA,
 * extension loading, several statements, a WITH that deletes, VACUUM INTO, temp tables — must
 * each be refused with an error that names `sql` and says what the database refused, and leave
 * every row, the schema and the files beside the store as they were. SQLite and PostgreSQL run
 * the same suite (docs/decisions/0012).
 */

import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationRunner } from '../operations/catalog.js';
import { createOperationRunner, findOperation } from '../operations/catalog.js';
import type { Store, StoreDialect } from '../ports/store.js';
import { createManualClock } from '../shared/clock.js';
import type { ErrorCode } from '../shared/errors.js';
import { BosunError } from '../shared/errors.js';
import { createUlidGenerator } from '../shared/ids.js';
import { stableStringify } from '../shared/json.js';

interface QueryOutput {
  columns: string[];
  rows: Record<string, unknown>[];
  rowCount: number;
  truncated: boolean;
  ms: number;
}

interface SchemaOutput {
  dialect: StoreDialect;
  tables: {
    name: string;
    columns: { name: string; type: string; notNull: boolean; primaryKey: boolean }[];
    primaryKey: string[];
    foreignKeys: { columns: string[]; references: { table: string; columns: string[] } }[];
    indexes: { name: string; columns: string[]; unique: boolean; partial: boolean }[];
  }[];
  relationships: {
    table: string;
    columns: string[];
    references: { table: string; columns: string[] };
  }[];
}

interface Attack {
  readonly name: string;
  /** `scratch` is an empty folder: an attack that would create a file there names it. */
  readonly sql: (scratch: string) => string;
  /** What the refusal says on each store, beyond the common prefix. */
  readonly says: Readonly<Record<StoreDialect, RegExp>>;
}

const WRITES = /the statement would write/;
const NO_ROWS = /it returns no rows: only a query runs here/;
const NOT_A_QUERY = /syntax error at or near .*only one query runs here/;

/** Each stopped by the database itself, for the reason `says` gives (docs/decisions/0012). */
export const SQL_ATTACKS: readonly Attack[] = [
  {
    name: 'INSERT',
    sql: () => "insert into tasks (id, ref, title) values ('x', 'HOME-99', 'injected')",
    says: { sqlite: WRITES, postgres: NOT_A_QUERY },
  },
  {
    name: 'UPDATE',
    sql: () => "update tasks set title = 'defaced'",
    says: { sqlite: WRITES, postgres: NOT_A_QUERY },
  },
  {
    name: 'DELETE',
    sql: () => 'delete from tasks',
    says: { sqlite: WRITES, postgres: NOT_A_QUERY },
  },
  {
    name: 'DROP TABLE',
    sql: () => 'drop table tasks',
    says: { sqlite: WRITES, postgres: NOT_A_QUERY },
  },
  {
    name: 'ALTER TABLE',
    sql: () => 'alter table tasks add column loot text',
    says: { sqlite: WRITES, postgres: NOT_A_QUERY },
  },
  {
    name: 'ATTACH of a new database file',
    sql: (scratch) => `attach database '${join(scratch, 'attached.db')}' as attached`,
    says: { sqlite: NO_ROWS, postgres: NOT_A_QUERY },
  },
  {
    name: 'PRAGMA writable_schema',
    sql: () => 'pragma writable_schema = on',
    says: { sqlite: NO_ROWS, postgres: NOT_A_QUERY },
  },
  {
    name: 'PRAGMA query_only off',
    sql: () => 'pragma query_only = off',
    says: { sqlite: NO_ROWS, postgres: NOT_A_QUERY },
  },
  {
    name: 'a write to the schema table',
    sql: () => "update sqlite_master set sql = 'create table tasks (x)' where name = 'tasks'",
    says: { sqlite: /table sqlite_master may not be modified/, postgres: NOT_A_QUERY },
  },
  {
    name: 'load_extension',
    sql: (scratch) => `select load_extension('${join(scratch, 'evil')}')`,
    says: { sqlite: /not authorized/, postgres: /function load_extension\(.*\) does not exist/ },
  },
  {
    name: 'a second statement after a query',
    sql: () => 'select 1; delete from tasks',
    says: { sqlite: /more than one statement/, postgres: /multiple commands/ },
  },
  {
    name: 'a WITH whose CTE deletes',
    sql: () => 'with gone as (delete from tasks returning id) select count(*) from gone',
    says: { sqlite: /syntax error/, postgres: /must not contain data-modifying statements/ },
  },
  {
    name: 'a WITH followed by DELETE',
    sql: () =>
      'with doomed as (select id from tasks) delete from tasks where id in (select id from doomed)',
    says: { sqlite: WRITES, postgres: NOT_A_QUERY },
  },
  {
    name: 'VACUUM INTO a new file',
    sql: (scratch) => `vacuum into '${join(scratch, 'copy.db')}'`,
    says: { sqlite: WRITES, postgres: NOT_A_QUERY },
  },
  {
    name: 'a temp table',
    sql: () => 'create temp table loot as select * from tasks',
    says: { sqlite: WRITES, postgres: NOT_A_QUERY },
  },
  {
    name: 'SELECT INTO a temp table',
    sql: () => 'select * into temp table loot from tasks',
    says: { sqlite: /syntax error/, postgres: /SELECT \.\.\. INTO is not allowed here/ },
  },
  {
    name: 'REINDEX',
    sql: () => 'reindex',
    says: { sqlite: WRITES, postgres: NOT_A_QUERY },
  },
  {
    name: 'transaction control',
    sql: () => 'begin',
    says: { sqlite: NO_ROWS, postgres: NOT_A_QUERY },
  },
  {
    name: 'a sequence bump',
    sql: () => "select nextval('events_seq_seq')",
    says: { sqlite: /no such function: nextval/, postgres: /in a read-only transaction/ },
  },
  {
    name: 'row locks',
    sql: () => 'select * from tasks for update',
    says: { sqlite: /syntax error/, postgres: /in a read-only transaction/ },
  },
  {
    name: 'COPY to a server program',
    sql: (scratch) => `copy tasks to program 'touch ${join(scratch, 'pwned')}'`,
    says: { sqlite: /syntax error/, postgres: NOT_A_QUERY },
  },
];

const TITLES = ['Wire the garage', 'Paint the fence', 'Fix the gate', 'Clean gutters', 'Mow'];
/** Enough for a slow machine to start the query process and kill it; never reached when it works. */
const TIMEOUT_MARGIN_MS = 3_000;

const SUCCEEDED = Symbol('succeeded');

async function fails(work: Promise<unknown>, code: ErrorCode): Promise<BosunError> {
  const outcome = await work.then(
    () => SUCCEEDED,
    (error: unknown) => error,
  );
  if (outcome === SUCCEEDED) {
    throw new Error(`expected a BosunError '${code}', but the operation succeeded`);
  }
  if (!(outcome instanceof BosunError)) {
    throw new Error(`expected a BosunError '${code}', got ${String(outcome)}`, { cause: outcome });
  }
  expect(outcome.code, outcome.message).toBe(code);
  return outcome;
}

export function describeSqlConformance(name: StoreDialect, openStore: () => Promise<Store>): void {
  describe(`read-only SQL (${name})`, () => {
    let store: Store | undefined;
    let runner: OperationRunner;
    let scratch = '';

    beforeAll(async () => {
      store = await openStore();
      const clock = createManualClock('2026-01-01T00:00:00.000Z');
      runner = createOperationRunner({
        store,
        clock,
        newId: createUlidGenerator(clock),
        validateOutput: true,
      });
      scratch = await mkdtemp(join(tmpdir(), 'bosun-sql-attacks-'));
      await run('project.create', { key: 'HOME', name: 'Home' });
      for (const title of TITLES) await run('task.create', { project: 'HOME', title });
    });

    afterAll(async () => {
      await store?.close();
      if (scratch !== '') await rm(scratch, { recursive: true, force: true });
    });

    function run(operationName: string, input: Record<string, unknown> = {}): Promise<unknown> {
      const operation = findOperation(operationName);
      if (!operation) throw new Error(`the catalog has no operation '${operationName}'`);
      return runner.run(operation, input, 'ana');
    }
    const query = (input: Record<string, unknown>) =>
      run('db.query', input) as Promise<QueryOutput>;
    const schema = (input: Record<string, unknown> = {}) =>
      run('db.schema', input) as Promise<SchemaOutput>;
    /** Every row bosun exports and the schema, read on the store's own connection. */
    const fingerprint = async () =>
      stableStringify({
        rows: await run('workspace.export'),
        schema: await store!.readOnlySql!.describeSchema(),
      });

    describe('refuses every attack, saying what the database refused, and changes nothing', () => {
      it.each(SQL_ATTACKS)('$name', async (attack) => {
        const before = await fingerprint();

        const error = await fails(query({ sql: attack.sql(scratch) }), 'invalid_input');

        expect(error.details).toMatchObject({ field: 'sql', reason: 'refused' });
        expect(error.message).toMatch(
          /^db\.query runs read-only SQL: the database refused to run it: /,
        );
        expect(error.message).toMatch(attack.says[name]);
        expect(await fingerprint()).toBe(before);
        expect(await readdir(scratch)).toEqual([]);
      });

      it('still takes writes afterwards: no attack left a lock or a transaction open', async () => {
        await run('task.create', { project: 'HOME', title: 'After the attacks' });
        const { rows } = await query({ sql: "select title from tasks where ref = 'HOME-6'" });
        expect(rows).toEqual([{ title: 'After the attacks' }]);
      });
    });

    describe('db.query', () => {
      it('returns rows as objects keyed by column, with the columns in order', async () => {
        const result = await query({
          sql: "select ref, title from tasks where ref < 'HOME-6' order by ref",
        });

        expect(result.columns).toEqual(['ref', 'title']);
        expect(result.rows).toEqual(TITLES.map((title, i) => ({ ref: `HOME-${i + 1}`, title })));
        expect(result.truncated).toBe(false);
        expect(result.rowCount).toBe(result.rows.length);
        expect(result.ms).toBeGreaterThanOrEqual(0);
      });

      it('stops at the limit and says more rows followed', async () => {
        const sql = "select ref from tasks where ref < 'HOME-6' order by ref";

        const cut = await query({ sql, limit: 3 });
        const whole = await query({ sql, limit: 5 });

        expect(cut.rows).toEqual([{ ref: 'HOME-1' }, { ref: 'HOME-2' }, { ref: 'HOME-3' }]);
        expect(cut).toMatchObject({ rowCount: 3, truncated: true });
        expect(whole).toMatchObject({ rowCount: 5, truncated: false });
      });

      it('runs WITH queries, recursive ones too', async () => {
        const counted = await query({
          sql: "with listed as (select ref from tasks where ref < 'HOME-6') select count(*) as n from listed",
        });
        const numbers = await query({
          sql: 'with recursive n(x) as (values (1) union all select x + 1 from n where x < 3) select x from n',
        });

        expect(counted.rows).toEqual([{ n: 5 }]);
        expect(numbers.rows).toEqual([{ x: 1 }, { x: 2 }, { x: 3 }]);
      });

      it('gives repeated column names a suffix so that no value is lost', async () => {
        const result = await query({ sql: 'select 1 as a, 2 as a' });

        expect(result.columns).toEqual(['a', 'a_2']);
        expect(result.rows).toEqual([{ a: 1, a_2: 2 }]);
      });

      it('keeps integers exact: a number when it fits, its digits when it does not', async () => {
        const result = await query({ sql: 'select 2 as small, 9007199254740993 as big' });

        expect(result.rows).toEqual([{ small: 2, big: '9007199254740993' }]);
      });

      it('runs queries side by side', async () => {
        const results = await Promise.all([1, 2, 3].map((n) => query({ sql: `select ${n} as n` })));

        expect(results.map((result) => result.rows)).toEqual([[{ n: 1 }], [{ n: 2 }], [{ n: 3 }]]);
      });

      it('stops a query that runs past its timeout, and answers the next one', async () => {
        const started = performance.now();
        const error = await fails(
          query({
            sql: 'with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c',
            timeout: '500ms',
          }),
          'unavailable',
        );
        const took = performance.now() - started;

        expect(error.message).toMatch(/^db\.query: the query ran longer than its 500ms timeout/);
        expect(error.retryable).toBe(false);
        expect(error.details).toMatchObject({ reason: 'timeout', field: 'timeout' });
        expect(took).toBeGreaterThanOrEqual(450);
        expect(took).toBeLessThan(500 + TIMEOUT_MARGIN_MS);
        expect((await query({ sql: 'select 1 as one' })).rows).toEqual([{ one: 1 }]);
      });

      it('refuses a result larger than 32 MB instead of sending it', async () => {
        const huge: Record<StoreDialect, string> = {
          sqlite: 'select zeroblob(20000000) as b',
          postgres: "select repeat('x', 40000000) as s",
        };

        const error = await fails(query({ sql: huge[name] }), 'invalid_input');

        expect(error.details).toMatchObject({ field: 'sql', reason: 'too_large' });
        expect(error.message).toMatch(/^db\.query: the result is larger than 32 MB/);
      });

      it('refuses a query that does not parse or names no table, naming sql', async () => {
        const error = await fails(query({ sql: 'select * from no_such_table' }), 'invalid_input');

        expect(error.details).toMatchObject({ field: 'sql' });
        expect(error.message).toMatch(/no_such_table/);
      });

      it('checks limit, timeout and sql before the database sees them', async () => {
        const cases: [Record<string, unknown>, string, RegExp][] = [
          [{ sql: 'select 1', limit: 1001 }, 'limit', /at most 1000/],
          [{ sql: 'select 1', limit: 0 }, 'limit', /at least 1/],
          [{ sql: 'select 1', timeout: '31s' }, 'timeout', /at most 30s/],
          [{ sql: 'select 1', timeout: 'soon' }, 'timeout', /duration/],
          [{ sql: '   ' }, 'sql', /one SQL query/],
        ];
        for (const [input, field, rule] of cases) {
          const error = await fails(query(input), 'invalid_input');
          expect(error.details.field).toBe(field);
          expect(error.message).toMatch(rule);
        }
      });
    });

    describe('db.schema', () => {
      it("lists bosun's tables with their columns, primary keys and foreign keys", async () => {
        const described = await schema();
        const names = described.tables.map((table) => table.name);
        const tasks = described.tables.find((table) => table.name === 'tasks')!;
        const link = (from: string, column: string, to: string) => ({
          table: from,
          columns: [column],
          references: { table: to, columns: ['id'] },
        });

        expect(described.dialect).toBe(name);
        expect(names).toEqual([...names].sort());
        expect(names).toEqual(
          expect.arrayContaining(['projects', 'tasks', 'runs', 'steps', 'attempts', 'events']),
        );
        expect(tasks.primaryKey).toEqual(['id']);
        expect(tasks.columns).toContainEqual({
          name: 'title',
          type: 'text',
          notNull: true,
          primaryKey: false,
        });
        expect(tasks.foreignKeys).toContainEqual({
          columns: ['project_id'],
          references: { table: 'projects', columns: ['id'] },
        });
        expect(described.relationships).toEqual(
          expect.arrayContaining([
            link('tasks', 'project_id', 'projects'),
            link('steps', 'run_id', 'runs'),
            link('attempts', 'step_id', 'steps'),
            link('approvals', 'step_id', 'steps'),
          ]),
        );
      });

      it('describes one table with the keys that point at it', async () => {
        const described = await schema({ table: 'steps' });
        const steps = described.tables[0]!;

        expect(described.tables.map((table) => table.name)).toEqual(['steps']);
        expect(steps.indexes).toContainEqual({
          name: 'steps_queue',
          columns: ['status', 'available_at', 'id'],
          unique: false,
          partial: true,
        });
        expect(described.relationships.map((link) => `${link.table}.${link.columns[0]}`)).toEqual(
          expect.arrayContaining(['steps.run_id', 'attempts.step_id', 'approvals.step_id']),
        );
        expect(
          described.relationships.every(
            (link) => link.table === 'steps' || link.references.table === 'steps',
          ),
        ).toBe(true);
      });

      it('names the tables there are when asked for one that is not', async () => {
        const error = await fails(schema({ table: 'taskz' }), 'not_found');

        expect(error.message).toMatch(/^table 'taskz' does not exist; the tables are .*tasks/);
      });
    });
  });
}
