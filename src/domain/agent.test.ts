import { describe, expect, it } from 'vitest';
import type { AgentsSection } from './agent.js';
import { AgentsSectionSchema, checkReferences, chooseAgent } from './agent.js';

const section = (routes: unknown): AgentsSection =>
  AgentsSectionSchema.parse({
    models: {
      small: { provider: 'mock', model: 's' },
      medium: { provider: 'mock', model: 'm' },
      large: { provider: 'mock', model: 'l' },
    },
    agents: { coder: { role: 'coder', runner: 'llm', route: 'coder' } },
    routes,
  });

const role = { agent: null, role: 'coder' };

describe('routes', () => {
  const routed = section({
    coder: {
      models: ['small', 'medium', 'large'],
      rules: [
        { tags: ['security'], start_at: 'large' },
        { min_estimate: 5, start_at: 'medium' },
      ],
    },
  });

  it('starts at the cheapest model and climbs one per retry, then stays on the last', () => {
    const plain = section({ coder: ['small', 'medium', 'large'] });
    expect(
      [0, 1, 2, 3].map((tries) => (chooseAgent(plain, role, tries) as { model: string }).model),
    ).toEqual(['small', 'medium', 'large', 'large']);
    expect(chooseAgent(plain, role, 3)).toMatchObject({
      reason: 'role coder: agent coder; route coder: retry 3 stays on the last model',
    });
  });

  it('starts a task that matches a rule further up the chain, first match wins', () => {
    expect(chooseAgent(routed, role, 0, { tags: ['ui'], estimate: 8 })).toMatchObject({
      model: 'medium',
      reason: 'role coder: agent coder; route coder: rule 2 (estimate ≥ 5) starts at medium',
    });
    expect(chooseAgent(routed, role, 0, { tags: ['security'], estimate: 8 })).toMatchObject({
      model: 'large',
    });
    expect(chooseAgent(routed, role, 1, { tags: [], estimate: 8 })).toMatchObject({
      model: 'large',
      reason:
        'role coder: agent coder; route coder: rule 2 (estimate ≥ 5) starts at medium; retry 1 escalates to model 3 of 3',
    });
    expect(chooseAgent(routed, role, 0, { tags: [], estimate: null })).toMatchObject({
      model: 'small',
    });
    expect(chooseAgent(routed, role, 0, null)).toMatchObject({ model: 'small' });
  });

  it('refuses a rule that starts at a model outside its route', () => {
    const bad = section({
      coder: { models: ['small'], rules: [{ tags: ['x'], start_at: 'large' }] },
    });
    expect(checkReferences(bad)).toEqual([
      {
        path: ['routes', 'coder', 'rules', 0, 'start_at'],
        message: "'large' is not in this route (small)",
      },
    ]);
  });

  it('names who is missing when no agent fits', () => {
    expect(chooseAgent(routed, { agent: 'ghost', role: null }, 0)).toEqual({
      problem: "unknown agent 'ghost' (agents: coder)",
    });
    expect(chooseAgent(routed, { agent: null, role: 'tester' }, 0)).toEqual({
      problem: "no agent plays role 'tester' (agents: coder)",
    });
  });
});
