/**
 * Agents end to end through the CLI: steps that name a role or an agent are given to the agents
 * of bosun.yaml, a route climbs its models on retries with every decision journaled, and a
 * running worker picks up an agent added to bosun.yaml without a restart.
 */

import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOpenAIServer } from '../src/testing/fake-openai-server.js';
import type { BackgroundBosun } from './helpers/cli.js';
import {
  bosunJson,
  fakeModelConfig,
  initWorkspace,
  runBosun,
  startBosun,
  tempDir,
} from './helpers/cli.js';

interface EventJson {
  kind: string;
  data: Record<string, unknown>;
}

const background: BackgroundBosun[] = [];
afterEach(async () => {
  for (const child of background.splice(0)) {
    child.kill('SIGKILL');
    await child.exited;
  }
});

const AGENTS = `
models:
  cheap: { provider: mock, model: small, price: { input: 0.1, output: 0.2 } }
  strong: { provider: mock, model: large, price: { input: 3, output: 15 } }
agents:
  writer:
    role: writer
    runner: mock
    route: writer
    instructions: Write clearly.
routes:
  writer: [cheap, strong]
`;

async function workspace(): Promise<string> {
  const dir = tempDir('bosun-agents-');
  const init = await runBosun(['init'], { cwd: dir });
  expect(init.status, init.stderr).toBe(0);
  const config = join(dir, '.bosun', 'bosun.yaml');
  writeFileSync(config, readFileSync(config, 'utf8') + AGENTS);
  return dir;
}

const startsOf = async (cwd: string, step: string) =>
  (await bosunJson<{ events: EventJson[] }>(['run', 'events', 'last'], { cwd })).events
    .filter((e) => e.kind === 'step-start' && e.data['step'] === step)
    .map((e) => e.data);

