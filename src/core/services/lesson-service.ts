/**
 * Lessons learned: add, change, list, show and archive them; record whether applying one helped
 * (validations), that it was applied to a task and with what outcome (applications); and suggest
 * the lessons relevant to a task or a text. Suggestions read the candidate lessons and rank them
 * in TypeScript (domain/lesson.ts), so both stores answer alike; a project's lessons number in the
 * hundreds, not millions. That ranking is fused with memory search over the lessons' memory items
 * (lesson-memory.ts), which every write of a lesson keeps in step. Each validation, application
 * and outcome is audited on its lesson.
 */

import type {
  Lesson,
  LessonApplication,
  LessonDetail,
  LessonOutcome,
  LessonSuggestion,
  LessonView,
} from '../../domain/lesson.js';
import { Lesson as LessonRules } from '../../domain/lesson.js';
import type { Task } from '../../domain/task.js';
import { BosunError, invalidInput } from '../../shared/errors.js';
import { isUlid } from '../../shared/ids.js';
import { lessonsByMemory, syncLessonMemory } from './lesson-memory.js';
import type { QueryVector } from './memory-service.js';
import { embedSearchQuery } from './memory-service.js';
import { newRecordFields, resolveRecord, saveRecord, setArchived } from './project-records.js';
import { resolveProject, resolveTask } from './resolve.js';
import type { ServiceContext } from './service-context.js';
import { nowIso, recordAudit } from './service-context.js';

export interface LessonFields {
  readonly title?: string | undefined;
  readonly context?: string | undefined;
  readonly insight?: string | undefined;
  /** Replaces the tags; duplicates are dropped. */
  readonly tags?: readonly string[] | undefined;
}

export interface LessonListFilter {
  readonly project?: string | undefined;
  /** Only lessons carrying this tag. */
  readonly tag?: string | undefined;
  readonly archived?: boolean | undefined;
}

export interface LessonSuggestInput {
  /** Lessons for this task: its title, description and tags are the query. */
  readonly task?: string | undefined;
  /** Free text to find lessons for (added to the task's text when both are given). */
  readonly text?: string | undefined;
  /** Search this project's lessons (default: the task's project; without a task, every project). */
  readonly project?: string | undefined;
  /** Search every project's lessons. */
  readonly allProjects?: boolean | undefined;
  readonly limit?: number | undefined;
}

export const DEFAULT_SUGGESTIONS = 5;

const uniqueTags = (tags: readonly string[]): string[] => [...new Set(tags)];

function groupByLesson<T extends { readonly lessonId: string }>(
  items: readonly T[],
): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(item.lessonId, [...(groups.get(item.lessonId) ?? []), item]);
  return groups;
}

async function viewsOf(ctx: ServiceContext, lessons: readonly Lesson[]): Promise<LessonView[]> {
  const ids = lessons.map((lesson) => lesson.id);
  const validations = groupByLesson(await ctx.repos.lessons.validationsOf(ids));
  const applications = groupByLesson(await ctx.repos.lessons.applicationsOf(ids));
  return lessons.map((lesson) => {
    const tally = LessonRules.tally(
      validations.get(lesson.id) ?? [],
      applications.get(lesson.id) ?? [],
    );
    return { ...lesson, ...tally, helpfulScore: LessonRules.helpfulScore(tally) };
  });
}

async function detailOf(ctx: ServiceContext, lesson: Lesson): Promise<LessonDetail> {
  const validations = await ctx.repos.lessons.validationsOf([lesson.id]);
  const applications = await ctx.repos.lessons.applicationsOf([lesson.id]);
  const tally = LessonRules.tally(validations, applications);
  return {
    ...lesson,
    ...tally,
    helpfulScore: LessonRules.helpfulScore(tally),
    validations,
    applications,
  };
}

export async function createLesson(
  ctx: ServiceContext,
  input: LessonFields & { project: string; title: string },
): Promise<LessonDetail> {
  const project = await resolveProject(ctx.repos, input.project);
  const lesson: Lesson = {
    ...(await newRecordFields(ctx, project, 'lesson')),
    title: input.title,
    context: input.context ?? '',
    insight: input.insight ?? '',
    tags: uniqueTags(input.tags ?? []),
  };
  return detailOf(ctx, await withMemory(ctx, await saveRecord(ctx, 'lesson', null, lesson)));
}

/** The lesson, once its memory item follows it (lesson-memory.ts). */
async function withMemory(ctx: ServiceContext, lesson: Lesson): Promise<Lesson> {
  await syncLessonMemory(ctx, lesson);
  return lesson;
}

