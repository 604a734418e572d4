/**
 * A lesson's memory item (docs/command-center.md "Lessons learned"): every lesson that is not
 * archived keeps one live memory item of kind `lesson`, scoped to its project, whose text is the
 * lesson's title, context and insight, whose tags are the lesson's, and whose metadata names it
 * (`{lesson: ref}`). It is written in the lesson's own transaction — stored with the lesson,
 * replaced when its words or tags change, forgotten when it is archived, stored again when it is
 * restored — and embedded later like any item (docs/memory.md "Embeddings"). So lessons show up
 * in `bosun memory search` and `bosun ask`, and `lesson suggest` fuses memory's ranking of them
 * with its own ranking by words. Like captured items, these are not audited one by one: the
 * lesson's own audit entry records the change (`lesson reindex` audits what it changes).
 */

import type { Lesson } from '../../domain/lesson.js';
import type { MemoryItem } from '../../domain/memory.js';
import { SUPERSEDED } from './memory-capture.js';
import type { QueryVector } from './memory-service.js';
import { searchMemory } from './memory-service.js';
import { resolveProject } from './resolve.js';
import type { ServiceContext } from './service-context.js';
import { nowIso, recordAudit } from './service-context.js';

/** How the item of an archived lesson is forgotten. */
export const LESSON_ARCHIVED = 'lesson archived';

/** Live items of one lesson read at most: one, or a few after a hand-made item of the same metadata. */
const ITEMS_PER_LESSON = 10;

/** Memory's results ranked for a suggestion: enough for fusion to lift what words rank low. */
export const MEMORY_DEPTH = 50;

/** The text a lesson's memory item holds: its title, context and insight, the empty ones left out. */
export function lessonMemoryText(lesson: Pick<Lesson, 'title' | 'context' | 'insight'>): string {
  return [lesson.title, lesson.context, lesson.insight]
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .join('\n\n');
}

/** What bringing a lesson's memory item up to date did: the item stored (if any), those forgotten. */
export interface LessonMemoryChange {
  readonly stored: MemoryItem | null;
  readonly forgotten: readonly string[];
}

const sameTags = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((tag, index) => tag === b[index]);

/**
 * Brings the lesson's memory item in line with the lesson, in the transaction that wrote it:
 * nothing when its one live item already says what the lesson says; otherwise its live items are
 * forgotten and, unless the lesson is archived, a new one is stored (pending its vector).
 */
export async function syncLessonMemory(
  ctx: ServiceContext,
  lesson: Lesson,
): Promise<LessonMemoryChange> {
  const live = await ctx.repos.memory.latestLive({
    kind: 'lesson',
    scope: 'project',
    scopeId: lesson.projectId,
    metadata: { lesson: lesson.ref },
    limit: ITEMS_PER_LESSON,
  });
  const text = lessonMemoryText(lesson);
  const wanted = lesson.archivedAt === null;
  const [only] = live;
  if (wanted && live.length === 1 && only!.text === text && sameTags(only!.tags, lesson.tags)) {
    return { stored: null, forgotten: [] };
  }
  const now = nowIso(ctx);
  const reason = wanted ? SUPERSEDED : LESSON_ARCHIVED;
  for (const item of live)
    await ctx.repos.memory.forget(item.id, { at: now, by: ctx.actor, reason });
  const forgotten = live.map((item) => item.id);
  if (!wanted) return { stored: null, forgotten };
  const project = await ctx.repos.projects.findById(lesson.projectId);
  const item: MemoryItem = {
    id: ctx.newId(),
    kind: 'lesson',
    scope: 'project',
    scopeId: lesson.projectId,
    scopeRef: project?.key ?? null,
    text,
    tags: [...lesson.tags],
    metadata: { lesson: lesson.ref },
    author: ctx.actor,
    runId: null,
    createdAt: now,
    forgottenAt: null,
    forgottenBy: null,
    forgetReason: null,
  };
  await ctx.repos.memory.insert(item);
  return { stored: item, forgotten };
}

export interface LessonReindexResult {
  /** Lessons looked at, archived ones included (their items are forgotten). */
  readonly lessons: number;
  /** Memory items stored (lessons that had none, or an outdated one). */
  readonly stored: number;
  readonly forgotten: number;
  /** Lessons whose item already said what they say. */
  readonly unchanged: number;
}

/**
 * Brings every lesson's memory item up to date (of one project, or all): for lessons recorded
 * before lessons kept memory items, and after a lesson's item was forgotten by hand. Each lesson
 * whose item changed gets an audit entry naming the item before and after.
 */
export async function reindexLessons(
  ctx: ServiceContext,
  input: { project?: string | undefined },
): Promise<LessonReindexResult> {
  const project =
    input.project === undefined ? undefined : await resolveProject(ctx.repos, input.project);
  const lessons = await ctx.repos.lessons.list({ projectId: project?.id, includeArchived: true });
  let stored = 0;
  let forgotten = 0;
  let unchanged = 0;
  for (const lesson of lessons.sort((a, b) => a.ref.localeCompare(b.ref))) {
    const change = await syncLessonMemory(ctx, lesson);
    if (change.stored === null && change.forgotten.length === 0) {
      unchanged += 1;
      continue;
    }
    stored += change.stored === null ? 0 : 1;
    forgotten += change.forgotten.length;
    await recordAudit(
      ctx,
      { kind: 'lesson', id: lesson.id, label: lesson.ref },
      { memoryItems: change.forgotten },
      { memoryItems: change.stored === null ? [] : [change.stored.id] },
    );
  }
  return { lessons: lessons.length, stored, forgotten, unchanged };
}

/** Memory's ranking of lessons: their refs, best first, and why vectors took no part, if so. */
export interface LessonMemoryRanking {
  readonly refs: string[];
  readonly note?: string;
}

/**
 * The lessons memory search finds for a text (kind `lesson`, in one project or in every one):
 * full text, fused with vectors when the query's vector was made (`prepare`). Items are mapped
 * back to their lessons by `metadata.lesson`; an item naming no lesson is left out.
 */
export async function lessonsByMemory(
  ctx: ServiceContext,
  input: { text: string; projectKey?: string | undefined },
  vector: QueryVector,
): Promise<LessonMemoryRanking> {
  const hits = await searchMemory(
    ctx,
    {
      query: input.text,
      scope: input.projectKey === undefined ? 'project' : `project:${input.projectKey}`,
      kind: ['lesson'],
      limit: MEMORY_DEPTH,
    },
    vector,
  );
  const items = await ctx.repos.memory.findByIds(hits.map((hit) => hit.id));
  const refOf = new Map(items.map((item) => [item.id, item.metadata['lesson']]));
  const refs: string[] = [];
  for (const hit of hits) {
    const ref = refOf.get(hit.id);
    if (typeof ref === 'string' && !refs.includes(ref)) refs.push(ref);
  }
  const note =
    hits.find((hit) => hit.note !== undefined)?.note ??
    (vector.kind === 'failed' ? vector.reason : undefined);
  return note === undefined ? { refs } : { refs, note };
}
