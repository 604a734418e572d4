import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LessonView } from './lesson.js';
import { Lesson } from './lesson.js';

let seq = 0;
function lesson(fields: Partial<LessonView>): LessonView {
  seq += 1;
  const tally = { helped: 0, notHelped: 0, applied: 0, succeeded: 0, failed: 0, mixed: 0 };
  return {
    id: `01JD0000000000000000000${String(seq).padStart(3, '0')}`,
    projectId: '01JD0000000000000000000000',
    ref: `HOME-L${seq}`,
    title: '',
    context: '',
    insight: '',
    tags: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    archivedAt: null,
    ...tally,
    helpfulScore: 0,
    ...fields,
  };
}

describe('Lesson', () => {
  it('scores evidence for minus evidence against', () => {
    const tally = Lesson.tally(
      [{ helped: true }, { helped: true }, { helped: false }],
      [
        { outcome: 'succeeded' },
        { outcome: 'failed' },
        { outcome: 'failed' },
        { outcome: 'mixed' },
        { outcome: null },
      ],
    );
    expect(tally).toEqual({
      helped: 2,
      notHelped: 1,
      applied: 5,
      succeeded: 1,
      failed: 2,
      mixed: 1,
    });
    // 2 helped + 1 succeeded − 1 not helped − 2 failed; mixed counts neither way.
    expect(Lesson.helpfulScore(tally)).toBe(0);
    expect(Lesson.helpfulScore({ ...tally, failed: 3 })).toBe(-1);
  });

  it('ranks by the words shared with the query, weighted by field, plurals folded', () => {
    const inTitle = lesson({ title: 'Restore drills' });
    const inContext = lesson({ context: 'a restore went wrong' });
    const unrelated = lesson({ title: 'Order spares early', insight: 'disks take weeks' });
    const ranked = Lesson.rank([unrelated, inContext, inTitle], { text: 'restores', tags: [] }, 10);
    expect(ranked.map((l) => l.ref)).toEqual([inTitle.ref, inContext.ref]);
    expect(ranked[0]?.matched).toEqual(['restore']);
  });

  it('adds shared tags, ignores stop words, and breaks ties by helpfulness', () => {
    const tagged = lesson({ title: 'Cables', tags: ['Rack'] });
    const helpful = lesson({ title: 'the cables', helpfulScore: 3 });
    const ranked = Lesson.rank([helpful, tagged], { text: 'the cables', tags: ['rack'] }, 10);
    expect(ranked.map((l) => l.ref)).toEqual([tagged.ref, helpful.ref]);
    const tie = Lesson.rank([tagged, helpful], { text: 'cables', tags: [] }, 10);
    expect(tie.map((l) => l.ref)).toEqual([helpful.ref, tagged.ref]);
    expect(Lesson.rank([tagged, helpful], { text: 'the and of', tags: [] }, 10)).toEqual([]);
  });

  it('never returns more than the limit, nor a lesson sharing nothing with the query', () => {
    const words = ['nas', 'backup', 'rack', 'cable', 'disk', 'restore', 'power', 'ups'];
    const text = fc.array(fc.constantFrom(...words), { maxLength: 6 }).map((w) => w.join(' '));
    fc.assert(
      fc.property(
        fc.array(text, { maxLength: 20 }),
        text,
        fc.integer({ min: 1, max: 10 }),
        (titles, query, limit) => {
          const lessons = titles.map((title) => lesson({ title }));
          const ranked = Lesson.rank(lessons, { text: query, tags: [] }, limit);
          expect(ranked.length).toBeLessThanOrEqual(limit);
          const wanted = new Set(query.split(' '));
          for (const found of ranked) {
            expect(found.matched.length).toBeGreaterThan(0);
            expect(found.matched.every((word) => wanted.has(word))).toBe(true);
          }
          for (let i = 1; i < ranked.length; i++)
            expect(ranked[i - 1]!.relevance).toBeGreaterThanOrEqual(ranked[i]!.relevance);
        },
      ),
    );
  });

  it('fuses the ranking by words with memory’s by reciprocal rank, saying which side found each', () => {
    const [a, b, c] = [lesson({ title: 'a' }), lesson({ title: 'b' }), lesson({ title: 'c' })];
    const byText = [
      { ...a!, relevance: 5, matched: ['x'] },
      { ...b!, relevance: 1, matched: ['y'] },
    ];
    const fused = Lesson.fuse(byText, [c!, b!], 10);
    expect(fused.map((each) => [each.ref, each.matchedBy, each.relevance])).toEqual([
      [b!.ref, 'both', 1],
      [a!.ref, 'text', 5],
      [c!.ref, 'memory', 0],
    ]);
    expect(fused[0]!.score).toBeCloseTo(1 / 62 + 1 / 62, 4);
    expect(Lesson.fuse(byText, [c!, b!], 1)).toHaveLength(1);
  });

  it('keeps the ranking by words, in order, when memory finds nothing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 10 }), (n, limit) => {
        const ranked = Array.from({ length: n }, (_, i) => ({
          ...lesson({ title: `l${i}` }),
          relevance: n - i,
          matched: [] as string[],
        }));
        const fused = Lesson.fuse<LessonView>(ranked, [], limit);
        expect(fused.map((each) => each.id)).toEqual(ranked.slice(0, limit).map((l) => l.id));
        expect(fused.every((each) => each.matchedBy === 'text')).toBe(true);
      }),
    );
  });
});
