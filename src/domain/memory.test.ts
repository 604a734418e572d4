import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_QUERY_TERMS,
  MemoryItem,
  SNIPPET_CHARS,
  SNIPPET_WORDS,
  RRF_K,
  fuseByReciprocalRank,
  hashedEmbedding,
  memoryScore,
  memorySnippet,
  parseMemoryQuery,
} from './memory.js';

const NOW = new Date('2026-03-01T00:00:00.000Z');
const daysAgo = (days: number): string => new Date(NOW.getTime() - days * 86_400_000).toISOString();

describe('parseMemoryQuery', () => {
  it('makes each chunk a term and text in double quotes one term', () => {
    expect(parseMemoryQuery('restore NAS "read-write mount" HOME-12')).toEqual([
      'restore',
      'NAS',
      'read-write mount',
      'HOME-12',
    ]);
  });

  it('reads every query character as text: operators, parentheses and unbalanced quotes', () => {
    // AND and OR are words here (stop words, so left out).
    expect(parseMemoryQuery('NEAR(backup AND nas) OR -x* "unclosed phrase')).toEqual([
      'NEAR(backup',
      'nas)',
      '-x*',
      'unclosed phrase',
    ]);
  });

  it('drops terms without a letter or digit, repeats, and control characters', () => {
    expect(parseMemoryQuery('* - ( 😀 "" backup Backup back\u0000up \ud800x')).toEqual([
      'backup',
      'back',
      'x',
    ]);
    expect(parseMemoryQuery('*** 😀 ""')).toEqual([]);
  });

  it('drops single stop words unless nothing else is left', () => {
    expect(parseMemoryQuery('how did the nightly backup go')).toEqual(['nightly', 'backup', 'go']);
    expect(parseMemoryQuery('"the backup"')).toEqual(['the backup']);
    expect(parseMemoryQuery('the and of')).toEqual(['the', 'and', 'of']);
  });

  it(`keeps at most ${MAX_QUERY_TERMS} terms`, () => {
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`);
    expect(parseMemoryQuery(words.join(' '))).toEqual(words.slice(0, MAX_QUERY_TERMS));
  });

  it('returns terms that each hold a letter or digit and no control character, for any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const terms = parseMemoryQuery(text);
        expect(terms.length).toBeLessThanOrEqual(MAX_QUERY_TERMS);
        for (const term of terms) {
          expect(term).toMatch(/[\p{L}\p{N}]/u);
          expect(term).not.toMatch(/[\p{Cc}\p{Cs}]/u);
        }
      }),
    );
  });
});

describe('memoryScore', () => {
  it('raises relevance by 25 % today, 12.5 % at 30 days, and counts future items as new', () => {
    expect(memoryScore(2, daysAgo(0), NOW)).toBeCloseTo(2.5, 10);
    expect(memoryScore(2, daysAgo(30), NOW)).toBeCloseTo(2.25, 10);
    expect(memoryScore(2, daysAgo(-5), NOW)).toBeCloseTo(2.5, 10);
    expect(memoryScore(2, daysAgo(365), NOW)).toBeLessThan(2.04);
  });
});

describe('memorySnippet', () => {
  it('is the whole text, whitespace collapsed, when the text is short', () => {
    expect(memorySnippet('Restores need\n\nthe NAS', ['nas'])).toBe('Restores need the NAS');
  });

  it('shows the passage with the most query words, a few words before the first, cut with …', () => {
    const filler = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => `filler${from + i}`);
    const words = [
      ...filler(0, 60),
      'the',
      'restored',
      'NAS',
      ...filler(60, 10),
      'backups',
      ...filler(70, 60),
    ];
    const snippet = memorySnippet(words.join(' '), ['restore', 'backup', 'nas']);
    expect(snippet.startsWith('…filler58 filler59 the restored NAS')).toBe(true);
    expect(snippet).toContain('backups');
    expect(snippet.endsWith('…')).toBe(true);
    expect(snippet.replace(/…/g, '').split(' ')).toHaveLength(SNIPPET_WORDS);
  });

  it('starts at the beginning when no word matches, and stays under its character cap', () => {
    const long = Array.from({ length: 100 }, () => 'x'.repeat(50)).join(' ');
    const snippet = memorySnippet(long, ['absent']);
    expect(snippet.startsWith('xxxxx')).toBe(true);
    expect(snippet.length).toBeLessThanOrEqual(SNIPPET_CHARS + 1);
  });
});

describe('MemoryItem.scopeLabel', () => {
  it('writes a scope the way it is typed', () => {
    expect(MemoryItem.scopeLabel({ scope: 'workspace', scopeRef: null })).toBe('workspace');
    expect(MemoryItem.scopeLabel({ scope: 'task', scopeRef: 'HOME-12' })).toBe('task:HOME-12');
  });
});

describe('hashedEmbedding', () => {
  const dot = (a: number[], b: number[]) => a.reduce((sum, value, i) => sum + value * b[i]!, 0);

  it('is deterministic, normalized, and closer for texts sharing words', () => {
    const a = hashedEmbedding('Restore the NAS backup weekly', 384);
    expect(hashedEmbedding('Restore the NAS backup weekly', 384)).toEqual(a);
    expect(dot(a, a)).toBeCloseTo(1, 10);
    const near = hashedEmbedding('the NAS backup failed', 384);
    const far = hashedEmbedding('rotate credentials yearly', 384);
    expect(dot(a, near)).toBeGreaterThan(0.4);
    // Texts sharing no word meet only where two words hash to the same slot.
    expect(dot(a, near)).toBeGreaterThan(Math.abs(dot(a, far)));
  });

  it('gives a text of no words the zero vector', () => {
    expect(hashedEmbedding('the of and', 8)).toEqual(Array.from({ length: 8 }, () => 0));
  });
});

describe('fuseByReciprocalRank', () => {
  it('sums 1 / (60 + rank) over the rankings holding an item and says which did', () => {
    const fused = fuseByReciprocalRank(['a', 'b', 'c'], ['c', 'd', 'a']);
    expect(fused.map((m) => [m.id, m.matched])).toEqual([
      ['a', ['text', 'vector']],
      ['c', ['text', 'vector']],
      ['b', ['text']],
      ['d', ['vector']],
    ]);
    expect(fused[0]!.score).toBeCloseTo(1 / (RRF_K + 1) + 1 / (RRF_K + 3), 12);
    expect(fused[1]!.score).toBeCloseTo(1 / (RRF_K + 3) + 1 / (RRF_K + 1), 12);
  });

  it('breaks ties by the text rank, then the vector rank', () => {
    expect(fuseByReciprocalRank(['a'], ['b']).map((m) => m.id)).toEqual(['a', 'b']);
    expect(fuseByReciprocalRank([], ['x', 'y']).map((m) => m.id)).toEqual(['x', 'y']);
  });
});
