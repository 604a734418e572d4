/**
 * `bosun db query` and `bosun db schema` end to end: the built CLI against a real SQLite
 * workspace. A query prints its rows (a table, or JSON with --json); a write is refused with exit
 * status 2 naming `sql` and leaves the store as it was; a runaway query is stopped at its timeout
 * and the command still exits promptly.
 */

import { beforeAll, describe, expect, it } from 'vitest';
import { bosunJson, runBosun, tempDir } from './helpers/cli.js';

const INVALID_INPUT_EXIT = 2;
const NOT_FOUND_EXIT = 4;
const UNAVAILABLE_EXIT = 10;

interface QueryJson {
  columns: string[];
  rows: Record<string, unknown>[];
  rowCount: number;
  truncated: boolean;
}

interface ErrorJson {
  error: { code: string; message: string; details: Record<string, unknown> };
}

let cwd = '';

beforeAll(async () => {
  cwd = tempDir('bosun-db-');
  const init = await runBosun(['init'], { cwd });
  expect(init.status, init.stderr).toBe(0);
  await bosunJson(['project', 'create', 'HOME', 'Home lab'], { cwd });
  await bosunJson(['task', 'add', 'HOME', 'Wire the garage'], { cwd });
  await bosunJson(['task', 'add', 'HOME', 'Paint the fence'], { cwd });
});

describe('bosun db query', () => {
  it('prints the rows as JSON objects keyed by column', async () => {
    const result = await bosunJson<QueryJson>(
      ['db', 'query', 'select ref, title from tasks order by ref'],
      { cwd },
    );

    expect(result).toMatchObject({
      columns: ['ref', 'title'],
      rows: [
        { ref: 'HOME-1', title: 'Wire the garage' },
        { ref: 'HOME-2', title: 'Paint the fence' },
      ],
      rowCount: 2,
      truncated: false,
    });
  });

  it('prints a table with the columns of the query, and says when the limit cut it', async () => {
    const result = await runBosun(
      ['db', 'query', 'select title, ref from tasks order by ref', '--limit', '1'],
      { cwd },
    );

    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^TITLE\s+REF$/);
    expect(lines[1]).toMatch(/^Wire the garage\s+HOME-1$/);
    expect(result.stdout).toMatch(/truncated\s+true/);
  });

  it('refuses an INSERT with exit status 2, naming sql, and inserts nothing', async () => {
    const insert = "insert into tasks (id, ref, title) values ('x', 'HOME-9', 'injected')";

    const refused = await runBosun(['db', 'query', insert], { cwd });
    const asJson = await runBosun(['db', 'query', insert, '--json'], { cwd });
    const count = await bosunJson<QueryJson>(['db', 'query', 'select count(*) as n from tasks'], {
      cwd,
    });

    expect(refused.status).toBe(INVALID_INPUT_EXIT);
    expect(refused.stderr).toMatch(
      /^error\[invalid_input\]: db\.query runs read-only SQL: the database refused to run it: the statement would write/,
    );
    expect(asJson.status).toBe(INVALID_INPUT_EXIT);
    const { error } = JSON.parse(asJson.stdout) as ErrorJson;
    expect(error).toMatchObject({ code: 'invalid_input', details: { field: 'sql' } });
    expect(count.rows).toEqual([{ n: 2 }]);
  });

  it('stops a query at its timeout and exits with status 10 soon after', async () => {
    const started = performance.now();
    const result = await runBosun(
      [
        'db',
        'query',
        'with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c',
        '--timeout',
        '300ms',
      ],
      { cwd },
    );

    expect(result.status, result.stderr).toBe(UNAVAILABLE_EXIT);
    expect(result.stderr).toMatch(/the query ran longer than its 300ms timeout and was stopped/);
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

describe('bosun db schema', () => {
  it('prints one table as JSON with its foreign keys', async () => {
    const result = await runBosun(['db', 'schema', 'tasks'], { cwd });

    expect(result.status, result.stderr).toBe(0);
    const schema = JSON.parse(result.stdout) as {
      dialect: string;
      tables: { name: string; foreignKeys: unknown[] }[];
    };
    expect(schema.dialect).toBe('sqlite');
    expect(schema.tables.map((table) => table.name)).toEqual(['tasks']);
    expect(schema.tables[0]!.foreignKeys).toContainEqual({
      columns: ['project_id'],
      references: { table: 'projects', columns: ['id'] },
    });
  });

  it('names the tables there are when the one asked for is not', async () => {
    const result = await runBosun(['db', 'schema', 'taskz'], { cwd });

    expect(result.status).toBe(NOT_FOUND_EXIT);
    expect(result.stderr).toMatch(/table 'taskz' does not exist; the tables are .*tasks/);
  });
});
