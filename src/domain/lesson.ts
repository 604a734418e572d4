/**
 * Lesson learned: what a project found out (a title, the context it arose in, the insight, tags),
 * kept so later work can use it. Whether it holds up is recorded apart from the lesson itself:
 * validations (did applying it help, yes or no) and applications (it was applied to a task, and
 * later with what outcome). A lesson's helpful score is the evidence for it minus the evidence
 * against: validations that say it helped plus applications that succeeded, less validations
 * that say it did not and applications that failed. Nothing derived is stored.
 *
 * Suggestions rank lessons against a text (a task's title, description and tags) in TypeScript,
 * the same on every store: words are lower-cased letters and digits with English stop words
 * dropped and a plural `s` cut, each query word found in a lesson counts by the best field it is
 * found in (title and tags 3, insight 2, context 1) times its rarity among the lessons searched
 * (ln(1 + lessons / lessons holding it)), and each tag the lesson shares with the task adds 4.
 * That ranking is fused by reciprocal rank with memory's ranking of the lessons' memory items
 * (full text, and vectors when embeddings are configured): `fuse`.
 */

import { z } from 'zod';
import { idSchema, optionalText, requiredText, tagSchema, timestampSchema } from './fields.js';
import { STOP_WORDS, fuseByReciprocalRank, wordsOf } from './memory.js';
import { projectRecordFields } from './project-record.js';

export const LESSON_OUTCOMES = ['succeeded', 'failed', 'mixed'] as const;
export type LessonOutcome = (typeof LESSON_OUTCOMES)[number];

export const LessonSchema = z.object({
  ...projectRecordFields('lesson'),
  title: requiredText(200),
  context: optionalText(10_000),
  insight: optionalText(10_000),
  tags: z.array(tagSchema),
});
export type Lesson = Readonly<z.infer<typeof LessonSchema>>;

/** Did applying the lesson help? Said by someone, at some time, maybe about one task. */
export const LessonValidationSchema = z.object({
  id: idSchema,
  lessonId: idSchema,
  helped: z.boolean(),
  note: z.string(),
  taskId: idSchema.nullable(),
  taskRef: z.string().nullable(),
  by: z.string(),
  at: timestampSchema,
});
export type LessonValidation = Readonly<z.infer<typeof LessonValidationSchema>>;

/** The lesson was applied to a task; its outcome is recorded once known (null until then). */
export const LessonApplicationSchema = z.object({
  id: idSchema,
  lessonId: idSchema,
  taskId: idSchema,
  taskRef: z.string(),
  note: z.string(),
  by: z.string(),
  at: timestampSchema,
  outcome: z.enum(LESSON_OUTCOMES).nullable(),
  outcomeNote: z.string(),
  outcomeBy: z.string().nullable(),
  outcomeAt: timestampSchema.nullable(),
});
export type LessonApplication = Readonly<z.infer<typeof LessonApplicationSchema>>;

/** The evidence for and against a lesson, counted. */
export const LessonTallySchema = z.object({
  helped: z.number().int().nonnegative(),
  notHelped: z.number().int().nonnegative(),
  applied: z.number().int().nonnegative(),
  succeeded: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  mixed: z.number().int().nonnegative(),
});
export type LessonTally = Readonly<z.infer<typeof LessonTallySchema>>;

/** A lesson as lists show it: with its tally and helpful score. */
export const LessonViewSchema = LessonSchema.extend(LessonTallySchema.shape).extend({
  helpfulScore: z.number().int(),
});
export type LessonView = Readonly<z.infer<typeof LessonViewSchema>>;

/** A lesson with every validation and application, oldest first. */
export const LessonDetailSchema = LessonViewSchema.extend({
  validations: z.array(LessonValidationSchema),
  applications: z.array(LessonApplicationSchema),
});
export type LessonDetail = Readonly<z.infer<typeof LessonDetailSchema>>;

/** Which ranking found a suggested lesson: its words (`rank`), its memory item, or both. */
export const LESSON_MATCHES = ['text', 'memory', 'both'] as const;
export type LessonMatch = (typeof LESSON_MATCHES)[number];

/**
 * A suggested lesson: how relevant its words are to the text asked about (0 when only memory
 * found it) and the words it shares, its fused score, which ranking found it, and — when the
 * memory side could not use vectors though they are configured — why.
 */
export const LessonSuggestionSchema = LessonViewSchema.extend({
  relevance: z.number().nonnegative(),
  matched: z.array(z.string()),
  score: z.number().nonnegative(),
  matchedBy: z.enum(LESSON_MATCHES),
  note: z.string().optional(),
});
export type LessonSuggestion = Readonly<z.infer<typeof LessonSuggestionSchema>>;

/** What lessons are ranked against: free text, and tags compared whole. */
export interface LessonQuery {
  readonly text: string;
  readonly tags: readonly string[];
}

