/**
 * Lessons learned (docs/command-center.md): a lesson's context, insight and tags; whether applying
 * it helped (validations); where it was applied and with what outcome (applications); and the
 * lessons relevant to a task (`lesson suggest`), ranked by their words and tags fused with memory
 * search over the lessons' memory items (full text, and vectors when embeddings are configured).
 */

import { z } from 'zod';
import {
  applyLesson,
  archiveLesson,
  createLesson,
  listLessons,
  prepareLessonSuggestion,
  recordLessonOutcome,
  restoreLesson,
  showLesson,
  suggestLessons,
  updateLesson,
  validateLesson,
} from '../core/services/lesson-service.js';
import { reindexLessons } from '../core/services/lesson-memory.js';
import { optionalText, requiredText, tagSchema } from '../domain/fields.js';
import {
  LESSON_OUTCOMES,
  LessonDetailSchema,
  LessonSuggestionSchema,
  LessonViewSchema,
} from '../domain/lesson.js';
import { projectKey, taskKey } from './common-schemas.js';
import { defineOperation } from './operation.js';

const lessonKey = z.string().trim().min(1, 'must name a lesson by ref (HOME-L2) or id');
const note = optionalText(10_000);

export const LESSON_COLUMNS = [
  'ref',
  'helpfulScore:SCORE',
  'helped',
  'notHelped:NOT HELPED',
  'applied',
  'tags',
  'title',
];

const lessonFields = {
  context: optionalText(10_000).optional(),
  insight: optionalText(10_000).optional(),
  tags: z.array(tagSchema).max(50, 'at most 50 tags').optional(),
};

const SHORT = { c: 'context', i: 'insight', t: 'tags' };

