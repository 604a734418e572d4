/**
 * The planner against the deterministic mock model and the fake OpenAI-compatible server: a plan
 * that breaks the rules is sent back with its problems until a valid one arrives (three answers at
 * most), and the planner agent is found by role, by name, or replaced by a model named directly.
 */

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PlannerOptions } from '../core/services/service-context.js';
import { BosunError } from '../shared/errors.js';
import type { FakeOpenAIServer } from '../testing/fake-openai-server.js';
import { startFakeOpenAIServer } from '../testing/fake-openai-server.js';
import { openAgentDirectory } from './agent-directory.js';
import { createPlanner } from './planner.js';

// The openai-compatible provider warns that it sends no schema; the prompt describes the format.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

const OPTIONS: PlannerOptions = {
  project: { key: 'HOME', name: 'Home', description: 'The home lab.' },
};

const MOCK_PLANNER = `
models:
  m: { provider: mock, model: mock-planner }
agents:
  planner: { role: planner, runner: llm, model: m, instructions: Keep plans short. }
`;

function plannerFor(yaml: string, settings: { maxRetries?: number } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'bosun-planner-'));
  mkdirSync(join(root, '.bosun'));
  writeFileSync(join(root, '.bosun', 'bosun.yaml'), `version: 1\n${yaml}`);
  return createPlanner({
    agents: () => openAgentDirectory(join(root, '.bosun')),
    env: {},
    maxRetries: settings.maxRetries ?? 0,
  });
}

async function refusal(promise: Promise<unknown>): Promise<BosunError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BosunError) return error;
    throw error;
  }
  throw new Error('the planner returned a plan');
}

const servers: FakeOpenAIServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function fakePlanner(): Promise<{
  server: FakeOpenAIServer;
  planner: ReturnType<typeof createPlanner>;
}> {
  const server = await startFakeOpenAIServer();
  servers.push(server);
  const planner = plannerFor(`
models:
  local: { provider: openai-compatible, base_url: "${server.url}", model: qwen-planner }
agents:
  planner: { role: planner, runner: llm, model: local }
`);
  return { server, planner };
}

const plan = (tasks: readonly Record<string, unknown>[]) => ({
  type: 'text' as const,
  text: JSON.stringify({ tasks }),
});
const VALID = plan([
  { key: 't1', title: 'Design the login form', needs: [] },
  { key: 't2', title: 'Build the login form', role: 'coder', priority: 'p1', needs: ['t1'] },
]);

/** The text of a request's messages, in order (role: content). */
const transcript = (server: FakeOpenAIServer, index: number): string[] =>
  server.requests[index]!.messages.map((m) => `${m.role}: ${String(m.content)}`);

describe('the planner with the mock model', () => {
  it('answers the same goal with the same plan: understand, implement, verify, in a chain', async () => {
    const planner = plannerFor(MOCK_PLANNER);
    const first = await planner('Add a login page', OPTIONS);
    const again = await planner('Add a login page', OPTIONS);
    expect(again.plan).toEqual(first.plan);
    expect(first.calls).toEqual([
      expect.objectContaining({ model: 'm', latencyMs: expect.any(Number) }),
    ]);
    expect(first).toMatchObject({ attempts: 1, model: 'm', agent: 'planner' });
    expect(first.plan.tasks.map((t) => [t.key, t.title, t.needs])).toEqual([
      ['t1', 'Understand: Add a login page', []],
      ['t2', 'Implement: Add a login page', ['t1']],
      ['t3', 'Verify: Add a login page', ['t2']],
    ]);
  });

  it('derives the plan from the goal', async () => {
    const planner = plannerFor(MOCK_PLANNER);
    const other = await planner('Back up the NAS', OPTIONS);
    expect(other.plan.tasks[1]!.title).toBe('Implement: Back up the NAS');
  });
});

