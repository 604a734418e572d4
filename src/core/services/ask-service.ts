/**
 * Asking the workspace (`bosun ask "question"`): gathers the passages that bear on a question —
 * what it names (tasks, projects, runs, memory items by ref or id), the memory items a search
 * finds, and the tasks whose words match — and, when a model answers, has it answer from those
 * passages alone, citing them by number; the citations are read back and checked against the
 * passages, and a citation of a passage that does not exist is dropped. Without a model, or when
 * its call fails, the passages are the answer, best first. docs/memory.md "Asking".
 *
 * The passages are read in one read transaction and the model is called after it, outside any
 * transaction; only the model's spend is written, by the operation's handler.
 */

import type { Project } from '../../domain/project.js';
import type { Run } from '../../domain/run.js';
import type { Task } from '../../domain/task.js';
import type { MemoryItem } from '../../domain/memory.js';
import {
  MemoryItem as MemoryItems,
  memorySnippet,
  parseMemoryQuery,
  wordsOf,
} from '../../domain/memory.js';
import type { ModelCall } from '../../ports/runner.js';
import type { Repositories } from '../../ports/store.js';
import { BosunError } from '../../shared/errors.js';
import { isUlid } from '../../shared/ids.js';
import type { QueryVector } from './memory-service.js';
import { embedSearchQuery, searchMemory } from './memory-service.js';
import { resolveProject } from './resolve.js';
import type { AnswererChoice, AnswerResult, ServiceContext } from './service-context.js';
import { pickModel } from './model-choice.js';
import { outsideRun, recordCalls } from './spend.js';

export const ASK_QUESTION_MAX_CHARS = 1_000;
export const ASK_DEFAULT_PASSAGES = 8;
export const ASK_MAX_PASSAGES = 20;
/** Characters of one passage's text given to the model (and in `--json`). */
export const PASSAGE_TEXT_CHARS = 1_500;
/**
 * The question's words the task search looks for, the first ones: each costs the store a pass
 * over every task, a few ms per 10,000 (docs/memory.md "Asking").
 */
export const MAX_TASK_SEARCH_WORDS = 8;
/** References taken from the question, of each kind: a question is not a list of ids. */
const MAX_NAMED = 10;

export const PASSAGE_SOURCES = ['task', 'memory', 'run', 'project'] as const;
export type PassageSource = (typeof PASSAGE_SOURCES)[number];

export interface AskPassage {
  /** Its number in the answer's citations, from 1. */
  readonly n: number;
  /** How to cite it, and how a person finds it: `task:HOME-12`, `memory:01JQ3V7K`, … */
  readonly ref: string;
  readonly source: PassageSource;
  /** The task's, item's or run's ULID; the project's key. */
  readonly id: string;
  readonly title: string;
  /** The task's, run's or project's status; the memory item's kind. */
  readonly status: string;
  readonly snippet: string;
  /** What the model reads, at most PASSAGE_TEXT_CHARS. */
  readonly text: string;
  /** The question names it (its ref or id), rather than matching its words. */
  readonly named: boolean;
}

export interface AskCitation {
  readonly n: number;
  readonly ref: string;
  readonly title: string;
  readonly snippet: string;
}

export type AnsweredBy = 'passages' | { readonly agent: string | null; readonly model: string };

export interface AskAnswer {
  readonly question: string;
  /** The model's answer with its citations as `[n]`; null when the passages are the answer. */
  readonly answer: string | null;
  readonly citations: AskCitation[];
  readonly answeredBy: AnsweredBy;
  /** Best first: what the question names, then what matches it. */
  readonly passages: AskPassage[];
  /** Why the passages are the answer, or what was dropped from the model's. */
  readonly note?: string;
  /** The whole answer as a person reads it. */
  readonly report: string;
}

export interface AskInput {
  readonly question: string;
  /** Only this project's tasks, runs and memories (and the workspace's). */
  readonly project?: string | undefined;
  readonly limit?: number | undefined;
  readonly agent?: string | undefined;
  /** A configured model; null: no model, the passages are the answer. */
  readonly model?: string | null | undefined;
}

/** What `prepare` hands the handler: the answer, and the model calls to record. */
export interface AskPrepared {
  readonly answer: AskAnswer;
  readonly projectId: string | null;
  readonly agent: string | null;
  readonly calls: readonly ModelCall[];
}

