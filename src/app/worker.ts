/**
 * A scheduler on a runtime, as `bosun run start` (one run), `bosun worker` and `bosun serve` (every
 * run) use it, and the rule that a SQLite workspace has one worker process.
 */

import { BosunError } from '../shared/errors.js';
import { createEngineScheduler, isOwnerAlive } from './engine.js';
import type { Runtime } from './runtime.js';

export interface RuntimeSchedulerOptions {
  readonly concurrency?: number;
  readonly leaseMs?: number;
  /** Hears what goes wrong without stopping the scheduler (a store error, a bad bosun.yaml edit). */
  readonly warn: (message: string) => void;
}

export function createRuntimeScheduler(
  runtime: Runtime,
  options: RuntimeSchedulerOptions,
  scope: { runId: string } | { worker: true },
) {
  return createEngineScheduler({
    store: runtime.store,
    runners: runtime.runners,
    clock: runtime.clock,
    newId: runtime.newId,
    workdir: runtime.workdir,
    ...scope,
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
    agents: runtime.agents((error) =>
      options.warn(`bosun.yaml changed but was not reloaded: ${error.message}`),
    ),
    env: runtime.env,
    workspaceDir: runtime.workspace.dir,
    onError: (error) => options.warn((error as Error).message),
  });
}

/**
 * SQLite serializes writers, so a second worker process would only add lock waits; it is refused
 * while the first is alive (a stale registration of a dead process is ignored).
 */
export async function refuseSecondSqliteWorker(runtime: Runtime): Promise<void> {
  if (runtime.store.dialect !== 'sqlite') return;
  const workers = await runtime.store.transaction('read', (repos) => repos.workers.list());
  const now = runtime.clock.now().getTime();
  for (const other of workers) {
    const fresh = now - Date.parse(other.heartbeatAt) < 60_000;
    if (fresh && isOwnerAlive(`${other.host}/${other.pid}/`)) {
      throw new BosunError(
        'conflict',
        `worker: another worker (pid ${other.pid} on ${other.host}) already serves this SQLite workspace; SQLite supports one worker process (plus 'run start' in the foreground) — use PostgreSQL for several`,
        { details: { field: 'worker', pid: other.pid, host: other.host } },
      );
    }
  }
}
