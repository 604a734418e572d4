/**
 * Automatic memory capture and the reasoning bank's outcomes (docs/memory.md "Automatic
 * capture", "Reasoning bank"). Everything here runs inside a transaction that is already open —
 * the engine's step completion, a task's move to done — and so does no more than a few bounded
 * reads and inserts: no model call, no tokenizer, nothing that grows with the memory's size. A
 * step's final output becomes a `raw_interaction`, its handoff to the agents downstream a
 * `handoff`, each attempt of an agent's step a pattern outcome, and a task that is done an
 * extractive `task_summary` rolled up into its project's `project_summary`. Items captured here
 * are not audited one by one: the journal (or the task's own audit entry) already records what
 * happened.
 */

import type { MemoryItem } from '../../domain/memory.js';
import type { PatternFeatures, PatternStats } from '../../domain/pattern.js';
import { Pattern } from '../../domain/pattern.js';
import type { Step } from '../../domain/run.js';
import type { Note, Task } from '../../domain/task.js';
import type { JsonValue, StepDefinition, WorkflowDefinition } from '../../domain/workflow.js';
import type { AttemptOutcome, ModelCall } from '../../ports/runner.js';
import type { Repositories } from '../../ports/store.js';
import type { IdGenerator } from '../../shared/ids.js';
import { factScore } from '../agents/context-packer.js';
import { renderValue } from '../agents/render-value.js';

/** What capture needs of the transaction it runs in. */
export interface CaptureContext {
  readonly repos: Repositories;
  /** ISO time of the transaction. */
  readonly now: string;
  readonly newId: IdGenerator;
}

/** The author of what bosun writes itself (extractive summaries, roll-ups). */
export const CAPTURE_AUTHOR = 'bosun';
/** How a superseded summary is forgotten. */
export const SUPERSEDED = 'superseded';

/** A captured output is at most this long; a longer one keeps its start and end. */
export const RAW_MAX_CHARS = 16_000;
/** A handoff shorter than this is the output itself; a longer one keeps the lines with facts. */
export const HANDOFF_WHOLE_CHARS = 1_200;
export const HANDOFF_MAX_CHARS = 4_000;
/** Notes of a task read for its summary: the latest ones. */
const SUMMARY_NOTES = 20;
/** Key lines a task summary quotes from its notes at most, and how long each may be. */
const SUMMARY_KEY_LINES = 12;
const SUMMARY_LINE_CHARS = 300;
const SUMMARY_ASKED_CHARS = 600;
/** Tasks a project summary lists: the latest done. */
export const PROJECT_ROLLUP_TASKS = 50;
const DIGEST_CHARS = 160;

// ── steps

/** How a completion that still held its step moved it (journal.ts completeAttempt). */
export type StepDisposition = 'succeeded' | 'approval' | 'retry' | 'requeued' | 'failed';

export interface StepCapture {
  /** The step as it was claimed. */
  readonly step: Step;
  readonly disposition: StepDisposition;
  readonly outcome: AttemptOutcome;
  readonly spender?:
    | {
        readonly runner: string;
        readonly agent: string | null;
        readonly model: string | null;
        readonly projectId: string | null;
      }
    | undefined;
}

/**
 * What a step's attempt leaves in memory. A step given to an agent (it names an agent or a role,
 * or runs on a model's runner) that ended — succeeded, failed for good, or waits for approval of
 * its output — leaves its output as a `raw_interaction`; any step that succeeded and feeds an
 * agent's step leaves that agent a `handoff`; every attempt an agent made — retried or not —
 * leaves a pattern outcome. An attempt given back at shutdown (`requeued`) says nothing about the
 * work. Plain steps feeding plain steps (a shell pipeline) leave nothing, and cost a cached
 * lookup (decision 0018).
 */
