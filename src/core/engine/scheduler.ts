/**
 * The scheduler: claims ready steps under leases, runs them on their runners, and records each
 * outcome. It is event-driven: it sleeps only when nothing is claimable, and wakes on a runner
 * finishing, on a commit by anyone (Store.watch), or on the next retry's backoff. One write
 * transaction records every outcome that arrived since the last one and claims the next steps,
 * so a chain costs one transaction per step and a fan-out one transaction per wave.
 */

import type { BudgetConfig } from '../../domain/agent.js';
import type { NewJournalEvent, Run, Step } from '../../domain/run.js';
import type { JsonValue } from '../../domain/workflow.js';
import { Run as RunRules } from '../../domain/run.js';
import type {
  AgentActivity,
  AgentProfile,
  RunnerRegistry,
  StepOutcome,
  StepOutputStream,
} from '../../ports/runner.js';
import type { Repositories, Store } from '../../ports/store.js';
import type { CountTokens } from '../../ports/tokenizer.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import { StepFailure } from '../../shared/step-failure.js';
import { PACKED_RUNNERS } from '../../domain/agent.js';
import { packStepContext } from '../agents/step-context.js';
import type { ServiceContext } from '../services/service-context.js';
import type {
  AgentResolver,
  ClaimedAttempt,
  Completion,
  JournalContext,
  RunInfo,
} from './journal.js';
import {
  claimSteps,
  completeAttempt,
  expireLeases,
  flushEvents,
  journalContext,
  reclaimFromDeadOwners,
  stepOutputEvent,
} from './journal.js';
import type { TaskLink } from './task-link.js';

export const DEFAULT_LEASE_MS = 30_000;
export const DEFAULT_CONCURRENCY = 4;
/** How long buffered step output may wait before it is written. */
const OUTPUT_FLUSH_MS = 200;
/** Checks for a cancel made elsewhere at most this often while steps run. */
const HELD_CHECK_MS = 50;
/** Longest stretch the loop runs without letting timers and I/O in. */
const YIELD_EVERY_MS = 10;
/** Pause before trying again after the store refused a transaction. */
const RETRY_AFTER_ERROR_MS = 250;

export interface SchedulerSettings {
  readonly store: Store;
  readonly runners: RunnerRegistry;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  /** `host/pid/token`: who holds the leases. */
  readonly owner: string;
  readonly concurrency?: number;
  /** At most this many steps at once per runner name (in this scheduler). */
  readonly runnerLimits?: Readonly<Record<string, number>>;
  readonly leaseMs?: number;
  /** Only this run's steps (`run start`, `run resume`); otherwise every run (a worker). */
  readonly runId?: string;
  readonly workdir: string;
  /** Who does steps that name an agent or a role (bosun.yaml); without it, the mock runner. */
  readonly agents?: AgentResolver;
  /** The environment runners read API keys from. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The budgets in force; agents' steps are checked against them before they start. */
  readonly budgets?: () => readonly BudgetConfig[];
  /**
   * Where an agent's attempt works when its agent asks for its own folder (`workdir: worktree`
   * or `none`): prepared before the runner starts, finished after it ends (evidence of what
   * changed there, cleanup). Without it every step works in `workdir`.
   */
  readonly workdirs?: WorkdirProvider;
  /** Moves tasks of project runs. */
  readonly taskLink?: (ctx: ServiceContext) => TaskLink;
  /** This host's lease owners start with this; a dead one's steps are taken back at start. */
  readonly ownerPrefix?: string;
  readonly isOwnerAlive?: (owner: string) => boolean;
  /** Registers the scheduler in the workers table (`bosun worker`). */
  readonly worker?: { readonly host: string; readonly pid: number };
  /** Loads the token counter that packs agent steps' contexts (only when one is claimed). */
  readonly tokenizer?: () => Promise<CountTokens>;
  /** Called with failures of the scheduler itself (a store error); it keeps going. */
  readonly onError?: (error: unknown) => void;
}

/** A folder of an attempt's own; `finish` says what changed there (null: nothing to say). */
export interface PreparedWorkdir {
  readonly path: string;
  finish(succeeded: boolean): Promise<JsonObject | null>;
}

