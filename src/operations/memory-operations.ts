/**
 * Memory as operations: store an item, search by full text (`bosun memory "query"`, the MCP
 * `memory` tool), read one, forget one (audited). docs/memory.md has the search syntax and ranking.
 */

import { z } from 'zod';
import { EMBED_DEFAULT_LIMIT } from '../core/services/memory-embedding.js';
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
import type { AnyOperation } from './operation.js';
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

export const memoryOperations: readonly AnyOperation[] = [
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
];
