/**
 * Use cases of memory: store an item under a scope, find items again by full-text search (the
 * store ranks every match by relevance raised for recency; items holding every term of the query
 * come first), read one, and forget one — audited, never silent. Vectors, automatic capture,
 * summaries and the reasoning bank build on this later (issue 6; docs/memory.md).
 */

import type { MemoryKind, MemoryLineage, MemoryScope, MemorySide } from '../../domain/memory.js';
import {
  EmbeddingSpace,
  MEMORY_SCOPES,
  MemoryItem,
  fuseByReciprocalRank,
  memoryLineage,
  memorySnippet,
  parseMemoryQuery,
} from '../../domain/memory.js';
import type { MemoryMatchMode, Repositories } from '../../ports/store.js';
import { BosunError, invalidInput } from '../../shared/errors.js';
import { isUlid } from '../../shared/ids.js';
import { resolveProject, resolveTask } from './resolve.js';
import { resolveRun } from './run-service.js';
import { momentOf } from './moment.js';
import type { ServiceContext } from './service-context.js';
import { nowIso, recordAudit } from './service-context.js';

/** How a scope is typed: `workspace`, `project:HOME`, `task:HOME-12`, `run:<id>`, `agent:NAME`. */
export const SCOPE_RULE = 'must be workspace, project:KEY, task:REF, run:ID or agent:NAME';

interface ResolvedScope {
  readonly scope: MemoryScope;
  /** Absent when a search names only the kind of scope (`task`: items of any task). */
  readonly scopeId?: string;
  readonly scopeRef?: string;
}

/**
 * A typed scope as the stored thing it names, through the same resolvers every operation uses, so
 * an unknown one is `not_found` naming `field`. A search may name the kind of scope alone, and
 * may name a deleted task (its memories outlive it).
 */
async function resolveScope(
  repos: Repositories,
  text: string,
  field: string,
  purpose: 'store' | 'search',
): Promise<ResolvedScope> {
  const colon = text.indexOf(':');
  const kind = (colon < 0 ? text : text.slice(0, colon)).trim().toLowerCase();
  const ref = colon < 0 ? '' : text.slice(colon + 1).trim();
  const scope = MEMORY_SCOPES.find((each) => each === kind);
  if (scope === undefined) throw invalidInput(field, SCOPE_RULE);
  if (scope === 'workspace') {
    if (colon >= 0) throw invalidInput(field, 'workspace takes no name: write workspace');
    return { scope };
  }
  if (ref === '') {
    if (purpose === 'search') return { scope };
    throw invalidInput(field, `must name the ${scope} (${scope}:${EXAMPLE_REF[scope]})`);
  }
  switch (scope) {
    case 'project': {
      const project = await resolveProject(repos, ref, field);
      return { scope, scopeId: project.id, scopeRef: project.key };
    }
    case 'task': {
      const task = await resolveTask(repos, ref, field, { includeDeleted: purpose === 'search' });
      return { scope, scopeId: task.id, scopeRef: task.ref };
    }
    case 'run': {
      const run = await resolveRun(repos, ref, field);
      return { scope, scopeId: run.id, scopeRef: run.id };
    }
    case 'agent':
      if (ref.length > 100) throw invalidInput(field, 'an agent name is at most 100 characters');
      return { scope, scopeId: ref, scopeRef: ref };
  }
}

const EXAMPLE_REF: Readonly<Record<Exclude<MemoryScope, 'workspace'>, string>> = {
  project: 'HOME',
  task: 'HOME-12',
  run: '<id>',
  agent: 'coder',
};

/** A memory item by id or by a unique id prefix of at least 4 characters (like a git hash). */
async function resolveMemoryItem(
  repos: Repositories,
  text: string,
  field: string,
  options: { lock?: boolean } = {},
): Promise<MemoryItem> {
  const value = text.trim().toUpperCase();
  let item: MemoryItem | undefined;
  if (isUlid(value)) {
    item = await repos.memory.findById(value, options);
  } else if (value.length >= 4) {
    const matches = await repos.memory.findByIdPrefix(value, 2);
    if (matches.length > 1) {
      throw new BosunError(
        'invalid_input',
        `${field}: '${text}' matches several memory items; give more of the id`,
        { details: { field, rule: 'a unique memory id prefix' } },
      );
    }
    item = matches[0] && (await repos.memory.findById(matches[0].id, options));
  }
  if (!item) {
    throw new BosunError(
      'not_found',
      `${field}: no memory item '${text}'; see 'bosun memory search'`,
      {
        details: { field, kind: 'memory', key: text },
      },
    );
  }
  return item;
}

const auditTarget = (item: MemoryItem) => ({
  kind: 'memory',
  id: item.id,
  label: `${MemoryItem.scopeLabel(item)}/${item.kind}`,
});

// ── store

export interface StoreMemoryInput {
  readonly text: string;
  readonly kind: MemoryKind;
  /** As typed: `workspace` (the default), `project:HOME`, `task:HOME-12`, `run:<id>`, `agent:NAME`. */
  readonly scope?: string | undefined;
  readonly tags?: readonly string[] | undefined;
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
  /** The run whose lineage the item belongs to; a run scope implies its run. */
  readonly run?: string | undefined;
}