describe('agents from bosun.yaml', () => {
  it('gives a role step to its agent and climbs the route on the retry, saying why', async () => {
    const cwd = await workspace();
    writeFileSync(
      join(cwd, 'draft.yaml'),
      [
        'name: draft',
        'steps:',
        '  - id: draft',
        '    role: writer',
        '    with: { fail_attempts: 1 }',
        '    retry: { attempts: 2, backoff: 10ms }',
      ].join('\n'),
    );
    const run = await runBosun(['run', 'start', 'draft.yaml'], { cwd });
    expect(run.status, run.stderr).toBe(0);
    const starts = await startsOf(cwd, 'draft');
    expect(starts).toEqual([
      expect.objectContaining({
        runner: 'mock',
        agent: 'writer',
        model: 'cheap',
        why: 'role writer: agent writer; route writer: first model',
      }),
      expect.objectContaining({
        agent: 'writer',
        model: 'strong',
        why: 'role writer: agent writer; route writer: retry 1 escalates to model 2 of 2',
      }),
    ]);
  });

  it('fails a step whose role no agent plays, naming the agents there are', async () => {
    const cwd = await workspace();
    writeFileSync(
      join(cwd, 'review.yaml'),
      ['name: review', 'steps:', '  - id: review', '    role: reviewer'].join('\n'),
    );
    const run = await runBosun(['run', 'start', 'review.yaml'], { cwd });
    expect(run.status).toBe(11);
    const detail = await bosunJson<{ steps: { key: string; error: string | null }[] }>(
      ['run', 'show', 'last'],
      { cwd },
    );
    expect(detail.steps[0]!.error).toBe("no agent plays role 'reviewer' (agents: writer)");
  });

  it('lets a running worker take an agent added to bosun.yaml without a restart', async () => {
    const cwd = await workspace();
    const worker = startBosun(['worker', '--json'], { cwd });
    background.push(worker);
    await worker.waitForOutput(/serving sqlite workspace/, 10_000);
    const config = join(cwd, '.bosun', 'bosun.yaml');
    writeFileSync(
      config,
      readFileSync(config, 'utf8').replace(
        '\nroutes:\n',
        '\n  editor:\n    role: editor\n    runner: mock\nroutes:\n',
      ),
    );
    // The worker notices the file within a moment; give it that moment.
    await new Promise((resolve) => setTimeout(resolve, 300));
    writeFileSync(
      join(cwd, 'edit.yaml'),
      ['name: edit', 'steps:', '  - id: edit', '    role: editor'].join('\n'),
    );
    const started = await runBosun(['run', 'start', 'edit.yaml', '--detach'], { cwd });
    expect(started.status, started.stderr).toBe(0);
    const deadline = Date.now() + 10_000;
    let status = '';
    while (Date.now() < deadline) {
      status = (await bosunJson<{ run: { status: string } }>(['run', 'show', 'last'], { cwd })).run
        .status;
      if (status !== 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe('succeeded');
    expect(await startsOf(cwd, 'edit')).toEqual([
      expect.objectContaining({ agent: 'editor', why: 'role editor: agent editor' }),
    ]);
  });

  it('records every model call in the ledger and reports spend by agent and model', async () => {
    const cwd = await workspace();
    writeFileSync(
      join(cwd, 'spend.yaml'),
      [
        'name: spend',
        'steps:',
        '  - id: a',
        '    role: writer',
        '    with: { usage: { input_tokens: 1000, output_tokens: 200, cost_usd: 0.25 } }',
        '  - id: b',
        '    role: writer',
        '    needs: [a]',
        '    with: { usage: { input_tokens: 3000, output_tokens: 100, cost_usd: 0.5 } }',
      ].join('\n'),
    );
    const run = await runBosun(['run', 'start', 'spend.yaml'], { cwd });
    expect(run.status, run.stderr).toBe(0);
    const byAgent = await bosunJson<{ rows: { key: string; calls: number; costUsd: number }[] }>(
      ['cost', 'report', '--by', 'agent'],
      { cwd },
    );
    expect(byAgent.rows).toEqual([
      expect.objectContaining({ key: 'writer', calls: 2, costUsd: 0.75 }),
    ]);
    const byModel = await bosunJson<{
      rows: { key: string; inputTokens: number }[];
      total: { costUsd: number; outputTokens: number };
    }>(['cost', 'report', '--by', 'model', '--since', '1d'], { cwd });
    expect(byModel.rows).toEqual([expect.objectContaining({ key: 'cheap', inputTokens: 4000 })]);
    expect(byModel.total).toMatchObject({ costUsd: 0.75, outputTokens: 300 });
    const table = await runBosun(['cost', 'report', '--by', 'agent'], { cwd });
    expect(table.stdout).toMatch(/writer\s+2\s+4000\s+300\s+0\s+0\.75/);
  });

  it("reserves for an llm agent's packed prompt, up to its context_tokens, not for its input alone", async () => {
    // 2,000 prompt tokens at $10 per million: a step may cost $0.02; the run budget is $0.01.
    const cwd = await initWorkspace('bosun-agents-', [
      'models:',
      '  local:',
      '    provider: openai-compatible',
      '    base_url: http://127.0.0.1:9/v1',
      '    model: any',
      '    max_output_tokens: 100',
      '    price: { input: 10, output: 0 }',
      'agents:',
      '  fixer: { role: fixer, runner: llm, model: local, max_steps: 1, context_tokens: 2000 }',
      'budgets:',
      '  - { scope: run, usd: 0.01 }',
    ]);
    writeFileSync(
      join(cwd, 'fix.yaml'),
      ['name: fix', 'steps:', '  - id: fix', '    role: fixer', '    input: Fix it.'].join('\n'),
    );
    const run = await runBosun(['run', 'start', 'fix.yaml', '--detach'], { cwd });
    expect(run.status, run.stderr).toBe(0);
    const worker = await runBosun(['worker', '--until-idle'], { cwd });
    expect(worker.status, worker.stderr).toBe(0);
    const detail = await bosunJson<{ steps: { status: string; error: string | null }[] }>(
      ['run', 'show', 'last'],
      { cwd },
    );
    expect(detail.steps[0]).toMatchObject({ status: 'held' });
    expect(detail.steps[0]!.error).toMatch(
      /may cost up to \$0\.02 \(1 call of ≤ 2\d{3} \+ 100 tokens\)/,
    );
  });

  it('holds the step a budget cannot afford before it starts, and runs it once the budget is raised', async () => {
    const cwd = await workspace();
    const config = join(cwd, '.bosun', 'bosun.yaml');
    // Each step may cost at most 1,000 output tokens at $10 per million: $0.01. The run budget
    // of $0.02 affords two; each step then really costs that much.
    writeFileSync(
      config,
      readFileSync(config, 'utf8')
        .replace(
          'cheap: { provider: mock, model: small, price: { input: 0.1, output: 0.2 } }',
          'cheap: { provider: mock, model: small, max_output_tokens: 1000, price: { input: 0, output: 10 } }',
        )
        .replace('    instructions: Write clearly.', '    instructions: ""\n    max_steps: 1') +
        'budgets:\n  - { scope: run, usd: 0.02 }\n',
    );
    const usage = 'with: { usage: { input_tokens: 0, output_tokens: 1000, cost_usd: 0.01 } }';
    writeFileSync(
      join(cwd, 'three.yaml'),
      [
        'name: three',
        'steps:',
        '  - id: one',
        '    role: writer',
        `    ${usage}`,
        '  - id: two',
        '    role: writer',
        '    needs: [one]',
        `    ${usage}`,
        '  - id: three',
        '    role: writer',
        '    needs: [two]',
        `    ${usage}`,
      ].join('\n'),
    );
    const run = await runBosun(['run', 'start', 'three.yaml'], { cwd });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('three is held: budget_exceeded: run budget of $0.02');
    const detail = await bosunJson<{
      steps: { key: string; status: string; attempts: number; error: string | null }[];
    }>(['run', 'show', 'last'], { cwd });
    expect(detail.steps.map((s) => [s.key, s.status, s.attempts])).toEqual([
      ['one', 'succeeded', 1],
      ['two', 'succeeded', 1],
      ['three', 'held', 0],
    ]);
    expect(detail.steps[2]!.error).toMatch(
      /^budget_exceeded: run budget of \$0\.02: \$0\.02 spent or reserved, and this step may cost up to \$0\.01/,
    );
    // A higher budget, then resume: the step is checked again and runs.
    writeFileSync(config, readFileSync(config, 'utf8').replace('usd: 0.02', 'usd: 0.05'));
    const resumed = await runBosun(['run', 'resume', 'last'], { cwd });
    expect(resumed.status, resumed.stderr).toBe(0);
    const after = await bosunJson<{ run: { status: string; costUsd: number } }>(
      ['run', 'show', 'last'],
      {
        cwd,
      },
    );
    expect(after.run).toMatchObject({ status: 'succeeded', costUsd: 0.03 });
  });

  it('manages agents from the CLI: add (validated before the file changes), list, show, remove, scaffold', async () => {
    const cwd = tempDir('bosun-agent-ops-');
    expect((await runBosun(['init'], { cwd })).status).toBe(0);
    const config = join(cwd, '.bosun', 'bosun.yaml');
    const added = await bosunJson<{
      name: string;
      runner: string;
      tools: string[];
      timeoutMs: number;
    }>(
      [
        'agent',
        'add',
        'coder',
        '--runner',
        'mock',
        '--role',
        'coder',
        '--tools',
        'note.add',
        '--timeout',
        '5m',
      ],
      { cwd },
    );
    expect(added).toMatchObject({
      name: 'coder',
      runner: 'mock',
      tools: ['note.add'],
      timeoutMs: 300_000,
    });
    // Block style, comments of the template kept.
    const text = readFileSync(config, 'utf8');
    expect(text).toContain('agents:\n  coder:\n    runner: mock\n    role: coder\n');
    expect(text).toContain('# Routes: a role');
    const refused = await runBosun(['agent', 'add', 'bad', '--runner', 'llm', '--model', 'nope'], {
      cwd,
    });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/bosun\.yaml:\d+: agents\.bad\.model: unknown model 'nope'/);
    expect(readFileSync(config, 'utf8')).toBe(text);
    // An allowlist of external MCP tools must name servers of mcp_servers:.
    appendFileSync(config, 'models:\n  local: { provider: mock, model: small }\n');
    const withModel = readFileSync(config, 'utf8');
    const unknownServer = await runBosun(
      ['agent', 'add', 'bad', '--runner', 'llm', '--model', 'local', '--mcp', 'files'],
      { cwd },
    );
    expect(unknownServer.status).toBe(2);
    expect(unknownServer.stderr).toMatch(/agents\.bad\.mcp\.0: unknown MCP server 'files'/);
    expect(readFileSync(config, 'utf8')).toBe(withModel);
    appendFileSync(config, 'mcp_servers:\n  files:\n    command: mcp-files\n');
    const researcher = await bosunJson<{ mcp: string[] }>(
      [
        'agent',
        'add',
        'researcher',
        '--runner',
        'llm',
        '--model',
        'local',
        '--mcp',
        'files/read_*',
      ],
      { cwd },
    );
    expect(researcher.mcp).toEqual(['files/read_*']);
    expect((await runBosun(['agent', 'remove', 'researcher'], { cwd })).status).toBe(0);
    expect(
      (await bosunJson<{ name: string }[]>(['agent', 'list'], { cwd })).map((a) => a.name),
    ).toEqual(['coder']);
    const missing = await runBosun(['agent', 'show', 'ghost'], { cwd });
    expect(missing.status).toBe(4);
    expect(missing.stderr).toContain("agent 'ghost' does not exist (agents: coder)");
    const scaffold = await runBosun(['agent', 'scaffold', 'reviewer'], { cwd });
    expect(scaffold.stdout).toMatch(
      /^ {2}reviewer:\n {4}role: reviewer +# steps with `role: reviewer`/,
    );
    expect((await runBosun(['agent', 'remove', 'coder'], { cwd })).status).toBe(0);
    expect(await bosunJson(['agent', 'list'], { cwd })).toEqual([]);
    // --write adds the template itself, comments and all, and it validates as written.
    expect((await runBosun(['agent', 'scaffold', 'reviewer', '--write'], { cwd })).status).toBe(0);
    expect(readFileSync(config, 'utf8')).toMatch(
      / {4}# model: local {17}# llm: a name from models:/,
    );
    expect(await bosunJson(['agent', 'show', 'reviewer'], { cwd })).toMatchObject({
      role: 'reviewer',
      runner: 'mock',
    });
    const again = await runBosun(['agent', 'scaffold', 'reviewer', '--write'], { cwd });
    expect(again.status).toBe(5);
    expect(again.stderr).toContain("agent 'reviewer' already exists");
  });

  it('runs a workflow of an llm agent (with a bosun tool), a claude-code agent and a shell step', async () => {
    const server = await startFakeOpenAIServer({ apiKey: 'test-key' });
    try {
      // The llm agent first calls the note.add tool, then answers; usage per call is scripted.
      server.enqueue(
        {
          type: 'tool-calls',
          calls: [{ name: 'note_add', arguments: { task: 'MIX-1', body: 'plan: split in two' } }],
          usage: { promptTokens: 1000, completionTokens: 50 },
        },
        { type: 'text', text: 'Plan ready.', usage: { promptTokens: 1200, completionTokens: 20 } },
      );
      const cwd = await initWorkspace('bosun-mixed-', [
        ...fakeModelConfig(server.url, ['price: { input: 1, output: 2 }']),
        'agents:',
        '  planner:',
        '    role: planner',
        '    runner: llm',
        '    model: local',
        '    instructions: Plan the work.',
        '    tools: [note.add]',
        '  coder:',
        '    role: coder',
        '    runner: claude-code',
        '    model: claude-sonnet-4-5',
      ]);
      expect((await runBosun(['project', 'create', 'MIX', 'Mixed'], { cwd })).status).toBe(0);
      expect((await runBosun(['task', 'add', 'MIX', 'The task'], { cwd })).status).toBe(0);
      writeFileSync(
        join(cwd, 'mixed.yaml'),
        [
          'name: mixed',
          'steps:',
          '  - id: plan',
          '    role: planner',
          '    input: Plan the change.',
          '  - id: code',
          '    role: coder',
          '    needs: [plan]',
          '    input: "Do it: {{ steps.plan.output.text }}"',
          '  - id: check',
          '    runner: shell',
          '    needs: [code]',
          '    with: { command: "echo checked" }',
        ].join('\n'),
      );
      const fakes = resolve(import.meta.dirname, 'fixtures/bin');
      const env = {
        FAKE_OPENAI_KEY: 'test-key',
        PATH: `${fakes}${delimiter}${process.env.PATH ?? ''}`,
      };
      const run = await runBosun(['run', 'start', 'mixed.yaml'], { cwd, env });
      expect(run.status, run.stderr + run.stdout).toBe(0);
      const detail = await bosunJson<{
        run: { status: string };
        steps: { key: string; status: string }[];
      }>(['run', 'show', 'last'], { cwd });
      expect(detail.steps.map((s) => [s.key, s.status])).toEqual([
        ['plan', 'succeeded'],
        ['code', 'succeeded'],
        ['check', 'succeeded'],
      ]);
      // The tool ran as the agent: the note is on the task, audited under agent:planner.
      const task = await bosunJson<{ notes: { body: string; author: string }[] }>(
        ['task', 'show', 'MIX-1'],
        {
          cwd,
        },
      );
      expect(task.notes).toEqual([
        expect.objectContaining({ body: 'plan: split in two', author: 'agent:planner' }),
      ]);
      // The model saw the agent's instructions and the step's input.
      const first = server.requests[0]!;
      expect(first.messages[0]).toMatchObject({ role: 'system', content: 'Plan the work.' });
      expect(JSON.stringify(first.messages)).toContain('Plan the change.');
      // Events: the llm's deltas, its tool call, the claude session; the ledger: 2 llm calls + 1.
      const kinds = (
        await bosunJson<{ events: EventJson[] }>(['run', 'events', 'last'], { cwd })
      ).events.map((e) => e.kind);
      expect(kinds).toEqual(
        expect.arrayContaining(['agent-message-delta', 'agent-tool-call', 'agent-session']),
      );
      const byModel = await bosunJson<{ rows: { key: string; calls: number; costUsd: number }[] }>(
        ['cost', 'report', '--by', 'model'],
        { cwd },
      );
      expect(byModel.rows.find((r) => r.key === 'local')).toMatchObject({
        calls: 2,
        costUsd: (2200 * 1 + 70 * 2) / 1_000_000,
      });
      expect(byModel.rows.map((r) => r.key)).toContain('claude-sonnet-4-5');
    } finally {
      await server.close();
    }
  });
});