export async function updateLesson(
  ctx: ServiceContext,
  input: LessonFields & { lesson: string },
): Promise<LessonDetail> {
  const before = await resolveRecord<Lesson>(ctx.repos, 'lesson', input.lesson, { lock: true });
  const after: Lesson = {
    ...before,
    title: input.title ?? before.title,
    context: input.context ?? before.context,
    insight: input.insight ?? before.insight,
    tags: input.tags === undefined ? before.tags : uniqueTags(input.tags),
    updatedAt: nowIso(ctx),
  };
  return detailOf(ctx, await withMemory(ctx, await saveRecord(ctx, 'lesson', before, after)));
}

export async function showLesson(
  ctx: ServiceContext,
  input: { lesson: string },
): Promise<LessonDetail> {
  return detailOf(
    ctx,
    await resolveRecord<Lesson>(ctx.repos, 'lesson', input.lesson, { includeArchived: true }),
  );
}

export async function archiveLesson(
  ctx: ServiceContext,
  input: { lesson: string },
): Promise<LessonDetail> {
  return detailOf(ctx, await withMemory(ctx, await setArchived(ctx, 'lesson', input.lesson, true)));
}

export async function restoreLesson(
  ctx: ServiceContext,
  input: { lesson: string },
): Promise<LessonDetail> {
  return detailOf(
    ctx,
    await withMemory(ctx, await setArchived<Lesson>(ctx, 'lesson', input.lesson, false)),
  );
}

/** Lessons, most helpful first, then the newest. */
export async function listLessons(
  ctx: ServiceContext,
  filter: LessonListFilter = {},
): Promise<LessonView[]> {
  const project =
    filter.project === undefined ? undefined : await resolveProject(ctx.repos, filter.project);
  const lessons = await ctx.repos.lessons.list({
    projectId: project?.id,
    includeArchived: filter.archived === true,
  });
  const tag = filter.tag?.toLowerCase();
  const tagged =
    tag === undefined
      ? lessons
      : lessons.filter((lesson) => lesson.tags.some((each) => each.toLowerCase() === tag));
  return (await viewsOf(ctx, tagged)).sort(LessonRules.compare);
}

/** Records whether applying the lesson helped, maybe about one task. */
export async function validateLesson(
  ctx: ServiceContext,
  input: { lesson: string; helped: boolean; note?: string | undefined; task?: string | undefined },
): Promise<LessonDetail> {
  const lesson = await resolveRecord<Lesson>(ctx.repos, 'lesson', input.lesson, { lock: true });
  const task = input.task === undefined ? null : await resolveTask(ctx.repos, input.task);
  const validation = {
    id: ctx.newId(),
    lessonId: lesson.id,
    helped: input.helped,
    note: input.note ?? '',
    taskId: task?.id ?? null,
    taskRef: task?.ref ?? null,
    by: ctx.actor,
    at: nowIso(ctx),
  };
  await ctx.repos.lessons.insertValidation(validation);
  await recordAudit(ctx, auditTarget(lesson), null, { validation });
  return detailOf(ctx, lesson);
}

/** Records that the lesson was applied to a task; its outcome comes later (`lesson.outcome`). */
export async function applyLesson(
  ctx: ServiceContext,
  input: { lesson: string; task: string; note?: string | undefined },
): Promise<LessonDetail> {
  const lesson = await resolveRecord<Lesson>(ctx.repos, 'lesson', input.lesson, { lock: true });
  const task: Task = await resolveTask(ctx.repos, input.task);
  const application: LessonApplication = {
    id: ctx.newId(),
    lessonId: lesson.id,
    taskId: task.id,
    taskRef: task.ref,
    note: input.note ?? '',
    by: ctx.actor,
    at: nowIso(ctx),
    outcome: null,
    outcomeNote: '',
    outcomeBy: null,
    outcomeAt: null,
  };
  await ctx.repos.lessons.insertApplication(application);
  await recordAudit(ctx, auditTarget(lesson), null, { application });
  return detailOf(ctx, lesson);
}

/**
 * Records the outcome of an application, named by its id, or by its lesson and `task` (the
 * latest application of that lesson to that task). A later outcome replaces an earlier one.
 */
export async function recordLessonOutcome(
  ctx: ServiceContext,
  input: {
    lesson: string;
    task?: string | undefined;
    outcome: LessonOutcome;
    note?: string | undefined;
  },
): Promise<LessonDetail> {
  const before = await findApplication(ctx, input.lesson, input.task);
  const lesson = await resolveRecord<Lesson>(ctx.repos, 'lesson', before.lessonId, { lock: true });
  const after: LessonApplication = {
    ...before,
    outcome: input.outcome,
    outcomeNote: input.note ?? before.outcomeNote,
    outcomeBy: ctx.actor,
    outcomeAt: nowIso(ctx),
  };
  await ctx.repos.lessons.updateApplication(after);
  await recordAudit(ctx, auditTarget(lesson), { application: before }, { application: after });
  return detailOf(ctx, lesson);
}

