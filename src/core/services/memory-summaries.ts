/**
 * Summaries written by a model. The summaries captured when a task is done are extractive
 * (memory-capture.ts): bosun assembles them from the recorded text inside the task's
 * transaction. When an agent plays `summarizer`, a pass rewrites them with its model: the
 * material is read in short read transactions, the model is called outside any transaction, and
 * each rewrite is written in a short write transaction that first checks the extractive summary
 * is still the live one (a task done again meanwhile has a newer summary: the rewrite is
 * dropped). The model summary supersedes the extractive one, keeps its metadata (a project's
 * roll-up list), and its spend goes into the cost ledger like the planner's.
 */

import type { MemoryItem } from '../../domain/memory.js';
import type { Note } from '../../domain/task.js';
import type { ModelCall } from '../../ports/runner.js';
import type { Repositories, Store } from '../../ports/store.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';
import type { CaptureContext } from './memory-capture.js';
import { CAPTURE_AUTHOR, SUPERSEDED, rollUpOf } from './memory-capture.js';
import type { Summarizer, SummaryPrompt } from './service-context.js';
import { outsideRun, recordCalls } from './spend.js';

/** Extractive summaries one pass rewrites at most (`memory summarize --limit`). */
export const SUMMARIZE_DEFAULT_LIMIT = 20;
/** The material a model reads for one summary, in characters at most. */
const MATERIAL_CHARS = 24_000;
const NOTE_CHARS = 4_000;
const NOTES_READ = 20;
const TASK_SUMMARY_CHARS = 1_500;

const TASK_INSTRUCTIONS = `You keep the memory of bosun, a command center for coding agents. Summarize the finished task below for whoever picks up related work later: what was asked, what was done, what was decided and why, what failed and how it was fixed. Keep the facts a later reader needs word for word: file paths, identifiers, commands, numbers, versions, errors. Plain text, at most 200 words, no preamble.`;

const PROJECT_INSTRUCTIONS = `You keep the memory of bosun, a command center for coding agents. Summarize the finished work of the project below from its tasks' summaries: what has been done, the decisions that shape later work, and what keeps going wrong. Keep the facts a later reader needs word for word: task refs, file paths, identifiers, numbers. Plain text, at most 300 words, no preamble.`;

/** A model's rewrite of one extractive summary, waiting to be written. */
export interface SummaryDraft {
  /** The extractive summary it replaces, as it was read. */
  readonly replaces: MemoryItem;
  /** Null when the model answered nothing: the extractive summary stays, the spend is kept. */
  readonly text: string | null;
  readonly agent: string;
  readonly model: string;
  readonly calls: readonly ModelCall[];
  /** The project the spend counts under. */
  readonly projectId: string | null;
}

export interface SummaryDrafts {
  /** The summarizer agent and its model; null when no agent plays `summarizer`. */
  readonly agent: string | null;
  readonly model: string | null;
  readonly drafts: readonly SummaryDraft[];
  /** Why the pass stopped early (the model failed), or null. */
  readonly problem: string | null;
}

export interface SummarizeReport {
  readonly agent: string | null;
  readonly model: string | null;
  /** Extractive summaries replaced by the model's. */
  readonly summarized: number;
  /** Rewrites dropped: the summary changed meanwhile, or the model answered nothing. */
  readonly skipped: number;
  readonly problem: string | null;
}

/** A read in a transaction of its own. */
export type ReadTransaction = <T>(work: (repos: Repositories) => Promise<T>) => Promise<T>;

/**
 * Asks the summarizer's model to rewrite up to `limit` extractive summaries, task summaries
 * first, so that a project's rewrite reads its tasks' new summaries. No write: the drafts are
 * written by `applySummaryDraft`. A failed model call stops the pass; the drafts made before it
 * are kept and the failure is the `problem`.
 */