export async function captureStepOutcome(ctx: CaptureContext, capture: StepCapture): Promise<void> {
  const { step, disposition, outcome, spender } = capture;
  const agent = spender?.agent ?? null;
  const keepsOutput =
    (agent !== null || givenToAgent(step.spec)) &&
    (disposition === 'succeeded' || disposition === 'failed' || disposition === 'approval');
  const recordsPattern = agent !== null && disposition !== 'requeued';
  const handoffTo =
    disposition === 'succeeded' &&
    outcome.ok &&
    outcome.output !== null &&
    step.dependents.length > 0
      ? await agentDependents(ctx.repos, step)
      : [];
  if (!keepsOutput && handoffTo.length === 0 && !recordsPattern) return;
  const raw = keepsOutput ? rawInteractionText(outcome) : null;
  const output = outcome.ok && handoffTo.length > 0 ? renderValue(outcome.output) : '';

  const task = step.taskId ? await ctx.repos.tasks.findById(step.taskId) : undefined;
  const runner = spender?.runner ?? step.runner;
  const base = {
    ...(task
      ? { scope: 'task' as const, scopeId: task.id, scopeRef: task.ref }
      : { scope: 'run' as const, scopeId: step.runId, scopeRef: step.runId }),
    tags: [],
    author: agent !== null ? `agent:${agent}` : `runner:${runner}`,
    runId: step.runId,
    createdAt: ctx.now,
    forgottenAt: null,
    forgottenBy: null,
    forgetReason: null,
  };
  const items: MemoryItem[] = [];
  if (raw !== null) {
    items.push({
      ...base,
      id: ctx.newId(),
      kind: 'raw_interaction',
      text: raw,
      metadata: {
        step: step.key,
        attempt: step.attempts,
        agent,
        model: spender?.model ?? null,
        runner,
        outcome: disposition === 'approval' ? 'awaiting approval' : disposition,
      },
    });
  }
  if (output.trim() !== '') {
    items.push({
      ...base,
      id: ctx.newId(),
      kind: 'handoff',
      text: handoffText(step, agent, handoffTo, output),
      metadata: { from: step.key, to: handoffTo, agent },
    });
  }
  if (items.length > 0) await ctx.repos.memory.insertMany(items);
  if (recordsPattern) await recordPattern(ctx, capture, agent, runner, task);
}

/**
 * The step's output as memory keeps it: rendered like a prompt shows it (a string as it is, an
 * object as `key: value` lines), a failure as its message and output tail; null when there is
 * nothing to keep.
 */
export function rawInteractionText(outcome: AttemptOutcome): string | null {
  if (outcome.ok) {
    if (outcome.output === null) return null;
    const text = renderValue(outcome.output);
    return text.trim() === '' ? null : capText(text, RAW_MAX_CHARS);
  }
  const { failure } = outcome;
  const text = `Failed (${failure.kind}): ${failure.message}${failure.outputTail.trim() === '' ? '' : `\n\n${failure.outputTail}`}`;
  return capText(text, RAW_MAX_CHARS);
}

/** `text` cut to `max` characters: its start and end, with the cut said where it is. */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = (cut: number) => `\n[… ${cut} characters cut …]\n`;
  const room = max - marker(text.length).length;
  const head = Math.ceil(room * 0.6);
  const tailChars = room - head;
  return `${text.slice(0, head)}${marker(text.length - head - tailChars)}${text.slice(text.length - tailChars)}`;
}

function handoffText(
  step: Step,
  agent: string | null,
  to: readonly string[],
  output: string,
): string {
  const by = agent === null ? '' : `, agent ${agent}`;
  return `Handoff from step ${step.key} (attempt ${step.attempts}${by}) to ${to.join(', ')}:\n${condenseForHandoff(output)}`;
}

/**
 * A fact-keeping excerpt of an output for the steps downstream, bounded in characters (no
 * tokenizer here): a short output whole; a long one cut to its lines that carry facts — errors,
 * decisions, paths, identifiers, quantities (context-packer.ts factScore) — plus its first and
 * last lines, with repeated lines said once and every gap marked.
 */
