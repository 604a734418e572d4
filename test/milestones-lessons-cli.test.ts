/**
 * Milestones and lessons learned through the built CLI: add, list --json, show, update, link,
 * validate, apply, outcome, suggest, archive and restore; progress computed exactly from the
 * linked tasks; every write in the audit log; bad input refused naming the field, nothing stored.
 */

import { beforeAll, describe, expect, it } from 'vitest';
import { bosunJson, initWorkspace, runBosun } from './helpers/cli.js';

interface MilestoneRow {
  id: string;
  ref: string;
  status: string;
  dueDate: string | null;
  owner: string | null;
  archivedAt: string | null;
  progress: number | null;
  overdue: boolean;
  taskCounts: Record<string, number>;
  tasks?: { ref: string; title: string; status: string }[];
}

interface LessonRow {
  ref: string;
  tags: string[];
  helped: number;
  notHelped: number;
  applied: number;
  succeeded: number;
  helpfulScore: number;
  archivedAt: string | null;
  validations?: { helped: boolean; taskRef: string | null; note: string }[];
  applications?: { id: string; taskRef: string; outcome: string | null }[];
  relevance?: number;
}

// Far enough from any day the tests run on: one due day long past, one far ahead.
const PAST = '2001-01-01';
const FUTURE = '2999-12-31';

let cwd: string;
const bosun = <T>(args: string[]) => bosunJson<T>(args, { cwd });

beforeAll(async () => {
  cwd = await initWorkspace('bosun-milestones-lessons-');
  expect((await runBosun(['project', 'create', 'HOME', 'Home lab'], { cwd })).status).toBe(0);
  expect((await runBosun(['project', 'create', 'WORK', 'Work'], { cwd })).status).toBe(0);
  for (const title of ['Buy a UPS', 'Wire the rack', 'Mount the NAS', 'Label the cables'])
    await bosun(['task', 'add', 'HOME', title]);
  await bosun(['task', 'add', 'WORK', 'Write the plan']);
  for (const ref of ['HOME-1', 'HOME-2']) {
    await bosun(['task', 'status', ref, 'in_progress']);
    await bosun(['task', 'status', ref, 'done']);
  }
});