/** What asking needs outside a transaction (an operation's prepare context is one). */
export interface AskEnvironment extends Pick<ServiceContext, 'memoryVectors' | 'engine'> {
  read<T>(work: (ctx: ServiceContext) => Promise<T>): Promise<T>;
}

const ASK_INSTRUCTIONS = `You answer questions about a software team's workspace (its projects, tasks, runs and what it remembers) using only the numbered passages you are given.
- Answer briefly and directly, in plain text.
- After each statement, cite the passages it rests on by number in square brackets, like [2] or [1][3]. Cite only passages that are listed.
- If the passages do not answer the question, say so in one sentence. Never guess, and never invent refs, names or numbers.`;

/**
 * Gathers the passages and, when a model answers, asks it; all of it outside any transaction
 * but the reads. A model named with `agent` or `model` must answer: its failure is the error.
 * Otherwise a missing or failing model leaves the passages as the answer, with a note saying why.
 */
export async function askWorkspace(env: AskEnvironment, input: AskInput): Promise<AskPrepared> {
  const picked = pickModel(env.engine?.answerer, { ...input, purpose: 'ask', acts: 'answer' });
  const { forced } = picked;
  const notes: string[] = [];
  const answerer = env.engine?.answerer;
  let choice: AnswererChoice | null = 'choice' in picked ? picked.choice : null;
  let noModel: string | null = 'reason' in picked ? picked.reason : null;

  const vector = await embedSearchQuery(env, input.question);
  const gathered = await env.read((ctx) => gatherPassages(ctx, input, vector));
  notes.push(...gathered.notes);
  const { passages } = gathered;
  const base = {
    question: input.question,
    passages,
    projectId: gathered.projectId,
  };

  if (choice !== null && passages.length === 0) {
    noModel = 'no model was asked: there is nothing to answer from';
    choice = null;
  }
  if (choice === null || answerer === undefined) {
    return passagesOnly(base, [noModel ?? 'no model configured', ...notes]);
  }
  let answered: AnswerResult;
  try {
    answered = await answerer.answer(choice, {
      instructions: ASK_INSTRUCTIONS,
      prompt: promptFor(input.question, passages),
    });
  } catch (error) {
    if (forced || !(error instanceof BosunError)) throw error;
    return passagesOnly(base, [`the model failed (${error.message})`, ...notes]);
  }
  const { calls } = answered;
  const text = answered.text.trim();
  if (text === '') {
    const why = `model '${choice.model.name}' gave an empty answer`;
    if (forced) {
      throw new BosunError('unavailable', `ask: ${why}`, {
        retryable: true,
        details: { model: choice.model.name },
      });
    }
    // The empty answer cost money all the same.
    return passagesOnly(base, [`the model failed (${why})`, ...notes], {
      agent: choice.agent,
      calls,
    });
  }
  const read = readCitations(text, passages);
  if (read.dropped.length > 0) {
    notes.unshift(`dropped citations of passages that do not exist: ${read.dropped.join(', ')}`);
  } else if (read.citations.length === 0) {
    notes.unshift('the answer cites none of the passages');
  }
  const answeredBy = { agent: choice.agent, model: choice.model.name };
  const note = notes.length > 0 ? notes.join('; ') : undefined;
  const answer: AskAnswer = {
    question: input.question,
    answer: read.text,
    citations: read.citations,
    answeredBy,
    passages,
    ...(note === undefined ? {} : { note }),
    report: answerReport(read.text, read.citations, answeredBy, passages.length, note),
  };
  return { answer, projectId: base.projectId, agent: choice.agent, calls };
}

/** In the handler's transaction: the model's spend in the cost ledger, like the planner's. */
export async function recordAskSpend(
  ctx: ServiceContext,
  prepared: AskPrepared,
): Promise<AskAnswer> {
  await recordCalls(
    ctx.repos,
    outsideRun(ctx.clock.now().toISOString(), prepared.projectId, prepared.agent),
    prepared.calls,
  );
  return prepared.answer;
}

