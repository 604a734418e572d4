import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_PERCENT, ProjectBudget, floorDiv } from './project-budget.js';

const { exceeds, variancePercent, elapsedDays, burnPerDay, projected, daysBetween } = ProjectBudget;

describe('ProjectBudget.exceeds', () => {
  it('is over only past planned × (100 + threshold) / 100, to the cent', () => {
    // 1000.00 planned, 10%: 1100.00 is within, 1100.01 is over.
    expect(exceeds(110_000n, 100_000n, 10)).toBe(false);
    expect(exceeds(110_001n, 100_000n, 10)).toBe(true);
    // 0%: anything above planned.
    expect(exceeds(100_000n, 100_000n, 0)).toBe(false);
    expect(exceeds(100_001n, 100_000n, 0)).toBe(true);
    // 33% over 3 cents is 3.99 cents: 3 is within, 4 is over.
    expect(exceeds(3n, 3n, 33)).toBe(false);
    expect(exceeds(4n, 3n, 33)).toBe(true);
    // Nothing planned: over as soon as anything is spent, never before.
    expect(exceeds(0n, 0n, 10)).toBe(false);
    expect(exceeds(1n, 0n, 10)).toBe(true);
    // Refunds below zero are never over.
    expect(exceeds(-500n, 100n, 0)).toBe(false);
  });

  it('matches the rule in exact rationals for any amounts', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.integer({ min: 0, max: 1000 }),
        (actual, planned, threshold) => {
          // actual / planned > 1 + threshold / 100, cleared of fractions without a float.
          const expected = actual * 100n - planned * 100n > planned * BigInt(threshold);
          expect(exceeds(actual, planned, threshold)).toBe(expected);
          // One more minor unit never takes a line from over to within.
          if (exceeds(actual, planned, threshold))
            expect(exceeds(actual + 1n, planned, threshold)).toBe(true);
        },
      ),
    );
  });

  it('takes the default threshold of 10% for a line without its own', () => {
    expect(DEFAULT_ALERT_PERCENT).toBe(10);
    expect(ProjectBudget.thresholdOf({ alertPercent: null })).toBe(10);
    expect(ProjectBudget.thresholdOf({ alertPercent: 0 })).toBe(0);
    expect(ProjectBudget.thresholdOf({ alertPercent: 25 })).toBe(25);
  });
});

describe('ProjectBudget.variancePercent', () => {
  it('is tenths of a percent rounded half away from zero', () => {
    expect(variancePercent(21_000n, 100_000n)).toBe('21.0');
    expect(variancePercent(1n, 3n)).toBe('33.3');
    expect(variancePercent(2n, 3n)).toBe('66.7');
    expect(variancePercent(-2n, 3n)).toBe('-66.7');
    expect(variancePercent(1n, 2000n)).toBe('0.1'); // 0.05% rounds up
    expect(variancePercent(-1n, 2000n)).toBe('-0.1');
    expect(variancePercent(1n, 2001n)).toBe('0.0');
    expect(variancePercent(-1n, 2001n)).toBe('0.0'); // no minus zero
    expect(variancePercent(0n, 5n)).toBe('0.0');
    expect(variancePercent(-100n, 100n)).toBe('-100.0');
    expect(variancePercent(12_345n, 1_000n)).toBe('1234.5');
    expect(variancePercent(10n, 0n)).toBeNull();
  });

  it('is symmetric around zero', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        (v, p) => {
          expect(variancePercent(-v, p)).toBe(`-${variancePercent(v, p)!}`.replace('-0.0', '0.0'));
        },
      ),
    );
  });
});

describe('floorDiv', () => {
  it('rounds toward minus infinity, unlike bigint division', () => {
    expect(floorDiv(7n, 2n)).toBe(3n);
    expect(floorDiv(-7n, 2n)).toBe(-4n);
    expect(floorDiv(-8n, 2n)).toBe(-4n);
    expect(floorDiv(0n, 3n)).toBe(0n);
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }),
        fc.bigInt({ min: 1n, max: 10n ** 9n }),
        (a, b) => {
          const q = floorDiv(a, b);
          expect(q * b <= a && a < (q + 1n) * b).toBe(true);
        },
      ),
    );
  });
});

describe('burn and projection', () => {
  it('counts calendar days, across months and leap days', () => {
    expect(daysBetween('2026-03-01', '2026-03-01')).toBe(0);
    expect(daysBetween('2026-02-28', '2026-03-01')).toBe(1);
    expect(daysBetween('2028-02-28', '2028-03-01')).toBe(2);
    expect(daysBetween('2026-03-10', '2026-03-01')).toBe(-9);
    expect(daysBetween('2025-12-31', '2026-12-31')).toBe(365);
    expect(elapsedDays('2026-03-01', '2026-03-01')).toBe(1);
    expect(elapsedDays('2026-03-01', '2026-03-10')).toBe(10);
    expect(elapsedDays('2026-03-11', '2026-03-10')).toBe(0);
    expect(elapsedDays(null, '2026-03-10')).toBe(0);
  });

  it('burns the actual per elapsed day, floored', () => {
    // 1000.00 over 3 days: 333.33 a day (the third of a cent dropped).
    expect(burnPerDay(100_000n, 3)).toBe(33_333n);
    expect(burnPerDay(90_000n, 10)).toBe(9_000n);
    // A net refund burns below zero, floored away from zero.
    expect(burnPerDay(-100n, 3)).toBe(-34n);
    expect(burnPerDay(500n, 0)).toBeNull();
  });

  it('projects the same pace to the end day, floored, from the exact pace', () => {
    // 1000.00 in 3 days, 27 more days: 1000 × 30 / 3 = 10000.00 exactly (not 333.33 × 30).
    expect(projected(100_000n, 3, 27)).toBe(1_000_000n);
    // 100.00 in 7 days, 3 more: 10000 × 10 / 7 = 14285.71…, floored.
    expect(projected(10_000n, 7, 3)).toBe(14_285n);
    expect(projected(10_000n, 7, 0)).toBe(10_000n);
    expect(projected(10_000n, 0, 5)).toBeNull();
  });

  it('never projects less than the actual when spending, and never more than pace allows', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 13n }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 0, max: 5000 }),
        (actual, elapsed, remaining) => {
          const total = projected(actual, elapsed, remaining)!;
          expect(total >= actual).toBe(true);
          // Within one minor unit of actual + burn × remaining computed exactly.
          const exact = actual * BigInt(elapsed + remaining);
          expect(total * BigInt(elapsed) <= exact).toBe(true);
          expect(exact < (total + 1n) * BigInt(elapsed)).toBe(true);
        },
      ),
    );
  });

  it('sums amounts as bigints, exactly', () => {
    expect(ProjectBudget.sum([])).toBe(0n);
    expect(ProjectBudget.sum([10, 20, -5])).toBe(25n);
    expect(ProjectBudget.sum(Array.from({ length: 2000 }, () => Number.MAX_SAFE_INTEGER))).toBe(
      2000n * BigInt(Number.MAX_SAFE_INTEGER),
    );
  });
});
