import { describe, expect, it } from 'vitest';
import { Stakeholder } from './stakeholder.js';

describe('Stakeholder.quadrant', () => {
  it('manages closely when influence and interest are both 4 or more', () => {
    expect(Stakeholder.quadrant(4, 4)).toBe('manage_closely');
    expect(Stakeholder.quadrant(5, 5)).toBe('manage_closely');
  });

  it('keeps satisfied when only influence is high, informed when only interest is', () => {
    expect(Stakeholder.quadrant(4, 3)).toBe('keep_satisfied');
    expect(Stakeholder.quadrant(5, 1)).toBe('keep_satisfied');
    expect(Stakeholder.quadrant(3, 4)).toBe('keep_informed');
    expect(Stakeholder.quadrant(1, 5)).toBe('keep_informed');
  });

  it('monitors everyone else', () => {
    expect(Stakeholder.quadrant(3, 3)).toBe('monitor');
    expect(Stakeholder.quadrant(1, 1)).toBe('monitor');
  });

  it('puts every pair of ratings in exactly one quadrant, a quarter-grid each way', () => {
    const counts = new Map<string, number>();
    for (let influence = 1; influence <= 5; influence++)
      for (let interest = 1; interest <= 5; interest++) {
        const quadrant = Stakeholder.quadrant(influence, interest);
        counts.set(quadrant, (counts.get(quadrant) ?? 0) + 1);
      }
    expect(Object.fromEntries(counts)).toEqual({
      monitor: 9,
      keep_informed: 6,
      keep_satisfied: 6,
      manage_closely: 4,
    });
  });
});