const FIELD_WEIGHTS = { title: 3, tags: 3, insight: 2, context: 1 } as const;
/** Added for each tag a lesson shares with the query, compared whole and ignoring case. */
const SHARED_TAG_WEIGHT = 4;

/** A word as suggestions compare it: a plural's `s` cut, so "backups" finds "backup". */
function stem(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

/** The distinct words of a text that suggestions compare (stop words and single letters out). */
function termsOf(text: string): Set<string> {
  return new Set(
    wordsOf(text)
      .filter((word) => word.length > 1 && !STOP_WORDS.has(word))
      .map(stem),
  );
}

export const Lesson = {
  tally(
    validations: readonly Pick<LessonValidation, 'helped'>[],
    applications: readonly Pick<LessonApplication, 'outcome'>[],
  ): LessonTally {
    const helped = validations.filter((v) => v.helped).length;
    const outcome = (wanted: LessonOutcome) =>
      applications.filter((a) => a.outcome === wanted).length;
    return {
      helped,
      notHelped: validations.length - helped,
      applied: applications.length,
      succeeded: outcome('succeeded'),
      failed: outcome('failed'),
      mixed: outcome('mixed'),
    };
  },
  helpfulScore(tally: LessonTally): number {
    return tally.helped + tally.succeeded - tally.notHelped - tally.failed;
  },
  /** Most helpful first, then the newest. */
  compare(a: LessonView, b: LessonView): number {
    return (
      b.helpfulScore - a.helpfulScore ||
      b.createdAt.localeCompare(a.createdAt) ||
      b.id.localeCompare(a.id)
    );
  },
  /**
   * The lessons relevant to the query, most relevant first (then most helpful, then newest), at
   * most `limit`; lessons sharing no word and no tag with it are left out.
   */
  rank<L extends LessonView>(
    lessons: readonly L[],
    query: LessonQuery,
    limit: number,
  ): (L & { relevance: number; matched: string[] })[] {
    const wanted = termsOf(`${query.text} ${query.tags.join(' ')}`);
    const wantedTags = new Set(query.tags.map((tag) => tag.toLowerCase()));
    const fields = lessons.map((lesson) => ({
      title: termsOf(lesson.title),
      tags: termsOf(lesson.tags.join(' ')),
      insight: termsOf(lesson.insight),
      context: termsOf(lesson.context),
    }));
    const holding = (term: string) =>
      fields.filter(
        (f) => f.title.has(term) || f.tags.has(term) || f.insight.has(term) || f.context.has(term),
      ).length;
    const rarity = new Map(
      [...wanted].map((term) => [term, Math.log(1 + lessons.length / Math.max(1, holding(term)))]),
    );
    const scored = lessons.map((lesson, index) => {
      const own = fields[index]!;
      const matched: string[] = [];
      let relevance = 0;
      for (const term of wanted) {
        const weight = Math.max(
          ...(Object.keys(FIELD_WEIGHTS) as (keyof typeof FIELD_WEIGHTS)[]).map((field) =>
            own[field].has(term) ? FIELD_WEIGHTS[field] : 0,
          ),
        );
        if (weight === 0) continue;
        matched.push(term);
        relevance += weight * rarity.get(term)!;
      }
      const sharedTags = lesson.tags.filter((tag) => wantedTags.has(tag.toLowerCase())).length;
      relevance += sharedTags * SHARED_TAG_WEIGHT;
      // Rounded so that sums taken in another order compare equal.
      return { ...lesson, relevance: Math.round(relevance * 1000) / 1000, matched: matched.sort() };
    });
    return scored
      .filter((lesson) => lesson.relevance > 0)
      .sort((a, b) => b.relevance - a.relevance || Lesson.compare(a, b))
      .slice(0, limit);
  },
  /**
   * The ranking by words (`rank`'s, whole) and memory's ranking of the same lessons fused by
   * reciprocal rank (domain/memory.ts), best first, at most `limit`. Ties go to the better rank
   * by words, so without memory hits the order is `rank`'s.
   */
  fuse<L extends LessonView>(
    byText: readonly (L & { relevance: number; matched: string[] })[],
    byMemory: readonly L[],
    limit: number,
  ): (L & { relevance: number; matched: string[]; score: number; matchedBy: LessonMatch })[] {
    const lessons = new Map<string, L & { relevance: number; matched: string[] }>();
    for (const lesson of byMemory) lessons.set(lesson.id, { ...lesson, relevance: 0, matched: [] });
    for (const lesson of byText) lessons.set(lesson.id, lesson);
    return fuseByReciprocalRank(
      byText.map((lesson) => lesson.id),
      byMemory.map((lesson) => lesson.id),
    )
      .slice(0, limit)
      .map((match) => ({
        ...lessons.get(match.id)!,
        score: Number(match.score.toPrecision(4)),
        matchedBy:
          match.matched.length === 2 ? 'both' : match.matched[0] === 'text' ? 'text' : 'memory',
      }));
  },
};
