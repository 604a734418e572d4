/**
 * Action items and stakeholders through the built CLI: add, list --json, show, update, archive
 * and restore, and bad input refused with a non-zero exit naming the field, nothing stored.
 */

import { beforeAll, describe, expect, it } from 'vitest';
import { bosunJson, initWorkspace, runBosun } from './helpers/cli.js';

interface ActionRow {
  ref: string;
  status: string;
  owner: string | null;
  dueDate: string | null;
  source: string;
  sourceRef: string | null;
  archivedAt: string | null;
  overdue: boolean;
}

interface StakeholderRow {
  ref: string;
  name: string;
  influence: number;
  interest: number;
  quadrant: string;
  archivedAt: string | null;
}

// Far enough from any day the tests run on: one due day long past, one far ahead.
const PAST = '2001-01-01';
const FUTURE = '2999-12-31';

let cwd: string;

beforeAll(async () => {
  cwd = await initWorkspace('bosun-actions-stakeholders-');
  expect((await runBosun(['project', 'create', 'HOME', 'Home lab'], { cwd })).status).toBe(0);
  await bosunJson(['risk', 'add', 'HOME', 'NAS disk fails', '-l', '4', '-i', '5'], { cwd });
});

describe('bosun action', () => {
  it('adds actions, resolves a risk source, and lists them by due date', async () => {
    const added = await bosunJson<ActionRow>(
      [
        'action',
        'add',
        'HOME',
        'Order a disk',
        '--owner',
        'ana',
        '--due',
        PAST,
        '--source-ref',
        'home-r1',
      ],
      { cwd },
    );
    expect(added).toMatchObject({
      ref: 'HOME-A1',
      owner: 'ana',
      dueDate: PAST,
      source: 'risk',
      sourceRef: 'HOME-R1',
      status: 'open',
      overdue: true,
    });
    const text = await runBosun(
      ['action', 'add', 'HOME', 'Write the runbook', '--source', 'meeting'],
      {
        cwd,
      },
    );
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^REF\s+STATUS\s+DUE/);
    await bosunJson(['action', 'add', 'HOME', 'Rotate keys', '--due', FUTURE], { cwd });
    const list = await bosunJson<ActionRow[]>(['action', 'list'], { cwd });
    expect(list.map((a) => [a.ref, a.overdue])).toEqual([
      ['HOME-A1', true],
      ['HOME-A3', false],
      ['HOME-A2', false],
    ]);
    const overdue = await bosunJson<ActionRow[]>(['actions', 'ls', '--overdue'], { cwd });
    expect(overdue.map((a) => a.ref)).toEqual(['HOME-A1']);
    const fromMeetings = await bosunJson<ActionRow[]>(['action', 'list', '--source', 'meeting'], {
      cwd,
    });
    expect(fromMeetings.map((a) => a.ref)).toEqual(['HOME-A2']);
    const anas = await bosunJson<ActionRow[]>(['action', 'list', 'HOME', '--owner', 'ana'], {
      cwd,
    });
    expect(anas.map((a) => a.ref)).toEqual(['HOME-A1']);
  });

  it('shows and updates an action, and audits the change', async () => {
    const shown = await runBosun(['action', 'show', 'home-a1'], { cwd });
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^sourceRef\s+HOME-R1$/m);
    const updated = await bosunJson<ActionRow>(
      ['action', 'update', 'HOME-A1', '-s', 'done', '--no-owner', '--no-due'],
      { cwd },
    );
    expect(updated).toMatchObject({ status: 'done', owner: null, dueDate: null, overdue: false });
    const audit = await bosunJson<{ operation: string }[]>(['audit', 'list', 'HOME-A1'], { cwd });
    expect(audit.map((e) => e.operation)).toEqual(['action.add', 'action.update']);
  });

  it('archives an action off the list and restores it', async () => {
    const archived = await bosunJson<ActionRow>(['action', 'archive', 'HOME-A2'], { cwd });
    expect(archived.archivedAt).not.toBeNull();
    expect(
      (await bosunJson<ActionRow[]>(['action', 'list'], { cwd })).map((a) => a.ref),
    ).not.toContain('HOME-A2');
    const again = await runBosun(['action', 'update', 'HOME-A2', '-s', 'done'], { cwd });
    expect(again.status).toBe(5);
    expect(again.stderr).toMatch(/^error\[conflict\]: action: action HOME-A2 is archived/);
    await bosunJson(['action', 'restore', 'HOME-A2'], { cwd });
    expect((await bosunJson<ActionRow[]>(['action', 'list'], { cwd })).map((a) => a.ref)).toContain(
      'HOME-A2',
    );
  });

  it('refuses bad input with a non-zero exit naming the field, and stores nothing', async () => {
    const before = await bosunJson<ActionRow[]>(['action', 'list', '--archived'], { cwd });
    const cases: [string[], number, RegExp][] = [
      [['--due', '2026-02-30'], 2, /^error\[invalid_input\]: due: must be a real calendar date/],
      [['-s', 'gone'], 2, /^error\[invalid_input\]: status: must be one of open, in_progress/],
      [['--source', 'email'], 2, /^error\[invalid_input\]: source: must be one of meeting, risk/],
      [
        ['--source', 'risk', '--source-ref', 'a meeting'],
        2,
        /^error\[invalid_input\]: sourceRef: must be a risk ref/,
      ],
      [['--source-ref', 'HOME-R9'], 4, /^error\[not_found\]: sourceRef: no risk 'HOME-R9'/],
    ];
    for (const [flags, status, message] of cases) {
      const result = await runBosun(['action', 'add', 'HOME', 'Bad', ...flags], { cwd });
      expect(result.status, flags.join(' ')).toBe(status);
      expect(result.stderr, flags.join(' ')).toMatch(message);
    }
    const json = await runBosun(['action', 'add', 'HOME', 'Bad', '--due', 'soon', '--json'], {
      cwd,
    });
    expect(JSON.parse(json.stdout)).toMatchObject({
      error: { code: 'invalid_input', details: { field: 'due' } },
    });
    expect(await bosunJson<ActionRow[]>(['action', 'list', '--archived'], { cwd })).toEqual(before);
    const next = await bosunJson<ActionRow>(['action', 'add', 'HOME', 'Next'], { cwd });
    expect(next.ref).toBe('HOME-A4');
  });
});

