/**
 * Recording what model calls cost: one ledger row per call, and the sum added to every budget key
 * the spend counts under (workspace, run, day, project, agent). Used by the engine when an
 * attempt settles and by the planner, whose calls happen outside any run.
 */

import { spendKeys } from '../../domain/budget.js';
import type { ModelCall } from '../../ports/runner.js';
import type { Repositories } from '../../ports/store.js';

export interface SpendOrigin {
  readonly at: string;
  readonly runId: string | null;
  readonly stepId: string | null;
  readonly attempt: number | null;
  readonly projectId: string | null;
  readonly agent: string | null;
}

/** Where calls made outside any run are booked (ask, brief, doc analyze, plan, summaries). */
export function outsideRun(
  at: string,
  projectId: string | null,
  agent: string | null,
): SpendOrigin {
  return { at, runId: null, stepId: null, attempt: null, projectId, agent };
}

export async function recordCalls(
  repos: Repositories,
  origin: SpendOrigin,
  calls: readonly ModelCall[],
): Promise<void> {
  if (calls.length === 0) return;
  await repos.ledger.append(calls.map((call) => ({ ...origin, ...call })));
  await repos.budgets.settle(spendKeys(origin), {
    usd: calls.reduce((sum, call) => sum + call.costUsd, 0),
    tokens: calls.reduce((sum, call) => sum + call.inputTokens + call.outputTokens, 0),
  });
}