function passagesOnly(
  base: { question: string; passages: AskPassage[]; projectId: string | null },
  notes: readonly string[],
  spent: { agent: string | null; calls: readonly ModelCall[] } = { agent: null, calls: [] },
): AskPrepared {
  const [why, ...rest] = notes;
  const note =
    base.passages.length === 0
      ? [why, ...rest].join('; ')
      : [`${why}: the best passages, best first`, ...rest].join('; ');
  return {
    answer: {
      question: base.question,
      answer: null,
      citations: [],
      answeredBy: 'passages',
      passages: base.passages,
      note,
      report: passagesReport(base.passages, note),
    },
    projectId: base.projectId,
    ...spent,
  };
}

// ── gathering

interface Gathered {
  readonly passages: AskPassage[];
  readonly projectId: string | null;
  readonly notes: string[];
}

type Candidate = Omit<AskPassage, 'n'>;

/** A passage found by the question's words: those holding more of them first, then by rank. */
interface Match {
  readonly passage: Candidate;
  /** Share of the question's words it holds, 0..1. */
  readonly coverage: number;
  /** Its place in its own ranking (memory search, task match), from 0. */
  readonly rank: number;
}

async function gatherPassages(
  ctx: ServiceContext,
  input: AskInput,
  vector: QueryVector,
): Promise<Gathered> {
  const { repos } = ctx;
  const limit = input.limit ?? ASK_DEFAULT_PASSAGES;
  const project =
    input.project === undefined ? undefined : await resolveProject(repos, input.project);
  const terms = parseMemoryQuery(input.question);
  const words = [...new Set(terms.flatMap(wordsOf))];
  const notes: string[] = [];

  const named = await namedPassages(repos, input.question, terms);
  const seen = new Set(named.map((passage) => passage.ref));
  const memory = await memoryMatches(ctx, input.question, words, project, limit, vector, notes);
  const tasks = await taskMatches(repos, words, terms, project, limit);
  const matches = [...memory, ...tasks]
    .filter((match) => !seen.has(match.passage.ref))
    .sort(
      (a, b) =>
        b.coverage - a.coverage ||
        a.rank - b.rank ||
        PASSAGE_SOURCES.indexOf(a.passage.source) - PASSAGE_SOURCES.indexOf(b.passage.source),
    );
  const chosen: Candidate[] = [...named];
  for (const match of matches) {
    if (seen.has(match.passage.ref)) continue;
    seen.add(match.passage.ref);
    chosen.push(match.passage);
  }
  return {
    passages: chosen.slice(0, limit).map((passage, index) => ({ n: index + 1, ...passage })),
    projectId: project?.id ?? null,
    notes,
  };
}

const TASK_REF = /^[A-Z][A-Z0-9]{1,9}-[1-9]\d*$/;
const PROJECT_KEY = /^[A-Z][A-Z0-9]{1,9}$/;
const TYPED_REF = /^(task|project|run|memory):(.+)$/i;

/**
 * What the question names, in the order it names it: typed refs (`task:HOME-12`, `run:01JQ…`,
 * `memory:01JQ3V7K`, `project:HOME`, as citations print), task refs (`HOME-12`), project keys
 * written in capitals (`HOME`), and ULIDs of runs or memory items. A name that finds nothing is
 * left to the word search.
 */