describe('the planner with a model that gets it wrong', () => {
  it('sends a plan with a cycle back with the problem and takes the corrected one', async () => {
    const { server, planner } = await fakePlanner();
    server.enqueue(
      plan([
        { key: 't1', title: 'Design the login form', needs: ['t2'] },
        { key: 't2', title: 'Build the login form', needs: ['t1'] },
      ]),
      VALID,
    );
    const result = await planner('Add a login page', OPTIONS);
    expect(result.attempts).toBe(2);
    expect(result.plan.tasks.map((t) => t.key)).toEqual(['t1', 't2']);
    expect(server.requests).toHaveLength(2);
    const first = transcript(server, 0);
    expect(first.at(-1)).toBe(
      'user: Goal: Add a login page\nProject: HOME (Home)\n\nThe home lab.',
    );
    const second = transcript(server, 1);
    expect(second.slice(0, first.length)).toEqual(first);
    expect(second.at(-2)).toMatch(/^assistant: \{"tasks"/);
    expect(second.at(-1)).toMatch(
      /^user: That plan cannot be used: needs: the plan has a dependency cycle t\d → t\d → t\d/,
    );
  });

  it('names an unknown need in its follow-up', async () => {
    const { server, planner } = await fakePlanner();
    server.enqueue(
      plan([
        { key: 't1', title: 'Design the login form', needs: [] },
        { key: 't2', title: 'Build the login form', needs: ['t9'] },
      ]),
      VALID,
    );
    await planner('Add a login page', OPTIONS);
    expect(transcript(server, 1).at(-1)).toContain(
      "tasks.1.needs: 't9' is not a task of this plan (keys: t1, t2)",
    );
  });

  it('names the field an answer that breaks the schema gets wrong', async () => {
    const { server, planner } = await fakePlanner();
    server.enqueue(plan([{ key: 't1', title: '', needs: [] }]), VALID);
    await planner('Add a login page', OPTIONS);
    expect(transcript(server, 1).at(-1)).toContain('tasks.0.title: must not be empty');
  });

  it('reads a plan wrapped in a code fence without asking again', async () => {
    const { server, planner } = await fakePlanner();
    server.enqueue({ type: 'text', text: `\`\`\`json\n${VALID.text}\n\`\`\`` });
    const result = await planner('Add a login page', OPTIONS);
    expect(result.attempts).toBe(1);
    expect(server.requests).toHaveLength(1);
  });

  it('gives up after three answers with the last problem', async () => {
    const { server, planner } = await fakePlanner();
    server.enqueue(
      { type: 'text', text: 'Sure! Here is a plan: first design, then build.' },
      plan([{ key: 't1', title: 'Build it', needs: ['t1'] }]),
      plan([
        { key: 't1', title: 'Design it', needs: [] },
        { key: 't1', title: 'Build it', needs: [] },
      ]),
    );
    const error = await refusal(planner('Add a login page', OPTIONS));
    expect(server.requests).toHaveLength(3);
    expect(error.code).toBe('unavailable');
    expect(error.retryable).toBe(true);
    expect(error.message).toBe(
      "planner: model 'local' gave no valid plan in 3 answers; the last one: tasks.1.key: 't1' is already the key of tasks.0",
    );
    expect(transcript(server, 1).at(-1)).toContain('the answer is not JSON (it starts "Sure!');
    expect(transcript(server, 2).at(-1)).toContain('dependency cycle t1 → t1');
  });

  it('reports a model call that fails as the model, not the plan, at fault', async () => {
    const { server, planner } = await fakePlanner();
    server.enqueue({ type: 'http-error', status: 401 });
    const error = await refusal(planner('Add a login page', OPTIONS));
    expect(error.code).toBe('unavailable');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/^planner: model 'local': .* refused the API key/);
    expect(server.requests).toHaveLength(1);
  });
});

describe('choosing the planner', () => {
  const MODELS = `
models:
  m: { provider: mock, model: mock-planner }
agents:
  coder: { role: coder, runner: llm, model: m }
  reviewer: { role: reviewer, runner: claude-code }
`;

  it('refuses when no agent plays planner, naming the agents and the ways out', async () => {
    const error = await refusal(plannerFor(MODELS)('Add a login page', OPTIONS));
    expect(error.code).toBe('not_found');
    expect(error.message).toBe(
      "planner: no agent plays role 'planner' (agents: coder, reviewer); add an llm agent with role: planner to bosun.yaml, or pass --agent NAME or --model NAME",
    );
  });

  it('plans with a model named directly when no agent plays planner', async () => {
    const result = await plannerFor(MODELS)('Add a login page', { ...OPTIONS, model: 'm' });
    expect(result).toMatchObject({ agent: null, model: 'm', attempts: 1 });
  });

  it('plans with the agent named', async () => {
    const result = await plannerFor(MODELS)('Add a login page', { ...OPTIONS, agent: 'coder' });
    expect(result).toMatchObject({ agent: 'coder', model: 'm' });
  });

  it('refuses an agent that does not run on a model', async () => {
    const error = await refusal(
      plannerFor(MODELS)('Add a login page', { ...OPTIONS, agent: 'reviewer' }),
    );
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain("'reviewer' runs on claude-code");
  });

  it('refuses an unknown agent and an unknown model', async () => {
    const planner = plannerFor(MODELS);
    const agent = await refusal(planner('Add a login page', { ...OPTIONS, agent: 'nobody' }));
    expect(agent.message).toBe("agent: unknown agent 'nobody' (agents: coder, reviewer)");
    const model = await refusal(planner('Add a login page', { ...OPTIONS, model: 'huge' }));
    expect(model.message).toBe("model: no model 'huge' in bosun.yaml (models: m)");
  });
});
