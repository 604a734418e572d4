/**
 * Memory as operations: store an item, search by full text (`bosun memory "query"`, the MCP
 * `memory` tool), read one, forget one (audited). docs/memory.md has the search syntax and ranking.
 */

import { z } from 'zod';
import { listPatterns } from '../core/services/memory-capture.js';
import { EMBED_DEFAULT_LIMIT } from '../core/services/memory-embedding.js';
import type { SummaryDrafts } from '../core/services/memory-summaries.js';
import {
  SUMMARIZE_DEFAULT_LIMIT,
  applySummaryDraft,
  draftSummaries,
} from '../core/services/memory-summaries.js';
import {
  DEFAULT_SEARCH_LIMIT,
  SCOPE_RULE,
  embedSearchQuery,
  forgetMemory,
  getMemory,
  searchMemory,
  storeMemory,
} from '../core/services/memory-service.js';
import { BosunError } from '../shared/errors.js';
import { requiredText, tagSchema, timestampSchema } from '../domain/fields.js';
import {
  MEMORY_KINDS,
  MEMORY_SCOPES,
  MemoryItemSchema,
  VECTOR_BACKENDS,
} from '../domain/memory.js';
import { SIZE_BUCKETS } from '../domain/pattern.js';
import { defineOperation } from './operation.js';

const kind = z.enum(MEMORY_KINDS);

/** `workspace`, or a scope kind with what it names; a search may give the kind alone. */
const scopeText = (nameRequired: boolean) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(200, 'must be at most 200 characters')
    .refine((text) => {
      const [head = '', ...rest] = text.split(':');
      const named = rest.join(':').trim() !== '';
      const scope = head.trim().toLowerCase();
      if (!MEMORY_SCOPES.some((each) => each === scope)) return false;
      if (scope === 'workspace') return rest.length === 0;
      return named || !nameRequired;
    }, SCOPE_RULE);

const memoryId = z
  .string()
  .trim()
  .min(4, 'must be a memory id (or at least its first 4 characters)')
  .max(26, 'must be a memory id (26 characters)');

const METADATA_MAX_CHARS = 20_000;

const MemoryHitSchema = z.object({
  id: z.string(),
  kind,
  scope: z.enum(MEMORY_SCOPES),
  scopeId: z.string().nullable(),
  scopeRef: z.string().nullable(),
  tags: z.array(z.string()),
  author: z.string(),
  runId: z.string().nullable(),
  createdAt: timestampSchema,
  score: z.number(),
  snippet: z.string(),
  /** Which rankings found the item: full text, vectors, or both. */
  matched: z.array(z.enum(['text', 'vector'])),
  /** Why vectors did not take part although an embedder is configured. */
  note: z.string().optional(),
});

const PatternStatsSchema = z.object({
  role: z.string().nullable(),
  tags: z.array(z.string()),
  size: z.enum(SIZE_BUCKETS),
  agent: z.string(),
  model: z.string().nullable(),
  runner: z.string(),
  tries: z.number().int(),
  successes: z.number().int(),
  failures: z.number().int(),
  /** successes / tries, 0–1. */
  successRate: z.number(),
  meanCostUsd: z.number(),
  meanDurationMs: z.number().nullable(),
  lastSeen: timestampSchema,
  /** At least 2 successes and a success rate of at least 0.5: offered to future steps. */
  proven: z.boolean(),
});

