/**
 * Bundle entry of `bosun serve`: the workspace over HTTP — the API (`/api`), `/metrics`, the MCP
 * endpoint (`/mcp`, Streamable HTTP) and `/healthz` — plus a worker that executes the runs
 * started through it.
 * Loopback only unless told otherwise; every request but /healthz needs the bearer token.
 *
 *   bosun serve [--host 127.0.0.1] [--port 7433] [--no-worker] [--profile core|full] [--tools a,b]
 */

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve as listen } from '@hono/node-server';
import { resolveAccessToken } from '../app/access-token.js';
import { openRuntime } from '../app/runtime.js';
import { createRuntimeScheduler, refuseSecondSqliteWorker } from '../app/worker.js';
import {
  choiceFlag,
  flagError,
  integerFlag,
  listFlag,
  readCommandFlags,
  stringFlag,
} from '../shared/command-flags.js';
import { BosunError } from '../shared/errors.js';
import { EXIT_CODES } from '../shared/exit-codes.js';
import { parseDuration } from '../shared/duration.js';
import { stableStringify } from '../shared/json.js';
import { createServerApp } from './app.js';
import { DEFAULT_HEARTBEAT_MS } from './event-hub.js';
import { isLoopback, loopbackNames } from './guard.js';
import type { LoginCodes } from './login.js';
import { createLoginCodes, loginLink } from './login.js';

export const DEFAULT_PORT = 7433;

const HELP = `Usage: bosun serve [--host HOST] [--port N] [flags]

Serves this workspace over HTTP: the API (POST /api/<operation>, REST routes such as
GET /api/projects, the OpenAPI document at /api/openapi.json), Prometheus metrics at /metrics,
MCP (Streamable HTTP) at /mcp and /healthz, and runs a worker that executes the runs started
through it. The web dashboard is at / (--open prints a login
link). Every request but /healthz and the dashboard's files must carry
"Authorization: Bearer <token>": the token is in .bosun/token (made by 'bosun init'), or set
BOSUN_TOKEN. The journal streams live at /api/events (WebSocket) and /api/events/sse (SSE),
which also take the token as ?token= (browsers cannot set headers there); see docs/server.md.

  --host HOST          address to listen on (default 127.0.0.1). Any other than loopback
                       exposes the workspace to the network: the token is then always required
  --port N             port (default ${DEFAULT_PORT}; 0 picks a free one and prints it)
  --allow-origin URL   also accept browser requests from this origin, with CORS headers
                       (repeatable); by default only the server's own loopback origins are
                       accepted, and no CORS headers are sent
  --no-auth            no token (loopback only): for a local client that cannot send headers
  --no-worker          only serve; 'bosun worker' executes runs
  --concurrency N      steps the worker runs at once (default 4)
  --grace DURATION     on Ctrl-C/SIGTERM, time running steps get to finish (default 10s)
  --heartbeat DURATION how often the event streams send a heartbeat to an idle client
                       (default 15s; from 100ms to 10m)
  --profile core|full  MCP tools, as for 'bosun mcp' (default core)
  --tools A,B          exactly these operations as MCP tools
  --as NAME            actor for every write (default: each MCP client's name; over /api a
                       request's X-Bosun-Actor header comes first, and without both it is web)
  --open               print a one-time login link for the web dashboard (works once, for
                       10 minutes; the page then keeps the token)
  --json               print where it listens as one JSON line

Examples:
  bosun serve
  bosun serve --port 0 --json
  BOSUN_TOKEN=$(openssl rand -base64 32) bosun serve --host 0.0.0.0 --port 7433
`;

interface ServeFlags {
  host: string;
  port: number;
  allowOrigins: readonly string[];
  auth: boolean;
  worker: boolean;
  concurrency?: number | undefined;
  graceMs: number;
  heartbeatMs: number;
  profile: 'core' | 'full';
  tools?: string[] | undefined;
  workspace?: string | undefined;
  db?: string | undefined;
  as?: string | undefined;
  open: boolean;
  json: boolean;
  help: boolean;
}

function parseFlags(argv: readonly string[]): ServeFlags {
  const flags = readCommandFlags(argv, {
    command: 'serve',
    flags: {
      host: 'value',
      port: 'value',
      'allow-origin': 'value',
      'no-auth': 'boolean',
      'no-worker': 'boolean',
      concurrency: 'value',
      grace: 'value',
      heartbeat: 'value',
      profile: 'value',
      tools: 'value',
      open: 'boolean',
      json: 'boolean',
    },
  });
  const allowOrigins = flags.lists['allow-origin'] ?? [];
  for (const origin of allowOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw flagError(
        'allow-origin',
        `must be scheme://host[:port] without a path, not '${origin}'`,
      );
    }
  }
  const grace = stringFlag(flags, 'grace');
  const heartbeat = stringFlag(flags, 'heartbeat');
  const heartbeatMs =
    heartbeat === undefined ? DEFAULT_HEARTBEAT_MS : parseDuration(heartbeat, 'heartbeat');
  if (heartbeatMs < 100 || heartbeatMs > 600_000) {
    throw flagError('heartbeat', `must be from 100ms to 10m, not '${heartbeat}'`);
  }
  return {
    host: stringFlag(flags, 'host') ?? '127.0.0.1',
    port: integerFlag(flags, 'port', 0, 65_535) ?? DEFAULT_PORT,
    allowOrigins,
    auth: flags.values['no-auth'] !== true,
    worker: flags.values['no-worker'] !== true,
    concurrency: integerFlag(flags, 'concurrency', 1, 1_000),
    graceMs: grace === undefined ? 10_000 : parseDuration(grace, 'grace'),
    heartbeatMs,
    profile: choiceFlag(flags, 'profile', ['core', 'full'] as const) ?? 'core',
    tools: listFlag(flags, 'tools'),
    workspace: stringFlag(flags, 'workspace'),
    db: stringFlag(flags, 'db'),
    as: stringFlag(flags, 'as'),
    open: flags.values['open'] === true,
    json: flags.values['json'] === true,
    help: flags.help,
  };
}

