/**
 * The command center's own commands through the built CLI: `task submit` (create and run),
 * `run start --task`, `status`, `activity` and `system health`, on a real SQLite workspace.
 */

import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bosunJson, runBosun, tempDir } from './helpers/cli.js';

let cwd: string;

beforeAll(async () => {
  cwd = tempDir('bosun-cc-');
  expect((await runBosun(['init'], { cwd })).status).toBe(0);
  appendFileSync(
    join(cwd, '.bosun', 'bosun.yaml'),
    [
      'agents:',
      '  helper:',
      '    runner: mock',
      '    role: ops',
      'budgets:',
      '  - scope: day',
      '    usd: 5',
      '  - scope: run',
      '    tokens: 10000',
      '',
    ].join('\n'),
  );
  expect((await runBosun(['project', 'create', 'HOME', 'Home lab'], { cwd })).status).toBe(0);
  expect((await runBosun(['task', 'add', 'HOME', 'First', '-p', 'p1'], { cwd })).status).toBe(0);
  expect(
    (await runBosun(['task', 'add', 'HOME', 'Second', '--depends-on', 'HOME-1'], { cwd })).status,
  ).toBe(0);
});

describe('the command-center commands', () => {
  it('task submit creates the task and runs it to done in the foreground', async () => {
    const result = await runBosun(['task', 'submit', 'HOME', 'Rotate keys', '--role', 'ops'], {
      cwd,
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^task HOME-3 created; run \w+ HOME-3 Rotate keys: 1 steps$/m);
    const shown = await bosunJson<{ task: { status: string; assignee: string | null } }>(
      ['task', 'show', 'HOME-3'],
      { cwd },
    );
    expect(shown.task.status).toBe('done');
  });

  it('task submit refuses a task whose dependency is open, and creates nothing', async () => {
    const before = await bosunJson<unknown[]>(['task', 'list'], { cwd });
    const refused = await runBosun(
      ['task', 'submit', 'HOME', 'Too early', '--depends-on', 'HOME-2'],
      { cwd },
    );
    expect(refused.status).toBe(5);
    expect(refused.stderr).toMatch(/^error\[conflict\]: task: HOME-\d+ depends on HOME-2 \(todo\)/);
    expect(await bosunJson<unknown[]>(['task', 'list'], { cwd })).toHaveLength(before.length);
    const created = await bosunJson<{ task: { ref: string }; run: null }>(
      ['task', 'submit', 'HOME', 'Later', '--depends-on', 'HOME-2', '--no-start'],
      { cwd },
    );
    expect(created.run).toBeNull();
  });

  it('run start --task runs one task by the named agent; unknown agents are refused', async () => {
    const { run } = await bosunJson<{
      run: { name: string; stepsTotal: number; status: string };
    }>(['run', 'start', '--task', 'HOME-1', '--agent', 'helper'], { cwd });
    expect(run).toMatchObject({ name: 'HOME-1 First', stepsTotal: 1, status: 'succeeded' });
    const unknown = await runBosun(['run', 'start', '--task', 'HOME-2', '--agent', 'nobody'], {
      cwd,
    });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/agent: no agent 'nobody' in bosun.yaml/);
  });

  it('status shows projects, spend against every budget and what is next', async () => {
    const status = await bosunJson<{
      projects: { key: string; total: number; tasks: Record<string, number> }[];
      spend: { budgets: { name: string; state: string; headroomUsd: number | null }[] };
      next: { ref: string }[];
    }>(['status'], { cwd });
    expect(status.projects[0]).toMatchObject({ key: 'HOME', total: 4 });
    expect(status.projects[0]!.tasks['done']).toBe(2);
    expect(status.spend.budgets).toEqual([
      expect.objectContaining({ name: 'day budget', state: 'ok', headroomUsd: 5 }),
      expect.objectContaining({ name: 'run budget', state: 'per_run' }),
    ]);
    expect(status.next.map((t) => t.ref)).toEqual(['HOME-2']);
    const text = await runBosun(['status'], { cwd });
    expect(text.stdout).toContain('HOME  Home lab: 4 tasks (2 todo · 2 done)');
    expect(text.stdout).toContain('day budget $5.00: $0.00 used, $5.00 left (ok)');
  });

  it('activity merges run events and writes, newest first, with filters', async () => {
    const all = await bosunJson<{ source: string; kind: string; at: string }[]>(['activity'], {
      cwd,
    });
    expect(new Set(all.map((e) => e.source))).toEqual(new Set(['runs', 'audit']));
    const times = all.map((e) => e.at);
    expect([...times].sort().reverse()).toEqual(times);
    const steps = await bosunJson<{ kind: string }[]>(['activity', '--kinds', 'step-end'], { cwd });
    expect(steps.length).toBeGreaterThanOrEqual(2);
    expect(steps.every((e) => e.kind === 'step-end')).toBe(true);
    const mine = await bosunJson<{ actor: string }[]>(
      ['activity', '--actor', 'tester', '-n', '3'],
      {
        cwd,
      },
    );
    expect(mine).toHaveLength(3);
    expect(mine.every((e) => e.actor === 'tester')).toBe(true);
    const bad = await runBosun(['activity', '--since', 'yesterday'], { cwd });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/since: 'yesterday' is neither a day/);
  });

  it('system health reports store, agents and budgets, and exits 12 when a run has no worker', async () => {
    const healthy = await runBosun(['system', 'health', '--json'], { cwd });
    expect(healthy.status, healthy.stderr).toBe(0);
    const report = JSON.parse(healthy.stdout) as {
      ok: boolean;
      store: { dialect: string; tasks: number };
      agents: { name: string }[];
      budgets: unknown[];
    };
    expect(report).toMatchObject({ ok: true, store: { dialect: 'sqlite', tasks: 4 } });
    expect(report.agents.map((a) => a.name)).toEqual(['helper']);
    expect(report.budgets).toHaveLength(2);
    const detached = await runBosun(
      ['task', 'submit', 'HOME', 'Waits for a worker', '--runner', 'mock', '--detach'],
      { cwd },
    );
    expect(detached.status, detached.stderr).toBe(0);
    const waiting = await runBosun(['system', 'health'], { cwd });
    expect(waiting.status).toBe(12);
    expect(waiting.stdout).toMatch(/^NEEDS ATTENTION/);
    expect(waiting.stdout).toContain('1 run in flight and no worker registered');
  });
});
