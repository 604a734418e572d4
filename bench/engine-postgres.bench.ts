/**
 * The workflow engine on PostgreSQL with several workers: one run of 4,000 independent
 * zero-latency mock steps, recorded in-process (run.start), then executed by 4 `bosun worker
 * --until-idle --concurrency 16` processes (the built CLI) sharing the database. Throughput is
 * taken from the journal: steps ÷ (last step-end − first step-start), target ≥ 1,000 steps/s.
 * Every step must have exactly one attempt, and it succeeded: no step ran twice.
 *
 * The database is a throwaway cluster from startPostgresCluster (fsync and synchronous_commit
 * off, as for the tests), on this machine.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { startPostgresCluster } from '../src/testing/postgres-cluster.js';
import { BIN, independent, openBenchRuntime, result, startRun } from './engine-harness.js';
import { round } from './report.js';

const STEPS = 4_000;
const WORKERS = 4;
const CONCURRENCY = 16;
const WORKER_LIMIT_MS = 180_000;

const execFileAsync = promisify(execFile);
const cluster = await startPostgresCluster();
try {
  const url = await cluster.createDatabase();
  const cwd = mkdtempSync(join(tmpdir(), 'bosun-bench-pg-'));
  const runtime = await openBenchRuntime(cwd, url);
  const run = await startRun(runtime, independent(STEPS));
  await runtime.close();

  const env = { ...process.env, BOSUN_HOME: '', BOSUN_DB: '', BOSUN_ACTOR: 'bench' };
  const started = performance.now();
  // A stuck run must not hang `npm run bench`: past the limit the workers are killed and the
  // result shows how far they got.
  const exits = await Promise.allSettled(
    Array.from({ length: WORKERS }, () =>
      execFileAsync(
        process.execPath,
        [BIN, 'worker', '--until-idle', '--concurrency', String(CONCURRENCY), '--db', url],
        { cwd, env, timeout: WORKER_LIMIT_MS, killSignal: 'SIGKILL' },
      ),
    ),
  );
  const workersMs = performance.now() - started;
  const timedOut = exits.some((exit) => exit.status === 'rejected');
  const warnings = exits
    .map((exit) =>
      exit.status === 'fulfilled'
        ? exit.value.stderr
        : ((exit.reason as { stderr?: string }).stderr ?? ''),
    )
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('warning:'));

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const one = async <T>(text: string): Promise<T> =>
    (await client.query(text, [run.id])).rows[0] as T;
  const span = await one<{ first: string; last: string }>(
    "select (select min(at) from events where run_id = $1 and kind = 'step-start') as first, (select max(at) from events where run_id = $1 and kind = 'step-end') as last",
  );
  const steps = await one<{ succeeded: string; status: string }>(
    "select count(*) filter (where status = 'succeeded') as succeeded, (select status from runs where id = $1) as status from steps where run_id = $1",
  );
  const attempts = await one<{ total: string; succeeded: string; max: string }>(
    "select count(*) as total, count(*) filter (where status = 'succeeded') as succeeded, (select coalesce(max(n), 0) from (select count(*) as n from attempts where run_id = $1 group by step_id) per) as max from attempts where run_id = $1",
  );
  // Per step: how many attempts, how many of them succeeded. Exactly once = 1 and 1.
  const perStep = await one<{ repeated: string; unsucceeded: string }>(
    "select count(*) filter (where n > 1) as repeated, count(*) filter (where ok <> 1) as unsucceeded from (select s.id, count(a.id) as n, count(a.id) filter (where a.status = 'succeeded') as ok from steps s left join attempts a on a.step_id = s.id where s.run_id = $1 group by s.id) per",
  );
  // Deadlocks PostgreSQL detected (and broke by aborting a transaction) in this database.
  const { deadlocks } = await one<{ deadlocks: string }>(
    'select deadlocks from pg_stat_database where datname = current_database() and $1::text is not null',
  );
  const starts = await one<{ n: string }>(
    "select count(*) as n from events where run_id = $1 and kind = 'step-start'",
  );
  const owners = (
    await client.query(
      'select owner, count(*)::int as n from attempts where run_id = $1 group by owner order by n desc',
      [run.id],
    )
  ).rows as { owner: string; n: number }[];
  await client.end();

  const spanMs = Date.parse(span.last) - Date.parse(span.first);
  const repeated = Number(perStep.repeated);
  const unsucceeded = Number(perStep.unsucceeded);
  const done = Number(steps.succeeded);
  result({
    name: 'engine-postgres-4-workers',
    metric: 'steps ÷ (last step-end − first step-start)',
    // Only a run that finished counts; a stuck one reports what it managed in the extras.
    value: done === STEPS ? round(STEPS / (spanMs / 1000), 0) : 0,
    unit: 'steps/s',
    target: 1_000,
    better: 'higher',
    spanMs,
    workersWallMs: round(workersMs, 0),
    timedOut,
    stepsSucceeded: done,
    steps: STEPS,
    workers: WORKERS,
    concurrency: CONCURRENCY,
    runStatus: steps.status,
    attemptsPerWorker: owners.map((o) => o.n),
    deadlocks: Number(deadlocks),
    warnings: warnings.length,
    ...(warnings.length > 0 ? { firstWarning: warnings[0] } : {}),
  });
  result({
    name: 'engine-postgres-exactly-once',
    metric: 'steps without exactly one attempt, succeeded',
    value: repeated + unsucceeded,
    unit: 'steps',
    target: 0,
    stepsRunMoreThanOnce: repeated,
    stepsWithoutOneSucceededAttempt: unsucceeded,
    attempts: Number(attempts.total),
    attemptsSucceeded: Number(attempts.succeeded),
    maxAttemptsPerStep: Number(attempts.max),
    stepStartEvents: Number(starts.n),
  });
} finally {
  await cluster.stop();
}