describe('bosun milestone', () => {
  it('adds milestones and lists them by due day, overdue flagged', async () => {
    const added = await bosun<MilestoneRow>([
      'milestone',
      'add',
      'HOME',
      'Rack built',
      '--due',
      PAST,
      '--owner',
      'ana',
    ]);
    expect(added).toMatchObject({
      ref: 'HOME-M1',
      status: 'planned',
      dueDate: PAST,
      owner: 'ana',
      progress: null,
      overdue: true,
      tasks: [],
    });
    await bosun(['milestone', 'add', 'HOME', 'Backups verified', '--due', FUTURE]);
    await bosun(['milestone', 'add', 'HOME', 'Someday']);
    const list = await bosun<MilestoneRow[]>(['milestones', 'ls']);
    expect(list.map((m) => [m.ref, m.overdue])).toEqual([
      ['HOME-M1', true],
      ['HOME-M2', false],
      ['HOME-M3', false],
    ]);
    expect(
      (await bosun<MilestoneRow[]>(['milestone', 'list', '--overdue'])).map((m) => m.ref),
    ).toEqual(['HOME-M1']);
    const table = await runBosun(['milestone', 'list', 'HOME'], { cwd });
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^REF\s+STATUS\s+DUE\s+OVERDUE\s+DONE%/);
  });

  it('links tasks and computes progress exactly from them', async () => {
    const linked = await bosun<MilestoneRow>([
      'milestone',
      'link',
      'HOME-M1',
      'HOME-1',
      'home-2',
      'HOME-3',
    ]);
    // 2 of 3 done: 66%, rounded down.
    expect([linked.progress, linked.taskCounts['total'], linked.taskCounts['done']]).toEqual([
      66, 3, 2,
    ]);
    expect(linked.tasks?.map((t) => [t.ref, t.status])).toEqual([
      ['HOME-1', 'done'],
      ['HOME-2', 'done'],
      ['HOME-3', 'todo'],
    ]);
    // Linking twice is harmless.
    const again = await bosun<MilestoneRow>(['milestone', 'link', 'HOME-M1', 'HOME-3', 'HOME-4']);
    expect([again.progress, again.taskCounts['total']]).toEqual([50, 4]);
    const shown = await runBosun(['milestone', 'show', 'home-m1'], { cwd });
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^progress\s+50$/m);
    expect(shown.stdout).toMatch(/HOME-4\s+Label the cables\s+todo/);
    const unlinked = await bosun<MilestoneRow>(['milestone', 'unlink', 'HOME-M1', 'HOME-4']);
    expect([unlinked.progress, unlinked.taskCounts['total']]).toEqual([66, 3]);
    const [listed] = await bosun<MilestoneRow[]>(['milestone', 'list']);
    expect(listed).toMatchObject({ ref: 'HOME-M1', progress: 66 });
  });

  it('updates, archives and restores a milestone, every write audited', async () => {
    const updated = await bosun<MilestoneRow>([
      'milestone',
      'update',
      'HOME-M1',
      '-s',
      'done',
      '--no-owner',
    ]);
    expect(updated).toMatchObject({ status: 'done', owner: null, overdue: false });
    const archived = await bosun<MilestoneRow>(['milestone', 'archive', 'HOME-M2']);
    expect(archived.archivedAt).not.toBeNull();
    expect((await bosun<MilestoneRow[]>(['milestone', 'list'])).map((m) => m.ref)).not.toContain(
      'HOME-M2',
    );
    const refused = await runBosun(['milestone', 'link', 'HOME-M2', 'HOME-3'], { cwd });
    expect(refused.status).toBe(5);
    expect(refused.stderr).toMatch(/^error\[conflict\]: milestone: milestone HOME-M2 is archived/);
    await bosun(['milestone', 'restore', 'HOME-M2']);
    expect((await bosun<MilestoneRow[]>(['milestone', 'list'])).map((m) => m.ref)).toContain(
      'HOME-M2',
    );
    const audit = await bosun<{ operation: string }[]>(['audit', 'list', 'HOME-M1']);
    expect(audit.map((e) => e.operation)).toEqual([
      'milestone.add',
      'milestone.link',
      'milestone.link',
      'milestone.unlink',
      'milestone.update',
    ]);
    const restoreAudit = await bosun<{ operation: string }[]>(['audit', 'list', 'HOME-M2']);
    expect(restoreAudit.map((e) => e.operation)).toEqual([
      'milestone.add',
      'milestone.archive',
      'milestone.restore',
    ]);
  });

  it('refuses bad input with a non-zero exit naming the field, and stores nothing', async () => {
    const before = await bosun<MilestoneRow[]>(['milestone', 'list', '--archived']);
    const cases: [string[], number, RegExp][] = [
      [
        ['add', 'HOME', 'Bad', '--due', '2026-02-30'],
        2,
        /^error\[invalid_input\]: due: must be a real calendar date/,
      ],
      [
        ['add', 'HOME', 'Bad', '-s', 'late'],
        2,
        /^error\[invalid_input\]: status: must be one of planned, in_progress/,
      ],
      [
        ['link', 'HOME-M3', 'WORK-1'],
        2,
        /^error\[invalid_input\]: tasks: task WORK-1 belongs to another project than HOME-M3/,
      ],
      [['link', 'HOME-M3', 'HOME-99'], 4, /^error\[not_found\]: tasks: task 'HOME-99'/],
      [['show', 'HOME-M9'], 4, /^error\[not_found\]: milestone: no milestone 'HOME-M9'/],
    ];
    for (const [args, status, message] of cases) {
      const result = await runBosun(['milestone', ...args], { cwd });
      expect(result.status, args.join(' ')).toBe(status);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
    const json = await runBosun(['milestone', 'add', 'HOME', 'Bad', '--due', 'soon', '--json'], {
      cwd,
    });
    expect(JSON.parse(json.stdout)).toMatchObject({
      error: { code: 'invalid_input', details: { field: 'due' } },
    });
    expect(await bosun<MilestoneRow[]>(['milestone', 'list', '--archived'])).toEqual(before);
    expect((await bosun<MilestoneRow>(['milestone', 'show', 'HOME-M3'])).tasks).toEqual([]);
  });

  it('explains itself in --help with examples', async () => {
    const help = await runBosun(['milestone', 'link', '--help'], { cwd });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('bosun milestone link HOME-M1 HOME-3 HOME-4');
  });
});

