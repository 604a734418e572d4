/**
 * The sections of an agent step's context, gathered when the step is claimed: its rendered input
 * (the task spec), the outputs of the steps it needs, how its earlier attempts failed, and the
 * memories that a full-text search on its task's title (or its input) finds. The packer then
 * decides what of it the prompt carries (context-packer.ts).
 */

import type { Step } from '../../domain/run.js';
import type { JsonValue } from '../../domain/workflow.js';
import type { PackedPrompt, PreviousAttempt } from '../../ports/runner.js';
import type { Repositories, Store } from '../../ports/store.js';
import type { CountTokens } from '../../ports/tokenizer.js';
import type { Clock } from '../../shared/clock.js';
import { tail } from '../../shared/step-failure.js';
import { searchMemory } from '../services/memory-service.js';
import type { ContextSection } from './context-packer.js';
import { packContext } from './context-packer.js';

/** Memories offered to a step: the best few of the search. */
export const CONTEXT_MEMORIES = 5;
/** How much of a failed attempt's output the history repeats (its end). */
const HISTORY_TAIL_CHARS = 2000;
/** A search is made of the first words of an input that has no task. */
const QUERY_CHARS = 200;

export interface StepContextSource {
  readonly repos: Repositories;
  /** ISO time of the claim: the memories' recency is counted from it. */
  readonly now: string;
}

export async function gatherStepContext(
  source: StepContextSource,
  step: Step,
  input: JsonValue,
  previousAttempts: readonly PreviousAttempt[],
  idempotencyKey: string,
): Promise<ContextSection[]> {
  const sections: ContextSection[] = [
    { kind: 'task', title: 'Task', text: renderValue(input), relevance: 1 },
  ];
  const needs = step.spec.needs;
  if (needs.length > 0) {
    const outputs = await source.repos.steps.outputs(step.runId, needs);
    for (const key of needs) {
      const output = outputs.get(key);
      if (output === undefined || output === null) continue;
      sections.push({
        kind: 'dependency',
        title: `Output of step ${key}`,
        text: renderValue(output as JsonValue),
        relevance: 0.9,
      });
    }
  }
  if (previousAttempts.length > 0) {
    sections.push({
      kind: 'history',
      title: 'Earlier attempts (they failed)',
      text: historyText(previousAttempts, idempotencyKey),
      relevance: 0.8,
    });
  }
  const task = step.taskId ? await source.repos.tasks.findById(step.taskId) : undefined;
  const query = task?.title ?? renderValue(input).slice(0, QUERY_CHARS);
  const hits = await searchMemory(
    {
      repos: source.repos,
      clock: { now: () => new Date(source.now) },
      newId: () => '',
      actor: 'engine',
      operation: 'run.step',
    },
    { query, limit: CONTEXT_MEMORIES },
  );
  if (hits.length > 0) {
    const items = new Map(
      (await source.repos.memory.findByIds(hits.map((hit) => hit.id))).map((item) => [
        item.id,
        item,
      ]),
    );
    hits.forEach((hit, rank) => {
      const item = items.get(hit.id);
      if (!item) return;
      sections.push({
        kind: item.kind === 'pattern' ? 'pattern' : 'memory',
        title: `Memory ${item.id.slice(-8)} (${item.kind})`,
        text: item.text,
        // Below the step's own inputs, in the search's order.
        relevance: 0.6 - rank * 0.05,
      });
    });
  }
  return sections;
}

/** The agents whose prompts are built from a packed context: they talk to a model. */
export const PACKED_RUNNERS: ReadonlySet<string> = new Set(['llm', 'claude-code', 'codex']);

/** What packing needs of a claimed attempt. */
export interface PackRequest {
  readonly step: Step;
  readonly attempt: { readonly number: number; readonly idempotencyKey: string };
  readonly input: JsonValue;
  readonly previousAttempts: readonly PreviousAttempt[];
  /** The agent's `context_tokens`. */
  readonly budget: number;
}

/**
 * Packs an agent step's context after its claim has committed — never inside a transaction that
 * holds the store's write lock: the tokenizer loads (~200 ms the first time), the sections are
 * read in a read transaction, packed, and the accounting (`context-pack`: tokens of the packed
 * context, of the naive one — task, upstream outputs and earlier attempts pasted whole — and
 * what each section cost or why it was left out) is journaled in a short write of its own.
 */
export async function packStepContext(
  store: Store,
  clock: Clock,
  request: PackRequest,
  tokenizer: () => Promise<CountTokens>,
): Promise<PackedPrompt> {
  const countTokens = await tokenizer();
  const now = clock.now().toISOString();
  const { step, attempt } = request;
  const sections = await store.transaction('read', (repos) =>
    gatherStepContext(
      { repos, now },
      step,
      request.input,
      request.previousAttempts,
      attempt.idempotencyKey,
    ),
  );
  const packed = packContext(sections, { budget: request.budget, countTokens });
  await store.transaction('write', (repos) =>
    repos.events.append([
      {
        at: clock.now().toISOString(),
        runId: step.runId,
        stepId: step.id,
        kind: 'context-pack',
        data: {
          step: step.key,
          attempt: attempt.number,
          tokens: packed.tokens,
          naiveTokens: packed.naiveTokens,
          budget: packed.budget,
          ...(packed.overBudget ? { overBudget: true } : {}),
          sections: packed.sections.map((section) => ({ ...section })),
          dropped: packed.dropped.map((section) => ({ ...section })),
        },
      },
    ]),
  );
  return { text: packed.text, tokens: packed.tokens };
}

function historyText(attempts: readonly PreviousAttempt[], idempotencyKey: string): string {
  const lines = [
    `This attempt carries idempotency key ${idempotencyKey}; some work may already be done.`,
  ];
  for (const previous of attempts) {
    lines.push(`- Attempt ${previous.attempt} (${previous.kind}): ${previous.error}`);
    const output = tail(previous.outputTail, HISTORY_TAIL_CHARS).trimEnd();
    if (output !== '') lines.push('  Its output ended with:', output);
    if (previous.comment !== null && previous.comment !== '') {
      lines.push(`  The reviewer said: ${previous.comment}`);
    }
  }
  lines.push('Do not repeat what made them fail.');
  return lines.join('\n');
}

/**
 * A value as a prompt shows it: a string as it is; anything else as indented `key: value` lines,
 * with a multi-line string as its own lines (JSON would squeeze a log into one escaped line).
 */
export function renderValue(value: JsonValue, indent = ''): string {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const entries: [string, JsonValue][] = Array.isArray(value)
    ? value.map((item, index) => [`- [${index}]`, item])
    : Object.entries(value);
  if (entries.length === 0) return Array.isArray(value) ? '[]' : '{}';
  const lines: string[] = [];
  for (const [key, item] of entries) {
    const label = Array.isArray(value) ? `${indent}-` : `${indent}${key}:`;
    if (typeof item === 'string' && item.includes('\n')) {
      lines.push(label, ...item.split('\n').map((line) => `${indent}  ${line}`));
    } else if (item !== null && typeof item === 'object' && Object.keys(item).length > 0) {
      lines.push(label, renderValue(item, `${indent}  `));
    } else {
      lines.push(`${label} ${typeof item === 'string' ? item : JSON.stringify(item)}`);
    }
  }
  return lines.join('\n');
}
