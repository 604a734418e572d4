/**
 * The risk register through the built CLI: add, list (JSON, plain text, colored text), show,
 * update, archive and restore, and bad input refused naming the field with nothing stored.
 */

import { stripVTControlCharacters } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { bosunJson, initWorkspace, runBosun } from './helpers/cli.js';

interface RiskRow {
  ref: string;
  likelihood: number;
  impact: number;
  score: number;
  level: string;
  status: string;
  owner: string | null;
  reviewDate: string | null;
  archivedAt: string | null;
  overdue: boolean;
}

// Far enough from any day the tests run on: one review long past, one far ahead.
const PAST = '2001-01-01';
const FUTURE = '2999-12-31';
const ESC = '\x1b[';

let cwd: string;

beforeAll(async () => {
  cwd = await initWorkspace('bosun-risks-');
  expect((await runBosun(['project', 'create', 'HOME', 'Home lab'], { cwd })).status).toBe(0);
});

describe('bosun risk', () => {
  it('adds risks with derived score and level, and lists them by score', async () => {
    const added = await bosunJson<RiskRow>(
      [
        'risk',
        'add',
        'HOME',
        'NAS disk fails',
        '-l',
        '4',
        '-i',
        '5',
        '--mitigation',
        'weekly offsite copy',
        '--owner',
        'ana',
        '--review',
        PAST,
      ],
      { cwd },
    );
    expect(added).toMatchObject({
      ref: 'HOME-R1',
      score: 20,
      level: 'critical',
      owner: 'ana',
      reviewDate: PAST,
      overdue: true,
    });
    const text = await runBosun(['risk', 'add', 'HOME', 'Power cut', '-l', '2', '-i', '2'], {
      cwd,
    });
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^REF\s+LEVEL\s+SCORE/);
    expect(text.stdout).toMatch(/HOME-R2\s+low\s+4\s+2\s+2\s+open\s+Power cut/);
    await bosunJson(
      ['risk', 'add', 'HOME', 'Ransomware', '-l', '3', '-i', '5', '--review', FUTURE],
      { cwd },
    );
    const list = await bosunJson<RiskRow[]>(['risk', 'list'], { cwd });
    expect(list.map((r) => [r.ref, r.level, r.overdue])).toEqual([
      ['HOME-R1', 'critical', true],
      ['HOME-R3', 'high', false],
      ['HOME-R2', 'low', false],
    ]);
    const overdue = await bosunJson<RiskRow[]>(['risk', 'list', '--overdue'], { cwd });
    expect(overdue.map((r) => r.ref)).toEqual(['HOME-R1']);
    const high = await bosunJson<RiskRow[]>(
      ['risks', 'ls', 'HOME', '--level', 'high', '--level', 'critical'],
      { cwd },
    );
    expect(high.map((r) => r.ref)).toEqual(['HOME-R1', 'HOME-R3']);
  });

  it('colors the level and the overdue flag only when color is wanted', async () => {
    const plain = await runBosun(['risk', 'list'], { cwd });
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stdout).not.toContain(ESC);
    expect(plain.stdout).toMatch(/HOME-R1\s+critical\s+20 .*yes$/m);

    const colored = await runBosun(['risk', 'list'], { cwd, env: { FORCE_COLOR: '1' } });
    expect(colored.stdout).toContain(`${ESC}35mcritical`);
    expect(colored.stdout).toContain(`${ESC}31mhigh`);
    expect(colored.stdout).toContain(`${ESC}32mlow`);
    expect(colored.stdout).toContain(`${ESC}31myes${ESC}0m`);
    // The columns still line up: only the escape codes differ.
    expect(stripVTControlCharacters(colored.stdout)).toBe(plain.stdout);

    const refused = await runBosun(['risk', 'list'], {
      cwd,
      env: { FORCE_COLOR: '1', NO_COLOR: '1' },
    });
    expect(refused.stdout).toBe(plain.stdout);
    const json = await runBosun(['risk', 'list', '--json'], { cwd, env: { FORCE_COLOR: '1' } });
    expect(json.stdout).not.toContain(ESC);
  });

  it('shows and updates a risk; score and level follow the ratings', async () => {
    const shown = await runBosun(['risk', 'show', 'home-r3'], { cwd });
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^level\s+high$/m);
    const updated = await bosunJson<RiskRow>(
      ['risk', 'update', 'HOME-R3', '-l', '5', '-s', 'mitigating', '--no-review'],
      { cwd },
    );
    expect(updated).toMatchObject({
      likelihood: 5,
      impact: 5,
      score: 25,
      level: 'critical',
      status: 'mitigating',
      reviewDate: null,
    });
    const audit = await bosunJson<{ operation: string }[]>(['audit', 'list', 'HOME-R3'], { cwd });
    expect(audit.map((e) => e.operation)).toEqual(['risk.add', 'risk.update']);
  });

  it('status shows open high and critical risks and overdue reviews', async () => {
    const status = await bosunJson<{ risks: { ref: string; overdue: boolean }[] }>(['status'], {
      cwd,
    });
    // HOME-R2 (low, no review) needs no attention.
    expect(status.risks.map((r) => [r.ref, r.overdue])).toEqual([
      ['HOME-R3', false],
      ['HOME-R1', true],
    ]);
    const text = await runBosun(['status'], { cwd });
    expect(text.stdout).toContain('Risks needing attention');
    expect(text.stdout).toMatch(
      new RegExp(`HOME-R1  critical 20  NAS disk fails \\(open\\) · review overdue since ${PAST}`),
    );
    await bosunJson(['risk', 'update', 'HOME-R1', '-s', 'closed'], { cwd });
    const after = await bosunJson<{ risks: { ref: string }[] }>(['status'], { cwd });
    expect(after.risks.map((r) => r.ref)).toEqual(['HOME-R3']);
    await bosunJson(['risk', 'update', 'HOME-R1', '-s', 'open'], { cwd });
  });

  it('archives a risk out of the list, shows it with --archived, and restores it', async () => {
    const archived = await bosunJson<RiskRow>(['risk', 'archive', 'HOME-R2'], { cwd });
    expect(archived.archivedAt).not.toBeNull();
    const live = await bosunJson<RiskRow[]>(['risk', 'list'], { cwd });
    expect(live.map((r) => r.ref)).not.toContain('HOME-R2');
    const all = await bosunJson<RiskRow[]>(['risk', 'list', '--archived'], { cwd });
    expect(all.map((r) => r.ref)).toContain('HOME-R2');
    const again = await runBosun(['risk', 'update', 'HOME-R2', '-i', '3'], { cwd });
    expect(again.status).toBe(5);
    expect(again.stderr).toMatch(/^error\[conflict\]: risk: risk HOME-R2 is archived/);
    await bosunJson(['risk', 'restore', 'HOME-R2'], { cwd });
    const back = await bosunJson<RiskRow[]>(['risk', 'list'], { cwd });
    expect(back.map((r) => r.ref)).toContain('HOME-R2');
  });

  it('refuses bad input with a non-zero exit naming the field, and stores nothing', async () => {
    const before = await bosunJson<RiskRow[]>(['risk', 'list', '--archived'], { cwd });
    const cases: [string[], RegExp][] = [
      [
        ['-l', '6', '-i', '1'],
        /^error\[invalid_input\]: likelihood: must be a whole number from 1 to 5/,
      ],
      [['-l', '2.5', '-i', '1'], /^error\[invalid_input\]: likelihood: must be a whole number/],
      [
        ['-l', '3', '-i', '0'],
        /^error\[invalid_input\]: impact: must be a whole number from 1 to 5/,
      ],
      [['-l', '3'], /^error\[invalid_input\]: impact: is required/],
      [['-l', 'high', '-i', '1'], /^error\[invalid_input\]: -l must be a number, not 'high'/],
      [
        ['-l', '3', '-i', '1', '--review', '2026-02-30'],
        /^error\[invalid_input\]: review: must be a real calendar date/,
      ],
      [
        ['-l', '3', '-i', '1', '-s', 'gone'],
        /^error\[invalid_input\]: status: must be one of open, mitigating, closed, accepted/,
      ],
    ];
    for (const [flags, message] of cases) {
      const result = await runBosun(['risk', 'add', 'HOME', 'Bad', ...flags], { cwd });
      expect(result.status, flags.join(' ')).toBe(2);
      expect(result.stderr, flags.join(' ')).toMatch(message);
    }
    const json = await runBosun(['risk', 'add', 'HOME', 'Bad', '-l', '9', '-i', '1', '--json'], {
      cwd,
    });
    expect(JSON.parse(json.stdout)).toMatchObject({
      error: { code: 'invalid_input', details: { field: 'likelihood' } },
    });
    const unknown = await runBosun(['risk', 'show', 'HOME-R99'], { cwd });
    expect(unknown.status).toBe(4);
    expect(unknown.stderr).toMatch(/^error\[not_found\]: risk: no risk 'HOME-R99'/);
    const noProject = await runBosun(['risk', 'add', 'NOPE', 'x', '-l', '1', '-i', '1'], { cwd });
    expect(noProject.status).toBe(4);
    expect(noProject.stderr).toMatch(/^error\[not_found\]: project: no project 'NOPE'/);
    expect(await bosunJson<RiskRow[]>(['risk', 'list', '--archived'], { cwd })).toEqual(before);
    const next = await bosunJson<RiskRow>(['risk', 'add', 'HOME', 'Next', '-l', '1', '-i', '1'], {
      cwd,
    });
    expect(next.ref).toBe('HOME-R4');
  });
});
