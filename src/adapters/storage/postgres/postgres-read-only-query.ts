/**
 * Read-only SQL on the shared store (docs/decisions/0012). Each query gets a connection of its
 * own, closed afterwards, so whatever session state it leaves (an advisory lock, a setting) goes
 * with it. The query runs in a `READ ONLY` transaction with a statement timeout, as the body of a
 * cursor: `DECLARE … CURSOR FOR` takes only a query (SELECT, WITH … SELECT, VALUES, TABLE) and
 * refuses a WITH that modifies data, and the extended protocol refuses a second statement.
 * `FETCH` asks for one row past the limit, so the rest of a large result is never computed.
 */

import pg from 'pg';
import type { ReadOnlyQueryLimits, ReadOnlyQueryResult } from '../../../ports/store.js';
import { BosunError } from '../../../shared/errors.js';
import {
  MAX_RESULT_CHARS,
  jsonSizeOf,
  mapDriverError,
  queryRefused,
  queryTimedOut,
  resultTooLarge,
  toJsonValue,
} from '../sql/index.js';

const CURSOR_PREFIX = 'declare bosun_query no scroll cursor for ';
const CONNECT_TIMEOUT_MS = 10_000;
/** The client gives up this long after the server should have cancelled the statement. */
const CLIENT_GRACE_MS = 2_000;

/** SQLSTATE classes that say the server or the connection failed, not the query. */
const SERVER_FAILURE_CLASSES = new Set(['08', '53', '54', '57', '58', 'XX']);

export interface PostgresReadOnlyQueries {
  query(sql: string, limits: ReadOnlyQueryLimits): Promise<ReadOnlyQueryResult>;
  /** Ends the connections of queries still running. */
  close(): Promise<void>;
}

/** A bigint as a number when that is exact, else as its digits: no value is silently rounded. */
const parseExactInteger = (text: string): number | string => {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : text;
};

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8
      ? parseExactInteger
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export function createPostgresReadOnlyQueries(url: string): PostgresReadOnlyQueries {
  const open = new Set<pg.Client>();
  let closed = false;
  return {
    async query(text, { maxRows, timeoutMs }) {
      if (closed) throw new BosunError('unavailable', 'the store is closed');
      const client = new pg.Client({
        connectionString: url,
        application_name: 'bosun-query',
        types,
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
        query_timeout: timeoutMs + CLIENT_GRACE_MS,
      });
      client.on('error', () => undefined);
      open.add(client);
      try {
        try {
          await client.connect();
        } catch (error) {
          throw mapDriverError(error);
        }
        const body = text.trimStart();
        const leading = text.length - body.length;
        const sentAt = performance.now();
        try {
          await client.query('begin read only');
          await client.query(`set local statement_timeout = ${timeoutMs}`);
          await client.query(
            `set local idle_in_transaction_session_timeout = ${timeoutMs + CLIENT_GRACE_MS}`,
          );
          const declare: pg.QueryConfig & { queryMode: 'extended' } = {
            text: `${CURSOR_PREFIX}${body}`,
            queryMode: 'extended',
          };
          await client.query(declare);
          // The timeout covers planning and fetching together.
          const left = Math.ceil(timeoutMs - (performance.now() - sentAt));
          if (left <= 0) throw queryTimedOut(timeoutMs);
          await client.query(`set local statement_timeout = ${left}`);
          const fetched = await client.query<unknown[]>({
            text: `fetch forward ${maxRows + 1} from bosun_query`,
            rowMode: 'array',
          });
          const ms = Math.round(performance.now() - sentAt);
          const rows = fetched.rows.slice(0, maxRows).map((row) => row.map(toJsonValue));
          // Measured once the rows are here: FETCH has no byte limit, only the row limit.
          let size = 0;
          for (const row of rows) {
            size += jsonSizeOf(row);
            if (size > MAX_RESULT_CHARS) throw resultTooLarge();
          }
          return {
            columns: fetched.fields.map((field) => field.name),
            rows,
            truncated: fetched.rows.length > maxRows,
            ms,
          };
        } catch (error) {
          throw toQueryError(error, timeoutMs, CURSOR_PREFIX.length - leading);
        }
      } finally {
        open.delete(client);
        // Closing the connection rolls the transaction back.
        await client.end().catch(() => undefined);
      }
    },
    async close() {
      closed = true;
      await Promise.all([...open].map((client) => client.end().catch(() => undefined)));
    },
  };
}

interface ServerError {
  code?: unknown;
  message?: unknown;
  position?: unknown;
}

/** `offset`: characters of the sent text before the caller's query begins. */
function toQueryError(error: unknown, timeoutMs: number, offset: number): unknown {
  if (error instanceof BosunError || typeof error !== 'object' || error === null) return error;
  const { code, message, position } = error as ServerError;
  const text = typeof message === 'string' ? message : String(error);
  if (code === '57014' || text === 'Query read timeout') return queryTimedOut(timeoutMs, error);
  const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  if (sqlState === undefined || SERVER_FAILURE_CLASSES.has(sqlState.slice(0, 2))) {
    return new BosunError('unavailable', `the workspace store cannot be queried: ${text}`, {
      cause: error,
      retryable: true,
    });
  }
  const at = typeof position === 'string' ? Number(position) - offset : undefined;
  const where = at !== undefined && at > 0 ? ` (at character ${at})` : '';
  const why =
    sqlState === '42601'
      ? `${text}${where} — only one query runs here (SELECT, WITH … SELECT, VALUES or TABLE)`
      : // The cursor is bosun's wrapping; the caller wrote a query.
        `${text.replace('DECLARE CURSOR', 'a read-only query')}${where}`;
  return queryRefused(why, {
    cause: error,
    details: { sqlState, ...(where === '' ? {} : { position: at }) },
  });
}
