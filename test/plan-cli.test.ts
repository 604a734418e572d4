/**
 * Planning end to end through the CLI, with a mock planner agent: `bosun plan --dry-run` prints
 * the plan and changes nothing; without it the tasks and their dependencies are inserted in one
 * transaction, one audit entry per task under the acting person; a refused plan changes nothing.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bosunJson, runBosun, tempDir } from './helpers/cli.js';

const PLANNER = `
models:
  m: { provider: mock, model: mock-planner, price: { input: 1, output: 2 } }
agents:
  planner: { role: planner, runner: llm, model: m }
`;

interface PlanJson {
  project: string;
  tasks: { key: string; ref: string | null; title: string; role: string | null; needs: string[] }[];
  attempts: number;
  model: string;
  agent: string | null;
  dryRun: boolean;
}

interface TaskLinkJson {
  ref: string;
}

async function workspace(agents = PLANNER): Promise<string> {
  const cwd = tempDir('bosun-plan-');
  const init = await runBosun(['init'], { cwd });
  expect(init.status, init.stderr).toBe(0);
  const config = join(cwd, '.bosun', 'bosun.yaml');
  writeFileSync(config, readFileSync(config, 'utf8') + agents);
  await bosunJson(['project', 'create', 'HOME', 'Home lab'], { cwd });
  return cwd;
}

const taskRefs = async (cwd: string): Promise<string[]> =>
  (await bosunJson<{ ref: string }[]>(['task', 'list', 'HOME'], { cwd })).map((t) => t.ref);

const auditCount = async (cwd: string): Promise<number> =>
  (await bosunJson<unknown[]>(['audit', 'list'], { cwd })).length;

describe('bosun plan', () => {
  it('prints the plan with its dependencies on --dry-run and inserts nothing', async () => {
    const cwd = await workspace();
    const audits = await auditCount(cwd);
    const shown = await runBosun(['plan', 'Add a login page', '--project', 'HOME', '--dry-run'], {
      cwd,
    });
    expect(shown.status, shown.stderr).toBe(0);
    const lines = shown.stdout.split('\n');
    expect(lines[0]).toMatch(/^KEY\s+REF\s+TITLE\s+ROLE\s+NEEDS$/);
    expect(lines[1]).toMatch(/^t1\s+-\s+Understand: Add a login page\s+coder\s+-$/);
    expect(lines[2]).toMatch(/^t2\s+-\s+Implement: Add a login page\s+coder\s+t1$/);
    expect(lines[3]).toMatch(/^t3\s+-\s+Verify: Add a login page\s+reviewer\s+t2$/);
    expect(shown.stdout).toMatch(/dryRun\s+true/);
    expect(shown.stdout).toMatch(/model\s+m/);

    const json = await bosunJson<PlanJson>(
      ['plan', 'Add a login page', '--project', 'HOME', '--dry-run'],
      { cwd },
    );
    expect(json).toMatchObject({ project: 'HOME', attempts: 1, model: 'm', agent: 'planner' });
    expect(json.tasks.map((t) => t.ref)).toEqual([null, null, null]);
    expect(await taskRefs(cwd)).toEqual([]);
    expect(await auditCount(cwd)).toBe(audits);
  });

  it('inserts the tasks with their dependencies, one audit entry per task', async () => {
    const cwd = await workspace();
    const planned = await bosunJson<PlanJson>(['plan', 'Add a login page', '--project', 'HOME'], {
      cwd,
      env: { BOSUN_ACTOR: 'alice' },
    });
    expect(planned.dryRun).toBe(false);
    expect(planned.tasks.map((t) => [t.key, t.ref, t.needs])).toEqual([
      ['t1', 'HOME-1', []],
      ['t2', 'HOME-2', ['t1']],
      ['t3', 'HOME-3', ['t2']],
    ]);

    const middle = await bosunJson<{
      task: {
        title: string;
        role: string;
        priority: string;
        acceptance: string[];
        openDeps: number;
      };
      dependsOn: TaskLinkJson[];
      dependents: TaskLinkJson[];
    }>(['task', 'show', 'HOME-2'], { cwd });
    expect(middle.task).toMatchObject({
      title: 'Implement: Add a login page',
      role: 'coder',
      priority: 'p1',
      openDeps: 1,
    });
    expect(middle.task.acceptance).toEqual(['the change is in place', 'its tests pass']);
    expect(middle.dependsOn.map((t) => t.ref)).toEqual(['HOME-1']);
    expect(middle.dependents.map((t) => t.ref)).toEqual(['HOME-3']);

    const next = await bosunJson<{ tasks: { ref: string }[] }>(['task', 'next', 'HOME'], { cwd });
    expect(next.tasks.map((t) => t.ref)).toEqual(['HOME-1']);

    const audit = await bosunJson<{ actor: string; targetLabel: string }[]>(
      ['audit', 'list', '--operation', 'plan.create'],
      { cwd },
    );
    expect(audit.map((entry) => [entry.actor, entry.targetLabel]).sort()).toEqual([
      ['alice', 'HOME-1'],
      ['alice', 'HOME-2'],
      ['alice', 'HOME-3'],
    ]);

    // The planner's call is in the cost ledger, under the project and the planner agent.
    const spend = await bosunJson<{ rows: { key: string; label: string; calls: number }[] }>(
      ['cost', 'report', '--by', 'agent', '--project', 'HOME'],
      { cwd },
    );
    expect(spend.rows).toEqual([expect.objectContaining({ key: 'planner', calls: 1 })]);
  });

  it('refuses an unknown project before asking the model, and changes nothing', async () => {
    const cwd = await workspace();
    const audits = await auditCount(cwd);
    const refused = await runBosun(['plan', 'Add a login page', '--project', 'NOPE'], { cwd });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toBe(
      "error[not_found]: project: no project 'NOPE'; see 'bosun project list'\n",
    );
    expect(await taskRefs(cwd)).toEqual([]);
    expect(await auditCount(cwd)).toBe(audits);
  });

  it('refuses without a planner agent, naming the agents and the ways out', async () => {
    const cwd = await workspace('');
    const refused = await runBosun(['plan', 'Add a login page', '--project', 'HOME'], { cwd });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(
      "error[not_found]: planner: no agent plays role 'planner' (agents: none configured)",
    );
    expect(refused.stderr).toContain('--model NAME');
    expect(await taskRefs(cwd)).toEqual([]);
  });

  it('is also `bosun plan create`, and its help shows the verb as optional', async () => {
    const cwd = await workspace();
    const help = await runBosun(['plan', '--help'], { cwd });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: bosun plan [create] GOAL [flags]');
    expect(help.stdout).toContain('--dry-run');
    const created = await bosunJson<PlanJson>(
      ['plan', 'create', 'Back up the NAS', '--project', 'HOME', '--dry-run'],
      { cwd },
    );
    expect(created.tasks[0]!.title).toBe('Understand: Back up the NAS');
  });
});
