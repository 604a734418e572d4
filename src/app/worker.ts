/**
 * A scheduler on a runtime, as `bosun run start` (one run), `bosun worker` and `bosun serve` (every
 * run) use it, and the rule that a SQLite workspace has one worker process. A worker scheduler
 * also embeds pending memory items in the background while it runs (`embeddings:` in bosun.yaml).
 */

import type { Scheduler } from '../core/engine/scheduler.js';
import type { MemoryVectors } from '../core/services/memory-embedding.js';
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
): Scheduler {
  const scheduler = createEngineScheduler({
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
  const vectors = runtime.memoryVectors;
  if (!('worker' in scope) || vectors === undefined) return scheduler;
  // The embedding pass lives exactly as long as the scheduler's run.
  let embedding: BackgroundEmbedding | undefined;
  return {
    async run(runOptions) {
      embedding ??= startBackgroundEmbedding(vectors, { warn: options.warn });
      try {
        return await scheduler.run(runOptions);
      } finally {
        await embedding.stop();
        embedding = undefined;
      }
    },
    async stop(graceMs) {
      await embedding?.stop();
      await scheduler.stop(graceMs);
    },
    get inFlight() {
      return scheduler.inFlight;
    },
  };
}

/** How often the background pass looks for pending memory items. */
export const EMBED_INTERVAL_MS = 2_000;
/** How long it waits after a failure (the embedding server down) before trying again. */
export const EMBED_RETRY_MS = 30_000;

export interface BackgroundEmbedding {
  stop(): Promise<void>;
}

/**
 * Embeds pending memory items every `intervalMs` until stopped: a read when nothing waits, a
 * batch per embedder call otherwise. A failure is reported once (not every round) and retried
 * after `retryMs`; it never stops the worker.
 */
export function startBackgroundEmbedding(
  vectors: MemoryVectors,
  options: {
    readonly warn: (message: string) => void;
    readonly intervalMs?: number;
    readonly retryMs?: number;
  },
): BackgroundEmbedding {
  const controller = new AbortController();
  const { signal } = controller;
  let lastProblem = '';
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    });
  const loop = (async () => {
    while (!signal.aborted) {
      let wait = options.intervalMs ?? EMBED_INTERVAL_MS;
      try {
        await vectors.embedPending({ signal });
        lastProblem = '';
      } catch (error) {
        if (signal.aborted) break;
        const problem = (error as Error).message;
        if (problem !== lastProblem) options.warn(`memory embedding: ${problem}`);
        lastProblem = problem;
        wait = options.retryMs ?? EMBED_RETRY_MS;
      }
      await pause(wait);
    }
  })();
  return {
    async stop() {
      controller.abort();
      await loop;
    },
  };
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