export async function storeMemory(
  ctx: ServiceContext,
  input: StoreMemoryInput,
): Promise<MemoryItem> {
  const scope = await resolveScope(ctx.repos, input.scope ?? 'workspace', 'scope', 'store');
  let runId: string | null = scope.scope === 'run' ? scope.scopeId! : null;
  if (input.run !== undefined) {
    const run = await resolveRun(ctx.repos, input.run, 'run');
    if (runId !== null && run.id !== runId) {
      throw invalidInput('run', `must be the scope's run (${runId}) or left out`);
    }
    runId = run.id;
  }
  const item: MemoryItem = {
    id: ctx.newId(),
    kind: input.kind,
    scope: scope.scope,
    scopeId: scope.scopeId ?? null,
    scopeRef: scope.scopeRef ?? null,
    text: input.text,
    tags: [...new Set(input.tags ?? [])],
    metadata: { ...(input.metadata ?? {}) },
    author: ctx.actor,
    runId,
    createdAt: nowIso(ctx),
    forgottenAt: null,
    forgottenBy: null,
    forgetReason: null,
  };
  await ctx.repos.memory.insert(item);
  // What was stored where, not the text again: the item keeps that, and a captured step output
  // can be long.
  await recordAudit(ctx, auditTarget(item), null, {
    kind: item.kind,
    scope: MemoryItem.scopeLabel(item),
    tags: item.tags,
    runId: item.runId,
    chars: item.text.length,
  });
  return item;
}

// ── search

export interface SearchMemoryInput {
  readonly query: string;
  /** `task:HOME-12` for one task's items, `task` for any task's. */
  readonly scope?: string | undefined;
  readonly kind?: readonly MemoryKind[] | undefined;
  readonly tags?: readonly string[] | undefined;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  /** `any` (default): items holding every term, then those holding some; `all`: only the first. */
  readonly match?: MemoryMatchMode | undefined;
  /** Recall as this run does: nothing of the other branches of its fork family (docs/memory.md). */
  readonly run?: string | undefined;
  readonly limit?: number | undefined;
}

export interface MemoryHit {
  readonly id: string;
  readonly kind: MemoryKind;
  readonly scope: MemoryScope;
  readonly scopeId: string | null;
  readonly scopeRef: string | null;
  readonly tags: string[];
  readonly author: string;
  readonly runId: string | null;
  readonly createdAt: string;
  /**
   * Full-text only: relevance × recency (docs/memory.md). Hybrid: the reciprocal-rank fusion of
   * both rankings. Compare scores within one answer only.
   */
  readonly score: number;
  readonly snippet: string;
  /** Which rankings found it: `text`, `vector`, or both. */
  readonly matched: MemorySide[];
  /** Set when vectors are configured but could not take part (the embedder failed, …). */
  readonly note?: string;
}

/**
 * What a search's `prepare` made of the query's vector: none wanted (no embedder, or a query of
 * no words), the vector, or why there is none.
 */
export type QueryVector =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'vector';
      readonly embedding: readonly number[];
      readonly space: EmbeddingSpace;
    }
  | { readonly kind: 'failed'; readonly reason: string };

/** Before the transaction: the query's vector from the embedder, or why it could not be had. */
export async function embedSearchQuery(
  ctx: Pick<ServiceContext, 'memoryVectors'>,
  query: string,
): Promise<QueryVector> {
  const vectors = ctx.memoryVectors;
  if (vectors === undefined || parseMemoryQuery(query).length === 0) return { kind: 'none' };
  try {
    return { kind: 'vector', embedding: await vectors.embedQuery(query), space: vectors.space };
  } catch (error) {
    return { kind: 'failed', reason: `the embedder failed: ${(error as Error).message}` };
  }
}

/**
 * What a run may recall (domain/memory.ts memoryLineage); undefined for a run outside any fork
 * family, whose search needs no filter.
 */
export async function lineageOfRun(
  repos: Repositories,
  runRef: string,
  field: string,
): Promise<MemoryLineage | undefined> {
  const run = await resolveRun(repos, runRef, field);
  return memoryLineage(run.id, await repos.runs.family(run.id)) ?? undefined;
}

/** Results each ranking contributes to a hybrid answer, at least. */
const HYBRID_DEPTH = 20;

export const DEFAULT_SEARCH_LIMIT = 10;

/** What a search reads: the store and the clock (a step's context searches with no operation). */
export type SearchContext = Pick<ServiceContext, 'repos' | 'clock'>;