async function namedPassages(
  repos: Repositories,
  question: string,
  terms: readonly string[],
): Promise<Candidate[]> {
  const found: Candidate[] = [];
  const refs = new Set<string>();
  const add = (passage: Candidate | undefined) => {
    if (passage === undefined || refs.has(passage.ref)) return;
    refs.add(passage.ref);
    found.push(passage);
  };
  const budget = { task: MAX_NAMED, project: MAX_NAMED, run: MAX_NAMED, memory: MAX_NAMED };
  const spend = (kind: keyof typeof budget) => budget[kind]-- > 0;
  for (const raw of question.split(/[\s,;()[\]{}<>"'`]+/)) {
    const word = raw.replace(/[.!?:]+$/, '');
    if (word === '') continue;
    const typed = TYPED_REF.exec(word);
    if (typed) {
      const kind = typed[1]!.toLowerCase() as keyof typeof budget;
      const value = typed[2]!;
      if (!spend(kind)) continue;
      if (kind === 'task') add(await namedTask(repos, value, terms));
      else if (kind === 'project') add(await namedProject(repos, value));
      else if (kind === 'run') add(await namedRun(repos, value));
      else add(await namedMemory(repos, value, terms));
    } else if (TASK_REF.test(word.toUpperCase()) && spend('task')) {
      add(await namedTask(repos, word, terms));
    } else if (PROJECT_KEY.test(word) && spend('project')) {
      add(await namedProject(repos, word));
    } else if (isUlid(word.toUpperCase())) {
      if (spend('run')) add(await namedRun(repos, word));
      if (spend('memory')) add(await namedMemory(repos, word, terms));
    }
  }
  return found;
}

async function namedTask(
  repos: Repositories,
  text: string,
  terms: readonly string[],
): Promise<Candidate | undefined> {
  const value = text.trim().toUpperCase();
  const task = isUlid(value)
    ? await repos.tasks.findById(value)
    : await repos.tasks.findByRef(value);
  if (task === undefined || task.deletedAt !== null) return undefined;
  return taskPassage(repos, task, terms, true);
}

async function namedProject(repos: Repositories, text: string): Promise<Candidate | undefined> {
  const value = text.trim().toUpperCase();
  const project = isUlid(value)
    ? await repos.projects.findById(value)
    : await repos.projects.findByKey(value);
  return project === undefined ? undefined : projectPassage(repos, project);
}

async function namedRun(repos: Repositories, text: string): Promise<Candidate | undefined> {
  const value = text.trim().toUpperCase();
  let run: Run | undefined;
  if (value === 'LAST') {
    run = (await repos.runs.list({ limit: 1 }))[0];
  } else if (isUlid(value)) {
    run = await repos.runs.findById(value);
  } else if (value.length >= 4) {
    const matches = await repos.runs.findByIdPrefix(value, 2);
    run = matches.length === 1 ? matches[0] : undefined;
  }
  return run === undefined ? undefined : runPassage(repos, run);
}

async function namedMemory(
  repos: Repositories,
  text: string,
  terms: readonly string[],
): Promise<Candidate | undefined> {
  const value = text.trim().toUpperCase();
  let item: MemoryItem | undefined;
  if (isUlid(value)) {
    item = await repos.memory.findById(value);
  } else if (value.length >= 4) {
    const matches = await repos.memory.findByIdPrefix(value, 2);
    item = matches.length === 1 ? matches[0] : undefined;
  }
  if (item === undefined || item.forgottenAt !== null) return undefined;
  return memoryPassage(repos, item, memorySnippet(item.text, terms), terms, true);
}

/**
 * The memory search's best items (hybrid when embeddings are configured). With a project, the
 * items of other projects (and of their tasks and runs) are left out; workspace and agent items
 * stay, and the search goes deeper to make up for what is left out.
 */
async function memoryMatches(
  ctx: ServiceContext,
  question: string,
  words: readonly string[],
  project: Project | undefined,
  limit: number,
  vector: QueryVector,
  notes: string[],
): Promise<Match[]> {
  const depth = project === undefined ? limit : Math.min(100, limit * 4);
  const hits = await searchMemory(ctx, { query: question, limit: depth }, vector);
  const note = hits.find((hit) => hit.note !== undefined)?.note;
  if (note !== undefined) notes.push(`memory search: ${note}`);
  const items = new Map(
    (await ctx.repos.memory.findByIds(hits.map((hit) => hit.id))).map((item) => [item.id, item]),
  );
  const inProject =
    project === undefined
      ? () => true
      : await projectFilter(ctx.repos, project, [...items.values()]);
  const terms = parseMemoryQuery(question);
  const matches: Match[] = [];
  for (const hit of hits) {
    const item = items.get(hit.id);
    if (item === undefined || !inProject(item)) continue;
    if (matches.length === limit) break;
    matches.push({
      passage: await memoryPassage(ctx.repos, item, hit.snippet, terms, false),
      coverage: coverageOf(item.text, words),
      rank: matches.length,
    });
  }
  return matches;
}

async function projectFilter(
  repos: Repositories,
  project: Project,
  items: readonly MemoryItem[],
): Promise<(item: MemoryItem) => boolean> {
  const taskIds = items.filter((item) => item.scope === 'task').map((item) => item.scopeId!);
  const tasks = new Map((await repos.tasks.findByIds(taskIds)).map((task) => [task.id, task]));
  const runs = new Map<string, Run | undefined>();
  for (const item of items) {
    if (item.scope === 'run' && !runs.has(item.scopeId!)) {
      runs.set(item.scopeId!, await repos.runs.findById(item.scopeId!));
    }
  }
  return (item) => {
    switch (item.scope) {
      case 'workspace':
      case 'agent':
        return true;
      case 'project':
        return item.scopeId === project.id;
      case 'task':
        return tasks.get(item.scopeId!)?.projectId === project.id;
      case 'run':
        return runs.get(item.scopeId!)?.projectId === project.id;
    }
  };
}

/**
 * Tasks whose title, description, acceptance or tags hold the question's words, as the store's
 * task search ranks them (more of the words, title words first, open before done, newest). The
 * store looks for each word's first five letters anywhere in the text, inside words too; a task
 * it finds is kept only when it holds a word the way snippets match one, from the start of a word
 * (`restoring` finds `restores`, `test` does not find `latest`), so the store is asked for twice
 * as many as wanted. Only the tasks it finds are read whole.
 */
async function taskMatches(
  repos: Repositories,
  words: readonly string[],
  terms: readonly string[],
  project: Project | undefined,
  limit: number,
): Promise<Match[]> {
  const searched = words.slice(0, MAX_TASK_SEARCH_WORDS);
  if (searched.length === 0) return [];
  const found = await repos.tasks.search({
    words: [...new Set(searched.map((word) => [...word].slice(0, 5).join('')))],
    projectId: project?.id,
    limit: limit * 2,
  });
  const tasks = new Map(
    (await repos.tasks.findByIds(found.map((match) => match.id))).map((task) => [task.id, task]),
  );
  const matches: Match[] = [];
  for (const match of found) {
    const task = tasks.get(match.id);
    if (task === undefined) continue;
    const text = [task.title, task.description, ...task.acceptance, ...task.tags].join('\n');
    const coverage = coverageOf(text, words);
    if (coverage === 0) continue;
    matches.push({
      passage: await taskPassage(repos, task, terms, false),
      coverage,
      rank: matches.length,
    });
    if (matches.length === limit) break;
  }
  return matches;
}

/** The memory snippets' rule: equal, or the same first five letters (three at least). */
function sameWord(text: string, query: string): boolean {
  if (text === query) return true;
  const shorter = Math.min(text.length, query.length);
  if (shorter < 3) return false;
  const prefix = Math.min(shorter, 5);
  for (let i = 0; i < prefix; i++) if (text.charCodeAt(i) !== query.charCodeAt(i)) return false;
  return true;
}

/**
 * A text holds a word of `sameWord`'s kind when this matches it: one regular expression per
 * query word, so a task's text is never split into words.
 */
function wordPattern(word: string): RegExp {
  // wordsOf gives letters and digits only: nothing in `word` needs escaping.
  const start = '(?<![\\p{L}\\p{N}])';
  const whole = (text: string) => `${text}(?![\\p{L}\\p{N}])`;
  const choices =
    word.length < 3
      ? [whole(word)]
      : word.length === 3
        ? [word]
        : word.length === 4
          ? [word, whole(word.slice(0, 3))]
          : [word.slice(0, 5), whole(word.slice(0, 3)), whole(word.slice(0, 4))];
  return new RegExp(`${start}(?:${choices.join('|')})`, 'iu');
}

function coverageOf(text: string, words: readonly string[]): number {
  if (words.length === 0) return 0;
  return words.filter((word) => wordPattern(word).test(text)).length / words.length;
}

// ── passages

const LAST_NOTES = 3;

async function taskPassage(
  repos: Repositories,
  task: Task,
  terms: readonly string[],
  named: boolean,
): Promise<Candidate> {
  const project = await repos.projects.findById(task.projectId);
  const notes = (await repos.notes.listForTask(task.id)).slice(-LAST_NOTES);
  const facts = [
    `status ${task.status}`,
    `priority ${task.priority}`,
    ...(task.role === null ? [] : [`role ${task.role}`]),
    ...(task.assignee === null ? [] : [`assignee ${task.assignee}`]),
    ...(task.tags.length === 0 ? [] : [`tags ${task.tags.join(', ')}`]),
    ...(project === undefined ? [] : [`project ${project.key}`]),
    `updated ${task.updatedAt.slice(0, 10)}`,
  ];
  const lines = [
    `${task.ref}: ${task.title} (${facts.join('; ')})`,
    ...(task.description.trim() === '' ? [] : [task.description.trim()]),
    ...(task.acceptance.length === 0
      ? []
      : [`Acceptance: ${task.acceptance.map((each) => `- ${each}`).join(' ')}`]),
    ...notes.map((note) => `Note by ${note.author} (${note.createdAt.slice(0, 10)}): ${note.body}`),
  ];
  const about = task.description.trim() || task.acceptance.join(' ') || task.title;
  return {
    ref: `task:${task.ref}`,
    source: 'task',
    id: task.id,
    title: task.title,
    status: task.status,
    snippet: memorySnippet(about, terms),
    text: excerpt(lines.join('\n'), terms, PASSAGE_TEXT_CHARS),
    named,
  };
}

async function memoryPassage(
  repos: Repositories,
  item: MemoryItem,
  snippet: string,
  terms: readonly string[],
  named: boolean,
): Promise<Candidate> {
  const short = await shortId(item.id, (prefix) => repos.memory.findByIdPrefix(prefix, 2));
  const about = MemoryItems.scopeLabel(item);
  // A lesson's item names its lesson (lesson-memory.ts), so the citation leads to `lesson show`.
  const lesson = item.kind === 'lesson' ? item.metadata['lesson'] : undefined;
  const kind = typeof lesson === 'string' ? `lesson ${lesson}` : item.kind;
  return {
    ref: `memory:${short}`,
    source: 'memory',
    id: item.id,
    title: `${kind} (${about})`,
    status: item.kind,
    snippet,
    text: excerpt(item.text, terms, PASSAGE_TEXT_CHARS),
    named,
  };
}

async function runPassage(repos: Repositories, run: Run): Promise<Candidate> {
  const short = await shortId(run.id, (prefix) => repos.runs.findByIdPrefix(prefix, 2));
  const project = run.projectId === null ? undefined : await repos.projects.findById(run.projectId);
  const counts = Object.entries(await repos.steps.countByStatus(run.id))
    .map(([status, count]) => `${count} ${status}`)
    .join(', ');
  const failed = (await repos.steps.listForRun(run.id))
    .filter((step) => step.status === 'failed' && step.error !== null)
    .slice(0, 5)
    .map((step) => `step ${step.key} failed: ${step.error!.message}`);
  const facts = [
    `status ${run.status}`,
    ...(project === undefined ? [] : [`project ${project.key}`]),
    `started ${run.createdAt.slice(0, 16).replace('T', ' ')}`,
    ...(run.endedAt === null ? [] : [`ended ${run.endedAt.slice(0, 16).replace('T', ' ')}`]),
    `cost $${run.costUsd.toFixed(4)}`,
    `by ${run.createdBy}`,
  ];
  const lines = [
    `Run ${run.id} "${run.name}" (${facts.join('; ')})`,
    ...(counts === '' ? [] : [`Steps: ${counts}`]),
    ...(run.error === null ? [] : [`Error: ${run.error}`]),
    ...failed,
  ];
  const text = lines.join('\n');
  return {
    ref: `run:${short}`,
    source: 'run',
    id: run.id,
    title: run.name,
    status: run.status,
    snippet: memorySnippet(lines.slice(1).join(' ') || `${run.name} ${run.status}`, []),
    text: excerpt(text, [], PASSAGE_TEXT_CHARS),
    named: true,
  };
}

async function projectPassage(repos: Repositories, project: Project): Promise<Candidate> {
  const counts = (await repos.tasks.countByStatus())
    .filter((row) => row.projectId === project.id)
    .map((row) => `${row.count} ${row.status}`)
    .join(', ');
  const lines = [
    `Project ${project.key}: ${project.name} (status ${project.status}${project.owner === null ? '' : `; owner ${project.owner}`}${project.dueDate === null ? '' : `; due ${project.dueDate}`})`,
    `Tasks: ${counts === '' ? 'none' : counts}`,
    ...(project.description.trim() === '' ? [] : [project.description.trim()]),
  ];
  return {
    ref: `project:${project.key}`,
    source: 'project',
    id: project.key,
    title: project.name,
    status: project.status,
    snippet: memorySnippet(project.description.trim() || lines[1]!, []),
    text: excerpt(lines.join('\n'), [], PASSAGE_TEXT_CHARS),
    named: true,
  };
}

/**
 * The shortest prefix of `id` (8 characters at least, as `memory show` and `run show` take
 * them) that names nothing else today; a later item may share it, and the passage keeps the id.
 */
async function shortId(
  id: string,
  findByPrefix: (prefix: string) => Promise<readonly unknown[]>,
): Promise<string> {
  for (const length of [8, 10, 12, 16]) {
    const prefix = id.slice(0, length);
    if ((await findByPrefix(prefix)).length <= 1) return prefix;
  }
  return id;
}

/** Words an excerpt shows before the first query word it holds. */
const EXCERPT_LEAD_WORDS = 8;

/**
 * At most `maxChars` of `text`: all of it when it fits, otherwise the stretch holding the most
 * distinct query words (the earliest such), with `…` where it was cut.
 */
export function excerpt(text: string, terms: readonly string[], maxChars: number): string {
  const clean = text.replace(/\n{3,}/g, '\n\n').trim();
  if (clean.length <= maxChars) return clean;
  const budget = maxChars - 2; // the two ellipses
  const tokens = [...clean.matchAll(/\S+/g)].map((match) => ({
    start: match.index,
    end: match.index + match[0].length,
    words: wordsOf(match[0]),
  }));
  const queryWords = [...new Set(terms.flatMap(wordsOf))];
  const hits = tokens.map((token) =>
    queryWords.flatMap((query, index) =>
      token.words.some((word) => sameWord(word, query)) ? [index] : [],
    ),
  );
  const counts = new Map<number, number>();
  const add = (at: number, delta: number) => {
    for (const index of hits[at]!) {
      const next = (counts.get(index) ?? 0) + delta;
      if (next === 0) counts.delete(index);
      else counts.set(index, next);
    }
  };
  let best = 0;
  let bestCount = -1;
  let end = 0;
  for (let start = 0; start < tokens.length; start++) {
    while (end < tokens.length && tokens[end]!.end - tokens[start]!.start <= budget) add(end++, 1);
    if (counts.size > bestCount) {
      best = start;
      bestCount = counts.size;
    }
    if (end <= start)
      end = start + 1; // one token longer than the budget
    else add(start, -1);
  }
  // Start a few words before the first match, as snippets do; the window keeps every match.
  const first = hits.findIndex((found, at) => at >= best && found.length > 0);
  if (first >= 0) best = Math.max(best, first - EXCERPT_LEAD_WORDS);
  let last = best;
  while (last + 1 < tokens.length && tokens[last + 1]!.end - tokens[best]!.start <= budget) last++;
  const from = tokens[best]?.start ?? 0;
  const to = Math.min(tokens[last]?.end ?? budget, from + budget);
  return `${from > 0 ? '…' : ''}${clean.slice(from, to)}${to < clean.length ? '…' : ''}`;
}

// ── the model's answer

function promptFor(question: string, passages: readonly AskPassage[]): string {
  const blocks = passages.map(
    (passage) =>
      `[${passage.n}] ${passage.ref} (${passage.source}: ${passage.title})\n${passage.text}`,
  );
  return [`Question: ${question}`, '', 'Passages:', '', blocks.join('\n\n')].join('\n');
}

/** A bracketed group of citations: `[2]`, `[1, 3]`, `[task:HOME-12]`, `[passage 4]`. */
const CITATION_GROUP = /\s?\[([^[\]\n]{1,200})\](?!\()/g;
const CITATION_LEAD = /^(?:passages?|sources?|refs?)\s*/i;
/** A ref written in the answer's prose: `task:HOME-12`, `memory:01JQ3V7K`. */
const PROSE_REF = /\b(?:task|project|run|memory):[A-Za-z0-9][A-Za-z0-9-]*/gi;
const PROSE_TASK = /\b[A-Z][A-Z0-9]{1,9}-[1-9]\d*\b/g;

export interface ReadCitations {
  /** The answer with each citation group rewritten as the passage numbers it holds. */
  readonly text: string;
  /** The passages cited, in the order first cited. */
  readonly citations: AskCitation[];
  /** Citations of passages that do not exist, as written. */
  readonly dropped: string[];
}

/**
 * Reads the citations of a model's answer: bracketed numbers and refs (a group holding anything
 * else is left alone as text), and refs written in prose. A cited number or ref that is not a
 * passage is dropped from the text and reported; refs in prose that name a passage count as
 * citations of it.
 */
export function readCitations(answer: string, passages: readonly AskPassage[]): ReadCitations {
  const cited: number[] = [];
  const dropped: string[] = [];
  const cite = (n: number) => {
    if (!cited.includes(n)) cited.push(n);
  };
  const text = answer
    .replace(CITATION_GROUP, (group: string, inner: string) => {
      const tokens = inner.replace(CITATION_LEAD, '').split(/\s*[,;]\s*|\s+and\s+|\s+/);
      if (tokens.length === 0 || !tokens.every((token) => citationToken(token) !== null)) {
        return group;
      }
      const kept: number[] = [];
      for (const token of tokens) {
        const n = passageOf(citationToken(token)!, passages);
        if (n === null) dropped.push(`[${token}]`);
        else if (!kept.includes(n)) kept.push(n);
      }
      kept.forEach(cite);
      if (kept.length === 0) return '';
      return `${group.startsWith(' ') || group.startsWith('\n') ? group[0] : ''}[${kept.join(', ')}]`;
    })
    .trim();
  for (const match of answer.matchAll(PROSE_REF)) {
    const n = passageOf(citationToken(match[0])!, passages);
    if (n !== null) cite(n);
  }
  for (const match of answer.matchAll(PROSE_TASK)) {
    const n = passageOf({ kind: 'task', value: match[0] }, passages);
    if (n !== null) cite(n);
  }
  const citations = cited.map((n) => {
    const passage = passages[n - 1]!;
    return { n, ref: passage.ref, title: passage.title, snippet: passage.snippet };
  });
  return { text, citations, dropped };
}

type CitationToken = { kind: 'number'; n: number } | { kind: PassageSource; value: string };

function citationToken(token: string): CitationToken | null {
  if (/^\d{1,3}$/.test(token)) return { kind: 'number', n: Number(token) };
  const typed = TYPED_REF.exec(token);
  if (typed) {
    return { kind: typed[1]!.toLowerCase() as PassageSource, value: typed[2]!.toUpperCase() };
  }
  if (TASK_REF.test(token.toUpperCase())) return { kind: 'task', value: token.toUpperCase() };
  return null;
}

function passageOf(token: CitationToken, passages: readonly AskPassage[]): number | null {
  if (token.kind === 'number') {
    return token.n >= 1 && token.n <= passages.length ? token.n : null;
  }
  const value = token.value.toUpperCase();
  const found = passages.find((passage) => {
    if (passage.source !== token.kind) return false;
    const written = passage.ref.slice(passage.ref.indexOf(':') + 1).toUpperCase();
    if (written === value) return true;
    // A memory item or run may be cited by more (or less) of its id than the ref shows.
    return (
      (passage.source === 'memory' || passage.source === 'run') &&
      value.length >= 4 &&
      passage.id.startsWith(value)
    );
  });
  return found?.n ?? null;
}

// ── reports

function answerReport(
  text: string,
  citations: readonly AskCitation[],
  answeredBy: { agent: string | null; model: string },
  passageCount: number,
  note: string | undefined,
): string {
  const width = Math.max(0, ...citations.map((citation) => citation.ref.length));
  const who =
    answeredBy.agent === null
      ? `model ${answeredBy.model}`
      : `${answeredBy.agent} (model ${answeredBy.model})`;
  return [
    text,
    ...(citations.length === 0
      ? []
      : [
          '',
          'Sources:',
          ...citations.map(
            (citation) =>
              `  [${citation.n}] ${citation.ref.padEnd(width)}  ${oneLine(citation.title)}`,
          ),
        ]),
    '',
    `Answered by ${who} from ${passageCount} passage${passageCount === 1 ? '' : 's'} (--json shows them).`,
    ...(note === undefined ? [] : [`Note: ${note}.`]),
  ].join('\n');
}

function passagesReport(passages: readonly AskPassage[], note: string): string {
  if (passages.length === 0) {
    return `Nothing in this workspace's memory or plans matches the question.\nNote: ${note}.`;
  }
  const lines = [`No answer: ${note}.`, ''];
  for (const passage of passages) {
    // A memory item's title already says its kind.
    const status = passage.source === 'memory' ? '' : `  (${passage.status})`;
    lines.push(`[${passage.n}] ${passage.ref}  ${oneLine(passage.title)}${status}`);
    lines.push(`    ${oneLine(passage.snippet)}`);
  }
  return lines.join('\n');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