describe('bosun lesson', () => {
  it('adds lessons and suggests the relevant one first for a task', async () => {
    const added = await bosun<LessonRow>([
      'lesson',
      'add',
      'HOME',
      'Test restores, not only backups',
      '--context',
      'the NAS restore failed in March',
      '--insight',
      'schedule a monthly restore test of one share',
      '-t',
      'backup',
      '-t',
      'nas',
    ]);
    expect(added).toMatchObject({ ref: 'HOME-L1', tags: ['backup', 'nas'], helpfulScore: 0 });
    await bosun([
      'lesson',
      'add',
      'HOME',
      'Label cables before unracking',
      '-i',
      'photos of the rack save an hour',
      '-t',
      'rack',
    ]);
    await bosun(['lesson', 'add', 'HOME', 'Order spares early', '-i', 'disks take two weeks']);
    await bosun(['lesson', 'add', 'WORK', 'Restore drills need a runbook', '-t', 'backup']);
    await bosun([
      'task',
      'add',
      'HOME',
      'Restore the photos share from the NAS backups',
      '--tags',
      'backup',
    ]); // HOME-5
    const suggestions = await bosun<LessonRow[]>(['lesson', 'suggest', '--task', 'HOME-5']);
    // HOME-L1 shares restore, share, NAS, backups and the backup tag; HOME-L2 only "photos".
    expect(suggestions.map((l) => l.ref)).toEqual(['HOME-L1', 'HOME-L2']);
    expect(suggestions[0]!.relevance).toBeGreaterThan(suggestions[1]!.relevance! * 3);
    const everywhere = await bosun<LessonRow[]>(['lesson', 'suggest', 'HOME-5', '--all-projects']);
    expect(everywhere.map((l) => l.ref)).toEqual(['HOME-L1', 'WORK-L1', 'HOME-L2']);
    const byText = await bosun<LessonRow[]>(['lesson', 'suggest', '--text', 'cables in the rack']);
    expect(byText.map((l) => l.ref)).toEqual(['HOME-L2']);
    const table = await runBosun(['lesson', 'suggest', '--task', 'HOME-5'], { cwd });
    // The fused score, which ranking found each lesson, then its relevance by words.
    expect(table.stdout).toMatch(/^REF\s+SCORE\s+FOUND BY\s+RELEVANCE\s+HELPFUL\s+MATCHED/);
  });

  it('validates, applies and records outcomes, listing the most helpful first', async () => {
    await bosun(['lesson', 'validate', 'HOME-L2', '--helped', '--task', 'HOME-4']);
    await bosun(['lesson', 'validate', 'HOME-L2', '--helped', '--note', 'again']);
    const notHelped = await bosun<LessonRow>([
      'lesson',
      'validate',
      'HOME-L3',
      '--no-helped',
      '--note',
      'spares went stale',
    ]);
    expect([notHelped.helped, notHelped.notHelped, notHelped.helpfulScore]).toEqual([0, 1, -1]);
    const applied = await bosun<LessonRow>(['lesson', 'apply', 'HOME-L1', '--task', 'HOME-5']);
    expect(applied.applications).toMatchObject([{ taskRef: 'HOME-5', outcome: null }]);
    const outcome = await bosun<LessonRow>([
      'lesson',
      'outcome',
      'HOME-L1',
      '--task',
      'HOME-5',
      '--outcome',
      'succeeded',
      '--note',
      'restore took 4 minutes',
    ]);
    expect([outcome.applied, outcome.succeeded, outcome.helpfulScore]).toEqual([1, 1, 1]);
    const list = await bosun<LessonRow[]>(['lesson', 'list', 'HOME']);
    expect(list.map((l) => [l.ref, l.helpfulScore])).toEqual([
      ['HOME-L2', 2],
      ['HOME-L1', 1],
      ['HOME-L3', -1],
    ]);
    const shown = await bosun<LessonRow>(['lesson', 'show', 'home-l2']);
    expect(shown.validations?.map((v) => [v.helped, v.taskRef, v.note])).toEqual([
      [true, 'HOME-4', ''],
      [true, null, 'again'],
    ]);
    const audit = await bosun<{ operation: string }[]>(['audit', 'list', 'HOME-L1']);
    expect(audit.map((e) => e.operation)).toEqual(['lesson.add', 'lesson.apply', 'lesson.outcome']);
  });

  it('updates, archives and restores a lesson; an archived lesson is never suggested', async () => {
    const updated = await bosun<LessonRow>(['lesson', 'update', 'HOME-L1', '-t', 'restore']);
    expect(updated.tags).toEqual(['restore']);
    await bosun(['lesson', 'archive', 'HOME-L1']);
    expect(
      (await bosun<LessonRow[]>(['lesson', 'suggest', '--task', 'HOME-5'])).map((l) => l.ref),
    ).toEqual(['HOME-L2']);
    expect((await bosun<LessonRow[]>(['lesson', 'list'])).map((l) => l.ref)).not.toContain(
      'HOME-L1',
    );
    await bosun(['lesson', 'restore', 'HOME-L1']);
    expect((await bosun<LessonRow[]>(['lesson', 'suggest', 'HOME-5'])).map((l) => l.ref)).toEqual([
      'HOME-L1',
      'HOME-L2',
    ]);
    const audit = await bosun<{ operation: string }[]>(['audit', 'list', 'HOME-L1']);
    expect(audit.map((e) => e.operation).slice(-3)).toEqual([
      'lesson.update',
      'lesson.archive',
      'lesson.restore',
    ]);
  });

  it('refuses bad input with a non-zero exit naming the field, and stores nothing', async () => {
    const before = await bosun<LessonRow[]>(['lesson', 'list', '--archived']);
    const cases: [string[], number, RegExp][] = [
      [['add', 'HOME', ' '], 2, /^error\[invalid_input\]: title: must not be empty/],
      [['add', 'HOME', 'x', '-t', 'two words'], 2, /^error\[invalid_input\]: tags\.0: may hold/],
      [['validate', 'HOME-L2'], 2, /^error\[invalid_input\]: helped: is required/],
      [
        ['outcome', 'HOME-L2', '--outcome', 'succeeded'],
        2,
        /^error\[invalid_input\]: task: is required/,
      ],
      [
        ['outcome', 'HOME-L2', '--task', 'HOME-5', '--outcome', 'succeeded'],
        4,
        /^error\[not_found\]: task: lesson HOME-L2 was never applied to HOME-5/,
      ],
      [
        ['outcome', 'HOME-L1', '--task', 'HOME-5', '--outcome', 'great'],
        2,
        /^error\[invalid_input\]: outcome: must be one of succeeded, failed, mixed/,
      ],
      [['apply', 'HOME-L1'], 2, /^error\[invalid_input\]: task: /],
      [['suggest'], 2, /^error\[invalid_input\]: task: name a task, or give a text/],
      [['show', 'HOME-L9'], 4, /^error\[not_found\]: lesson: no lesson 'HOME-L9'/],
    ];
    for (const [args, status, message] of cases) {
      const result = await runBosun(['lesson', ...args], { cwd });
      expect(result.status, args.join(' ')).toBe(status);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
    expect(await bosun<LessonRow[]>(['lesson', 'list', '--archived'])).toEqual(before);
  });
});
