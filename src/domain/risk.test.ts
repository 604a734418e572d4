import { describe, expect, it } from 'vitest';
import { Risk, RiskSchema, riskRatingSchema } from './risk.js';

describe('Risk.level', () => {
  it('is low up to 4, medium up to 9, high up to 15 and critical above', () => {
    const levels = [1, 4, 5, 9, 10, 15, 16, 25].map((score) => [score, Risk.level(score)]);
    expect(levels).toEqual([
      [1, 'low'],
      [4, 'low'],
      [5, 'medium'],
      [9, 'medium'],
      [10, 'high'],
      [15, 'high'],
      [16, 'critical'],
      [25, 'critical'],
    ]);
  });

  it('puts every score two ratings can make in exactly one level', () => {
    const all = Risk.scoresOf(['low', 'medium', 'high', 'critical']);
    expect(all).toEqual([1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16, 20, 25]);
    expect(Risk.scoresOf(['low'])).toEqual([1, 2, 3, 4]);
    expect(Risk.scoresOf(['medium'])).toEqual([5, 6, 8, 9]);
    expect(Risk.scoresOf(['high'])).toEqual([10, 12, 15]);
    expect(Risk.scoresOf(['critical'])).toEqual([16, 20, 25]);
  });

  it('scores likelihood times impact', () => {
    expect(Risk.score(4, 5)).toBe(20);
    expect(Risk.score(1, 1)).toBe(1);
  });
});

describe('Risk.isOverdue', () => {
  const risk = { reviewDate: '2026-03-01', status: 'open', archivedAt: null } as const;

  it('is overdue only from the day after the review date', () => {
    expect(Risk.isOverdue(risk, '2026-03-01')).toBe(false);
    expect(Risk.isOverdue(risk, '2026-03-02')).toBe(true);
  });

  it('never flags a closed, accepted, undated or archived risk', () => {
    const today = '2027-01-01';
    expect(Risk.isOverdue({ ...risk, status: 'mitigating' }, today)).toBe(true);
    expect(Risk.isOverdue({ ...risk, status: 'closed' }, today)).toBe(false);
    expect(Risk.isOverdue({ ...risk, status: 'accepted' }, today)).toBe(false);
    expect(Risk.isOverdue({ ...risk, reviewDate: null }, today)).toBe(false);
    expect(Risk.isOverdue({ ...risk, archivedAt: '2026-12-01T00:00:00.000Z' }, today)).toBe(false);
  });
});

describe('riskRatingSchema', () => {
  it('takes whole numbers from 1 to 5 and names the rule otherwise', () => {
    expect([1, 3, 5].map((n) => riskRatingSchema.safeParse(n).success)).toEqual([true, true, true]);
    for (const bad of [0, 6, 2.5, '3', null]) {
      const result = riskRatingSchema.safeParse(bad);
      expect(result.error?.issues[0]?.message, String(bad)).toBe(
        'must be a whole number from 1 to 5',
      );
    }
    expect(riskRatingSchema.safeParse(undefined).error?.issues[0]?.message).toBe('is required');
  });
});

describe('RiskSchema.ref', () => {
  it('takes the project key, R and a number from 1', () => {
    const ref = RiskSchema.shape.ref;
    expect(ref.safeParse('HOME-R3').success).toBe(true);
    expect(ref.safeParse('HOME-3').success).toBe(false);
    expect(ref.safeParse('HOME-R0').success).toBe(false);
  });
});
