import { describe, expect, it } from 'vitest';
import type { PatternStats } from './pattern.js';
import { Pattern } from './pattern.js';

const stats = (extra: Partial<PatternStats>): PatternStats => ({
  role: 'coder',
  tags: [],
  size: 'small',
  agent: 'coder',
  model: 'local',
  runner: 'llm',
  tries: 4,
  successes: 3,
  failures: 1,
  successRate: 0.75,
  meanCostUsd: 0.01,
  meanDurationMs: 2_000,
  lastSeen: '2026-01-01T00:00:00.000Z',
  ...extra,
});

describe('Pattern.sizeBucket', () => {
  it('sizes work by its estimate in hours when it has one', () => {
    expect(Pattern.sizeBucket(0.5, 50_000)).toBe('small');
    expect(Pattern.sizeBucket(1, 0)).toBe('small');
    expect(Pattern.sizeBucket(4, 0)).toBe('medium');
    expect(Pattern.sizeBucket(4.5, 0)).toBe('large');
  });

  it('sizes work without an estimate by the length of its input', () => {
    expect(Pattern.sizeBucket(null, 2_000)).toBe('small');
    expect(Pattern.sizeBucket(null, 2_001)).toBe('medium');
    expect(Pattern.sizeBucket(null, 10_001)).toBe('large');
  });
});

describe('Pattern.isProven', () => {
  it('needs two successes at a rate of at least one half', () => {
    expect(Pattern.isProven({ successes: 2, tries: 4 })).toBe(true);
    expect(Pattern.isProven({ successes: 1, tries: 1 })).toBe(false);
    expect(Pattern.isProven({ successes: 2, tries: 5 })).toBe(false);
  });
});

describe('Pattern.bestMatches', () => {
  it('ranks proven patterns by features in common, then success rate, then tries', () => {
    const features = { role: 'coder', tags: ['api', 'db'], size: 'medium' as const };
    const roleOnly = stats({ agent: 'a', role: 'coder', size: 'small', successRate: 1 });
    const roleAndTag = stats({ agent: 'b', role: 'coder', tags: ['api'], size: 'small' });
    const everything = stats({
      agent: 'c',
      role: 'coder',
      tags: ['api', 'db'],
      size: 'medium',
      successRate: 0.5,
      successes: 2,
      tries: 4,
    });
    const sameButMoreTries = stats({
      agent: 'd',
      role: 'coder',
      size: 'small',
      successRate: 1,
      tries: 9,
      successes: 9,
    });
    const unproven = stats({
      agent: 'e',
      role: 'coder',
      tags: ['api', 'db'],
      size: 'medium',
      successes: 1,
      tries: 1,
      successRate: 1,
    });
    const unrelated = stats({ agent: 'f', role: 'writer', size: 'large' });
    const ranked = Pattern.bestMatches(
      [roleOnly, roleAndTag, everything, sameButMoreTries, unproven, unrelated],
      features,
      10,
    );
    expect(ranked.map((each) => [each.agent, each.featuresInCommon])).toEqual([
      ['c', 4],
      ['b', 2],
      ['d', 1],
      ['a', 1],
    ]);
    expect(
      Pattern.bestMatches([roleOnly, everything], features, 1).map((each) => each.agent),
    ).toEqual(['c']);
  });

  it('says who did which work and how it went in one line', () => {
    expect(Pattern.describe(stats({ tags: ['api'] }))).toBe(
      'role coder, tags api, small work: coder (local) on llm succeeded 3 of 4 tries, ~$0.0100 per try, ~2 s',
    );
  });
});
