/**
 * The commands that execute runs rather than only record them: `run start|resume|fork` drive the
 * run in this process (unless --detach), `run watch` and `run events --follow` stream the
 * journal, and `bosun worker` serves every run of the workspace. SIGINT/SIGTERM stop claiming,
 * give running steps a grace period, then abort and release them so another process can resume.
 */

import type { Runtime } from '../app/runtime.js';
import { createRuntimeScheduler, refuseSecondSqliteWorker } from '../app/worker.js';
import type { SchedulerResult } from '../core/engine/scheduler.js';
import { createEventFeed } from '../core/engine/event-feed.js';
import { resolveRun } from '../core/services/run-service.js';
import type { JournalEvent } from '../domain/run.js';
import { Run } from '../domain/run.js';
import type { Task } from '../domain/task.js';
import type { AnyOperation } from '../operations/catalog.js';
import { parseDuration } from '../shared/duration.js';
import { BosunError } from '../shared/errors.js';
import { stableStringify } from '../shared/json.js';
import type { CliIo } from './cli-io.js';
import { createLiveTable, formatEventLine } from './run-progress.js';

import { RUN_FAILED_EXIT } from '../shared/exit-codes.js';

export interface ExecutionFlags {
  detach: boolean;
  follow: boolean;
  concurrency?: number;
  leaseMs?: number;
  graceMs: number;
  untilIdle: boolean;
}

/** Takes the execution flags out of the words; the rest go to the operation's parser. */
export function extractExecutionFlags(
  words: readonly string[],
  allowed: readonly string[],
): { flags: ExecutionFlags; rest: string[] } {
  const flags: ExecutionFlags = { detach: false, follow: false, graceMs: 10_000, untilIdle: false };
  const rest: string[] = [];
  const value = (name: string, i: number, inline: string | undefined): string => {
    const v = inline ?? words[i];
    if (v === undefined) {
      throw new BosunError('invalid_input', `--${name} needs a value`, {
        details: { field: name },
      });
    }
    return v;
  };
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const eq = word.indexOf('=');
    const name = word.startsWith('--')
      ? word.slice(2, eq > 0 ? eq : undefined)
      : word === '-f'
        ? 'follow'
        : '';
    const inline = eq > 0 ? word.slice(eq + 1) : undefined;
    if (!allowed.includes(name)) {
      rest.push(word);
      continue;
    }
    const next = () => value(name, inline === undefined ? ++i : i, inline);
    switch (name) {
      case 'follow':
        flags.follow = true;
        break;
      case 'detach':
        flags.detach = true;
        break;
      case 'until-idle':
        flags.untilIdle = true;
        break;
      case 'concurrency': {
        const n = Number(next());
        if (!Number.isInteger(n) || n < 1 || n > 1000) {
          throw new BosunError(
            'invalid_input',
            'concurrency: must be a whole number from 1 to 1000',
            {
              details: { field: 'concurrency', rule: 'an integer from 1 to 1000' },
            },
          );
        }
        flags.concurrency = n;
        break;
      }
      case 'lease':
        flags.leaseMs = parseDuration(next(), 'lease');
        break;
      case 'grace':
        flags.graceMs = parseDuration(next(), 'grace');
        break;
    }
  }
  return { flags, rest };
}

/** A scheduler on this runtime with the execution flags; store errors become warnings. */
function schedulerFor(
  runtime: Runtime,
  flags: ExecutionFlags,
  io: CliIo,
  scope: { runId: string } | { worker: true },
) {
  return createRuntimeScheduler(
    runtime,
    {
      ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
      ...(flags.leaseMs ? { leaseMs: flags.leaseMs } : {}),
      warn: (message) => io.writeError(`warning: ${message}\n`),
    },
    scope,
  );
}

/**
 * Runs `run.start`, `run.resume`, `run.fork` or `task.submit`, then executes the run here unless
 * detached (or, for a submitted task, unless no run was started).
 */