export function condenseForHandoff(text: string, max = HANDOFF_MAX_CHARS): string {
  const trimmed = text.trim();
  if (trimmed.length <= HANDOFF_WHOLE_CHARS) return trimmed;
  const lines = trimmed.replace(/\r\n?/g, '\n').split('\n');
  const seen = new Set<string>();
  const content: { index: number; text: string }[] = [];
  lines.forEach((line, index) => {
    const key = line.toLowerCase().replace(/\s+/g, ' ').trim();
    if (key === '' || seen.has(key)) return;
    seen.add(key);
    content.push({ index, text: line.trimEnd() });
  });
  const ends = new Set([content[0]?.index, content.at(-2)?.index, content.at(-1)?.index]);
  const kept = content.filter((line) => ends.has(line.index) || factScore(line.text) >= 2);
  const out: string[] = [];
  let previous = -1;
  for (const line of kept) {
    const skipped = line.index - previous - 1;
    if (skipped > 0 && previous >= 0) out.push(`[… ${skipped} lines omitted]`);
    out.push(line.text);
    previous = line.index;
  }
  return capText(out.join('\n'), max);
}

/**
 * The keys of the steps downstream of `step` that are given to an agent (they name an agent or
 * a role, or run on a model's runner): only they read a handoff. Found in the run's definition,
 * which the store caches, through an index built once per definition.
 */
async function agentDependents(repos: Repositories, step: Step): Promise<string[]> {
  const definition = await repos.runs.definition(step.runId);
  return dependentsIndex(definition).get(step.key) ?? [];
}

/** Runners that put a model (or a CLI agent) to work, so that a handoff has a reader. */
const AGENT_RUNNERS: ReadonlySet<string> = new Set(['llm', 'claude-code', 'codex', 'process']);

const givenToAgent = (spec: StepDefinition): boolean =>
  spec.agent !== null ||
  spec.role !== null ||
  spec.runner === null ||
  AGENT_RUNNERS.has(spec.runner);

const dependentsByDefinition = new WeakMap<WorkflowDefinition, Map<string, string[]>>();

function dependentsIndex(definition: WorkflowDefinition): Map<string, string[]> {
  let index = dependentsByDefinition.get(definition);
  if (index === undefined) {
    index = new Map();
    for (const spec of definition.steps) {
      if (!givenToAgent(spec)) continue;
      for (const need of spec.needs) {
        const list = index.get(need) ?? [];
        list.push(spec.id);
        index.set(need, list);
      }
    }
    dependentsByDefinition.set(definition, index);
  }
  return index;
}

// ── the reasoning bank

/** A step's situation: its role, its task's tags, and its size (the estimate, else the input). */
export function stepFeatures(
  step: Pick<Step, 'spec'>,
  task: Pick<Task, 'tags' | 'estimate'> | null | undefined,
  input: JsonValue,
): PatternFeatures {
  return {
    role: step.spec.role,
    tags: Pattern.tagsOf(task?.tags ?? []),
    size: Pattern.sizeBucket(task?.estimate ?? null, JSON.stringify(input)?.length ?? 0),
  };
}

async function recordPattern(
  ctx: CaptureContext,
  capture: StepCapture,
  agent: string,
  runner: string,
  task: Task | undefined,
): Promise<void> {
  const { step, outcome } = capture;
  // The attempt's input (its size) and its start (its duration): a step has a few attempts.
  const attempt = (await ctx.repos.attempts.listForStep(step.id)).find(
    (each) => each.number === step.attempts,
  );
  const usage = outcome.usage;
  const calls = outcome.calls ?? [];
  const sum = (pick: (call: ModelCall) => number) =>
    calls.reduce((total, call) => total + pick(call), 0);
  const features = stepFeatures(step, task, attempt?.input ?? null);
  await ctx.repos.patterns.insert({
    ...features,
    id: ctx.newId(),
    at: ctx.now,
    runId: step.runId,
    stepId: step.id,
    stepKey: step.key,
    attempt: step.attempts,
    projectId: capture.spender?.projectId ?? task?.projectId ?? null,
    taskId: task?.id ?? null,
    agent,
    model: capture.spender?.model ?? null,
    runner,
    outcome: outcome.ok ? 'succeeded' : 'failed',
    failureKind: outcome.ok ? null : outcome.failure.kind,
    costUsd: usage?.costUsd ?? sum((call) => call.costUsd),
    inputTokens: usage?.inputTokens ?? sum((call) => call.inputTokens),
    outputTokens: usage?.outputTokens ?? sum((call) => call.outputTokens),
    durationMs: attempt ? Math.max(0, Date.parse(ctx.now) - Date.parse(attempt.startedAt)) : null,
  });
}

