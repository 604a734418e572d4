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
import type { MemoryItem } from '../../domain/memory.js';
import { Pattern } from '../../domain/pattern.js';
import { provenPatterns, stepFeatures } from '../services/memory-capture.js';
import { searchMemory } from '../services/memory-service.js';
import type { ContextSection } from './context-packer.js';
import { packContext } from './context-packer.js';
import { renderValue } from './render-value.js';

// In render-value.ts, shared with memory capture (which runs in the engine's transactions).
export { renderValue };

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
  // As the step's run recalls: a fork sees nothing of its sibling branches. A few more than
  // offered, since this run's captures of the steps it needs repeat their outputs above.
  const hits = await searchMemory(
    { repos: source.repos, clock: { now: () => new Date(source.now) } },
    { query, limit: CONTEXT_MEMORIES + needs.length * 2, run: step.runId },
  );
  const items = new Map(
    (await source.repos.memory.findByIds(hits.map((hit) => hit.id))).map((item) => [item.id, item]),
  );
  const repeatsANeed = (item: MemoryItem): boolean => {
    if (item.runId !== step.runId) return false;
    const from = item.metadata[item.kind === 'handoff' ? 'from' : 'step'];
    return typeof from === 'string' && needs.includes(from);
  };
  hits
    .flatMap((hit) => {
      const item = items.get(hit.id);
      return item && !repeatsANeed(item) ? [item] : [];
    })
    .slice(0, CONTEXT_MEMORIES)
    .forEach((item, rank) => {
      sections.push({
        kind: item.kind === 'pattern' ? 'pattern' : 'memory',
        title: `Memory ${item.id.slice(-8)} (${item.kind})`,
        text: item.text,
        // Below the step's own inputs, in the search's order.
        relevance: 0.6 - rank * 0.05,
      });
    });
  const features = stepFeatures(step, task, input);
  const patterns = (await provenPatterns(source.repos, features, CONTEXT_PATTERNS * 2))
    // The same size alone says little: a pattern must share the role or a tag.
    .filter((stats) => stats.featuresInCommon > (stats.size === features.size ? 1 : 0))
    .slice(0, CONTEXT_PATTERNS);
  if (patterns.length > 0) {
    sections.push({
      kind: 'pattern',
      title: 'What worked before on similar work (proven patterns)',
      text: patterns.map((stats) => `- ${Pattern.describe(stats)}.`).join('\n'),
      relevance: 0.5,
    });
  }
  return sections;
}

/** Proven patterns offered to a step, at most. */
export const CONTEXT_PATTERNS = 3;

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
