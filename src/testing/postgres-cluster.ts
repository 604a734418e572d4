/**
 * A throwaway PostgreSQL cluster for tests: initdb into a fresh temp directory, start `postgres`
 * on a free port of 127.0.0.1 with its unix socket inside that directory, hand out empty
 * databases on demand, and stop it by PID. PostgreSQL refuses to run as root, so when the tests
 * run as root the server runs as the `postgres` OS user. Durability is switched off because
 * nothing here outlives the test run; that makes startup and every commit cheap.
 */

import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { chown, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

export interface PostgresCluster {
  /** URL of the cluster's `postgres` database, superuser `postgres`, trust authentication. */
  readonly url: string;
  /** Creates an empty database (a random name unless given) and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (SIGINT: fast shutdown), waits for it to exit and removes its directory. */
  stop(): Promise<void>;
}

export const DEFAULT_PG_BIN = '/usr/lib/postgresql/15/bin';
const INSTALL_HINT = 'apt-get install -y postgresql-15';
const STARTUP_TIMEOUT_MS = 30_000;
const SHUTDOWN_TIMEOUT_MS = 10_000;
const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

interface OsUser {
  readonly uid: number;
  readonly gid: number;
}

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const binDir = process.env['BOSUN_PG_BIN'] ?? DEFAULT_PG_BIN;
  const initdb = join(binDir, 'initdb');
  const postgres = join(binDir, 'postgres');
  for (const binary of [initdb, postgres]) {
    if (!existsSync(binary)) {
      throw new Error(
        `PostgreSQL server binaries not found: ${binary} is missing. ` +
          `Install them with \`${INSTALL_HINT}\`, or set BOSUN_PG_BIN to the directory ` +
          'that holds initdb and postgres.',
      );
    }
  }
  const runAs = process.getuid?.() === 0 ? await lookUpPostgresUser() : undefined;

  const dir = await mkdtemp(join(tmpdir(), 'bosun-pg-'));
  const dataDir = join(dir, 'data');
  const logPath = join(dir, 'postgres.log');
  let server: ChildProcess | undefined;
  try {
    if (runAs) await chown(dir, runAs.uid, runAs.gid);
    await runToCompletion(
      initdb,
      [
        '-D',
        dataDir,
        '-U',
        'postgres',
        '--auth=trust',
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
        '--no-sync',
      ],
      dir,
      runAs,
    );
    const port = await freePort();
    // prettier-ignore
    const serverArgs = [
      '-D', dataDir,
      '-p', String(port),
      '-k', dir,
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
      '-c', 'max_connections=200',
    ];
    const log = await open(logPath, 'a');
    try {
      server = spawn(postgres, serverArgs, {
        cwd: dir,
        stdio: ['ignore', log.fd, log.fd],
        ...runAs,
      });
    } finally {
      await log.close();
    }
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await waitUntilAccepting(url, server, logPath);
    return createHandle(url, dir, dataDir, server);
  } catch (error) {
    if (server && server.exitCode === null && server.signalCode === null) {
      server.kill('SIGQUIT');
      await waitForExit(server, SHUTDOWN_TIMEOUT_MS);
    }
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function createHandle(
  url: string,
  dir: string,
  dataDir: string,
  server: ChildProcess,
): PostgresCluster {
  let admin: pg.Client | undefined;
  let created = 0;
  let stopped: Promise<void> | undefined;
  // A test run that dies without calling stop() must not leave a server behind.
  const onExit = (): void => {
    server.kill('SIGQUIT');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const adminClient = async (): Promise<pg.Client> => {
    if (!admin) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      admin = client;
    }
    return admin;
  };

  return {
    url,
    async createDatabase(name) {
      created += 1;
      const database = name ?? `bosun_test_${process.pid}_${created}_${randomSuffix()}`;
      if (!DATABASE_NAME.test(database)) {
        throw new Error(`database name '${database}' must match ${String(DATABASE_NAME)}`);
      }
      await (await adminClient()).query(`create database "${database}"`);
      return url.replace(/\/postgres$/, `/${database}`);
    },
    stop() {
      stopped ??= (async () => {
        process.removeListener('exit', onExit);
        await admin?.end().catch(() => undefined);
        const pid = (await postmasterPid(dataDir)) ?? server.pid;
        if (pid !== undefined && server.exitCode === null && server.signalCode === null) {
          signal(pid, 'SIGINT');
          if (!(await waitForExit(server, SHUTDOWN_TIMEOUT_MS))) {
            signal(pid, 'SIGKILL');
            await waitForExit(server, SHUTDOWN_TIMEOUT_MS);
          }
        }
        await rm(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

async function lookUpPostgresUser(): Promise<OsUser> {
  try {
    const { stdout } = await promisify(execFile)('getent', ['passwd', 'postgres']);
    const [, , uid, gid] = stdout.trim().split(':');
    if (uid !== undefined && gid !== undefined) return { uid: Number(uid), gid: Number(gid) };
  } catch {
    // fall through to the error below
  }
  throw new Error(
    `running as root, but there is no 'postgres' OS user to run the server as. ` +
      `Install PostgreSQL with \`${INSTALL_HINT}\` (it creates the user), or run the tests as a non-root user.`,
  );
}

function runToCompletion(
  command: string,
  args: readonly string[],
  cwd: string,
  runAs: OsUser | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], ...runAs });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-8_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code, signalName) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(`${command} failed (${signalName ?? `exit ${String(code)}`}):\n${output}`),
        );
    });
  });
}

/** Asks the kernel for a free port. Another process may take it before postgres binds it; the startup error then says so. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() =>
        port > 0 ? resolve(port) : reject(new Error('could not find a free port')),
      );
    });
  });
}

async function waitUntilAccepting(
  url: string,
  server: ChildProcess,
  logPath: string,
): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new Error(`postgres exited during startup:\n${await readLog(logPath)}`);
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `postgres did not accept connections within ${STARTUP_TIMEOUT_MS} ms:\n${await readLog(logPath)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function readLog(logPath: string): Promise<string> {
  try {
    return (await readFile(logPath, 'utf8')).slice(-8_000);
  } catch {
    return '(no log)';
  }
}

async function postmasterPid(dataDir: string): Promise<number | undefined> {
  try {
    const first = (await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0];
    const pid = Number(first);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 8);
}