/** Patterns looked at when matching, at most: the most recently seen with two successes or more. */
const MATCH_CANDIDATES = 500;

/**
 * The proven patterns (at least 2 successes, a success rate of at least 0.5) that best match a
 * step's situation, best first: most features in common (role, size, each shared tag), then
 * success rate, then tries. A read of bounded size, for a step's prompt.
 */
export async function provenPatterns(
  repos: Repositories,
  features: PatternFeatures,
  limit: number,
): Promise<(PatternStats & { readonly featuresInCommon: number })[]> {
  const candidates = await repos.patterns.stats({ minSuccesses: 2, limit: MATCH_CANDIDATES });
  return Pattern.bestMatches(candidates, features, limit);
}

export interface PatternListFilter {
  readonly role?: string | undefined;
  readonly tag?: string | undefined;
  readonly agent?: string | undefined;
  readonly model?: string | undefined;
  readonly limit: number;
}

/**
 * The reasoning bank as `memory patterns` shows it: the `limit` most recently seen patterns,
 * each kind of work together (role, tags, size) with what worked best for it first — success
 * rate, then tries, then the newest.
 */
export async function listPatterns(
  repos: Repositories,
  filter: PatternListFilter,
): Promise<(PatternStats & { readonly proven: boolean })[]> {
  const stats = await repos.patterns.stats(filter);
  const situation = (stats: PatternStats) =>
    `${stats.role === null ? '\uffff' : stats.role}\u0000${stats.tags.join(',')}\u0000${stats.size}`;
  return stats
    .map((each) => ({ ...each, proven: Pattern.isProven(each) }))
    .sort((a, b) => {
      const [sa, sb] = [situation(a), situation(b)];
      return (
        (sa < sb ? -1 : sa > sb ? 1 : 0) ||
        b.successRate - a.successRate ||
        b.tries - a.tries ||
        (a.lastSeen < b.lastSeen ? 1 : a.lastSeen > b.lastSeen ? -1 : 0)
      );
    });
}

// ── task and project summaries

/**
 * A task moved to done: its extractive summary supersedes the one from an earlier time it was
 * done, and its project's summary is rolled up again. Reads the task's latest notes, its live
 * summary, the project and the project's live summary: bounded, whatever the workspace holds.
 */
export async function captureTaskDone(ctx: CaptureContext, task: Task): Promise<MemoryItem> {
  const { repos } = ctx;
  const notes = (await repos.notes.listForTask(task.id)).slice(-SUMMARY_NOTES);
  const previous = await repos.memory.latestLive({
    kind: 'task_summary',
    scope: 'task',
    scopeId: task.id,
    limit: 10,
  });
  for (const item of previous) await forgetSuperseded(ctx, item.id);
  const summary = extractiveTaskSummary(task, notes, ctx.now);
  const item: MemoryItem = {
    id: ctx.newId(),
    kind: 'task_summary',
    scope: 'task',
    scopeId: task.id,
    scopeRef: task.ref,
    text: summary.text,
    tags: Pattern.tagsOf(task.tags),
    // `method` first: migration 8's index of summaries to rewrite matches the JSON's start.
    metadata: { method: 'extractive', task: task.ref, digest: summary.digest },
    author: CAPTURE_AUTHOR,
    runId: null,
    createdAt: ctx.now,
    forgottenAt: null,
    forgottenBy: null,
    forgetReason: null,
  };
  await repos.memory.insert(item);
  await rollUpProject(ctx, task, summary.digest, previous.length === 0);
  return item;
}