export interface WorkdirProvider {
  prepare(claim: ClaimedAttempt, mode: 'worktree' | 'none'): Promise<PreparedWorkdir>;
}

type JsonObject = { readonly [key: string]: JsonValue };

export type SchedulerExit =
  /** The scoped run ended (succeeded, failed, cancelled). */
  | 'ended'
  /** The scoped run cannot go on without someone: it waits for approvals or is paused. */
  | 'blocked'
  /** Nothing claimable and nothing running (`untilIdle`). */
  | 'idle'
  | 'stopped';

export interface SchedulerResult {
  readonly exit: SchedulerExit;
  readonly run: Run | null;
}

export interface Scheduler {
  /** Runs until stopped; a scoped scheduler also returns when its run ends or is blocked. */
  run(options?: { untilIdle?: boolean }): Promise<SchedulerResult>;
  /** Stops claiming, lets running steps finish for `graceMs`, then aborts and releases the rest. */
  stop(graceMs?: number): Promise<void>;
  readonly inFlight: number;
}

interface InFlight {
  readonly claim: ClaimedAttempt;
  readonly controller: AbortController;
  readonly timer: NodeJS.Timeout | undefined;
}

export function createScheduler(settings: SchedulerSettings): Scheduler {
  const { store, clock, owner } = settings;
  const concurrency = settings.concurrency ?? DEFAULT_CONCURRENCY;
  const leaseMs = settings.leaseMs ?? DEFAULT_LEASE_MS;
  const runnerLimits = settings.runnerLimits ?? {};
  const inFlight = new Map<string, InFlight>();
  const perRunner = new Map<string, number>();
  const perAgent = new Map<string, number>();
  /** Agent events waiting for the next transaction; message deltas merged per attempt. */
  const activity: NewJournalEvent[] = [];
  const completions: Completion[] = [];
  const outputs = new Map<string, { event: NewJournalEvent; lines: string[] }>();
  const runInputs = new Map<string, RunInfo>();
  const workerId = settings.worker ? settings.newId() : null;

  let stopping = false;
  let stopped: Promise<void> | undefined;
  let dirty = true;
  let externalChange = false;
  /**
   * The last claim pass saw every ready step and nothing has committed elsewhere since: the next
   * pass may claim among the steps it releases itself without looking up the queue.
   */
  let queueSeen = false;
  /** Commits seen from elsewhere; a pass that overlaps one cannot vouch for the queue. */
  let changesSeen = 0;
  let wakeUp: (() => void) | undefined;
  let lastExpiry = 0;
  let lastHeartbeat = 0;
  let lastHeldCheck = 0;

  const wake = () => {
    dirty = true;
    const resolve = wakeUp;
    wakeUp = undefined;
    resolve?.();
  };

  const accepts = (_step: Step, runner: string, agent: AgentProfile | undefined): boolean => {
    const limit = runnerLimits[runner];
    if (limit !== undefined && (perRunner.get(runner) ?? 0) >= limit) return false;
    const agentLimit = agent?.config.max_concurrency;
    return agentLimit === undefined || (perAgent.get(agent!.name) ?? 0) < agentLimit;
  };

  let inOwnTransaction = false;
  const own = async <T>(work: () => Promise<T>): Promise<T> => {
    inOwnTransaction = true;
    try {
      return await work();
    } finally {
      inOwnTransaction = false;
    }
  };
  const transaction = <T>(work: (ctx: JournalContext, repos: Repositories) => Promise<T>) =>
    own(() =>
      store.transaction('write', async (repos) => {
        const base = { repos, clock, newId: settings.newId };
        const serviceCtx: ServiceContext = { ...base, actor: owner, operation: 'run.step' };
        const ctx = journalContext(base, settings.taskLink?.(serviceCtx));
        const result = await work(ctx, repos);
        await flushEvents(ctx);
        return result;
      }),
    );

  function takeOutputs(at: string): NewJournalEvent[] {
    const events: NewJournalEvent[] = [];
    for (const { event, lines } of outputs.values()) {
      const joined = event.kind === 'agent-message-delta' ? lines.join('') : lines.join('\n');
      events.push({ ...event, at, data: { ...event.data, text: joined } });
    }
    outputs.clear();
    for (const event of activity.splice(0)) events.push({ ...event, at });
    return events;
  }

  const scheduleFlush = () => {
    outputTimer ??= setTimeout(() => {
      outputTimer = undefined;
      wake();
    }, OUTPUT_FLUSH_MS);
  };

  const reportFor =
    (claim: ClaimedAttempt) =>
    (report: AgentActivity): void => {
      const { step, attempt } = claim;
      const base = { step: step.key, attempt: attempt.number };
      if (report.kind === 'agent-message-delta') {
        // Deltas of one attempt are merged into one event per flush, in order.
        const key = `${attempt.id}:delta`;
        let buffer = outputs.get(key);
        if (!buffer) {
          buffer = {
            event: { at: '', runId: step.runId, stepId: step.id, kind: report.kind, data: base },
            lines: [],
          };
          outputs.set(key, buffer);
        }
        buffer.lines.push(report.text);
      } else {
        const { kind, ...data } = report;
        activity.push({
          at: '',
          runId: step.runId,
          stepId: step.id,
          kind,
          data: { ...base, ...data },
        });
      }
      scheduleFlush();
    };

  let outputTimer: NodeJS.Timeout | undefined;
  const emitFor =
    (claim: ClaimedAttempt) =>
    (stream: StepOutputStream, text: string): void => {
      const key = `${claim.attempt.id}:${stream}`;
      let buffer = outputs.get(key);
      if (!buffer) {
        buffer = {
          event: stepOutputEvent('', claim.step, claim.attempt.number, stream, ''),
          lines: [],
        };
        outputs.set(key, buffer);
      }
      buffer.lines.push(text);
      scheduleFlush();
    };

  function dispatch(claim: ClaimedAttempt): void {
    const { step, attempt } = claim;
    const runnerName = claim.runner;
    const agentName = claim.agent?.name;
    const controller = new AbortController();
    const timeoutMs = step.spec.timeoutMs ?? claim.agent?.config.timeout ?? null;
    const timer =
      timeoutMs !== null
        ? setTimeout(
            () =>
              controller.abort(
                new StepFailure({
                  kind: 'timeout',
                  message: `timed out after ${timeoutMs} ms`,
                  retryable: true,
                  outputTail: '',
                }),
              ),
            timeoutMs,
          )
        : undefined;
    inFlight.set(step.id, { claim, controller, timer });
    perRunner.set(runnerName, (perRunner.get(runnerName) ?? 0) + 1);
    if (agentName !== undefined) perAgent.set(agentName, (perAgent.get(agentName) ?? 0) + 1);
    const finish = (outcome: Completion['outcome']) => {
      if (timer) clearTimeout(timer);
      inFlight.delete(step.id);
      perRunner.set(runnerName, (perRunner.get(runnerName) ?? 1) - 1);
      if (agentName !== undefined) perAgent.set(agentName, (perAgent.get(agentName) ?? 1) - 1);
      completions.push({
        step,
        attemptId: attempt.id,
        owner,
        outcome,
        spender: {
          runner: runnerName,
          agent: agentName ?? null,
          model: claim.agent?.model?.name ?? null,
          projectId: claim.projectId,
        },
      });
      wake();
    };
    if (claim.renderError) {
      finish({ ok: false, failure: claim.renderError });
      return;
    }
    const runner = settings.runners.get(runnerName);
    if (!runner) {
      finish({
        ok: false,
        failure: {
          kind: 'error',
          message: `no runner '${runnerName}' in this worker (it has ${[...settings.runners.keys()].join(', ')})`,
          retryable: false,
          outputTail: '',
        },
      });
      return;
    }
    // An agent step's context is packed now, after its claim committed, outside any transaction.
    const tokenizer = settings.tokenizer;
    const packing =
      tokenizer !== undefined && claim.agent && PACKED_RUNNERS.has(claim.agent.config.runner)
        ? packStepContext(
            settings.store,
            settings.clock,
            {
              step,
              attempt,
              input: claim.input,
              previousAttempts: claim.previousAttempts,
              budget: claim.agent.config.context_tokens,
            },
            tokenizer,
          ).catch((error: unknown) => {
            // Without its packed context the runner builds the prompt from the input alone.
            settings.onError?.(error);
            return undefined;
          })
        : Promise.resolve(undefined);
    const execute = async (workdir: string): Promise<StepOutcome> => {
      const context = await packing;
      try {
        return await runner.execute({
          runId: step.runId,
          stepId: step.id,
          stepKey: step.key,
          attempt: attempt.number,
          idempotencyKey: attempt.idempotencyKey,
          input: claim.input,
          settings: claim.settings,
          previousAttempts: claim.previousAttempts,
          signal: controller.signal,
          workdir,
          emit: emitFor(claim),
          report: reportFor(claim),
          agent: claim.agent,
          context,
          env: settings.env,
        });
      } catch (error) {
        return Promise.reject(error as Error);
      }
    };
    const mode = claim.agent?.config.workdir ?? 'repo';
    const execution =
      mode === 'repo' || settings.workdirs === undefined
        ? execute(settings.workdir)
        : inOwnWorkdir(settings.workdirs, claim, mode, execute);
    execution.then(
      (result) =>
        finish({ ok: true, output: result.output, usage: result.usage, calls: result.calls }),
      (error: unknown) => {
        const failure = StepFailure.from(error).toJSON();
        // What a failed attempt spent still counts against the run (and its budgets).
        finish({ ok: false, failure, usage: failure.spent, calls: failure.spent?.calls });
      },
    );
  }

  /**
   * Runs an attempt in the folder its agent asks for, and adds what the attempt left there (the
   * branch, its commits, a diff stat) to its output as `evidence`.
   */
  async function inOwnWorkdir(
    workdirs: WorkdirProvider,
    claim: ClaimedAttempt,
    mode: 'worktree' | 'none',
    execute: (workdir: string) => Promise<StepOutcome>,
  ): Promise<StepOutcome> {
    const prepared = await workdirs.prepare(claim, mode);
    let outcome: StepOutcome;
    try {
      outcome = await execute(prepared.path);
    } catch (error) {
      await prepared.finish(false).catch(() => null);
      throw error;
    }
    const evidence = await prepared.finish(true);
    if (evidence === null) return outcome;
    const output = outcome.output;
    return {
      ...outcome,
      output:
        output !== null && typeof output === 'object' && !Array.isArray(output)
          ? { ...output, evidence }
          : { result: output, evidence },
    };
  }

  /** Leases of running steps are extended; steps cancelled or taken elsewhere are aborted. */
  async function heartbeat(now: number): Promise<void> {
    const held = [...inFlight.values()].map((f) => ({
      stepId: f.claim.step.id,
      attemptId: f.claim.attempt.id,
    }));
    const until = new Date(now + leaseMs).toISOString();
    const kept = await own(() =>
      store.transaction('write', async (repos) => {
        if (held.length > 0)
          await repos.steps.extendLeases(
            held.map((h) => h.stepId),
            owner,
            until,
          );
        if (workerId && settings.worker) {
          await repos.workers.upsert({
            id: workerId,
            host: settings.worker.host,
            pid: settings.worker.pid,
            concurrency,
            startedAt: startedAt,
            heartbeatAt: new Date(now).toISOString(),
          });
        }
        return held.length > 0 ? repos.steps.stillHeld(held, owner) : new Set<string>();
      }),
    );
    abortLost(kept);
  }

  function heldAttempts(): { stepId: string; attemptId: string }[] {
    return [...inFlight.values()].map((f) => ({
      stepId: f.claim.step.id,
      attemptId: f.claim.attempt.id,
    }));
  }

  async function checkHeld(): Promise<void> {
    const held = heldAttempts();
    if (held.length === 0) return;
    abortLost(await store.transaction('read', (repos) => repos.steps.stillHeld(held, owner)));
  }

  function abortLost(kept: ReadonlySet<string>): void {
    for (const [stepId, flight] of inFlight) {
      if (kept.has(stepId) || flight.controller.signal.aborted) continue;
      flight.controller.abort(
        new StepFailure({
          kind: 'cancelled',
          message: 'the step was cancelled, or its lease was taken over',
          retryable: false,
          outputTail: '',
        }),
      );
    }
  }

  /** Whether a scoped run can go on without outside help; null while it can. */
  async function settled(): Promise<{ exit: SchedulerExit; run: Run } | null> {
    return store.transaction('read', async (repos) => {
      // Steps first, then the run: on PostgreSQL each statement sees the latest commits, and a
      // run read first could end (its last step done elsewhere) before the steps are counted,
      // which would look like a run with nothing left to do that is still running: blocked.
      const counts = await repos.steps.countByStatus(settings.runId!);
      const run = await repos.runs.findById(settings.runId!);
      if (!run) return null;
      if (RunRules.isFinal(run.status)) {
        return { exit: 'ended' as const, run };
      }
      if (run.status === 'paused') return { exit: 'blocked' as const, run };
      // Steps running under someone else's lease, or ready (maybe after a backoff): wait for them.
      if ((counts.running ?? 0) > 0 || (counts.ready ?? 0) > 0) return null;
      return { exit: 'blocked' as const, run };
    });
  }

  const startedAt = clock.now().toISOString();

  /** The earliest backoff of a retry this scheduler may claim, as last looked up. */
  let nextRetryAt: string | null = null;
  let failuresWhileStopping = 0;

  async function loop(untilIdle: boolean): Promise<SchedulerResult> {
    // A scheduler writes on every step for as long as it runs.
    store.housekeepInBackground();
    const unwatch = store.watch((origin) => {
      // Our own commits notify too (for other observers in this process); they are no news here.
      // Commits by other processes always are, even when they land during our transaction.
      if (inOwnTransaction && origin === 'local') return;
      externalChange = true;
      queueSeen = false;
      changesSeen++;
      wake();
    });
    try {
      if (settings.ownerPrefix && settings.isOwnerAlive) {
        const alive = settings.isOwnerAlive;
        const prefix = settings.ownerPrefix;
        await transaction((ctx) => reclaimFromDeadOwners(ctx, prefix, alive));
      }
      let lastYield = Date.now();
      for (;;) {
        // Store calls resolve as microtasks; without a turn of the event loop now and then, a
        // long burst of instant steps would starve timers (timeouts, heartbeats, followers).
        if (Date.now() - lastYield >= YIELD_EVERY_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          lastYield = Date.now();
        }
        const nowMs = clock.now().getTime();
        try {
          if (nowMs - lastHeartbeat >= leaseMs / 3 && (inFlight.size > 0 || workerId)) {
            lastHeartbeat = nowMs;
            await heartbeat(nowMs);
          } else if (
            externalChange &&
            inFlight.size > 0 &&
            nowMs - lastHeldCheck >= HELD_CHECK_MS
          ) {
            lastHeldCheck = nowMs;
            externalChange = false;
            await checkHeld();
          }
        } catch (error) {
          settings.onError?.(error);
        }
        const capacity = stopping ? 0 : concurrency - inFlight.size;
        const finished = completions.splice(0);
        const expire = !stopping && nowMs - lastExpiry >= leaseMs / 4;
        let claimed: ClaimedAttempt[] = [];
        let nextAt: string | null = null;
        let lookedUp = false;
        let kept: ReadonlySet<string> | null = null;
        if (expire) {
          // A transaction of its own: sweeping takes no lock that a completion holds or waits for.
          lastExpiry = nowMs;
          // A sweep may give steps back to the queue.
          queueSeen = false;
          try {
            await transaction(async (ctx) => {
              await expireLeases(ctx);
              if (settings.ownerPrefix && settings.isOwnerAlive) {
                await reclaimFromDeadOwners(ctx, settings.ownerPrefix, settings.isOwnerAlive);
              }
            });
          } catch (error) {
            settings.onError?.(error);
          }
        }
        if (finished.length > 0 || outputs.size > 0 || expire || (dirty && capacity > 0)) {
          dirty = false;
          const changesBefore = changesSeen;
          try {
            ({ claimed, nextAt, kept } = await transaction(async (ctx, repos) => {
              ctx.events.push(...takeOutputs(ctx.now));
              for (const completion of finished) await completeAttempt(ctx, completion);
              // A failed step fails its run, which cancels the run's other running steps: those
              // running here stop now, not at the next heartbeat.
              const held =
                inFlight.size > 0 && finished.some((completion) => !completion.outcome.ok)
                  ? heldAttempts()
                  : [];
              const stillHeld = held.length > 0 ? await repos.steps.stillHeld(held, owner) : null;
              const due = nextRetryAt !== null && Date.parse(nextRetryAt) <= nowMs;
              // A failure may put steps back in the queue (a retry, a requeue); a backoff that
              // has come makes one claimable: then the queue is looked up.
              const pass = await claimSteps(ctx, {
                owner,
                leaseMs,
                capacity,
                runId: settings.runId,
                accepts,
                agents: settings.agents,
                budgets: settings.budgets,
                runInputs,
                onlyReleased: queueSeen && !due && finished.every((c) => c.outcome.ok),
              });
              queueSeen = pass.drained && changesSeen === changesBefore;
              const got = pass.claimed;
              // When to look again: the next retry's backoff. Asked only when something may have
              // changed it (a failure here, a backoff that has come) or nothing else will wake
              // this scheduler (nothing running, nothing claimed), not on every step of a run.
              lookedUp =
                got.length < capacity &&
                ((inFlight.size === 0 && got.length === 0) ||
                  due ||
                  finished.some((c) => !c.outcome.ok));
              const next = lookedUp
                ? await repos.steps.nextAvailableAt(ctx.now, settings.runId)
                : null;
              return { claimed: got, nextAt: next, kept: stillHeld };
            }));
            if (lookedUp) nextRetryAt = nextAt;
            failuresWhileStopping = 0;
          } catch (error) {
            // The store refused (busy, connection lost): nothing was recorded; keep the outcomes
            // and try again shortly. Their leases stay ours while the heartbeat runs.
            completions.unshift(...finished);
            queueSeen = false;
            settings.onError?.(error);
            // Stopping must end: after a few refusals the leases are left to expire instead.
            if (stopping && ++failuresWhileStopping >= 3) return { exit: 'stopped', run: null };
            await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_ERROR_MS));
            dirty = true;
            continue;
          }
          if (kept) abortLost(kept);
          for (const claim of claimed) dispatch(claim);
        }
        if (completions.length > 0) continue;
        if (stopping) {
          if (inFlight.size === 0) return { exit: 'stopped', run: null };
        } else if (inFlight.size === 0 && claimed.length === 0 && !dirty) {
          if (settings.runId) {
            const result = await settled();
            if (result) return result;
          } else if (untilIdle && nextRetryAt === null) {
            return { exit: 'idle', run: null };
          }
        }
        if (dirty && !stopping && concurrency - inFlight.size > 0) continue;
        await sleep(nextRetryAt, nowMs);
      }
    } finally {
      unwatch();
      if (outputTimer) clearTimeout(outputTimer);
    }
  }

  /** Waits for a wake-up, the next backoff, the next heartbeat or the next lease sweep. */
  function sleep(nextAt: string | null, nowMs: number): Promise<void> {
    if (dirty) return Promise.resolve();
    let waitMs = leaseMs / 4;
    if (nextAt !== null) waitMs = Math.min(waitMs, Math.max(0, Date.parse(nextAt) - nowMs));
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        wakeUp = undefined;
        dirty = true;
        resolve();
      }, waitMs);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  let running: Promise<SchedulerResult> | undefined;

  return {
    get inFlight() {
      return inFlight.size;
    },
    run(options = {}) {
      running ??= loop(options.untilIdle ?? false).finally(async () => {
        if (workerId) {
          await store
            .transaction('write', (repos) => repos.workers.remove(workerId))
            .catch(() => undefined);
        }
      });
      return running;
    },
    stop(graceMs = 10_000) {
      stopped ??= (async () => {
        stopping = true;
        wake();
        const deadline = Date.now() + graceMs;
        while (inFlight.size > 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        for (const flight of inFlight.values()) {
          flight.controller.abort(
            new StepFailure({
              kind: 'lost',
              message: 'the worker shut down before the step finished',
              retryable: true,
              outputTail: '',
            }),
          );
        }
        if (running) await running;
      })();
      return stopped;
    },
  };
}
