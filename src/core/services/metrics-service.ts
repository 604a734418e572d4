/**
 * The numbers `/metrics` publishes, read in one transaction when scraped: runs and steps by
 * status, the queue (ready steps no worker holds), how long finished attempts took (a histogram
 * over every attempt the journal keeps), tokens and spend by model from the cost ledger, and the
 * headroom of each budget (the same standings `status` and `system health` show). Read from the
 * store rather than kept from events, so a restarted server or a second worker never skews them.
 */

import type { BudgetStanding } from '../../domain/budget.js';
import type { RunStatus, StepStatus } from '../../domain/run.js';
import { RUN_STATUSES } from '../../domain/run.js';
import type { CostReportRow } from '../../ports/store.js';
import type { ServiceContext } from './service-context.js';
import { nowIso } from './service-context.js';
import { budgetStandings } from './status-service.js';

/** Upper bounds (seconds) of the step duration histogram: a shell step to a long agent session. */
export const STEP_DURATION_BOUNDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

export interface SystemMetrics {
  readonly at: string;
  readonly runs: Record<RunStatus, number>;
  readonly steps: Partial<Record<StepStatus, number>>;
  /** Ready steps no worker holds yet. */
  readonly queueDepth: number;
  readonly stepDuration: {
    readonly boundsSeconds: number[];
    readonly buckets: number[];
    readonly count: number;
    readonly sumSeconds: number;
  };
  readonly models: CostReportRow[];
  readonly budgets: BudgetStanding[];
}

export async function systemMetrics(ctx: ServiceContext): Promise<SystemMetrics> {
  const { repos } = ctx;
  const at = nowIso(ctx);
  const runs = {} as Record<RunStatus, number>;
  for (const status of RUN_STATUSES) runs[status] = await repos.runs.count({ status: [status] });
  const steps = await repos.steps.countAllByStatus();
  const histogram = await repos.attempts.durationHistogram(STEP_DURATION_BOUNDS);
  return {
    at,
    runs,
    steps,
    queueDepth: steps.ready ?? 0,
    stepDuration: {
      boundsSeconds: [...STEP_DURATION_BOUNDS],
      buckets: [...histogram.buckets],
      count: histogram.count,
      sumSeconds: histogram.sumSeconds,
    },
    models: await repos.ledger.report({ by: 'model' }),
    budgets: await budgetsOrNone(ctx, at),
  };
}

/**
 * A bosun.yaml edit that does not validate must not stop the scrapes: the budgets are left out
 * until it is fixed, and `system health` says what is wrong.
 */
async function budgetsOrNone(ctx: ServiceContext, at: string): Promise<BudgetStanding[]> {
  try {
    return await budgetStandings(ctx, at);
  } catch {
    return [];
  }
}
