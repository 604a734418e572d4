import { describe, expect, it } from 'vitest';
import { BosunError } from '../shared/errors.js';
import type { Priority, TaskStatus } from './task.js';
import { PRIORITIES, TASK_STATUSES, Task, TaskSchema } from './task.js';
import { catchError } from '../testing/catch-error.js';

/** The status machine as the product defines it; the tests pin it rather than read it back. */
const ALLOWED: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  todo: ['in_progress', 'blocked', 'cancelled'],
  in_progress: ['review', 'done', 'todo', 'blocked', 'cancelled'],
  review: ['done', 'in_progress', 'cancelled'],
  blocked: ['todo', 'in_progress', 'cancelled'],
  done: ['todo'],
  cancelled: ['todo'],
};

const ALL_PAIRS = TASK_STATUSES.flatMap((from) => TASK_STATUSES.map((to) => [from, to] as const));
const ALLOWED_PAIRS = ALL_PAIRS.filter(([from, to]) => ALLOWED[from].includes(to));
const REFUSED_PAIRS = ALL_PAIRS.filter(([from, to]) => !ALLOWED[from].includes(to));

function validTask(): Record<string, unknown> {
  const id = '01JGZ0000000000000000000AA';
  const at = '2026-01-01T00:00:00.000Z';
  return {
    id,
    ref: 'HOME-12',
    projectId: id,
    title: 'Write the status machine tests',
    description: '',
    details: '',
    acceptance: [],
    priority: 'p1',
    role: null,
    tags: [],
    estimate: null,
    parentId: null,
    sprintId: null,
    assignee: null,
    status: 'todo',
    scope: [],
    leaseExpiresAt: null,
    openDeps: 0,
    downstreamDepth: 0,
    createdAt: at,
    updatedAt: at,
    deletedAt: null,
  };
}

describe('Task.assertTransition', () => {
  it('exposes exactly the transition table the product defines', () => {
    expect(Task.transitions).toEqual(ALLOWED);
  });

  it.each(ALLOWED_PAIRS)('allows %s → %s', (from, to) => {
    expect(() => Task.assertTransition(from, to)).not.toThrow();
  });

  it.each(REFUSED_PAIRS)('refuses %s → %s and lists the allowed statuses', (from, to) => {
    const error = catchError(() => Task.assertTransition(from, to));
    expect(error).toBeInstanceOf(BosunError);
    const bosunError = error as BosunError;
    expect(bosunError.code).toBe('invalid_transition');
    expect(bosunError.retryable).toBe(false);
    expect(bosunError.message).toBe(
      `status: task cannot go from ${from} to ${to}; allowed from ${from}: ${ALLOWED[from].join(', ')}`,
    );
    expect(bosunError.details).toEqual({
      field: 'status',
      entity: 'task',
      from,
      to,
      allowed: ALLOWED[from],
    });
  });

  it('refuses staying in the same status', () => {
    for (const status of TASK_STATUSES) {
      expect(() => Task.assertTransition(status, status)).toThrow(BosunError);
    }
  });
});

describe('Task.isRef', () => {
  it.each(['HOME-12', 'AB-1', 'X1-999', 'ABCDEFGHIJ-3'])('accepts %s', (ref) => {
    expect(Task.isRef(ref)).toBe(true);
  });

  it.each([
    'home-12',
    'H-1',
    'HOME-0',
    'HOME-012',
    'HOME12',
    'HOME-',
    '1HOME-2',
    'ABCDEFGHIJK-3',
    'HOME-1 ',
  ])('refuses %j', (ref) => {
    expect(Task.isRef(ref)).toBe(false);
  });
});

describe('Task.formatRef', () => {
  it('joins the project key and the sequence number with a dash', () => {
    expect(Task.formatRef('HOME', 12)).toBe('HOME-12');
  });

  it('formats refs that isRef accepts', () => {
    for (const seq of [1, 9, 10, 12_345])
      expect(Task.isRef(Task.formatRef('HOME', seq))).toBe(true);
  });
});

describe('Task.priorityRank', () => {
  it('ranks p0 first and p3 last', () => {
    expect(PRIORITIES.map((priority) => Task.priorityRank(priority))).toEqual([0, 1, 2, 3]);
  });

  it('sorts priorities from most to least urgent', () => {
    const shuffled: Priority[] = ['p2', 'p0', 'p3', 'p1'];
    const sorted = [...shuffled].sort((a, b) => Task.priorityRank(a) - Task.priorityRank(b));
    expect(sorted).toEqual(['p0', 'p1', 'p2', 'p3']);
  });
});

describe('TaskSchema', () => {
  it('accepts a complete task', () => {
    expect(TaskSchema.safeParse(validTask()).success).toBe(true);
  });

  it.each(['', '   '])('refuses the title %j as empty, naming the field', (title) => {
    const result = TaskSchema.safeParse({ ...validTask(), title });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({ path: ['title'], message: 'must not be empty' }),
    ]);
  });

  it('trims the title it accepts', () => {
    const result = TaskSchema.safeParse({ ...validTask(), title: '  Tidy up  ' });
    expect(result.success && result.data.title).toBe('Tidy up');
  });

  it('refuses a status outside the status machine', () => {
    const result = TaskSchema.safeParse({ ...validTask(), status: 'started' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['status']);
  });

  it('refuses a malformed ref with a message naming the rule', () => {
    const result = TaskSchema.safeParse({ ...validTask(), ref: 'home-12' });
    expect(result.error?.issues).toEqual([
      expect.objectContaining({ path: ['ref'], message: 'must be a task ref such as HOME-12' }),
    ]);
  });

  it('refuses an absolute scope glob', () => {
    const result = TaskSchema.safeParse({ ...validTask(), scope: ['/etc/**'] });
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['scope', 0],
        message: 'must be relative to the repository (no leading /)',
      }),
    ]);
  });
});

describe('Task.isReady', () => {
  const task = TaskSchema.parse(validTask());

  it('finds an unassigned todo task with no open dependencies ready', () => {
    expect(Task.isReady(task)).toBe(true);
  });

  it('finds a task not ready while a dependency is open, it is deleted or it is not todo', () => {
    expect(Task.isReady({ ...task, openDeps: 1 })).toBe(false);
    expect(Task.isReady({ ...task, deletedAt: '2026-01-02T00:00:00.000Z' })).toBe(false);
    expect(Task.isReady({ ...task, status: 'blocked' })).toBe(false);
  });

  it('finds a task assigned to someone else not ready, but ready for its assignee', () => {
    expect(Task.isReady({ ...task, assignee: 'ada' }, 'bob')).toBe(false);
    expect(Task.isReady({ ...task, assignee: 'ada' })).toBe(false);
    expect(Task.isReady({ ...task, assignee: 'ada' }, 'ada')).toBe(true);
  });
});