export async function runAndDrive(
  operation: AnyOperation,
  input: unknown,
  exec: ExecutionFlags,
  json: boolean,
  runtime: Runtime,
  actor: string,
  io: CliIo,
): Promise<number> {
  const output = (await runtime.runner.run(operation, input, actor)) as
    Run | { task: Task; run: Run | null };
  const run = 'task' in output ? output.run : output;
  const task = 'task' in output ? `task ${output.task.ref} created; ` : '';
  if (run === null || exec.detach) {
    io.write(
      json
        ? `${stableStringify(output)}\n`
        : run === null
          ? `${task}no run started\n`
          : `${task}run ${run.id} recorded (${run.status}); a worker or 'bosun run resume ${run.id}' executes it\n`,
    );
    return 0;
  }
  if (!json && !exec.follow) {
    io.write(`${task}run ${run.id} ${run.name}: ${run.stepsTotal} steps\n`);
  }
  // A resumed run's history is already known: follow from here on.
  const after =
    operation.name === 'run.resume'
      ? await runtime.store.transaction('read', (repos) => repos.events.maxSeq())
      : 0;
  const result = await drive(runtime, run.id, exec, json, io, after);
  return reportResult(runtime, result, json, io);
}

async function drive(
  runtime: Runtime,
  runId: string,
  exec: ExecutionFlags,
  json: boolean,
  io: CliIo,
  after: number,
): Promise<SchedulerResult> {
  const scheduler = schedulerFor(runtime, exec, io, { runId });
  const stopSignals = onStopSignals(io, (second) => {
    void scheduler.stop(second ? 0 : exec.graceMs);
  });
  const follower = exec.follow ? startFollower(runtime, runId, after, json, io) : null;
  try {
    const result = await scheduler.run();
    return result;
  } finally {
    stopSignals();
    await follower?.stop();
  }
}

/** Prints events as JSON lines, as lines, or into a live table redrawn every 100 ms. */
function createEventPrinter(io: CliIo, json: boolean, table: boolean) {
  const live = table && !json && io.interactive ? createLiveTable() : null;
  const redraw = live ? setInterval(() => live.draw(io.write), 100) : undefined;
  return {
    deliver(events: readonly JournalEvent[]): void {
      for (const event of events) {
        if (json) io.write(`${stableStringify(event, 0)}\n`);
        else if (live) live.apply(event);
        else io.write(`${formatEventLine(event)}\n`);
      }
    },
    finish(): void {
      if (redraw) clearInterval(redraw);
      live?.draw(io.write, true);
    },
  };
}

function startFollower(runtime: Runtime, runId: string, after: number, json: boolean, io: CliIo) {
  const controller = new AbortController();
  const feed = createEventFeed({ store: runtime.store, after, runId });
  const printer = createEventPrinter(io, json, true);
  const done = feed.follow((events) => printer.deliver(events), {
    signal: controller.signal,
    pollMs: 200,
  });
  return {
    async stop() {
      controller.abort();
      await done;
      // Everything committed up to the end of the run.
      printer.deliver(await feed.read());
      printer.finish();
    },
  };
}

