import { describe, expect, it } from 'vitest';
import type { Plan } from './plan.js';
import { checkPlan, MAX_PLAN_TASKS, PlanSchema, planOrder } from './plan.js';

const plan = (...tasks: [key: string, needs: string[]][]): Plan =>
  PlanSchema.parse({ tasks: tasks.map(([key, needs]) => ({ key, title: `Do ${key}`, needs })) });

describe('checkPlan', () => {
  it('accepts a DAG', () => {
    expect(checkPlan(plan(['a', []], ['b', ['a']], ['c', ['a', 'b']]))).toEqual([]);
  });

  it('names a key used twice and a need that is not in the plan', () => {
    expect(checkPlan(plan(['a', []], ['a', []], ['b', ['z']]))).toEqual([
      "tasks.1.key: 'a' is already the key of tasks.0",
      "tasks.2.needs: 'z' is not a task of this plan (keys: a, b)",
    ]);
  });

  it('names a cycle', () => {
    expect(checkPlan(plan(['a', ['c']], ['b', ['a']], ['c', ['b']]))).toEqual([
      'needs: the plan has a dependency cycle a → c → b → a',
    ]);
  });

  it(`refuses more than ${MAX_PLAN_TASKS} tasks`, () => {
    const tasks = Array.from({ length: MAX_PLAN_TASKS + 1 }, (_, i) => ({
      key: `t${i + 1}`,
      title: 'Do it',
      needs: [],
    }));
    expect(PlanSchema.safeParse({ tasks }).success).toBe(false);
    expect(checkPlan({ tasks })).toEqual([`tasks: must hold at most 50 tasks, not 51`]);
  });
});

describe('planOrder', () => {
  it('puts every task after what it needs and otherwise keeps the plan order', () => {
    const order = planOrder(
      plan(['verify', ['build']], ['design', []], ['build', ['design']], ['docs', []]),
    );
    expect(order.map((t) => t.key)).toEqual(['design', 'build', 'verify', 'docs']);
  });
});
