/**
 * What agents spent, from the cost ledger (one row per model call): grouped by project, run,
 * agent, model or UTC day, with the totals, so `bosun cost report` answers "where did the money go".
 */

import type { CostGrouping, CostReportRow } from '../../ports/store.js';
import { momentOf } from './moment.js';
import { resolveProject } from './resolve.js';
import { resolveRun } from './run-service.js';
import type { ServiceContext } from './service-context.js';

export interface CostReportInput {
  readonly by: CostGrouping;
  /** A day (`2026-11-01`), a moment (ISO 8601) or a duration back from now (`7d`, `12h`). */
  readonly since?: string | undefined;
  readonly project?: string | undefined;
  readonly run?: string | undefined;
}

export interface CostReportLine extends CostReportRow {
  /** What the key stands for: a project's key and name, a run's name, otherwise the key. */
  readonly label: string;
}

export interface CostReport {
  readonly by: CostGrouping;
  readonly since: string | null;
  readonly rows: CostReportLine[];
  readonly total: Omit<CostReportRow, 'key'>;
}

export async function costReport(ctx: ServiceContext, input: CostReportInput): Promise<CostReport> {
  const since = momentOf(ctx, input.since, 'since') ?? null;
  const project = input.project ? await resolveProject(ctx.repos, input.project) : undefined;
  const run = input.run ? await resolveRun(ctx.repos, input.run) : undefined;
  const rows = await ctx.repos.ledger.report({
    by: input.by,
    ...(since ? { since } : {}),
    ...(project ? { projectId: project.id } : {}),
    ...(run ? { runId: run.id } : {}),
  });
  const lines: CostReportLine[] = [];
  for (const row of rows) lines.push({ ...row, label: await labelOf(ctx, input.by, row.key) });
  const total = rows.reduce(
    (sum, row) => ({
      calls: sum.calls + row.calls,
      inputTokens: sum.inputTokens + row.inputTokens,
      outputTokens: sum.outputTokens + row.outputTokens,
      cachedInputTokens: sum.cachedInputTokens + row.cachedInputTokens,
      costUsd: sum.costUsd + row.costUsd,
    }),
    { calls: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, costUsd: 0 },
  );
  return { by: input.by, since, rows: lines, total };
}

async function labelOf(ctx: ServiceContext, by: CostGrouping, key: string): Promise<string> {
  if (by === 'project' && key !== '(none)') {
    const project = await ctx.repos.projects.findById(key);
    return project ? `${project.key} ${project.name}` : key;
  }
  if (by === 'run') {
    const run = await ctx.repos.runs.findById(key);
    return run ? `${run.name} (${key.slice(0, 10)})` : key;
  }
  return key;
}