async function forgetSuperseded(ctx: CaptureContext, id: string): Promise<void> {
  await ctx.repos.memory.forget(id, { at: ctx.now, by: CAPTURE_AUTHOR, reason: SUPERSEDED });
}

/** A task as its project's summary lists it. */
export interface RolledUpTask {
  readonly id: string;
  readonly ref: string;
  readonly title: string;
  /** The day it was done (YYYY-MM-DD). */
  readonly done: string;
  /** One line of what came of it. */
  readonly digest: string;
}

/** What a project summary's metadata keeps, so the next roll-up reads one row, not the project. */
export interface ProjectRollUp {
  /** Distinct tasks of the project with a summary. */
  readonly tasksDone: number;
  /** The latest done first, PROJECT_ROLLUP_TASKS at most. */
  readonly tasks: readonly RolledUpTask[];
}

export function rollUpOf(metadata: Readonly<Record<string, unknown>> | undefined): ProjectRollUp {
  const tasks = Array.isArray(metadata?.['tasks'])
    ? (metadata['tasks'] as unknown[]).filter(
        (entry): entry is RolledUpTask =>
          typeof entry === 'object' &&
          entry !== null &&
          typeof (entry as RolledUpTask).id === 'string' &&
          typeof (entry as RolledUpTask).ref === 'string',
      )
    : [];
  const done = metadata?.['tasksDone'];
  return { tasksDone: typeof done === 'number' ? done : tasks.length, tasks };
}

async function rollUpProject(
  ctx: CaptureContext,
  task: Task,
  digest: string,
  firstTimeDone: boolean,
): Promise<void> {
  const { repos } = ctx;
  const project = await repos.projects.findById(task.projectId);
  if (!project) return;
  const [previous] = await repos.memory.latestLive({
    kind: 'project_summary',
    scope: 'project',
    scopeId: project.id,
    limit: 1,
  });
  const before = rollUpOf(previous?.metadata);
  const listed = before.tasks.some((entry) => entry.id === task.id);
  const rollUp: ProjectRollUp = {
    tasksDone: before.tasksDone + (firstTimeDone && !listed ? 1 : 0),
    tasks: [
      { id: task.id, ref: task.ref, title: task.title, done: ctx.now.slice(0, 10), digest },
      ...before.tasks.filter((entry) => entry.id !== task.id),
    ].slice(0, PROJECT_ROLLUP_TASKS),
  };
  if (previous) await forgetSuperseded(ctx, previous.id);
  await repos.memory.insert({
    id: ctx.newId(),
    kind: 'project_summary',
    scope: 'project',
    scopeId: project.id,
    scopeRef: project.key,
    text: extractiveProjectSummary(project, rollUp),
    tags: [],
    metadata: { method: 'extractive', ...rollUp },
    author: CAPTURE_AUTHOR,
    runId: null,
    createdAt: ctx.now,
    forgottenAt: null,
    forgottenBy: null,
    forgetReason: null,
  });
}

/** How an extractive summary says what it is, so nobody takes it for a model's judgement. */
export const EXTRACTIVE_NOTICE =
  '(Extractive summary: assembled by bosun from the recorded text, not written by a model.)';

/**
 * A task's summary made of its own words: what was asked, how it is accepted, and the lines of
 * its latest notes (step outputs land there) that carry facts the task's own text does not
 * already say. `digest` is the one line its project's summary shows: the last such fact (not a
 * run's own "step succeeded" line), else the first acceptance check, else the ask.
 */