export const memoryOperations = [
  defineOperation({
    name: 'memory.store',
    summary:
      'Remember something (a lesson, a summary, a snippet…) under the workspace, a project, task, run or agent',
    effects: 'write',
    input: z.strictObject({
      text: requiredText(100_000).refine(
        (text) => !text.includes('\u0000'),
        'must not contain NUL characters',
      ),
      kind,
      scope: scopeText(true).default('workspace'),
      tags: z.array(tagSchema).max(50, 'at most 50 tags').optional(),
      metadata: z
        .record(z.string(), z.json())
        .refine(
          (metadata) => JSON.stringify(metadata).length <= METADATA_MAX_CHARS,
          `must be at most ${METADATA_MAX_CHARS} characters of JSON`,
        )
        .optional(),
      run: z.string().trim().min(1, 'must name a run by id, id prefix or last').optional(),
    }),
    output: MemoryItemSchema,
    cli: {
      positional: ['text'],
      aliases: ['add'],
      short: { k: 'kind', s: 'scope', t: 'tags' },
      examples: [
        'bosun memory store "Restores need the NAS mounted read-write" -k lesson -s project:HOME -t backup',
        'bosun memory store "Checked the restore of one file" -k task_summary -s task:HOME-12 --run last',
        'bosun memory store "$(cat docs/design.md)" -k design_doc --metadata file=docs/design.md',
      ],
    },
    handler: (ctx, input) => storeMemory(ctx, input),
  }),
  defineOperation({
    name: 'memory.search',
    summary:
      'Search memory, best first: full text, fused with vector similarity when embeddings are configured; with snippets',
    effects: 'read',
    tool: 'memory',
    input: z.strictObject({
      query: requiredText(1_000),
      scope: scopeText(false).optional(),
      kind: z.array(kind).optional(),
      tags: z.array(tagSchema).max(20, 'at most 20 tags').optional(),
      since: z.string().trim().min(1, 'must not be empty').optional(),
      until: z.string().trim().min(1, 'must not be empty').optional(),
      match: z.enum(['any', 'all']).default('any'),
      /** Recall as this run does: nothing of the other branches of its fork family. */
      run: z.string().trim().min(1, 'must not be empty').optional(),
      limit: z
        .number()
        .int('must be a whole number')
        .min(1, 'must be at least 1')
        .max(100, 'must be at most 100')
        .default(DEFAULT_SEARCH_LIMIT),
    }),
    output: z.array(MemoryHitSchema),
    cli: {
      positional: ['query'],
      // `bosun memory "query"` searches; a query that is one of memory's verbs (store, add,
      // search, get, show, forget) needs `bosun memory search`.
      bare: true,
      short: { k: 'kind', s: 'scope', t: 'tags', n: 'limit' },
      columns: ['id', 'score', 'kind', 'scope', 'scopeRef:OF', 'matched', 'snippet'],
      empty: 'No memory matches.',
      examples: [
        'bosun memory "restore NAS"                     # same as: bosun memory search "restore NAS"',
        'bosun memory "flaky backup test" -s project:HOME -k lesson --since 30d',
        'bosun memory \'"read-write mount" restore\' --match all -n 3',
        'bosun memory "retry budget" --run 01J9ZK…             # as a forked run recalls',
      ],
    },
    // The query's vector is a model call: made before the transaction, never inside it.
    prepare: (ctx, input) => embedSearchQuery(ctx, input.query),
    handler: (ctx, input, vector) => searchMemory(ctx, input, vector),
  }),
  defineOperation({
    name: 'memory.embed',
    summary:
      'Embed the memory items still waiting for a vector (workers do it in the background) and report the counts',
    effects: 'write',
    input: z.strictObject({
      limit: z
        .number()
        .int('must be a whole number')
        .min(1, 'must be at least 1')
        .max(1_000_000, 'must be at most 1000000')
        .default(EMBED_DEFAULT_LIMIT),
    }),
    output: z.object({
      model: z.string(),
      dimensions: z.number().int(),
      backend: z.enum(VECTOR_BACKENDS),
      embedded: z.number().int(),
      reembedding: z.boolean(),
      items: z.number().int(),
      embeddedTotal: z.number().int(),
      pending: z.number().int(),
    }),
    cli: {
      short: { n: 'limit' },
      examples: [
        'bosun memory embed              # everything pending (up to 10,000 items)',
        'bosun memory embed -n 500 --json',
      ],
    },
    // Many model calls, each followed by a short write of its own: never one long transaction.
    prepare: (ctx, input) => {
      if (ctx.memoryVectors === undefined) {
        throw new BosunError(
          'unavailable',
          "memory embed: no embedding model is configured; add 'embeddings:' to .bosun/bosun.yaml (see docs/memory.md)",
          { details: { field: 'embeddings' } },
        );
      }
      return ctx.memoryVectors.embedPending({
        limit: input.limit,
        onProgress: ctx.progress
          ? ({ embedded, pending }) => ctx.progress!(`embedded ${embedded}, ${pending} pending`)
          : undefined,
      });
    },
    handler: (_ctx, _input, report) => Promise.resolve(report),
  }),
  defineOperation({
    name: 'memory.get',
    summary: 'One memory item in full (forgotten ones too, marked as such)',
    effects: 'read',
    input: z.strictObject({ id: memoryId }),
    output: MemoryItemSchema,
    cli: {
      positional: ['id'],
      aliases: ['show'],
      examples: ['bosun memory get 01JQ3V7K'],
    },
    handler: (ctx, input) => getMemory(ctx, input),
  }),
  defineOperation({
    name: 'memory.forget',
    summary:
      'Take a memory item out of search for good; it stays readable, marked with who forgot it and why',
    effects: 'write',
    input: z.strictObject({
      id: memoryId,
      reason: requiredText(1_000).optional(),
    }),
    output: MemoryItemSchema,
    cli: {
      positional: ['id'],
      examples: ['bosun memory forget 01JQ3V7K --reason "superseded by the new backup plan"'],
    },
    handler: (ctx, input) => forgetMemory(ctx, input),
  }),
  defineOperation({
    name: 'memory.patterns',
    summary:
      'The reasoning bank: how each agent, model and runner did on each kind of work (role, tags, size) — tries, success rate, mean cost and time',
    effects: 'read',
    input: z.strictObject({
      role: z.string().trim().min(1, 'must not be empty').max(100).optional(),
      tag: tagSchema.optional(),
      agent: z.string().trim().min(1, 'must not be empty').max(100).optional(),
      model: z.string().trim().min(1, 'must not be empty').max(200).optional(),
      limit: z
        .number()
        .int('must be a whole number')
        .min(1, 'must be at least 1')
        .max(1_000, 'must be at most 1000')
        .default(100),
    }),
    output: z.array(PatternStatsSchema),
    cli: {
      short: { n: 'limit' },
      columns: [
        'role',
        'tags',
        'size',
        'agent',
        'model',
        'runner',
        'tries',
        'successes:OK',
        'successRate:RATE',
        'meanCostUsd:USD/TRY',
        'meanDurationMs:MS/TRY',
        'proven',
        'lastSeen:LAST',
      ],
      empty: 'No pattern yet: every attempt of a step given to an agent records one.',
      examples: [
        'bosun memory patterns',
        'bosun memory patterns --role coder --tag backend',
        'bosun memory patterns --agent reviewer --json',
      ],
    },
    handler: async (ctx, input) =>
      (await listPatterns(ctx.repos, input)).map((stats) => ({ ...stats, tags: [...stats.tags] })),
  }),
  defineOperation({
    name: 'memory.summarize',
    summary:
      "Rewrite the extractive task and project summaries with the summarizer agent's model (workers do it in the background)",
    effects: 'write',
    input: z.strictObject({
      limit: z
        .number()
        .int('must be a whole number')
        .min(1, 'must be at least 1')
        .max(1_000, 'must be at most 1000')
        .default(SUMMARIZE_DEFAULT_LIMIT),
    }),
    output: z.object({
      agent: z.string().nullable(),
      model: z.string().nullable(),
      summarized: z.number().int(),
      skipped: z.number().int(),
      problem: z.string().nullable(),
    }),
    cli: {
      short: { n: 'limit' },
      examples: ['bosun memory summarize', 'bosun memory summarize -n 5 --json'],
    },
    // One model call per summary, before the transaction; the handler writes what is still
    // current, in one transaction.
    prepare: async (ctx, input): Promise<SummaryDrafts> => {
      const summarizer = ctx.engine?.summarizer;
      if (summarizer === undefined) {
        throw new BosunError(
          'unavailable',
          "memory summarize: this store has no workspace folder (bosun.yaml) to find a summarizer in; run 'bosun init' or pass --workspace",
          { details: { field: 'workspace' } },
        );
      }
      if (summarizer.choose() === null) {
        throw new BosunError(
          'unavailable',
          'memory summarize: no agent plays summarizer; add an llm agent with role: summarizer to .bosun/bosun.yaml (see docs/memory.md)',
          { details: { field: 'role' } },
        );
      }
      const pass = await draftSummaries(
        (work) => ctx.read((read) => work(read.repos)),
        summarizer,
        { limit: input.limit },
      );
      if (pass.drafts.length === 0 && pass.problem !== null) {
        throw new BosunError('unavailable', `memory summarize: ${pass.problem}`, {
          retryable: true,
          details: { field: 'model', model: pass.model },
        });
      }
      return pass;
    },
    handler: async (ctx, _input, pass) => {
      let summarized = 0;
      for (const draft of pass.drafts) {
        const now = ctx.clock.now().toISOString();
        if (await applySummaryDraft({ repos: ctx.repos, now, newId: ctx.newId }, draft)) {
          summarized += 1;
        }
      }
      return {
        agent: pass.agent,
        model: pass.model,
        summarized,
        skipped: pass.drafts.length - summarized,
        problem: pass.problem,
      };
    },
  }),
];
