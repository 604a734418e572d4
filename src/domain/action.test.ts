import { describe, expect, it } from 'vitest';
import { Action } from './action.js';

describe('Action.isOverdue', () => {
  const action = { dueDate: '2026-03-01', status: 'open', archivedAt: null } as const;

  it('is overdue only from the day after the due day', () => {
    expect(Action.isOverdue(action, '2026-03-01')).toBe(false);
    expect(Action.isOverdue(action, '2026-03-02')).toBe(true);
  });

  it('never flags a done, cancelled, undated or archived action', () => {
    const today = '2027-01-01';
    expect(Action.isOverdue({ ...action, status: 'in_progress' }, today)).toBe(true);
    expect(Action.isOverdue({ ...action, status: 'done' }, today)).toBe(false);
    expect(Action.isOverdue({ ...action, status: 'cancelled' }, today)).toBe(false);
    expect(Action.isOverdue({ ...action, dueDate: null }, today)).toBe(false);
    expect(Action.isOverdue({ ...action, archivedAt: '2026-12-01T00:00:00.000Z' }, today)).toBe(
      false,
    );
  });
});
