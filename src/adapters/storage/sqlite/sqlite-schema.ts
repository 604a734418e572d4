/**
 * The embedded store's schema as the port describes it, read from SQLite's own catalog
 * (`sqlite_schema` and the table-valued pragmas) on the store's connection.
 */

import type BetterSqlite3 from 'better-sqlite3';
import type { SchemaDescription, SchemaForeignKey, SchemaTable } from '../../../ports/store.js';

interface ColumnRow {
  name: string;
  type: string;
  notnull: number;
  pk: number;
}

interface ForeignKeyRow {
  id: number;
  seq: number;
  table: string;
  from: string;
  to: string | null;
}

interface IndexRow {
  name: string;
  unique: number;
  partial: number;
}

export function describeSqliteSchema(database: BetterSqlite3.Database): SchemaDescription {
  const tableNames = database
    .prepare(
      `select name from sqlite_schema where type = 'table' and name not like 'sqlite\\_%' escape '\\' order by name`,
    )
    .pluck()
    .all() as string[];
  const columnsOf = database.prepare('select name, type, "notnull", pk from pragma_table_info(?)');
  const foreignKeysOf = database.prepare(
    'select id, seq, "table", "from", "to" from pragma_foreign_key_list(?) order by id, seq',
  );
  const indexesOf = database.prepare(
    'select name, "unique", partial from pragma_index_list(?) order by name',
  );
  const indexColumnsOf = database
    .prepare('select name from pragma_index_info(?) order by seqno')
    .pluck();

  const primaryKeyOf = (rows: readonly ColumnRow[]): string[] =>
    rows
      .filter((column) => column.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((column) => column.name);

  const tables = tableNames.map((name): SchemaTable => {
    const columns = columnsOf.all(name) as ColumnRow[];
    return {
      name,
      columns: columns.map((column) => ({
        name: column.name,
        type: column.type.toLowerCase(),
        notNull: column.notnull === 1,
        primaryKey: column.pk > 0,
      })),
      primaryKey: primaryKeyOf(columns),
      foreignKeys: groupForeignKeys(foreignKeysOf.all(name) as ForeignKeyRow[], (table) =>
        primaryKeyOf(columnsOf.all(table) as ColumnRow[]),
      ),
      indexes: (indexesOf.all(name) as IndexRow[]).map((index) => ({
        name: index.name,
        columns: (indexColumnsOf.all(index.name) as (string | null)[]).map(
          (column) => column ?? '(expression)',
        ),
        unique: index.unique === 1,
        partial: index.partial === 1,
      })),
    };
  });
  return { dialect: 'sqlite', tables };
}

/** One entry per constraint; a reference without columns names the target's primary key. */
function groupForeignKeys(
  rows: readonly ForeignKeyRow[],
  primaryKeyOf: (table: string) => string[],
): SchemaForeignKey[] {
  const byId = new Map<number, ForeignKeyRow[]>();
  for (const row of rows) byId.set(row.id, [...(byId.get(row.id) ?? []), row]);
  const keys = [...byId.values()].map((parts): SchemaForeignKey => {
    const table = parts[0]!.table;
    const implicit = parts.some((part) => part.to === null);
    return {
      columns: parts.map((part) => part.from),
      references: {
        table,
        columns: implicit ? primaryKeyOf(table) : parts.map((part) => part.to!),
      },
    };
  });
  return keys.sort((a, b) => a.columns.join(',').localeCompare(b.columns.join(',')));
}