const say = (text: string) => process.stderr.write(`${text}\n`);

async function serve(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv);
  if (flags.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const loopback = isLoopback(flags.host);
  if (!flags.auth && !loopback) {
    throw flagError(
      'host',
      `${flags.host} is not a loopback address: serving it without a token (--no-auth) would hand the workspace to the network; drop --no-auth`,
    );
  }
  const runtime = await openRuntime({
    cwd: process.cwd(),
    env: process.env,
    workspace: flags.workspace,
    db: flags.db,
    actor: flags.as,
  });
  try {
    const token = flags.auth ? resolveAccessToken(runtime.workspace.dir, process.env) : null;
    if (token?.created) say(`created the access token in ${token.source}`);
    const started = await start(runtime, flags, token?.token ?? null);
    const login = started.login ? loginLink(started.url, started.login.issue()) : null;
    if (flags.json) {
      process.stdout.write(
        `${stableStringify({ url: started.url, mcp: `${started.url}/mcp`, pid: process.pid, token: token?.source ?? null, worker: started.worker, ...(login ? { login } : {}) }, 0)}\n`,
      );
    } else {
      say(`bosun serve: ${started.url} (MCP at ${started.url}/mcp)`);
      say(token ? `token: ${token.source}` : 'no token required (--no-auth, loopback only)');
      if (login) say(`dashboard: ${login} (one-time login link, valid 10 minutes)`);
      if (!loopback) say(`warning: listening on ${flags.host}: reachable from the network`);
      if (!started.worker) say('no worker here: runs wait for `bosun worker`');
    }
    await started.done;
    return 0;
  } finally {
    await runtime.close();
  }
}

async function start(
  runtime: Awaited<ReturnType<typeof openRuntime>>,
  flags: ServeFlags,
  token: string | null,
): Promise<{ url: string; worker: boolean; login: LoginCodes | null; done: Promise<void> }> {
  // The guard needs the port, which --port 0 knows only once listening: it reads it late.
  const names = { hosts: new Set<string>(), origins: new Set<string>(flags.allowOrigins) };
  const login = flags.open && token !== null ? createLoginCodes() : null;
  const server = createServerApp(runtime, {
    guard: {
      token,
      allowedOrigins: names.origins,
      allowedHosts: isLoopback(flags.host) ? names.hosts : null,
    },
    mcp: { profile: flags.profile, tools: flags.tools, as: flags.as },
    corsOrigins: new Set(flags.allowOrigins),
    events: { heartbeatMs: flags.heartbeatMs },
    ...(login ? { login } : {}),
  });
  const http = await new Promise<ReturnType<typeof listen>>((resolve, reject) => {
    const listening = listen(
      { fetch: server.app.fetch, hostname: flags.host, port: flags.port },
      () => resolve(listening),
    );
    listening.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new BosunError(
              'unavailable',
              `port: ${flags.port} is in use; pick another with --port (0 picks a free one)`,
              {
                details: { field: 'port' },
              },
            )
          : error,
      ),
    );
  });
  server.events.injectWebSocket(http as Server);
  const port = (http.address() as AddressInfo).port;
  const { hosts, origins } = loopbackNames(port);
  if (isLoopback(flags.host)) hosts.forEach((h) => names.hosts.add(h));
  origins.forEach((o) => names.origins.add(o));
  if (!isLoopback(flags.host))
    names.origins.add(
      `http://${flags.host.includes(':') ? `[${flags.host}]` : flags.host}:${port}`,
    );
  const shown = flags.host.includes(':') ? `[${flags.host}]` : flags.host;

  let worker = flags.worker;
  if (worker) {
    try {
      await refuseSecondSqliteWorker(runtime);
    } catch (error) {
      say(`warning: ${(error as Error).message}; serving without a worker`);
      worker = false;
    }
  }
  const scheduler = worker
    ? createRuntimeScheduler(
        runtime,
        {
          ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
          warn: (m) => say(`warning: ${m}`),
        },
        { worker: true },
      )
    : null;
  const running = scheduler?.run() ?? Promise.resolve();

  const done = new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        void scheduler?.stop(0);
        return;
      }
      stopping = true;
      say(`bosun serve: ${signal}, stopping`);
      void (async () => {
        await scheduler?.stop(flags.graceMs);
        await running.catch(() => undefined);
        await server.close();
        (http as Server).closeAllConnections();
        await new Promise<void>((closed) => http.close(() => closed()));
        resolve();
      })();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return { url: `http://${shown}:${port}`, worker, login, done };
}

try {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('serve');
  process.exitCode = await serve(at >= 0 ? [...argv.slice(0, at), ...argv.slice(at + 1)] : argv);
} catch (error) {
  const message =
    error instanceof BosunError ? `error[${error.code}]: ${error.message}` : String(error);
  process.stderr.write(`${message}\n`);
  process.exitCode = error instanceof BosunError ? EXIT_CODES[error.code] : 1;
}