export async function searchMemory(
  ctx: SearchContext,
  input: SearchMemoryInput,
  vector: QueryVector = { kind: 'none' },
): Promise<MemoryHit[]> {
  const scope =
    input.scope === undefined
      ? undefined
      : await resolveScope(ctx.repos, input.scope, 'scope', 'search');
  const since = momentOf(ctx, input.since, 'since');
  const until = momentOf(ctx, input.until, 'until');
  const lineage =
    input.run === undefined ? undefined : await lineageOfRun(ctx.repos, input.run, 'run');
  const terms = parseMemoryQuery(input.query);
  if (terms.length === 0) return []; // punctuation, emoji: nothing a tokenizer indexes
  const limit = input.limit ?? DEFAULT_SEARCH_LIMIT;
  // Hybrid: each ranking gives more than `limit`, so fusion can lift what one of them ranks low.
  let note: string | undefined = vector.kind === 'failed' ? vector.reason : undefined;
  let embedding: readonly number[] | undefined;
  if (vector.kind === 'vector') {
    const stored = await ctx.repos.memory.vectorSpace();
    if (ctx.repos.memory.vectorBackend === 'off') {
      note = 'this store keeps no vectors (sqlite-vec did not load)';
    } else if (stored !== null && !EmbeddingSpace.same(stored, vector.space)) {
      note = `the stored vectors are of ${EmbeddingSpace.label(stored)}, not ${EmbeddingSpace.label(vector.space)}: run 'bosun memory embed' to re-embed`;
    } else {
      embedding = vector.embedding;
    }
  }
  const query = {
    terms,
    scope: scope?.scope,
    scopeId: scope?.scopeId,
    kinds: input.kind,
    tags: input.tags,
    since,
    until,
    limit: embedding === undefined ? limit : Math.min(100, Math.max(HYBRID_DEPTH, 2 * limit)),
    now: ctx.clock.now(),
    lineage,
  };
  // Items holding every term come first; with `any`, items holding only some fill the places
  // left. Cheap as well as sensible: an intersection of common words is small, their union is
  // not, and every match of a query is ranked. In a hybrid search the vector side stands in for
  // the partial matches (items near the query), so the union of the terms is not ranked at all.
  const matches = await ctx.repos.memory.search({ ...query, match: 'all' });
  const partial = (input.match ?? 'any') === 'any' && embedding === undefined;
  if (partial && terms.length > 1 && matches.length < query.limit) {
    const seen = new Set(matches.map((match) => match.id));
    const some = await ctx.repos.memory.search({
      ...query,
      match: 'any',
      limit: query.limit + matches.length,
    });
    for (const match of some) {
      if (matches.length === query.limit) break;
      if (!seen.has(match.id)) matches.push(match);
    }
  }
  let ranked: { id: string; score: number; matched: MemorySide[] }[] = matches.map((match) => ({
    ...match,
    matched: ['text'],
  }));
  if (embedding !== undefined) {
    const nearest = await ctx.repos.memory.searchVectors({
      embedding,
      scope: query.scope,
      scopeId: query.scopeId,
      kinds: query.kinds,
      tags: query.tags,
      since,
      until,
      limit: query.limit,
      now: query.now,
      lineage,
    });
    ranked = fuseByReciprocalRank(
      matches.map((match) => match.id),
      nearest.map((match) => match.id),
    ).slice(0, limit);
  }
  const items = new Map(
    (await ctx.repos.memory.findByIds(ranked.map((match) => match.id))).map((item) => [
      item.id,
      item,
    ]),
  );
  return ranked.flatMap((match) => {
    const item = items.get(match.id);
    if (!item) return [];
    return [
      {
        id: item.id,
        kind: item.kind,
        scope: item.scope,
        scopeId: item.scopeId,
        scopeRef: item.scopeRef,
        tags: item.tags,
        author: item.author,
        runId: item.runId,
        createdAt: item.createdAt,
        score: Number(match.score.toPrecision(4)),
        snippet: memorySnippet(item.text, terms),
        matched: match.matched,
        ...(note === undefined ? {} : { note }),
      },
    ];
  });
}

// ── get and forget

export async function getMemory(ctx: ServiceContext, input: { id: string }): Promise<MemoryItem> {
  return resolveMemoryItem(ctx.repos, input.id, 'id');
}

/**
 * Takes an item out of search for good. Its row stays, marked with who forgot it, when and why,
 * and the audit log records it; forgetting it again changes nothing.
 */
export async function forgetMemory(
  ctx: ServiceContext,
  input: { id: string; reason?: string | undefined },
): Promise<MemoryItem> {
  const before = await resolveMemoryItem(ctx.repos, input.id, 'id', { lock: true });
  if (before.forgottenAt !== null) return before;
  const after: MemoryItem = {
    ...before,
    forgottenAt: nowIso(ctx),
    forgottenBy: ctx.actor,
    forgetReason: input.reason ?? null,
  };
  await ctx.repos.memory.forget(before.id, {
    at: after.forgottenAt!,
    by: ctx.actor,
    reason: after.forgetReason,
  });
  const marks = (item: MemoryItem) => ({
    forgottenAt: item.forgottenAt,
    forgottenBy: item.forgottenBy,
    forgetReason: item.forgetReason,
  });
  await recordAudit(ctx, auditTarget(after), marks(before), marks(after));
  return after;
}
