import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globsOverlap, scopesOverlap } from './scope-overlap.js';

/**
 * Reference matcher for the subset of globs the oracle property generates: `*` and `?` stay inside
 * one segment, a `**` segment matches zero or more whole segments, and a glob without any wildcard
 * names a file or a directory (so it also matches every path below it).
 */
function referenceRegExp(glob: string): RegExp {
  const segments = glob.split('/');
  let source = '';
  for (const segment of segments) {
    if (segment === '**') {
      source += '(?:/[^/]+)*';
      continue;
    }
    const body = [...segment]
      .map((ch) => (ch === '*' ? '[^/]*' : ch === '?' ? '[^/]' : ch))
      .join('');
    source += `/${body}`;
  }
  if (!/[*?]/.test(glob)) source += '(?:/[^/]+)*';
  // Paths are tested with a leading '/' so that a leading `**` can match zero segments.
  return new RegExp(`^${source}$`);
}

function referenceMatches(glob: string, path: string): boolean {
  return referenceRegExp(glob).test(`/${path}`);
}

/** Every path of 1..maxDepth segments drawn from `alphabet`. */
function enumeratePaths(alphabet: readonly string[], maxDepth: number): string[] {
  const paths: string[] = [];
  let level: string[] = [''];
  for (let depth = 1; depth <= maxDepth; depth++) {
    level = level.flatMap((prefix) =>
      alphabet.map((segment) => (prefix === '' ? segment : `${prefix}/${segment}`)),
    );
    paths.push(...level);
  }
  return paths;
}

const PATH_SEGMENTS = ['a', 'b', 'ab'] as const;

/**
 * Segment patterns for the oracle property. Each pair of them that shares any segment shares one
 * of PATH_SEGMENTS, so enumerating paths over PATH_SEGMENTS is enough to find a witness (checked
 * by a test below). Patterns such as `b*` are left out because `b*` and `??` only share `ba`/`bb`.
 */
const SEGMENT_PATTERNS = [
  'a',
  'b',
  'ab',
  '*',
  '?',
  'a*',
  '*b',
  'a?',
  '?b',
  '??',
  '?*',
  '*?',
  '*a*',
] as const;

const ORACLE_PATHS_BY_DEPTH = Array.from({ length: 7 }, (_, depth) =>
  enumeratePaths(PATH_SEGMENTS, depth),
);

function nonGlobstarSegments(glob: string): number {
  return glob.split('/').filter((segment) => segment !== '**').length;
}

/**
 * Some path matches both globs iff a witness exists whose every segment is matched by a
 * non-`**` segment of one glob (segments both `**` can absorb may be dropped), so the depth
 * needed is at most the sum of their non-`**` segments.
 */
function oracleOverlap(x: string, y: string): boolean {
  const depth = Math.max(1, nonGlobstarSegments(x) + nonGlobstarSegments(y));
  const paths = ORACLE_PATHS_BY_DEPTH[depth];
  if (paths === undefined) throw new Error(`oracle depth ${depth} not enumerated`);
  const left = referenceRegExp(x);
  const right = referenceRegExp(y);
  return paths.some((path) => left.test(`/${path}`) && right.test(`/${path}`));
}

const oracleGlob = fc
  .array(fc.constantFrom<string>(...SEGMENT_PATTERNS, '**'), { minLength: 1, maxLength: 3 })
  .map((segments) => segments.join('/'));

