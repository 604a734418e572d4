/**
 * Read-only SQL on the embedded store (docs/decisions/0012). Each query gets a fresh connection
 * opened read-only with `query_only` on, and runs only if SQLite itself marks the statement
 * read-only (`sqlite3_stmt_readonly`) and as one that returns rows; better-sqlite3 refuses more
 * than one statement and keeps `load_extension()` unauthorized.
 *
 * The connection lives in a child process, because better-sqlite3 cannot interrupt a statement
 * (no `sqlite3_interrupt`, and it is built without the progress handler): one step of a runaway
 * query never returns to JavaScript, so a worker thread running it can be neither stopped nor
 * even left behind when the process exits. A process can be killed. The child is started on the
 * first query (about 100 ms), kept for the next one while idle, killed at a query's timeout, and
 * killed when the store closes.
 */

import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { resolve } from 'node:path';
import type { ReadOnlyQueryLimits, ReadOnlyQueryResult } from '../../../ports/store.js';
import { BosunError } from '../../../shared/errors.js';
import {
  MAX_RESULT_CHARS,
  queryRefused,
  queryTimedOut,
  resultTooLarge,
  toJsonValue,
} from '../sql/index.js';

/** How long a new child may take to load the driver before bosun gives up on it. */
const STARTUP_TIMEOUT_MS = 10_000;
/** The child kills itself this long after a query's timeout, should its parent be gone. */
const WATCHDOG_GRACE_MS = 2_000;
/** A read-only connection waits at most this long for a lock (a writer rewinding the WAL). */
const MAX_BUSY_WAIT_MS = 5_000;

// CommonJS evaluated by `node -e` in the child: it needs only the driver, whose resolved path is
// its one argument. The watchdog is a thread because the main thread may be stuck in one SQLite
// step, where no timer of its own can run.
const CHILD_SOURCE = `
'use strict';
const { Worker } = require('node:worker_threads');
const Database = require(process.argv[1]);
const watchdog = new Worker(
  "const { parentPort } = require('node:worker_threads'); let timer;" +
    "parentPort.on('message', (ms) => { clearTimeout(timer);" +
    " if (ms > 0) timer = setTimeout(() => process.kill(process.pid, 'SIGKILL'), ms); });",
  { eval: true },
);
watchdog.unref();

// Characters of the value's JSON, near enough (a blob becomes hex digits).
const sizeOf = (value) =>
  typeof value === 'string'
    ? value.length + 2
    : value instanceof Uint8Array
      ? 2 * value.length + 4
      : 8;

function run(request) {
  const db = new Database(request.path, {
    readonly: true,
    fileMustExist: true,
    timeout: request.busyTimeoutMs,
  });
  try {
    db.unsafeMode(false);
    // Exact integers: the parent turns each into a number when that is exact, else into text.
    db.defaultSafeIntegers(true);
    db.pragma('query_only = ON');
    const statement = db.prepare(request.sql);
    if (!statement.readonly) return { refused: 'writes' };
    if (!statement.reader) return { refused: 'no-rows' };
    const columns = statement.columns().map((column) => column.name);
    const rows = [];
    let truncated = false;
    let size = 0;
    for (const row of statement.raw(true).iterate()) {
      if (rows.length === request.maxRows) {
        truncated = true;
        break;
      }
      for (const value of row) size += sizeOf(value);
      if (size > request.maxChars) return { tooLarge: true };
      rows.push(row);
    }
    return { columns, rows, truncated };
  } finally {
    db.close();
  }
}

process.on('message', (request) => {
  watchdog.postMessage(request.deadlineMs);
  let reply;
  try {
    reply = run(request);
  } catch (error) {
    reply = {
      failed: {
        message: String(error && error.message ? error.message : error),
        code: error && typeof error.code === 'string' ? error.code : null,
      },
    };
  }
  watchdog.postMessage(0);
  process.send(reply);
});
process.on('disconnect', () => process.exit(0));
process.send('ready');
`;

export interface QueryRequest {
  readonly path: string;
  readonly sql: string;
  readonly maxRows: number;
  readonly busyTimeoutMs: number;
  readonly deadlineMs: number;
  readonly maxChars: number;
}

export type QueryReply =
  | { readonly columns: string[]; readonly rows: unknown[][]; readonly truncated: boolean }
  | { readonly refused: 'writes' | 'no-rows' }
  | { readonly tooLarge: true }
  | { readonly failed: { readonly message: string; readonly code: string | null } };

/** Driver codes that say the store cannot be read at all (not that the query is wrong). */
const STORE_FAILURES = /^SQLITE_(CANTOPEN|BUSY|LOCKED|IOERR|CORRUPT|NOTADB|NOMEM|FULL|PROTOCOL)/;

export interface SqliteReadOnlyQueries {
  query(sql: string, limits: ReadOnlyQueryLimits): Promise<ReadOnlyQueryResult>;
  /** Kills every child, idle or busy, and waits for them to exit. */
  close(): Promise<void>;
}