async function reportResult(
  runtime: Runtime,
  result: SchedulerResult,
  json: boolean,
  io: CliIo,
): Promise<number> {
  const run = result.run;
  if (!run) return 0;
  const detail = await runtime.store.transaction('read', async (repos) => ({
    run: (await repos.runs.findById(run.id))!,
    approvals: await repos.approvals.list({ runId: run.id, status: 'pending' }),
    counts: await repos.steps.countByStatus(run.id),
    held: (await repos.steps.listHeld(run.id)).map((step) => ({
      step: step.key,
      reason: step.error?.message ?? '',
    })),
  }));
  if (json) {
    io.write(`${stableStringify({ exit: result.exit, ...detail })}\n`);
  } else {
    const counts = Object.entries(detail.counts)
      .map(([status, n]) => `${n} ${status}`)
      .join(', ');
    io.write(
      `run ${detail.run.id} ${detail.run.status}: ${counts}${detail.run.costUsd > 0 ? `, $${detail.run.costUsd.toFixed(4)}` : ''}\n`,
    );
    if (detail.run.error) io.write(`  ${detail.run.error}\n`);
    if (result.exit === 'blocked') {
      if (detail.run.status === 'paused')
        io.write(`  paused; continue with: bosun run resume ${detail.run.id}\n`);
      for (const approval of detail.approvals) {
        io.write(
          `  ${approval.stepKey} waits for approval (${approval.phase}): bosun approval approve ${approval.id}  (or reject --comment …), then bosun run resume ${detail.run.id}\n`,
        );
      }
      for (const { step, reason } of detail.held) {
        io.write(
          `  ${step} is held: ${reason}\n  raise the budget in .bosun/bosun.yaml, then: bosun run resume ${detail.run.id}\n`,
        );
      }
    }
  }
  return detail.run.status === 'failed' || detail.run.status === 'cancelled' ? RUN_FAILED_EXIT : 0;
}

/** First SIGINT/SIGTERM: graceful stop. Second: stop now. */
function onStopSignals(io: CliIo, stop: (second: boolean) => void): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count++;
    io.writeError(
      count === 1
        ? `\n${signal}: no new steps; waiting for running ones (again to stop now)\n`
        : `\n${signal}: stopping now; running steps go back to the queue\n`,
    );
    stop(count > 1);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** `run watch RUN` and `run events [RUN] --follow`: stream until the run ends (or Ctrl-C). */
export async function followRun(
  runtime: Runtime,
  runText: string | undefined,
  options: { after: number; kinds?: string[] | undefined; json: boolean; table: boolean },
  io: CliIo,
): Promise<number> {
  const run = runText
    ? await runtime.store.transaction('read', (repos) => resolveRun(repos, runText))
    : undefined;
  const controller = new AbortController();
  const stopSignals = onStopSignals(io, () => controller.abort());
  const feed = createEventFeed({
    store: runtime.store,
    after: options.after,
    runId: run?.id,
    kinds: options.kinds,
  });
  const printer = createEventPrinter(io, options.json, options.table);
  const ended = async () => {
    const current = await runtime.store.transaction('read', (repos) =>
      repos.runs.findById(run!.id),
    );
    return current !== undefined && Run.isFinal(current.status);
  };
  try {
    await feed.follow((events) => printer.deliver(events), {
      signal: controller.signal,
      pollMs: 200,
      stop: run ? ended : undefined,
    });
  } finally {
    stopSignals();
    printer.finish();
  }
  return 0;
}

/** `bosun worker`: executes steps of every run in the workspace until stopped. */
export async function worker(
  words: readonly string[],
  json: boolean,
  runtime: Runtime,
  io: CliIo,
): Promise<number> {
  const { flags, rest } = extractExecutionFlags(words, [
    'concurrency',
    'lease',
    'grace',
    'until-idle',
  ]);
  if (rest.length > 0) {
    throw new BosunError(
      'invalid_input',
      `worker: unexpected argument '${rest[0]}'; see 'bosun worker --help'`,
      {
        details: { field: 'arguments' },
      },
    );
  }
  await refuseSecondSqliteWorker(runtime);
  const scheduler = schedulerFor(runtime, flags, io, { worker: true });
  const stopSignals = onStopSignals(
    io,
    (second) => void scheduler.stop(second ? 0 : flags.graceMs),
  );
  const note = (text: string) =>
    json
      ? io.write(`${stableStringify({ worker: text, pid: process.pid }, 0)}\n`)
      : io.writeError(`${text}\n`);
  note(
    `worker ${process.pid} serving ${runtime.store.dialect} workspace (concurrency ${flags.concurrency ?? 4})`,
  );
  try {
    const result = await scheduler.run({ untilIdle: flags.untilIdle });
    note(`worker ${process.pid} ${result.exit}`);
  } finally {
    stopSignals();
  }
  return 0;
}