export const lessonOperations = [
  defineOperation({
    name: 'lesson.add',
    summary: 'Record a lesson learned in a project: context, insight and tags (ref PROJECT-L<n>)',
    effects: 'write',
    input: z.strictObject({ project: projectKey, title: requiredText(200), ...lessonFields }),
    output: LessonDetailSchema,
    cli: {
      positional: ['project', 'title'],
      aliases: ['create', 'new'],
      short: SHORT,
      examples: [
        'bosun lesson add HOME "Test restores, not only backups" --context "the March restore failed" --insight "a backup is only as good as its last restore test" -t backup -t nas',
      ],
    },
    handler: (ctx, input) => createLesson(ctx, input),
  }),
  defineOperation({
    name: 'lesson.list',
    summary: 'Lessons learned, most helpful first (then newest): filter by project or tag',
    effects: 'read',
    input: z.strictObject({
      project: projectKey.optional(),
      tag: tagSchema.optional(),
      archived: z.boolean().optional(),
    }),
    output: z.array(LessonViewSchema),
    cli: {
      positional: ['project'],
      aliases: ['ls'],
      columns: LESSON_COLUMNS,
      empty: 'No lessons match.',
      examples: ['bosun lesson list HOME', 'bosun lesson list --tag backup'],
    },
    handler: (ctx, input) => listLessons(ctx, input),
  }),
  defineOperation({
    name: 'lesson.show',
    summary: 'Show one lesson, archived or not, with its validations and applications',
    effects: 'read',
    input: z.strictObject({ lesson: lessonKey }),
    output: LessonDetailSchema,
    cli: {
      positional: ['lesson'],
      aliases: ['get', 'view'],
      examples: ['bosun lesson show HOME-L1'],
    },
    handler: (ctx, input) => showLesson(ctx, input),
  }),
  defineOperation({
    name: 'lesson.update',
    summary: "Change a lesson's title, context, insight or tags (tags given replace the old ones)",
    effects: 'write',
    input: z.strictObject({
      lesson: lessonKey,
      title: requiredText(200).optional(),
      ...lessonFields,
    }),
    output: LessonDetailSchema,
    cli: {
      positional: ['lesson'],
      aliases: ['edit', 'set'],
      short: SHORT,
      examples: ['bosun lesson update HOME-L1 -i "restore one file every Monday" -t backup'],
    },
    handler: (ctx, input) => updateLesson(ctx, input),
  }),
  defineOperation({
    name: 'lesson.validate',
    summary: 'Record whether applying a lesson helped (--helped or --no-helped), maybe for a task',
    effects: 'write',
    input: z.strictObject({
      lesson: lessonKey,
      helped: z.boolean({
        error: (issue) =>
          issue.input === undefined
            ? 'is required: --helped or --no-helped'
            : 'must be true or false',
      }),
      note: note.optional(),
      task: taskKey.optional(),
    }),
    output: LessonDetailSchema,
    cli: {
      positional: ['lesson'],
      examples: [
        'bosun lesson validate HOME-L1 --helped --task HOME-7 --note "caught a bad tape"',
        'bosun lesson validate HOME-L1 --no-helped --note "took too long for a small share"',
      ],
    },
    handler: (ctx, input) => validateLesson(ctx, input),
  }),
  defineOperation({
    name: 'lesson.apply',
    summary: 'Record that a lesson was applied to a task (its outcome follows with lesson outcome)',
    effects: 'write',
    input: z.strictObject({ lesson: lessonKey, task: taskKey, note: note.optional() }),
    output: LessonDetailSchema,
    cli: {
      positional: ['lesson'],
      examples: [
        'bosun lesson apply HOME-L1 --task HOME-7 --note "restore test added to the plan"',
      ],
    },
    handler: (ctx, input) => applyLesson(ctx, input),
  }),
  defineOperation({
    name: 'lesson.outcome',
    summary:
      'Record how an application of a lesson turned out: name the application by id, or the lesson and --task',
    effects: 'write',
    input: z.strictObject({
      lesson: z
        .string()
        .trim()
        .min(1, 'must name a lesson application by id, or a lesson by ref (HOME-L2) with --task'),
      task: taskKey.optional(),
      outcome: z.enum(LESSON_OUTCOMES),
      note: note.optional(),
    }),
    output: LessonDetailSchema,
    cli: {
      positional: ['lesson'],
      examples: [
        'bosun lesson outcome HOME-L1 --task HOME-7 --outcome succeeded --note "restore took 4 minutes"',
        'bosun lesson outcome 01JD2X5V4W8Y9Z0A1B2C3D4E5F --outcome mixed',
      ],
    },
    handler: (ctx, input) => recordLessonOutcome(ctx, input),
  }),
  defineOperation({
    name: 'lesson.suggest',
    summary:
      'Lessons relevant to a task (its title, description and tags) or to a text, best first: their words fused with memory search',
    effects: 'read',
    input: z.strictObject({
      task: taskKey.optional(),
      text: optionalText(10_000).optional(),
      project: projectKey.optional(),
      allProjects: z.boolean().optional(),
      limit: z
        .number()
        .int()
        .min(1, 'must be at least 1')
        .max(100, 'must be at most 100')
        .optional(),
    }),
    output: z.array(LessonSuggestionSchema),
    cli: {
      positional: ['task'],
      columns: [
        'ref',
        'score',
        'matchedBy:FOUND BY',
        'relevance',
        'helpfulScore:HELPFUL',
        'matched',
        'title',
      ],
      empty: 'No lesson matches.',
      examples: [
        'bosun lesson suggest --task HOME-7',
        'bosun lesson suggest --task HOME-7 --all-projects --limit 10',
        'bosun lesson suggest --text "restore the NAS from tape"',
      ],
    },
    // The query's vector is a model call: made before the transaction, never inside it.
    prepare: (ctx, input) => prepareLessonSuggestion(ctx, input),
    handler: (ctx, input, vector) => suggestLessons(ctx, input, vector),
  }),
  defineOperation({
    name: 'lesson.reindex',
    summary:
      "Bring every lesson's memory item up to date (lessons recorded before lessons kept one, or whose item was forgotten)",
    effects: 'write',
    input: z.strictObject({ project: projectKey.optional() }),
    output: z.object({
      lessons: z.number().int().nonnegative(),
      stored: z.number().int().nonnegative(),
      forgotten: z.number().int().nonnegative(),
      unchanged: z.number().int().nonnegative(),
    }),
    cli: {
      positional: ['project'],
      examples: ['bosun lesson reindex', 'bosun lesson reindex HOME'],
    },
    handler: (ctx, input) => reindexLessons(ctx, input),
  }),
  defineOperation({
    name: 'lesson.archive',
    summary:
      'Take a lesson off the list and out of suggestions (it keeps its ref and history; lesson restore brings it back)',
    effects: 'write',
    input: z.strictObject({ lesson: lessonKey }),
    output: LessonDetailSchema,
    cli: { positional: ['lesson'], aliases: ['delete', 'rm', 'remove'] },
    handler: (ctx, input) => archiveLesson(ctx, input),
  }),
  defineOperation({
    name: 'lesson.restore',
    summary: 'Bring an archived lesson back',
    effects: 'write',
    input: z.strictObject({ lesson: lessonKey }),
    output: LessonDetailSchema,
    cli: { positional: ['lesson'] },
    handler: (ctx, input) => restoreLesson(ctx, input),
  }),
];