export function createSqliteReadOnlyQueries(path: string): SqliteReadOnlyQueries {
  const inMemory = path === ':memory:' || path === '';
  const file = inMemory ? path : resolve(path);
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const children = new Set<QueryProcess>();
  let idle: QueryProcess | undefined;
  let closed = false;

  return {
    async query(sql, limits) {
      if (inMemory) {
        throw new BosunError(
          'unavailable',
          'an in-memory store cannot be queried read-only: no other connection can reach it',
        );
      }
      if (closed) throw new BosunError('unavailable', 'the store is closed');
      let child = idle;
      idle = undefined;
      if (child === undefined || child.exited) {
        child = startQueryProcess(driver);
        children.add(child);
        const started = child;
        void started.exit.then(() => children.delete(started));
      }
      const { reply, ms } = await child.run(
        {
          path: file,
          sql,
          maxRows: limits.maxRows,
          busyTimeoutMs: Math.min(limits.timeoutMs, MAX_BUSY_WAIT_MS),
          deadlineMs: limits.timeoutMs + WATCHDOG_GRACE_MS,
          maxChars: MAX_RESULT_CHARS,
        },
        limits.timeoutMs,
      );
      // Only one child waits idle; one that served a concurrent query goes away.
      if (closed || idle !== undefined) void child.stop();
      else idle = child;
      return toResult(reply, ms);
    },
    async close() {
      closed = true;
      idle = undefined;
      await Promise.all([...children].map((child) => child.stop()));
    },
  };
}

function toResult(reply: QueryReply, ms: number): ReadOnlyQueryResult {
  if ('refused' in reply) {
    throw queryRefused(
      reply.refused === 'writes'
        ? 'the statement would write (SQLite does not mark it read-only)'
        : 'it returns no rows: only a query runs here (SELECT, WITH … SELECT, VALUES); ' +
            'ATTACH, PRAGMA settings and transaction control are refused',
    );
  }
  if ('tooLarge' in reply) throw resultTooLarge();
  if ('failed' in reply) {
    const { message, code } = reply.failed;
    if (code !== null && STORE_FAILURES.test(code)) {
      throw new BosunError('unavailable', `the workspace store cannot be queried: ${message}`, {
        details: { sqliteCode: code },
        retryable: /^SQLITE_(BUSY|LOCKED)/.test(code),
      });
    }
    const why = message.charAt(0).toLowerCase() + message.slice(1);
    throw queryRefused(why, { details: code === null ? {} : { sqliteCode: code } });
  }
  return {
    columns: reply.columns,
    rows: reply.rows.map((row) => row.map(toJsonValue)),
    truncated: reply.truncated,
    ms: Math.round(ms),
  };
}

export interface QueryProcess {
  /** Sends one query; rejects at `timeoutMs` (and kills the process) or if the process dies. */
  run(request: QueryRequest, timeoutMs: number): Promise<{ reply: QueryReply; ms: number }>;
  /** Kills the process and waits until it has exited. */
  stop(): Promise<void>;
  readonly exited: boolean;
  readonly exit: Promise<void>;
}

/** One child process with the driver loaded (exported for its tests). */
export function startQueryProcess(driver: string): QueryProcess {
  const child: ChildProcess = spawn(process.execPath, ['-e', CHILD_SOURCE, driver], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    // Structured clone: blobs, big integers and non-finite numbers arrive as they are.
    serialization: 'advanced',
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = `${stderr}${chunk.toString()}`.slice(-1_000);
  });
  let exited = false;
  let ready = false;
  let pending: { done(reply: QueryReply): void; fail(error: Error): void } | undefined;
  let onReady: { done(): void; fail(error: Error): void } | undefined;

  const died = (how: string) =>
    new BosunError(
      'unavailable',
      `the read-only query process ended unexpectedly (${how})${stderr.trim() === '' ? '' : `: ${stderr.trim()}`}`,
    );
  const exit = new Promise<void>((done) => {
    const ended = (how: string) => {
      if (exited) return;
      exited = true;
      onReady?.fail(died(how));
      pending?.fail(died(how));
      onReady = pending = undefined;
      done();
    };
    child.once('exit', (code, signal) => ended(signal ?? `exit code ${code}`));
    child.on('error', (error) => ended(error.message));
  });
  child.on('message', (message: unknown) => {
    if (message === 'ready') {
      ready = true;
      onReady?.done();
      onReady = undefined;
      return;
    }
    const waiting = pending;
    pending = undefined;
    waiting?.done(message as QueryReply);
  });

  // Idle, the child must not keep this process alive (a CLI command ends when its work does).
  const hold = (held: boolean) => {
    for (const handle of [child, child.channel, child.stderr as Socket | null]) {
      if (held) handle?.ref();
      else handle?.unref();
    }
  };
  hold(false);

  const started = (): Promise<void> =>
    ready
      ? Promise.resolve()
      : new Promise<void>((done, fail) => {
          const timer = setTimeout(() => {
            child.kill('SIGKILL');
            fail(
              new BosunError(
                'unavailable',
                `the read-only query process did not start within ${STARTUP_TIMEOUT_MS} ms`,
              ),
            );
          }, STARTUP_TIMEOUT_MS);
          onReady = {
            done: () => {
              clearTimeout(timer);
              done();
            },
            fail: (error) => {
              clearTimeout(timer);
              fail(error);
            },
          };
        });

  return {
    get exited() {
      return exited;
    },
    exit,
    async run(request, timeoutMs) {
      if (exited) throw died('before the query');
      hold(true);
      try {
        await started();
        const sentAt = performance.now();
        const reply = await new Promise<QueryReply>((done, fail) => {
          const timer = setTimeout(() => {
            pending = undefined;
            child.kill('SIGKILL');
            fail(queryTimedOut(timeoutMs));
          }, timeoutMs);
          pending = {
            done: (value) => {
              clearTimeout(timer);
              done(value);
            },
            fail: (error) => {
              clearTimeout(timer);
              fail(error);
            },
          };
          child.send(request, (error) => {
            if (error) pending?.fail(died(error.message));
          });
        });
        return { reply, ms: performance.now() - sentAt };
      } finally {
        if (!exited) hold(false);
      }
    },
    async stop() {
      if (!exited) {
        // Held until it has exited: this process waits for that.
        hold(true);
        child.kill('SIGKILL');
      }
      await exit;
    },
  };
}
