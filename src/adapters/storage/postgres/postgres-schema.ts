/**
 * The shared store's schema as the port describes it, read from the system catalog for the
 * schema bosun's tables live in (`current_schema()`).
 */

import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { SchemaDescription, SchemaForeignKey, SchemaIndex } from '../../../ports/store.js';
import type { Database } from '../sql/index.js';

interface ColumnRow {
  table_name: string;
  column_name: string;
  type: string;
  not_null: boolean;
  key_position: number | null;
}

interface ForeignKeyRow {
  table_name: string;
  name: string;
  column_name: string;
  ref_table: string;
  ref_column: string;
}

interface IndexRow {
  table_name: string;
  index_name: string;
  is_unique: boolean;
  partial: boolean;
  column_name: string | null;
}

export async function describePostgresSchema(db: Kysely<Database>): Promise<SchemaDescription> {
  const columns = await sql<ColumnRow>`
    select c.relname as table_name, a.attname as column_name,
      format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
      array_position(pk.conkey, a.attnum) as key_position
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    left join pg_constraint pk on pk.conrelid = c.oid and pk.contype = 'p'
    where n.nspname = current_schema() and c.relkind in ('r', 'p')
    order by c.relname, a.attnum`.execute(db);
  const foreignKeys = await sql<ForeignKeyRow>`
    select cl.relname as table_name, con.conname as name, att.attname as column_name,
      fcl.relname as ref_table, fatt.attname as ref_column
    from pg_constraint con
    join pg_class cl on cl.oid = con.conrelid
    join pg_namespace n on n.oid = cl.relnamespace
    join pg_class fcl on fcl.oid = con.confrelid
    cross join lateral unnest(con.conkey, con.confkey) with ordinality as k(attnum, ref_attnum, ord)
    join pg_attribute att on att.attrelid = con.conrelid and att.attnum = k.attnum
    join pg_attribute fatt on fatt.attrelid = con.confrelid and fatt.attnum = k.ref_attnum
    where con.contype = 'f' and n.nspname = current_schema()
    order by cl.relname, con.conname, k.ord`.execute(db);
  const indexes = await sql<IndexRow>`
    select t.relname as table_name, i.relname as index_name, ix.indisunique as is_unique,
      ix.indpred is not null as partial, a.attname as column_name
    from pg_index ix
    join pg_class i on i.oid = ix.indexrelid
    join pg_class t on t.oid = ix.indrelid
    join pg_namespace n on n.oid = t.relnamespace
    cross join lateral unnest(ix.indkey::int2[]) with ordinality as k(attnum, ord)
    left join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum and k.attnum > 0
    where n.nspname = current_schema() and t.relkind in ('r', 'p')
    order by t.relname, i.relname, k.ord`.execute(db);

  const keysOf = groupBy(foreignKeys.rows, (row) => row.table_name);
  const indexesOf = groupBy(indexes.rows, (row) => row.table_name);
  return {
    dialect: 'postgres',
    tables: [...groupBy(columns.rows, (row) => row.table_name)]
      .map(([name, rows]) => ({
        name,
        columns: rows.map((row) => ({
          name: row.column_name,
          type: row.type.toLowerCase(),
          notNull: row.not_null,
          primaryKey: row.key_position !== null,
        })),
        primaryKey: rows
          .filter((row) => row.key_position !== null)
          .sort((a, b) => a.key_position! - b.key_position!)
          .map((row) => row.column_name),
        foreignKeys: toForeignKeys(keysOf.get(name) ?? []),
        indexes: toIndexes(indexesOf.get(name) ?? []),
      }))
      .sort(byName),
  };
}

/** Code-unit order, as SQLite sorts, whatever the database's collation. */
const byName = (a: { name: string }, b: { name: string }): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

function toForeignKeys(rows: readonly ForeignKeyRow[]): SchemaForeignKey[] {
  return [...groupBy(rows, (row) => row.name).values()]
    .map((parts) => ({
      columns: parts.map((part) => part.column_name),
      references: { table: parts[0]!.ref_table, columns: parts.map((part) => part.ref_column) },
    }))
    .sort((a, b) => a.columns.join(',').localeCompare(b.columns.join(',')));
}

function toIndexes(rows: readonly IndexRow[]): SchemaIndex[] {
  return [...groupBy(rows, (row) => row.index_name)]
    .map(([name, parts]) => ({
      name,
      columns: parts.map((part) => part.column_name ?? '(expression)'),
      unique: parts[0]!.is_unique,
      partial: parts[0]!.partial,
    }))
    .sort(byName);
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const name = key(row);
    const group = groups.get(name);
    if (group) group.push(row);
    else groups.set(name, [row]);
  }
  return groups;
}
