/**
 * Lessons learned: add, change, list, show and archive them; record whether applying one helped
 * (validations), that it was applied to a task and with what outcome (applications); and suggest
 * the lessons relevant to a task or a text. Suggestions read the candidate lessons and rank them
 * in TypeScript (domain/lesson.ts), so both stores answer alike; a project's lessons number in the
 * hundreds, not millions. Each validation, application and outcome is audited on its lesson.
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
  return detailOf(ctx, await saveRecord(ctx, 'lesson', null, lesson));
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
  return detailOf(ctx, await saveRecord(ctx, 'lesson', before, after));
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
  return detailOf(ctx, await setArchived<Lesson>(ctx, 'lesson', input.lesson, true));
}

export async function restoreLesson(
  ctx: ServiceContext,
  input: { lesson: string },
): Promise<LessonDetail> {
  return detailOf(ctx, await setArchived<Lesson>(ctx, 'lesson', input.lesson, false));
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

/**
 * The lessons relevant to a task or a text, most relevant first: the task's project's lessons
 * (or the named project's, or every project's), archived ones left out.
 */
export async function suggestLessons(
  ctx: ServiceContext,
  input: LessonSuggestInput,
): Promise<LessonSuggestion[]> {
  if (input.task === undefined && (input.text ?? '').trim() === '')
    throw invalidInput('task', 'name a task, or give a text to find lessons for');
  const task = input.task === undefined ? undefined : await resolveTask(ctx.repos, input.task);
  const project =
    input.project === undefined ? undefined : await resolveProject(ctx.repos, input.project);
  const projectId = input.allProjects ? undefined : (project?.id ?? task?.projectId);
  const lessons = await viewsOf(ctx, await ctx.repos.lessons.list({ projectId }));
  const text = [task?.title, task?.description, input.text].filter(Boolean).join('\n');
  return LessonRules.rank(
    lessons,
    { text, tags: task?.tags ?? [] },
    input.limit ?? DEFAULT_SUGGESTIONS,
  );
}
