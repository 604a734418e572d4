/**
 * Where the acceptance criteria of tasks stand against their test cases (coverage), and the
 * quality gate built on it: a task may not go to done while a criterion with a linked case is not
 * passing, or while an acceptance plan covering the task leaves a criterion without a case. A
 * task with no linked case and no acceptance plan is not gated. Reads only; the decision is
 * recorded by workflow-rules.ts like a rule's (rule `quality-gate`).
 */

import type { CriterionState, TestPlan, TestResult } from '../../domain/quality.js';
import { Quality } from '../../domain/quality.js';
import type { Task } from '../../domain/task.js';
import type { Repositories } from '../../ports/store.js';

export interface CriterionCoverage {
  readonly task: string;
  readonly taskId: string;
  /** 1-based, as cases name it. */
  readonly criterion: number;
  readonly text: string;
  /** Refs of the live cases covering it. */
  readonly cases: string[];
  readonly state: CriterionState;
}

/** Every acceptance criterion of `tasks` (in their order) with its cases and state. */
export async function criteriaCoverage(
  repos: Repositories,
  tasks: readonly Task[],
): Promise<CriterionCoverage[]> {
  const cases = await repos.testCases.list({ taskIds: tasks.map((task) => task.id) });
  const plans = new Map<string, TestPlan | undefined>();
  for (const planId of new Set(cases.map((c) => c.planId))) {
    plans.set(planId, await repos.testPlans.findById(planId));
  }
  const latest = new Map<string, TestResult>();
  for (const result of await repos.testResults.listForCases(cases.map((c) => c.id))) {
    latest.set(result.caseId, result);
  }
  return tasks.flatMap((task) =>
    task.acceptance.map((text, index) => {
      const linked = cases.filter((c) => c.taskId === task.id && c.criterion === index + 1);
      return {
        task: task.ref,
        taskId: task.id,
        criterion: index + 1,
        text,
        cases: linked.map((c) => c.ref),
        state: Quality.criterionState(
          linked.map((c) => ({
            result: latest.get(c.id),
            requiresApproval: plans.get(c.planId)?.requiresApproval ?? false,
          })),
        ),
      };
    }),
  );
}

export interface GateVerdict {
  /** Whether the task is gated at all (it has linked cases or an acceptance plan covers it). */
  readonly gated: boolean;
  /** The criteria that hold it back. */
  readonly blocking: CriterionCoverage[];
}

export async function qualityGate(repos: Repositories, task: Task): Promise<GateVerdict> {
  const criteria = await criteriaCoverage(repos, [task]);
  const planned = (await repos.testPlans.list({ projectId: task.projectId })).some(
    (plan) => plan.template === 'acceptance' && plan.taskIds.includes(task.id),
  );
  const linked = criteria.some((c) => c.cases.length > 0);
  return {
    gated: planned || linked,
    blocking: criteria.filter((c) => c.state !== 'passing' && (c.cases.length > 0 || planned)),
  };
}

/** `#1 "criterion" (HOME-C1 failing)` for messages. */
export function describeCriterion(c: CriterionCoverage): string {
  const text = c.text.length > 60 ? `${c.text.slice(0, 57)}…` : c.text;
  const cases = c.cases.length === 0 ? 'no case' : `${c.cases.join(', ')}: ${c.state}`;
  return `#${c.criterion} "${text}" (${cases})`;
}