async function findApplication(
  ctx: ServiceContext,
  key: string,
  taskKey: string | undefined,
): Promise<LessonApplication> {
  if (taskKey === undefined) {
    const id = key.trim().toUpperCase();
    if (!isUlid(id))
      throw invalidInput('task', 'is required when a lesson ref names the application');
    const application = await ctx.repos.lessons.findApplication(id, { lock: true });
    if (application) return application;
    throw new BosunError(
      'not_found',
      `lesson: no lesson application '${key}'; 'bosun lesson show <lesson>' lists them`,
      { details: { field: 'lesson', kind: 'lesson application', key } },
    );
  }
  const lesson = await resolveRecord<Lesson>(ctx.repos, 'lesson', key, { includeArchived: true });
  const task = await resolveTask(ctx.repos, taskKey, 'task', { includeDeleted: true });
  const applications = await ctx.repos.lessons.applicationsOf([lesson.id]);
  const latest = applications.filter((a) => a.taskId === task.id).at(-1);
  if (latest) return latest;
  throw new BosunError(
    'not_found',
    `task: lesson ${lesson.ref} was never applied to ${task.ref}; 'bosun lesson apply ${lesson.ref} --task ${task.ref}' records it`,
    { details: { field: 'task', kind: 'lesson application', key: taskKey } },
  );
}

function auditTarget(lesson: Lesson) {
  return { kind: 'lesson', id: lesson.id, label: lesson.ref };
}

/** What suggesting needs outside a transaction (an operation's prepare context is one). */
export interface LessonSuggestEnvironment extends Pick<ServiceContext, 'memoryVectors'> {
  read<T>(work: (ctx: ServiceContext) => Promise<T>): Promise<T>;
}

interface SuggestQuery {
  /** Whose lessons: one project's, or (undefined) every project's. */
  readonly project: { readonly id: string; readonly key: string } | undefined;
  readonly text: string;
  readonly tags: readonly string[];
}

async function suggestQuery(ctx: ServiceContext, input: LessonSuggestInput): Promise<SuggestQuery> {
  if (input.task === undefined && (input.text ?? '').trim() === '')
    throw invalidInput('task', 'name a task, or give a text to find lessons for');
  const task = input.task === undefined ? undefined : await resolveTask(ctx.repos, input.task);
  const named =
    input.project === undefined ? undefined : await resolveProject(ctx.repos, input.project);
  const project = input.allProjects
    ? undefined
    : (named ??
      (task === undefined ? undefined : await ctx.repos.projects.findById(task.projectId)));
  const text = [task?.title, task?.description, input.text].filter(Boolean).join('\n');
  return { project, text, tags: task?.tags ?? [] };
}

/** What memory search is asked: the text and the task's tags. */
const memoryQueryOf = (query: SuggestQuery): string => [query.text, ...query.tags].join(' ');

/**
 * Before the transaction: the query's vector, when embeddings are configured (the embedder is a
 * model call, never made inside a transaction); `none` otherwise.
 */
export async function prepareLessonSuggestion(
  env: LessonSuggestEnvironment,
  input: LessonSuggestInput,
): Promise<QueryVector> {
  if (env.memoryVectors === undefined) return { kind: 'none' };
  const query = await env.read((ctx) => suggestQuery(ctx, input));
  return embedSearchQuery(env, memoryQueryOf(query));
}

/**
 * The lessons relevant to a task or a text, best first: the task's project's lessons (or the
 * named project's, or every project's), archived ones left out. Two rankings are fused by
 * reciprocal rank: the lessons' words and tags (domain/lesson.ts rank) and memory search over the
 * lessons' memory items (full text, with vectors when `vector` was made); each suggestion says
 * which found it.
 */
export async function suggestLessons(
  ctx: ServiceContext,
  input: LessonSuggestInput,
  vector: QueryVector = { kind: 'none' },
): Promise<LessonSuggestion[]> {
  const query = await suggestQuery(ctx, input);
  const lessons = await viewsOf(
    ctx,
    await ctx.repos.lessons.list({ projectId: query.project?.id }),
  );
  const byText = LessonRules.rank(lessons, { text: query.text, tags: query.tags }, lessons.length);
  const memory = await lessonsByMemory(
    ctx,
    { text: memoryQueryOf(query), projectKey: query.project?.key },
    vector,
  );
  // Only the lessons listed: an archived lesson's item is forgotten, and is left out here too.
  const listed = new Map(lessons.map((lesson) => [lesson.ref, lesson]));
  const byMemory = memory.refs.flatMap((ref) => {
    const lesson = listed.get(ref);
    return lesson === undefined ? [] : [lesson];
  });
  const fused = LessonRules.fuse(byText, byMemory, input.limit ?? DEFAULT_SUGGESTIONS);
  return memory.note === undefined ? fused : fused.map((each) => ({ ...each, note: memory.note }));
}