describe('bosun stakeholder', () => {
  it('adds stakeholders with the quadrant derived, and lists them by influence then interest', async () => {
    const added = await bosunJson<StakeholderRow>(
      [
        'stakeholder',
        'add',
        'HOME',
        'Maria Costa',
        '--influence',
        '5',
        '--interest',
        '4',
        '-r',
        'landlord',
        '-o',
        'Costa Lda',
        '--contact',
        'maria@example.com',
      ],
      { cwd },
    );
    expect(added).toMatchObject({ ref: 'HOME-S1', quadrant: 'manage_closely' });
    await bosunJson(
      ['stakeholder', 'add', 'HOME', 'Neighbour', '--influence', '2', '--interest', '5'],
      {
        cwd,
      },
    );
    await bosunJson(
      ['stakeholder', 'add', 'HOME', 'Council', '--influence', '5', '--interest', '1'],
      {
        cwd,
      },
    );
    const list = await bosunJson<StakeholderRow[]>(['stakeholders', 'ls'], { cwd });
    expect(list.map((s) => [s.ref, s.quadrant])).toEqual([
      ['HOME-S1', 'manage_closely'],
      ['HOME-S3', 'keep_satisfied'],
      ['HOME-S2', 'keep_informed'],
    ]);
    const text = await runBosun(['stakeholder', 'list'], { cwd });
    expect(text.stdout).toMatch(/HOME-S1\s+manage_closely\s+5\s+4\s+Maria Costa\s+landlord/);
  });

  it('shows, updates, archives and restores a stakeholder', async () => {
    const shown = await runBosun(['stakeholder', 'show', 'home-s1'], { cwd });
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^organisation\s+Costa Lda$/m);
    const updated = await bosunJson<StakeholderRow>(
      ['stakeholder', 'update', 'HOME-S1', '--interest', '2'],
      { cwd },
    );
    expect(updated).toMatchObject({ interest: 2, quadrant: 'keep_satisfied' });
    const archived = await bosunJson<StakeholderRow>(['stakeholder', 'archive', 'HOME-S2'], {
      cwd,
    });
    expect(archived.archivedAt).not.toBeNull();
    const live = await bosunJson<StakeholderRow[]>(['stakeholder', 'list'], { cwd });
    // Same influence: the more interested first.
    expect(live.map((s) => s.ref)).toEqual(['HOME-S1', 'HOME-S3']);
    await bosunJson(['stakeholder', 'restore', 'HOME-S2'], { cwd });
    const audit = await bosunJson<{ operation: string }[]>(['audit', 'list', 'HOME-S2'], { cwd });
    expect(audit.map((e) => e.operation)).toEqual([
      'stakeholder.add',
      'stakeholder.archive',
      'stakeholder.restore',
    ]);
  });

  it('refuses bad input with a non-zero exit naming the field, and stores nothing', async () => {
    const before = await bosunJson<StakeholderRow[]>(['stakeholder', 'list', '--archived'], {
      cwd,
    });
    const cases: [string[], RegExp][] = [
      [
        ['--influence', '6', '--interest', '1'],
        /^error\[invalid_input\]: influence: must be a whole number from 1 to 5/,
      ],
      [['--influence', '3'], /^error\[invalid_input\]: interest: is required/],
      [
        ['--influence', '3', '--interest', '0'],
        /^error\[invalid_input\]: interest: must be a whole number from 1 to 5/,
      ],
    ];
    for (const [flags, message] of cases) {
      const result = await runBosun(['stakeholder', 'add', 'HOME', 'Bad', ...flags], { cwd });
      expect(result.status, flags.join(' ')).toBe(2);
      expect(result.stderr, flags.join(' ')).toMatch(message);
    }
    const unknown = await runBosun(['stakeholder', 'show', 'HOME-S99'], { cwd });
    expect(unknown.status).toBe(4);
    expect(unknown.stderr).toMatch(/^error\[not_found\]: stakeholder: no stakeholder 'HOME-S99'/);
    expect(
      await bosunJson<StakeholderRow[]>(['stakeholder', 'list', '--archived'], { cwd }),
    ).toEqual(before);
  });
});
