/**
 * A plan: the tasks a planner model proposes toward a goal, each with a key local to the plan
 * (`t1`) and the keys it needs done first. The schema is what the model is asked to answer (and
 * what its answer is parsed with); `checkPlan` adds the rules a schema cannot say — unique keys,
 * needs that name tasks of the plan, no cycle — and `planOrder` gives the order to create them
 * in, so every task's dependencies already exist when it is created.
 */

import { z } from 'zod';
import { BosunError } from '../shared/errors.js';
import { topologicalOrder } from './dependency-graph.js';
import { optionalText, requiredText } from './fields.js';
import { PRIORITIES, scopeGlobSchema } from './task.js';

/** More than this is not a plan but a backlog; the model is told to group work instead. */
export const MAX_PLAN_TASKS = 50;

const planKey = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,40}$/, "must be a short key such as 't1' (letters, digits, _ or -)");

// Models often write `null` for a field they leave out, so every optional field accepts it.
export const PlanTaskSchema = z.object({
  key: planKey,
  title: requiredText(200),
  description: optionalText(20_000).nullish(),
  role: z.string().trim().min(1).max(100, 'must be at most 100 characters').nullish(),
  priority: z.enum(PRIORITIES, `must be one of ${PRIORITIES.join(', ')}`).nullish(),
  estimate: z.number().nonnegative('must not be negative').nullish(),
  acceptance: z.array(requiredText(1_000)).max(20, 'at most 20 criteria').nullish(),
  scope: z.array(scopeGlobSchema).max(100, 'at most 100 globs').nullish(),
  needs: z.array(planKey),
});
export type PlanTask = z.output<typeof PlanTaskSchema>;

export const PlanSchema = z.object({
  tasks: z
    .array(PlanTaskSchema)
    .min(1, 'must hold at least one task')
    .max(MAX_PLAN_TASKS, `must hold at most ${MAX_PLAN_TASKS} tasks`),
});
export type Plan = z.output<typeof PlanSchema>;

/** What makes a plan unusable beyond its schema, one message per problem naming the field. */
export function checkPlan(plan: Plan): string[] {
  const problems: string[] = [];
  if (plan.tasks.length > MAX_PLAN_TASKS) {
    problems.push(`tasks: must hold at most ${MAX_PLAN_TASKS} tasks, not ${plan.tasks.length}`);
  }
  const firstIndex = new Map<string, number>();
  plan.tasks.forEach((task, index) => {
    const earlier = firstIndex.get(task.key);
    if (earlier === undefined) firstIndex.set(task.key, index);
    else problems.push(`tasks.${index}.key: '${task.key}' is already the key of tasks.${earlier}`);
  });
  const keys = [...firstIndex.keys()];
  plan.tasks.forEach((task, index) => {
    for (const need of task.needs) {
      if (!firstIndex.has(need)) {
        problems.push(
          `tasks.${index}.needs: '${need}' is not a task of this plan (keys: ${keys.join(', ')})`,
        );
      }
    }
  });
  if (problems.length > 0) return problems;
  try {
    topologicalOrder(keys, adjacency(plan));
  } catch (error) {
    if (!(error instanceof BosunError) || error.code !== 'cycle') throw error;
    const cycle = error.details['cycle'] as readonly string[];
    problems.push(`needs: the plan has a dependency cycle ${cycle.join(' → ')}`);
  }
  return problems;
}

/**
 * The tasks of a checked plan in the order to create them: each after everything it needs, and
 * otherwise in the plan's own order (so refs follow the order the planner wrote).
 */
export function planOrder(plan: Plan): PlanTask[] {
  const placed = new Set<string>();
  const waiting = [...plan.tasks];
  const order: PlanTask[] = [];
  while (waiting.length > 0) {
    const next = waiting.findIndex((task) => task.needs.every((need) => placed.has(need)));
    // checkPlan refuses cycles and unknown needs, so something is always ready.
    if (next < 0) throw new BosunError('internal', 'planOrder: the plan was not checked');
    const [task] = waiting.splice(next, 1);
    placed.add(task!.key);
    order.push(task!);
  }
  return order;
}

function adjacency(plan: Plan): Map<string, readonly string[]> {
  return new Map(plan.tasks.map((task) => [task.key, task.needs]));
}
