import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Milestone } from './milestone.js';
import { TASK_STATUSES } from './task.js';

describe('Milestone', () => {
  it('counts linked tasks per status and rounds progress down to a whole percent', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TASK_STATUSES), { maxLength: 300 }), (statuses) => {
        const counts = Milestone.taskCounts(statuses);
        const done = statuses.filter((status) => status === 'done').length;
        expect(counts.total).toBe(statuses.length);
        expect(TASK_STATUSES.reduce((sum, status) => sum + counts[status], 0)).toBe(counts.total);
        const progress = Milestone.progress(counts);
        if (statuses.length === 0) {
          expect(progress).toBeNull();
          return;
        }
        expect(Number.isInteger(progress)).toBe(true);
        // progress% of the tasks are done at most, and one more percent would be too many.
        expect(progress! * statuses.length).toBeLessThanOrEqual(done * 100);
        expect((progress! + 1) * statuses.length).toBeGreaterThan(done * 100);
      }),
    );
  });

  it('says 0 with tasks none of which is done, and null without tasks', () => {
    expect(Milestone.progress({ total: 3, done: 0 })).toBe(0);
    expect(Milestone.progress({ total: 3, done: 2 })).toBe(66);
    expect(Milestone.progress({ total: 0, done: 0 })).toBeNull();
  });

  it('is overdue only while planned or in progress, due before today and not archived', () => {
    const base = { dueDate: '2026-01-01', archivedAt: null } as const;
    expect(Milestone.isOverdue({ ...base, status: 'planned' }, '2026-01-02')).toBe(true);
    expect(Milestone.isOverdue({ ...base, status: 'in_progress' }, '2026-01-02')).toBe(true);
    expect(Milestone.isOverdue({ ...base, status: 'planned' }, '2026-01-01')).toBe(false);
    expect(Milestone.isOverdue({ ...base, status: 'done' }, '2026-01-02')).toBe(false);
    expect(Milestone.isOverdue({ ...base, status: 'missed' }, '2026-01-02')).toBe(false);
    expect(Milestone.isOverdue({ ...base, dueDate: null, status: 'planned' }, '2026-01-02')).toBe(
      false,
    );
    expect(
      Milestone.isOverdue(
        { ...base, archivedAt: '2026-01-01T00:00:00.000Z', status: 'planned' },
        '2026-01-02',
      ),
    ).toBe(false);
  });
});
