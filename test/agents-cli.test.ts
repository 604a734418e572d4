/**
 * Agents end to end through the CLI: steps that name a role or an agent are given to the agents
 * of bosun.yaml, a route climbs its models on retries with every decision journaled, and a
 * running worker picks up an agent added to bosun.yaml without a restart.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackgroundBosun } from './helpers/cli.js';
import { bosunJson, runBosun, startBosun, tempDir } from './helpers/cli.js';

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
        'task.note',
        '--timeout',
        '5m',
      ],
      { cwd },
    );
    expect(added).toMatchObject({
      name: 'coder',
      runner: 'mock',
      tools: ['task.note'],
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
  });
});
