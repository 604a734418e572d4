/**
 * A scheduler on a runtime, as `bosun run start` (one run), `bosun worker` and `bosun serve` (every
 * run) use it, and the rule that a SQLite workspace has one worker process. A worker scheduler
 * also embeds pending memory items in the background while it runs (`embeddings:` in bosun.yaml)
 * and, when an agent plays `summarizer`, rewrites extractive memory summaries with its model; a
 * scheduler of one run makes one such summary pass when the run is over.
 */

import type { Scheduler } from '../core/engine/scheduler.js';
import type { MemoryVectors } from '../core/services/memory-embedding.js';
import type { SummarizeReport, SummarizeSettings } from '../core/services/memory-summaries.js';
import { summarizeMemory } from '../core/services/memory-summaries.js';
import { BosunError } from '../shared/errors.js';
import { createEngineScheduler, isOwnerAlive } from './engine.js';
import type { Runtime } from './runtime.js';
import { createSummarizer } from './summarizer.js';

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
  const summaries: SummarizeSettings = {
    store: runtime.store,
    clock: runtime.clock,
    newId: runtime.newId,
    // bosun.yaml as the scheduler reads it (re-read when it changes); the AI SDK loads on a call.
    summarizer: createSummarizer({ agents: () => runtime.agents(), env: runtime.env }),
  };
  if (!('worker' in scope)) {
    // `bosun run start` and friends: one summary pass once the run is over, when an agent plays
    // `summarizer` (a task the run finished has an extractive summary to rewrite).
    const pass = new AbortController();
    return {
      async run(runOptions) {
        const result = await scheduler.run(runOptions);
        await summarizeOnce(summaries, { warn: options.warn, signal: pass.signal });
        return result;
      },
      async stop(graceMs) {
        pass.abort();
        await scheduler.stop(graceMs);
      },
      get inFlight() {
        return scheduler.inFlight;
      },
    };
  }
  const vectors = runtime.memoryVectors;
  // The background passes live exactly as long as the scheduler's run.
  let background: BackgroundLoop[] = [];
  const stopBackground = async () => {
    const stopping = background;
    background = [];
    await Promise.all(stopping.map((loop) => loop.stop()));
  };
  return {
    async run(runOptions) {
      if (background.length === 0) {
        background = [
          ...(vectors === undefined
            ? []
            : [startBackgroundEmbedding(vectors, { warn: options.warn })]),
          startBackgroundSummaries(summaries, { warn: options.warn }),
        ];
      }
      try {
        return await scheduler.run(runOptions);
      } finally {
        await stopBackground();
      }
    },
    async stop(graceMs) {
      await stopBackground();
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
/** How often the summary pass looks for extractive summaries (when an agent plays summarizer). */
export const SUMMARIZE_INTERVAL_MS = 10_000;
/** How long it waits after a failure (the model down) before trying again. */
export const SUMMARIZE_RETRY_MS = 60_000;

export interface BackgroundLoop {
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
): BackgroundLoop {
  return startBackgroundLoop((signal) => vectors.embedPending({ signal }), {
    label: 'memory embedding',
    warn: options.warn,
    intervalMs: options.intervalMs ?? EMBED_INTERVAL_MS,
    retryMs: options.retryMs ?? EMBED_RETRY_MS,
  });
}

/**
 * Rewrites extractive task and project summaries with the summarizer agent's model every
 * `intervalMs` until stopped. Without an agent playing `summarizer` a round reads bosun.yaml's
 * settings in memory and nothing else; with one, an index read finds what waits. A failure (the
 * model down, a misconfigured agent) is reported once and retried after `retryMs`.
 */
export function startBackgroundSummaries(
  settings: SummarizeSettings,
  options: {
    readonly warn: (message: string) => void;
    readonly intervalMs?: number;
    readonly retryMs?: number;
  },
): BackgroundLoop {
  return startBackgroundLoop(
    async (signal) => {
      const report = await summarizeMemory(settings, { signal });
      if (report.problem !== null) throw new Error(report.problem);
    },
    {
      label: 'memory summaries',
      warn: options.warn,
      intervalMs: options.intervalMs ?? SUMMARIZE_INTERVAL_MS,
      retryMs: options.retryMs ?? SUMMARIZE_RETRY_MS,
    },
  );
}

/** One summary pass that never fails its caller: a problem is a warning. */
export async function summarizeOnce(
  settings: SummarizeSettings,
  options: { readonly warn: (message: string) => void; readonly signal?: AbortSignal },
): Promise<SummarizeReport | null> {
  try {
    const report = await summarizeMemory(settings, { signal: options.signal });
    if (report.problem !== null) options.warn(`memory summaries: ${report.problem}`);
    return report;
  } catch (error) {
    if (!options.signal?.aborted) options.warn(`memory summaries: ${(error as Error).message}`);
    return null;
  }
}

function startBackgroundLoop(
  work: (signal: AbortSignal) => Promise<unknown>,
  options: {
    readonly label: string;
    readonly warn: (message: string) => void;
    readonly intervalMs: number;
    readonly retryMs: number;
  },
): BackgroundLoop {
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
      let wait = options.intervalMs;
      try {
        await work(signal);
        lastProblem = '';
      } catch (error) {
        if (signal.aborted) break;
        const problem = (error as Error).message;
        if (problem !== lastProblem) options.warn(`${options.label}: ${problem}`);
        lastProblem = problem;
        wait = options.retryMs;
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