describe('globsOverlap', () => {
  it('finds identical globs overlapping', () => {
    expect(globsOverlap('src/**/*.ts', 'src/**/*.ts')).toBe(true);
    expect(globsOverlap('README.md', 'README.md')).toBe(true);
    expect(globsOverlap('src/a/b.ts', 'src/a/b.ts')).toBe(true);
  });

  it('finds a globstar directory overlapping a file below it', () => {
    expect(globsOverlap('src/**', 'src/a/b.ts')).toBe(true);
  });

  it('finds sibling directory globs disjoint', () => {
    expect(globsOverlap('src/a/**', 'src/b/**')).toBe(false);
  });

  it('finds globs with different extensions disjoint', () => {
    expect(globsOverlap('*.ts', '*.md')).toBe(false);
  });

  it('does not let * cross a slash', () => {
    expect(globsOverlap('src/*.ts', 'src/a/x.ts')).toBe(false);
    expect(globsOverlap('src/*.ts', 'src/x.ts')).toBe(true);
  });

  it('lets **/ span several directories', () => {
    expect(globsOverlap('src/**/*.ts', 'src/deep/x/y.ts')).toBe(true);
  });

  it('lets **/ match zero directories', () => {
    expect(globsOverlap('src/**/*.ts', 'src/x.ts')).toBe(true);
  });

  it('treats a plain directory, with or without a trailing slash, as everything below it', () => {
    expect(globsOverlap('docs', 'docs/a.md')).toBe(true);
    expect(globsOverlap('docs/', 'docs/a.md')).toBe(true);
    expect(globsOverlap('docs/', 'docs/deep/a.md')).toBe(true);
    expect(globsOverlap('docs', 'docsite/a.md')).toBe(false);
  });

  it('treats two plain paths as overlapping only when one contains the other', () => {
    expect(globsOverlap('src', 'src/a/b.ts')).toBe(true);
    expect(globsOverlap('src/a', 'src/b')).toBe(false);
  });

  it('ignores a leading ./ and repeated slashes', () => {
    expect(globsOverlap('./src/a.ts', 'src/a.ts')).toBe(true);
    expect(globsOverlap('src//a.ts', 'src/a.ts')).toBe(true);
  });

  it('expands {a,b} alternatives', () => {
    expect(globsOverlap('{a,b}/x', 'b/x')).toBe(true);
    expect(globsOverlap('{a,b}/x', 'a/x')).toBe(true);
    expect(globsOverlap('{a,b}/x', 'c/x')).toBe(false);
    expect(globsOverlap('src/*.{ts,tsx}', 'src/*.md')).toBe(false);
  });

  it('treats {a,b} alternatives of plain paths as those paths, directories included', () => {
    // `{src,docs}` is shorthand for the scope ['src', 'docs'], which holds src/a.ts.
    expect(scopesOverlap(['src', 'docs'], ['src/a.ts'])).toBe(true);
    expect(globsOverlap('{src,docs}', 'src/a.ts')).toBe(true);
    expect(globsOverlap('packages/{core,cli}', 'packages/core/index.ts')).toBe(true);
  });

  it('matches character classes and ranges', () => {
    expect(globsOverlap('file[0-9].txt', 'file5.txt')).toBe(true);
    expect(globsOverlap('file[0-9].txt', 'fileA.txt')).toBe(false);
    expect(globsOverlap('file[abc].txt', 'fileb.txt')).toBe(true);
    expect(globsOverlap('file[0-4].txt', 'file[5-9].txt')).toBe(false);
  });

  it('matches negated character classes', () => {
    expect(globsOverlap('file[!0-9].txt', 'file5.txt')).toBe(false);
    expect(globsOverlap('file[!0-9].txt', 'fileA.txt')).toBe(true);
    expect(globsOverlap('file[!0-9].txt', 'file[0-9].txt')).toBe(false);
  });

  it('lets ? match exactly one character within a segment', () => {
    expect(globsOverlap('src/?.ts', 'src/a.ts')).toBe(true);
    expect(globsOverlap('src/?.ts', 'src/ab.ts')).toBe(false);
    expect(globsOverlap('src/?.ts', 'src/.ts')).toBe(false);
    expect(globsOverlap('src?a.ts', 'src/a.ts')).toBe(false);
  });

  it('gives the same answer in both directions', () => {
    const pairs: readonly (readonly [string, string])[] = [
      ['src/**', 'src/a/b.ts'],
      ['src/a/**', 'src/b/**'],
      ['*.ts', '*.md'],
      ['src/*.ts', 'src/a/x.ts'],
      ['src/**/*.ts', 'src/deep/x/y.ts'],
      ['docs', 'docs/a.md'],
      ['{a,b}/x', 'b/x'],
      ['file[0-9].txt', 'file5.txt'],
      ['file[0-9].txt', 'fileA.txt'],
      ['src/?.ts', 'src/ab.ts'],
    ];
    for (const [a, b] of pairs) expect(globsOverlap(b, a)).toBe(globsOverlap(a, b));
  });
});

