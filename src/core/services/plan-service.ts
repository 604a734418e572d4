/**
 * Plans into tasks: every task of a checked plan is created through the task service, in an
 * order where each task's dependencies already exist, so each one is validated and audited like
 * any task created by hand — and, called inside one operation, the whole plan commits together
 * or not at all.
 */

import type { Plan } from '../../domain/plan.js';
import { checkPlan, planOrder } from '../../domain/plan.js';
import type { Task } from '../../domain/task.js';
import { BosunError } from '../../shared/errors.js';
import { resolveProject } from './resolve.js';
import type { ServiceContext } from './service-context.js';
import { outsideRun, recordCalls } from './spend.js';
import type { PlannerResult } from './service-context.js';
import { createTask } from './task-service.js';

export interface PlannedTask {
  readonly key: string;
  /** Null until the plan is inserted (a dry run). */
  readonly ref: string | null;
  readonly title: string;
  readonly role: string | null;
  readonly needs: string[];
}

/**
 * Creates the tasks of `plan` in `project` (dry run: checks the project and plan, creates
 * nothing). The rows are in creation order.
 */
export async function insertPlan(
  ctx: ServiceContext,
  input: { readonly project: string; readonly plan: Plan; readonly dryRun?: boolean | undefined },
): Promise<{ project: string; tasks: PlannedTask[] }> {
  const project = await resolveProject(ctx.repos, input.project);
  const problems = checkPlan(input.plan);
  if (problems.length > 0) {
    throw new BosunError('invalid_input', `plan: ${problems.join('; ')}`, {
      details: { field: 'plan', problems },
    });
  }
  const ids = new Map<string, string>();
  const rows: PlannedTask[] = [];
  for (const step of planOrder(input.plan)) {
    let created: Task | undefined;
    if (input.dryRun !== true) {
      created = await createTask(ctx, {
        project: project.id,
        title: step.title,
        description: step.description ?? undefined,
        acceptance: step.acceptance ?? undefined,
        priority: step.priority ?? undefined,
        role: step.role ?? undefined,
        estimate: step.estimate ?? undefined,
        scope: step.scope ?? undefined,
        dependsOn: step.needs.map((need) => ids.get(need)!),
      });
      ids.set(step.key, created.id);
    }
    rows.push({
      key: step.key,
      ref: created?.ref ?? null,
      title: step.title,
      role: step.role ?? null,
      needs: [...step.needs],
    });
  }
  return { project: project.key, tasks: rows };
}

/** The planner's model calls, valid answers or not, in the cost ledger under its project and agent. */
export async function recordPlannerSpend(
  ctx: ServiceContext,
  projectKey: string,
  planned: Pick<PlannerResult, 'agent' | 'calls'>,
): Promise<void> {
  const project = await resolveProject(ctx.repos, projectKey);
  await recordCalls(
    ctx.repos,
    outsideRun(ctx.clock.now().toISOString(), project.id, planned.agent),
    planned.calls,
  );
}
