/**
 * Structured intake through the built CLI: `bosun project add --from FILE` creates a project with
 * its objectives, scope, stakeholders, risks, milestones and budget lines in one transaction; a
 * refused document names the file, the line and the place in it, and leaves nothing behind.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { bosunJson, initWorkspace, runBosun } from './helpers/cli.js';

const INTAKE = `# Home lab intake
project:
  key: HOME
  name: Home lab
  description: Keep the family's data safe.
  owner: ana
  start: 2026-12-01
  due: 2027-06-30
objectives:
  - Nightly backups of every machine
  - Restore drill every quarter
scope:
  in: [NAS, laptops]
  out: [phones]
stakeholders:
  - { name: Ana, role: sponsor, influence: 5, interest: 5 }
  - { name: Bo, role: user, influence: 2, interest: 4, contact: bo@example.org }
risks:
  - title: NAS disk fails
    likelihood: 4
    impact: 5
    mitigation: weekly offsite copy
    owner: ana
  - { title: Power cut during backup, likelihood: 2, impact: 2 }
milestones:
  - { title: Backups running, due: 2027-01-15 }
  - { title: First restore drill, due: 2027-03-31, owner: bo }
budget:
  currency: EUR
  lines:
    - { category: hardware, planned: "1200.50" }
    - { category: cloud storage, planned: 240, alert_threshold: 20 }
`;

interface Created {
  key: string;
  description: string;
  budgetCurrency: string | null;
  created: { stakeholders: string[]; risks: string[]; milestones: string[]; budgetLines: string[] };
}

let cwd: string;

beforeEach(async () => {
  cwd = await initWorkspace('bosun-intake-');
});

function write(name: string, text: string): string {
  const path = join(cwd, name);
  writeFileSync(path, text);
  return name;
}

async function projectCount(): Promise<number> {
  return (await bosunJson<unknown[]>(['project', 'list'], { cwd })).length;
}

describe('bosun project add --from', () => {
  it('creates the project and everything the intake file describes', async () => {
    const file = write('intake.yaml', INTAKE);
    const created = await bosunJson<Created>(['project', 'add', '--from', file], { cwd });
    expect(created.key).toBe('HOME');
    expect(created.budgetCurrency).toBe('EUR');
    expect(created.created).toEqual({
      stakeholders: ['HOME-S1', 'HOME-S2'],
      risks: ['HOME-R1', 'HOME-R2'],
      milestones: ['HOME-M1', 'HOME-M2'],
      budgetLines: ['HOME-B1', 'HOME-B2'],
    });
    expect(created.description).toBe(
      [
        "Keep the family's data safe.",
        '## Objectives\n\n- Nightly backups of every machine\n- Restore drill every quarter',
        '## Scope\n\nIn scope:\n\n- NAS\n- laptops\n\nOut of scope:\n\n- phones',
      ].join('\n\n'),
    );

    const risks = await bosunJson<{ ref: string; score: number; level: string }[]>(
      ['risk', 'list', 'HOME'],
      { cwd },
    );
    expect(risks.map((r) => [r.ref, r.score, r.level])).toEqual([
      ['HOME-R1', 20, 'critical'],
      ['HOME-R2', 4, 'low'],
    ]);
    const lines = await bosunJson<{ ref: string; plannedMinor: number; currency: string }[]>(
      ['budget', 'list', 'HOME'],
      { cwd },
    );
    expect(lines.map((l) => [l.ref, l.plannedMinor, l.currency])).toEqual([
      ['HOME-B1', 120050, 'EUR'],
      ['HOME-B2', 24000, 'EUR'],
    ]);
    const milestone = await bosunJson<{ dueDate: string; owner: string }>(
      ['milestone', 'show', 'HOME-M2'],
      { cwd },
    );
    expect(milestone).toMatchObject({ dueDate: '2027-03-31', owner: 'bo' });
    // Every record was written through its service, so each has its audit entry.
    const audit = await bosunJson<{ targetLabel: string }[]>(['audit', 'list', '--limit', '100'], {
      cwd,
    });
    expect(audit.map((entry) => entry.targetLabel).sort()).toEqual(
      [
        'HOME',
        ...created.created.stakeholders,
        ...created.created.risks,
        ...created.created.milestones,
        ...created.created.budgetLines,
      ].sort(),
    );
  });

  it('reads the same document as JSON', async () => {
    const file = write(
      'intake.json',
      JSON.stringify({
        project: { key: 'WORK', name: 'Work' },
        risks: [{ title: 'Vendor lock-in', likelihood: 3, impact: 3 }],
      }),
    );
    const created = await bosunJson<Created>(['project', 'add', '--from', file], { cwd });
    expect(created.created.risks).toEqual(['WORK-R1']);
  });

  it('names the file, the line and the place of a value the schema refuses, and stores nothing', async () => {
    const file = write('intake.yaml', INTAKE.replace('likelihood: 2', 'likelihood: 7'));
    const result = await runBosun(['project', 'add', '--from', file], { cwd });
    expect(result.status).toBe(2);
    const line = INTAKE.split('\n').findIndex((l) => l.includes('Power cut')) + 1;
    expect(result.stderr).toMatch(
      new RegExp(
        `^error\\[invalid_input\\]: intake\\.yaml:${line}: risks\\[1\\]\\.likelihood: must be a whole number from 1 to 5`,
      ),
    );
    expect(await projectCount()).toBe(0);
  });

  it('names an unknown key', async () => {
    const file = write(
      'intake.yaml',
      INTAKE.replace('  owner: ana\n  start', '  ownr: ana\n  start'),
    );
    const result = await runBosun(['project', 'add', '--from', file, '--json'], { cwd });
    expect(result.status).toBe(2);
    const error = (JSON.parse(result.stdout) as { error: { details: Record<string, unknown> } })
      .error;
    expect(error.details).toMatchObject({
      field: 'project.ownr',
      file: 'intake.yaml',
      line: 6,
      rule: 'is not a key an intake document has',
    });
  });

  it('rolls everything back when a service refuses an item, naming its place', async () => {
    const file = write('intake.yaml', INTAKE.replace('planned: 240', 'planned: "240.123"'));
    const result = await runBosun(['project', 'add', '--from', file, '--json'], { cwd });
    expect(result.status).toBe(2);
    const error = (JSON.parse(result.stdout) as { error: { message: string; details: object } })
      .error;
    expect(error.details).toMatchObject({ field: 'budget.lines[1].planned' });
    expect(error.message).toMatch(/^budget\.lines\[1\]\.planned: /);
    expect(await projectCount()).toBe(0);
    expect(await bosunJson<unknown[]>(['audit', 'list'], { cwd })).toEqual([]);
  });

  it('refuses a key given besides the file, a missing file, and neither', async () => {
    const file = write('intake.yaml', INTAKE);
    const both = await runBosun(['project', 'add', 'HOME', '--from', file], { cwd });
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/key: comes from the intake document/);
    const missing = await runBosun(['project', 'add', '--from', 'nope.yaml'], { cwd });
    expect(missing.stderr).toMatch(/^error\[not_found\]: intake file 'nope.yaml' does not exist/);
    const neither = await runBosun(['project', 'add'], { cwd });
    expect(neither.status).toBe(2);
    expect(neither.stderr).toMatch(/key: is required \(or give --from FILE\)/);
    expect(await projectCount()).toBe(0);
  });

  it('takes the document inline through bosun call, as the API and MCP do', async () => {
    const result = await bosunJson<Created>(
      [
        'call',
        'project.create',
        '--input',
        JSON.stringify({
          intake: { project: { key: 'LAB', name: 'Lab' }, milestones: [{ title: 'Racked' }] },
        }),
      ],
      { cwd },
    );
    expect(result.created.milestones).toEqual(['LAB-M1']);
    const bad = await runBosun(
      [
        'call',
        'project.create',
        '--input',
        JSON.stringify({ intake: { project: { key: 'LAB2' } } }),
        '--json',
      ],
      { cwd },
    );
    expect(bad.status).toBe(2);
    expect(bad.stdout).toMatch(/project\.name/);
  });
});