export async function draftSummaries(
  read: ReadTransaction,
  summarizer: Summarizer,
  options: { readonly limit: number; readonly signal?: AbortSignal | undefined },
): Promise<SummaryDrafts> {
  const choice = summarizer.choose();
  if (choice === null) return { agent: null, model: null, drafts: [], problem: null };
  const pending = await read((repos) => repos.memory.extractiveSummaries(options.limit));
  const drafts: SummaryDraft[] = [];
  /** Task id → the summary just drafted for it. */
  const drafted = new Map<string, string>();
  let problem: string | null = null;
  for (const item of pending) {
    options.signal?.throwIfAborted();
    const material = await read((repos) =>
      item.kind === 'task_summary'
        ? taskMaterial(repos, item)
        : projectMaterial(repos, item, drafted),
    );
    if (material === null) continue;
    let answer;
    try {
      answer = await summarizer.summarize(
        choice,
        {
          instructions: item.kind === 'task_summary' ? TASK_INSTRUCTIONS : PROJECT_INSTRUCTIONS,
          prompt: material.prompt,
        } satisfies SummaryPrompt,
        options.signal,
      );
    } catch (error) {
      if (options.signal?.aborted) throw error;
      problem = (error as Error).message;
      break;
    }
    const body = answer.text.trim();
    const text = body === '' ? null : `${material.heading}\n\n${body}`;
    drafts.push({
      replaces: item,
      text,
      agent: choice.agent,
      model: choice.model.name,
      calls: answer.calls,
      projectId: material.projectId,
    });
    if (text !== null && item.kind === 'task_summary' && item.scopeId !== null) {
      drafted.set(item.scopeId, text);
    }
  }
  return { agent: choice.agent, model: choice.model.name, drafts, problem };
}

/**
 * Writes one rewrite, in the caller's transaction: unless the extractive summary was superseded
 * or forgotten meanwhile, the model's summary takes its place (same scope, kind, tags and
 * metadata, `method: model`) and the extractive one is forgotten as superseded. The model's
 * spend is recorded either way. Resolves whether the summary was replaced.
 */
export async function applySummaryDraft(
  ctx: CaptureContext,
  draft: SummaryDraft,
): Promise<boolean> {
  const { repos } = ctx;
  const current = await repos.memory.findById(draft.replaces.id, { lock: true });
  const replaced = current !== undefined && current.forgottenAt === null && draft.text !== null;
  if (replaced) {
    const { method: _method, ...kept } = current.metadata;
    await repos.memory.insert({
      ...current,
      id: ctx.newId(),
      text: draft.text!,
      // `method` first, like the extractive ones (migration 8's index matches the JSON's start).
      metadata: {
        method: 'model',
        model: draft.model,
        agent: draft.agent,
        replaces: current.id,
        ...kept,
      },
      author: `agent:${draft.agent}`,
      createdAt: ctx.now,
    });
    await repos.memory.forget(current.id, { at: ctx.now, by: CAPTURE_AUTHOR, reason: SUPERSEDED });
  }
  await recordCalls(repos, outsideRun(ctx.now, draft.projectId, draft.agent), draft.calls);
  return replaced;
}

export interface SummarizeSettings {
  readonly store: Store;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  readonly summarizer: Summarizer;
}

/**
 * One pass as a long-lived process makes it (the worker, the end of `bosun run start`): the
 * drafts, then each written in a short write transaction of its own.
 */
export async function summarizeMemory(
  settings: SummarizeSettings,
  options: { readonly limit?: number | undefined; readonly signal?: AbortSignal | undefined } = {},
): Promise<SummarizeReport> {
  const { store } = settings;
  const pass = await draftSummaries(
    (work) => store.transaction('read', work),
    settings.summarizer,
    { limit: options.limit ?? SUMMARIZE_DEFAULT_LIMIT, signal: options.signal },
  );
  let summarized = 0;
  for (const draft of pass.drafts) {
    const replaced = await store.transaction('write', (repos) =>
      applySummaryDraft(
        { repos, now: settings.clock.now().toISOString(), newId: settings.newId },
        draft,
      ),
    );
    if (replaced) summarized += 1;
  }
  return {
    agent: pass.agent,
    model: pass.model,
    summarized,
    skipped: pass.drafts.length - summarized,
    problem: pass.problem,
  };
}

