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
});
