/**
 * Read-only SQL for agents. `db.query` runs one query against the workspace store and returns its
 * rows as objects keyed by column; `db.schema` lists the tables with their columns, keys and
 * indexes, and the foreign keys between them. The database keeps the query from writing
 * (docs/decisions/0012, docs/sql.md). Both run in `prepare`: a query may take up to its timeout
 * and must not hold the store's transaction meanwhile.
 */

import { z } from 'zod';
import type { ServiceContext } from '../core/services/service-context.js';
import type { ReadOnlySql, SchemaTable } from '../ports/store.js';
import { parseDuration } from '../shared/duration.js';
import { BosunError } from '../shared/errors.js';
import { duration } from './common-schemas.js';
import { defineOperation } from './operation.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1_000;
const DEFAULT_TIMEOUT = '5s';
const MAX_TIMEOUT_MS = 30_000;

const QueryInput = z.strictObject({
  sql: z.string().trim().min(1, 'must be one SQL query (SELECT or WITH)'),
  limit: z
    .number()
    .int()
    .positive('must be at least 1')
    .max(MAX_LIMIT, `must be at most ${MAX_LIMIT}`)
    .default(DEFAULT_LIMIT),
  timeout: duration
    .refine((text) => {
      try {
        return parseDuration(text, 'timeout') <= MAX_TIMEOUT_MS;
      } catch {
        return true; // not a duration at all: the rule above says so
      }
    }, 'must be at most 30s')
    .default(DEFAULT_TIMEOUT),
});

const QueryOutput = z.object({
  /** Unique: a repeated name gets `_2`, `_3`, … so that every row has each column. */
  columns: z.array(z.string()),
  rows: z.array(z.record(z.string(), z.unknown())),
  rowCount: z.number().int(),
  truncated: z.boolean(),
  ms: z.number(),
});

const ColumnSchema = z.object({
  name: z.string(),
  type: z.string(),
  notNull: z.boolean(),
  primaryKey: z.boolean(),
});

const ReferenceSchema = z.object({ table: z.string(), columns: z.array(z.string()) });

const TableSchema = z.object({
  name: z.string(),
  columns: z.array(ColumnSchema),
  primaryKey: z.array(z.string()),
  foreignKeys: z.array(z.object({ columns: z.array(z.string()), references: ReferenceSchema })),
  indexes: z.array(
    z.object({
      name: z.string(),
      columns: z.array(z.string()),
      unique: z.boolean(),
      partial: z.boolean(),
    }),
  ),
});

const SchemaOutput = z.object({
  dialect: z.enum(['sqlite', 'postgres']),
  tables: z.array(TableSchema),
  /** Every foreign key as `table.columns → references.table.columns`. */
  relationships: z.array(
    z.object({ table: z.string(), columns: z.array(z.string()), references: ReferenceSchema }),
  ),
});

function readOnlySql(ctx: Pick<ServiceContext, 'sql'>, operation: string): ReadOnlySql {
  if (!ctx.sql) {
    throw new BosunError('unavailable', `${operation}: this store offers no read-only SQL`);
  }
  return ctx.sql;
}

async function runQuery(
  sql: ReadOnlySql,
  input: z.output<typeof QueryInput>,
): Promise<z.input<typeof QueryOutput>> {
  const timeoutMs = parseDuration(input.timeout, 'timeout');
  let result;
  try {
    result = await sql.query(input.sql, { maxRows: input.limit, timeoutMs });
  } catch (error) {
    throw explainFailure(error, input.timeout);
  }
  const columns = uniqueNames(result.columns);
  return {
    columns,
    // fromEntries defines own properties, so even a column named __proto__ stays a column.
    rows: result.rows.map((row) => Object.fromEntries(columns.map((name, i) => [name, row[i]]))),
    rowCount: result.rows.length,
    truncated: result.truncated,
    ms: result.ms,
  };
}

/** The store's refusal or timeout, said the way a caller of `db.query` can act on. */
function explainFailure(error: unknown, timeout: string): unknown {
  if (!(error instanceof BosunError)) return error;
  if (error.code === 'invalid_input' && error.details.field === 'sql') {
    const lead = error.details.reason === 'refused' ? 'db.query runs read-only SQL' : 'db.query';
    return new BosunError('invalid_input', `${lead}: ${error.message}`, {
      details: error.details,
      cause: error,
    });
  }
  if (error.details.reason === 'timeout') {
    return new BosunError(
      'unavailable',
      `db.query: the query ran longer than its ${timeout} timeout and was stopped; ` +
        'narrow it (a WHERE, a LIMIT) or give it a longer timeout (at most 30s)',
      { details: { ...error.details, field: 'timeout' }, retryable: false, cause: error },
    );
  }
  return error;
}

function uniqueNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.map((name) => {
    let unique = name;
    for (let n = 2; seen.has(unique); n++) unique = `${name}_${n}`;
    seen.add(unique);
    return unique;
  });
}

async function describeSchema(
  sql: ReadOnlySql,
  table: string | undefined,
): Promise<z.input<typeof SchemaOutput>> {
  const schema = await sql.describeSchema();
  const relationships = schema.tables.flatMap((from) =>
    from.foreignKeys.map((key) => ({ table: from.name, ...key })),
  );
  if (table === undefined) return { ...schema, relationships };
  const wanted =
    schema.tables.find((candidate) => candidate.name === table) ??
    schema.tables.find((candidate) => candidate.name.toLowerCase() === table.toLowerCase());
  if (!wanted) throw unknownTable(table, schema.tables);
  return {
    dialect: schema.dialect,
    tables: [wanted],
    relationships: relationships.filter(
      (link) => link.table === wanted.name || link.references.table === wanted.name,
    ),
  };
}

function unknownTable(table: string, tables: readonly SchemaTable[]): BosunError {
  return new BosunError(
    'not_found',
    `table '${table}' does not exist; the tables are ${tables.map((t) => t.name).join(', ')}`,
    { details: { kind: 'table', key: table, field: 'table' } },
  );
}

export const dbOperations = [
  defineOperation({
    name: 'db.query',
    summary:
      'Run one read-only SQL query (SELECT or WITH) on the workspace store: rows as objects, limited and timed out',
    effects: 'read',
    input: QueryInput,
    output: QueryOutput,
    cli: {
      positional: ['sql'],
      rows: 'rows',
      columnsFrom: 'columns',
      empty: 'No rows.',
      examples: [
        'bosun db query "select ref, title, status from tasks order by ref"',
        'bosun db query "select status, count(*) as n from steps group by status" --json',
        'bosun db query "select * from events" --limit 1000 --timeout 20s',
      ],
    },
    prepare: (ctx, input) => runQuery(readOnlySql(ctx, 'db.query'), input),
    handler: (_ctx, _input, result) => Promise.resolve(result),
  }),
  defineOperation({
    name: 'db.schema',
    summary:
      'The tables of the workspace store (or one): columns, primary keys, foreign keys, indexes',
    effects: 'read',
    input: z.strictObject({ table: z.string().trim().min(1, 'must name a table').optional() }),
    output: SchemaOutput,
    cli: {
      positional: ['table'],
      json: true,
      examples: ['bosun db schema', 'bosun db schema steps'],
    },
    prepare: (ctx, input) => describeSchema(readOnlySql(ctx, 'db.schema'), input.table),
    handler: (_ctx, _input, schema) => Promise.resolve(schema),
  }),
  defineOperation({
    name: 'db.reader',
    summary:
      'PostgreSQL: the SQL that makes a role which may only read bosun’s tables, for db.query to connect as (query_db)',
    effects: 'read',
    input: z.strictObject({
      role: z
        .string()
        .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL name (letters, digits, _)')
        .default('bosun_reader'),
    }),
    output: z.object({ role: z.string(), sql: z.string() }),
    cli: {
      positional: ['role'],
      text: 'sql',
      examples: [
        'bosun db reader > reader.sql    # then: psql "$BOSUN_DB" -f reader.sql',
        'bosun db reader agents_ro',
      ],
    },
    handler: (_ctx, input) => Promise.resolve({ role: input.role, sql: readerSql(input.role) }),
  }),
];

/**
 * A login role that may read every table of bosun's schema, and the tables later migrations add
 * — and nothing else: `db.query` connected as it (query_db) cannot write even outside a READ
 * ONLY transaction, and functions it calls act with its rights, not those of bosun's role.
 */
export function readerSql(role: string): string {
  return [
    `-- A role that may only read bosun's tables, for db.query (docs/sql.md).`,
    `-- Run it as the role bosun connects as (the tables' owner), once per database:`,
    `--   psql "$BOSUN_DB" -f reader.sql`,
    `-- CREATE ROLE needs CREATEROLE; without it, ask an administrator for that line alone.`,
    `-- Then set query_db: postgres://${role}:PASSWORD@HOST/DATABASE in .bosun/bosun.yaml`,
    `-- (or BOSUN_QUERY_DB).`,
    `CREATE ROLE ${role} LOGIN PASSWORD 'change-me' NOSUPERUSER NOCREATEDB NOCREATEROLE;`,
    `DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO ${role}', current_database()); END $$;`,
    `GRANT USAGE ON SCHEMA public TO ${role};`,
    `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role};`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO ${role};`,
    `ALTER ROLE ${role} SET default_transaction_read_only = on;`,
    '',
  ].join('\n');
}