// ── material

interface Material {
  /** The first line of the model's summary, as the extractive one started. */
  readonly heading: string;
  readonly prompt: string;
  readonly projectId: string | null;
}

async function taskMaterial(repos: Repositories, item: MemoryItem): Promise<Material | null> {
  if (item.scopeId === null) return null;
  const task = await repos.tasks.findById(item.scopeId);
  if (!task) return null;
  const project = await repos.projects.findById(task.projectId);
  const notes = (await repos.notes.listForTask(task.id)).slice(-NOTES_READ);
  const head = [
    `Task ${task.ref}: ${task.title}`,
    ...(project ? [`Project: ${project.key} (${project.name})`] : []),
    ...(task.tags.length > 0 ? [`Tags: ${task.tags.join(', ')}`] : []),
    ...(task.description.trim() === '' ? [] : ['', 'Description:', task.description.trim()]),
    ...(task.details.trim() === '' ? [] : ['', 'Details:', clipEnd(task.details.trim(), 4_000)]),
    ...(task.acceptance.length > 0
      ? ['', 'Acceptance:', ...task.acceptance.map((check) => `- ${check}`)]
      : []),
  ].join('\n');
  return {
    heading: item.text.split('\n')[0] ?? `${task.ref} ${task.title}`,
    prompt: withinBudget(head, 'Notes, oldest first:', notes.map(noteText)),
    projectId: task.projectId,
  };
}

async function projectMaterial(
  repos: Repositories,
  item: MemoryItem,
  drafted: ReadonlyMap<string, string>,
): Promise<Material | null> {
  if (item.scopeId === null) return null;
  const project = await repos.projects.findById(item.scopeId);
  if (!project) return null;
  const rollUp = rollUpOf(item.metadata);
  const summaries: string[] = [];
  for (const entry of rollUp.tasks) {
    const [current] = await repos.memory.latestLive({
      kind: 'task_summary',
      scope: 'task',
      scopeId: entry.id,
      limit: 1,
    });
    const text =
      drafted.get(entry.id) ?? current?.text ?? `${entry.ref} ${entry.title}: ${entry.digest}`;
    summaries.push(clipEnd(text, TASK_SUMMARY_CHARS));
  }
  const head = [
    `Project ${project.key}: ${project.name}`,
    ...(project.description.trim() === '' ? [] : ['', project.description.trim()]),
    '',
    `${rollUp.tasksDone} tasks done; the summaries of the latest ${rollUp.tasks.length}, oldest first:`,
  ].join('\n');
  return {
    heading: item.text.split('\n')[0] ?? `${project.key} ${project.name}`,
    prompt: withinBudget(head, '', summaries.reverse()),
    projectId: project.id,
  };
}

function noteText(note: Note): string {
  return `--- ${note.author}, ${note.createdAt}\n${clipEnd(note.body.trim(), NOTE_CHARS)}`;
}

/** `head`, then as many of `parts` as fit MATERIAL_CHARS, the last ones (newest) kept first. */
function withinBudget(head: string, title: string, parts: readonly string[]): string {
  let room = MATERIAL_CHARS - head.length - title.length - 4;
  const kept: string[] = [];
  for (let index = parts.length - 1; index >= 0 && room > 0; index -= 1) {
    const part = parts[index]!;
    if (part.length + 2 > room) break;
    kept.unshift(part);
    room -= part.length + 2;
  }
  return [head, ...(kept.length > 0 && title !== '' ? [title] : []), ...kept].join('\n\n');
}

/** The end of a long text (an output ends with how it went), the cut marked. */
function clipEnd(text: string, max: number): string {
  return text.length <= max ? text : `[…] ${text.slice(text.length - max + 4)}`;
}