export function extractiveTaskSummary(
  task: Pick<Task, 'ref' | 'title' | 'description' | 'acceptance'>,
  notes: readonly Pick<Note, 'body'>[],
  now: string,
): { text: string; digest: string } {
  const lines = [`${task.ref} ${task.title} — done ${now.slice(0, 10)}`, EXTRACTIVE_NOTICE];
  const asked = oneParagraph(task.description, SUMMARY_ASKED_CHARS);
  if (asked !== '') lines.push('', `Asked: ${asked}`);
  if (task.acceptance.length > 0) {
    lines.push('', 'Acceptance:', ...task.acceptance.map((check) => `- ${clip(check, 300)}`));
  }
  const facts = keyLines(notes, task);
  if (facts.length > 0) lines.push('', 'Key lines from its notes:', ...facts.map((f) => `- ${f}`));
  const outcome = facts.filter((fact) => !RUN_NOTE_HEADER.test(fact)).at(-1);
  const digest = clip(outcome ?? task.acceptance[0] ?? asked, DIGEST_CHARS);
  return { text: lines.join('\n'), digest };
}

/** The first line of the note a run leaves on its task (engine/task-link.ts). */
const RUN_NOTE_HEADER = /^Run \S+ step \S+ (succeeded|failed)\b/;

/** A line compared for "already said": lower case, without JSON's quotes and punctuation. */
const plain = (text: string): string =>
  text
    .toLowerCase()
    .replace(/["'`{}[\],]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/**
 * The lines of the notes that carry facts (newest last, each once), at most SUMMARY_KEY_LINES,
 * leaving out what the task's own text says already (an output that echoes its task); when none
 * is left, the last lines of the latest note.
 */
function keyLines(
  notes: readonly Pick<Note, 'body'>[],
  task: Pick<Task, 'ref' | 'title' | 'description' | 'acceptance'>,
): string[] {
  const known = [task.ref, task.title, task.description, ...task.acceptance].map(plain).join('\n');
  const about = `${task.title} ${task.description}`.toLowerCase();
  const terms = new Set((about.match(/[a-z][a-z0-9_]{4,}/g) ?? []).slice(0, 50));
  const seen = new Set<string>();
  const facts: string[] = [];
  for (const note of notes) {
    for (const line of note.body.split('\n')) {
      const text = line.trim().replace(/^[-*]\s+/, '');
      const key = plain(text);
      // `"title": "Write the exporter"` says nothing new when the title is that.
      const value = plain(text.replace(/^\s*"?[\w .-]{1,40}"?\s*:\s*/, ''));
      if (key === '' || value === '' || seen.has(key) || known.includes(value)) continue;
      if (factScore(text, terms) < 2) continue;
      seen.add(key);
      facts.push(clip(text, SUMMARY_LINE_CHARS));
    }
  }
  if (facts.length > 0) return facts.slice(-SUMMARY_KEY_LINES);
  const last =
    notes
      .at(-1)
      ?.body.split('\n')
      .filter((line) => line.trim() !== '') ?? [];
  return last.slice(-3).map((line) => clip(line.trim(), SUMMARY_LINE_CHARS));
}

export function extractiveProjectSummary(
  project: { readonly key: string; readonly name: string },
  rollUp: ProjectRollUp,
): string {
  const shown = rollUp.tasks.length;
  return [
    `${project.key} ${project.name} — ${rollUp.tasksDone} task${rollUp.tasksDone === 1 ? '' : 's'} done`,
    EXTRACTIVE_NOTICE,
    '',
    shown < rollUp.tasksDone ? `The latest ${shown}:` : 'Done:',
    ...rollUp.tasks.map(
      (entry) =>
        `- ${entry.ref} ${entry.title} (done ${entry.done})${entry.digest === '' ? '' : `: ${entry.digest}`}`,
    ),
  ].join('\n');
}

function oneParagraph(text: string, max: number): string {
  return clip(
    text
      .trim()
      .split(/\n\s*\n/)[0]
      ?.replace(/\s+/g, ' ') ?? '',
    max,
  );
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