describe('scopesOverlap', () => {
  it('finds scopes overlapping when any pair of their globs does', () => {
    expect(scopesOverlap(['docs/**', 'src/a/**'], ['test/**', 'src/a/x.ts'])).toBe(true);
  });

  it('finds scopes disjoint when no pair of their globs overlaps', () => {
    expect(scopesOverlap(['docs/**', 'src/a/**'], ['test/**', 'src/b/x.ts'])).toBe(false);
  });

  it('finds an empty scope disjoint from everything', () => {
    expect(scopesOverlap([], ['**'])).toBe(false);
    expect(scopesOverlap(['**'], [])).toBe(false);
  });
});

type SegmentRewrite =
  | { kind: 'keep' }
  | { kind: 'star' }
  | { kind: 'globstar' }
  | { kind: 'question'; at: number }
  | { kind: 'prefix-star'; keep: number }
  | { kind: 'suffix-star'; keep: number };

const segmentRewrite: fc.Arbitrary<SegmentRewrite> = fc.oneof(
  fc.constant<SegmentRewrite>({ kind: 'keep' }),
  fc.constant<SegmentRewrite>({ kind: 'star' }),
  fc.constant<SegmentRewrite>({ kind: 'globstar' }),
  fc.nat().map<SegmentRewrite>((at) => ({ kind: 'question', at })),
  fc.nat().map<SegmentRewrite>((keep) => ({ kind: 'prefix-star', keep })),
  fc.nat().map<SegmentRewrite>((keep) => ({ kind: 'suffix-star', keep })),
);

function rewriteSegment(segment: string, rewrite: SegmentRewrite): string {
  switch (rewrite.kind) {
    case 'keep':
      return segment;
    case 'star':
      return '*';
    case 'globstar':
      return '**';
    case 'question': {
      const at = rewrite.at % segment.length;
      return `${segment.slice(0, at)}?${segment.slice(at + 1)}`;
    }
    case 'prefix-star':
      return `${segment.slice(0, rewrite.keep % (segment.length + 1))}*`;
    case 'suffix-star':
      return `*${segment.slice(segment.length - (rewrite.keep % (segment.length + 1)))}`;
  }
}

/** A glob that matches `path` (or, when it is a plain prefix of it, a directory holding it). */
const globDerivedFrom = (path: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    fc
      .array(segmentRewrite, { minLength: path.length, maxLength: path.length })
      .map((rewrites) =>
        path
          .map((segment, i) => rewriteSegment(segment, rewrites[i] ?? { kind: 'keep' }))
          .join('/'),
      ),
    fc.integer({ min: 1, max: path.length }).map((length) => path.slice(0, length).join('/')),
    fc
      .integer({ min: 0, max: path.length - 1 })
      .map((length) => [...path.slice(0, length), '**'].join('/')),
  );

const literalPath = fc.array(fc.stringMatching(/^[abc]{1,3}$/), { minLength: 1, maxLength: 4 });

describe('globsOverlap properties', () => {
  it('finds two globs matching the same path overlapping, in either order', () => {
    fc.assert(
      fc.property(
        literalPath.chain((path) =>
          fc.tuple(fc.constant(path), globDerivedFrom(path), globDerivedFrom(path)),
        ),
        ([path, x, y]) => {
          const witness = path.join('/');
          expect(referenceMatches(x, witness)).toBe(true);
          expect(referenceMatches(y, witness)).toBe(true);
          expect(globsOverlap(x, y)).toBe(true);
          expect(globsOverlap(y, x)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('uses an oracle alphabet in which every intersecting pair of segment patterns has a witness', () => {
    // Guards the exactness of the oracle below: all strings over {a,b} up to length 6 are enough
    // to decide whether two of these patterns intersect.
    const strings = enumeratePaths(['a', 'b'], 6).map((path) => path.replaceAll('/', ''));
    for (const x of SEGMENT_PATTERNS) {
      for (const y of SEGMENT_PATTERNS) {
        const shared = strings.some((s) => referenceMatches(x, s) && referenceMatches(y, s));
        const witnessed = PATH_SEGMENTS.some(
          (s) => referenceMatches(x, s) && referenceMatches(y, s),
        );
        expect(witnessed, `${x} vs ${y}`).toBe(shared);
      }
    }
  });

  it('agrees with a brute-force search for a path both globs match', () => {
    fc.assert(
      fc.property(oracleGlob, oracleGlob, (x, y) => {
        const expected = oracleOverlap(x, y);
        expect(globsOverlap(x, y), `${x} vs ${y}`).toBe(expected);
        expect(globsOverlap(y, x), `${y} vs ${x}`).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });
});
