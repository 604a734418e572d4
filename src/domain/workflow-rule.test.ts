import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RuleDefinition, Transition } from './workflow-rule.js';
import { checkRuleDefinition, WorkflowRule } from './workflow-rule.js';

const transition = (record: Record<string, unknown>, to = 'done'): Transition => ({
  entity: 'task',
  projectKey: 'HOME',
  from: 'in_progress',
  to,
  record,
});
const rule = (extra: Partial<RuleDefinition>): RuleDefinition => ({
  name: 'r',
  entity: 'task',
  then: 'deny',
  ...extra,
});

describe('WorkflowRule', () => {
  it('matches gte/lte exactly as numbers compare', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), fc.integer(), (value, low, high) => {
        const matched = WorkflowRule.matches(
          rule({ when: { estimate: { gte: low, lte: high } } }),
          transition({ estimate: value }),
        );
        expect(matched).toBe(value >= low && value <= high);
      }),
    );
  });

  it('reads a plain value on a list field as contains, and never matches a missing field', () => {
    expect(
      WorkflowRule.matches(
        rule({ when: { tags: 'hotfix' } }),
        transition({ tags: ['a', 'hotfix'] }),
      ),
    ).toBe(true);
    expect(
      WorkflowRule.matches(rule({ when: { tags: { contains: 'x' } } }), transition({ tags: [] })),
    ).toBe(false);
    expect(WorkflowRule.matches(rule({ when: { owner: { gte: 'a' } } }), transition({}))).toBe(
      false,
    );
    expect(
      WorkflowRule.matches(
        rule({ when: { owner: { exists: false } } }),
        transition({ owner: null }),
      ),
    ).toBe(true);
  });

  it('lets the first matching rule decide, whatever follows', () => {
    const rules = [
      { definition: rule({ name: 'a', to: ['review'] }), source: 'yaml' as const, ref: null },
      { definition: rule({ name: 'b', then: 'allow' }), source: 'yaml' as const, ref: null },
      { definition: rule({ name: 'c' }), source: 'record' as const, ref: 'HOME-W1' },
    ];
    expect(WorkflowRule.decide(rules, transition({}))?.definition.name).toBe('b');
    expect(WorkflowRule.decide(rules, transition({}, 'review'))?.definition.name).toBe('a');
    expect(WorkflowRule.decide(rules, { ...transition({}), entity: 'risk' })).toBeUndefined();
  });

  it('names the path of an unknown field or status', () => {
    expect(checkRuleDefinition(rule({ when: { priorty: 'p0' } }), ['task'])?.path).toEqual([
      'when',
      'priorty',
    ]);
    expect(checkRuleDefinition(rule({ from: ['todo', 'finished'] }), ['task'])?.path).toEqual([
      'from',
      1,
    ]);
    expect(checkRuleDefinition(rule({ entity: 'nope' }), ['task'])?.path).toEqual(['entity']);
    expect(checkRuleDefinition(rule({ approver: 'ana' }), ['task'])?.path).toEqual(['approver']);
  });
});
