/**
 * Memory item: something worth remembering (a step's output, a summary, a lesson, a snippet),
 * scoped to the workspace, a project, a task, a run or an agent, and found again by full-text
 * search. Also the rules of that search that do not depend on a database: how a person's query
 * becomes terms, how relevance and recency make one deterministic score, and the snippet shown
 * with each result (docs/memory.md).
 */

import { z } from 'zod';
import { idSchema, tagSchema, timestampSchema } from './fields.js';
import { fnv1a } from '../shared/fnv1a.js';

export const MEMORY_KINDS = [
  'raw_interaction',
  'task_summary',
  'project_summary',
  'handoff',
  'design_doc',
  'code_snippet',
  'lesson',
  'pattern',
] as const;
export type MemoryKind = (typeof MEMORY_KINDS)[number];

export const MEMORY_SCOPES = ['workspace', 'project', 'task', 'run', 'agent'] as const;
export type MemoryScope = (typeof MEMORY_SCOPES)[number];

export const MemoryItemSchema = z.object({
  id: idSchema,
  kind: z.enum(MEMORY_KINDS),
  scope: z.enum(MEMORY_SCOPES),
  /** The scoped thing's id (project, task or run ULID; the agent's name); null for the workspace. */
  scopeId: z.string().nullable(),
  /** How a person names it: project key, task ref, run id, agent name; null for the workspace. */
  scopeRef: z.string().nullable(),
  text: z.string(),
  tags: z.array(tagSchema),
  metadata: z.record(z.string(), z.unknown()),
  /** The actor who stored it. */
  author: z.string(),
  /** The run whose lineage it belongs to (fork-aware recall reads it); null outside runs. */
  runId: z.string().nullable(),
  createdAt: timestampSchema,
  /** Forgotten items leave search but stay readable (and in the audit log). */
  forgottenAt: timestampSchema.nullable(),
  forgottenBy: z.string().nullable(),
  forgetReason: z.string().nullable(),
});
export type MemoryItem = Readonly<z.infer<typeof MemoryItemSchema>>;

export const MemoryItem = {
  /** `workspace`, `project:HOME`, `task:HOME-12`, `run:01J…`, `agent:coder`: as scopes are typed. */
  scopeLabel(item: Pick<MemoryItem, 'scope' | 'scopeRef'>): string {
    return item.scopeRef === null ? item.scope : `${item.scope}:${item.scopeRef}`;
  },
};

// ── lineage (docs/memory.md "Forks")

/**
 * What a run may recall of its fork family (the runs forked, transitively, from one root run):
 * nothing of the runs that are not its ancestors — sibling forks, their forks, its own forks —
 * and of each ancestor only what was written before the branch toward this run left it. Items
 * of no run, and of runs outside the family, are not affected.
 */
export interface MemoryLineage {
  readonly hidden: readonly string[];
  /** Each ancestor with the creation time of its child on the path to this run. */
  readonly ancestors: readonly { readonly runId: string; readonly before: string }[];
}

export interface LineageRun {
  readonly id: string;
  readonly parentRunId: string | null;
  readonly createdAt: string;
}

/** `runId`'s lineage within `family`; null when the run has no fork family (nothing to hide). */
export function memoryLineage(runId: string, family: readonly LineageRun[]): MemoryLineage | null {
  if (family.length <= 1) return null;
  const byId = new Map(family.map((run) => [run.id, run]));
  const chain = new Set<string>([runId]);
  const ancestors: { runId: string; before: string }[] = [];
  for (let run = byId.get(runId); run?.parentRunId; run = byId.get(run.parentRunId)) {
    if (chain.has(run.parentRunId)) break; // a cycle cannot be made; never loop on one
    chain.add(run.parentRunId);
    ancestors.push({ runId: run.parentRunId, before: run.createdAt });
  }
  const hidden = family.filter((run) => !chain.has(run.id)).map((run) => run.id);
  return { hidden, ancestors };
}

/** Whether an item of `runId` created at `createdAt` is in `lineage` (the stores' rule, in SQL). */
export function inLineage(
  lineage: MemoryLineage,
  item: { readonly runId: string | null; readonly createdAt: string },
): boolean {
  if (item.runId === null) return true;
  if (lineage.hidden.includes(item.runId)) return false;
  const ancestor = lineage.ancestors.find((each) => each.runId === item.runId);
  return ancestor === undefined || item.createdAt < ancestor.before;
}

// ── queries

/** Terms beyond these are ignored: a query is a few words, not a document. */
export const MAX_QUERY_TERMS = 16;

/**
 * PostgreSQL's English stop words (tsearch_data/english.stop). Single-word terms in this list are
 * dropped from a query on both stores, so that SQLite (whose index keeps them) ranks like
 * PostgreSQL (whose index does not) and "how did we fix the backup" searches for fix and backup.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'i me my myself we our ours ourselves you your yours yourself yourselves he him his himself ' +
    'she her hers herself it its itself they them their theirs themselves what which who whom ' +
    'this that these those am is are was were be been being have has had having do does did ' +
    'doing a an the and but if or because as until while of at by for with about against ' +
    'between into through during before after above below to from up down in out on off over ' +
    'under again further then once here there when where why how all any both each few more ' +
    'most other some such no nor not only own same so than too very s t can will just don ' +
    'should now'
  ).split(' '),
);

/** Letters and digits in any script: what both stores' tokenizers index. */
const WORD = /[\p{L}\p{N}]+/gu;

/** The words of a term, lower case, as the snippet and stop-word rules compare them. */
export function wordsOf(term: string): string[] {
  return term.toLowerCase().match(WORD) ?? [];
}

/**
 * A person's query as search terms. Text in double quotes is one term; elsewhere each
 * whitespace-separated chunk is one (`HOME-12`, `foo_bar`). Each term is matched as a phrase by
 * the store's own tokenizer, so punctuation inside it separates words exactly as it did in the
 * indexed text — and nothing in a query is ever syntax: `AND`, `NEAR(`, `*`, `-` and unbalanced
 * quotes or parentheses are just text. Terms without a letter or digit are dropped, so are
 * single stop words (unless nothing else is left), repeats, and terms past MAX_QUERY_TERMS.
 */
export function parseMemoryQuery(query: string): string[] {
  // Control characters and lone surrogates are never text a tokenizer indexes (and PostgreSQL
  // refuses NUL outright).
  const clean = query.replace(/[\p{Cc}\p{Cs}]/gu, ' ');
  const chunks: string[] = [];
  for (const match of clean.matchAll(/"([^"]*)"?|([^\s"]+)/g)) {
    const term = (match[1] ?? match[2] ?? '').replace(/\s+/g, ' ').trim();
    if (wordsOf(term).length > 0) chunks.push(term);
  }
  const seen = new Set<string>();
  const unique = chunks.filter((term) => {
    const key = wordsOf(term).join(' ');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const isStopWord = (term: string): boolean => {
    const words = wordsOf(term);
    return words.length === 1 && STOP_WORDS.has(words[0]!);
  };
  const content = unique.filter((term) => !isStopWord(term));
  return (content.length > 0 ? content : unique).slice(0, MAX_QUERY_TERMS);
}

// ── ranking

/** The most a brand-new item's relevance is raised by: 25 %. */
export const RECENCY_BOOST = 0.25;
/** The age at which half of that boost is left. */
export const RECENCY_HALF_DAYS = 30;

const DAY_MS = 86_400_000;

/**
 * An item's score: its text relevance (SQLite: −BM25; PostgreSQL: ts_rank_cd) raised by at most
 * RECENCY_BOOST for recency, `relevance × (1 + 0.25 / (1 + age_in_days / 30))` — × 1.25 today,
 * × 1.125 at 30 days, × 1.02 at a year. Deterministic: the same store and clock give the same
 * scores. Items from the future (clock skew) count as new. The stores compute it in SQL, where
 * it orders every match (SQLite from the creation second its index keeps for each item); this is
 * the reference they are tested against.
 */
export function memoryScore(relevance: number, createdAt: string, now: Date): number {
  const ageDays = Math.max(0, (now.getTime() - Date.parse(createdAt)) / DAY_MS);
  return relevance * (1 + RECENCY_BOOST / (1 + ageDays / RECENCY_HALF_DAYS));
}

// ── snippets

/** Words a snippet shows at most. */
export const SNIPPET_WORDS = 32;
/** Characters a snippet shows at most (a word can be a long URL or a base64 blob). */
export const SNIPPET_CHARS = 320;

/**
 * Whether a word of the text stands for a word of the query. A stand-in for the stores' stemming
 * (backups ~ backup, running ~ run): equal, or sharing a prefix of at least three letters that is
 * all of the shorter word or five letters long.
 */
function sameWord(text: string, query: string): boolean {
  if (text === query) return true;
  const shorter = Math.min(text.length, query.length);
  if (shorter < 3) return false;
  const prefix = Math.min(shorter, 5);
  return text.slice(0, prefix) === query.slice(0, prefix);
}

/**
 * A short passage of `text` for a result: the whole text when it is short, otherwise the window
 * of SNIPPET_WORDS words holding the most distinct query words (the earliest such), starting a
 * few words before its first match, with `…` where text was cut. Computed here rather than by
 * each database, so both stores show the same passage.
 */
export function memorySnippet(text: string, terms: readonly string[]): string {
  const tokens = [...text.matchAll(/\S+/g)].map((match) => ({
    start: match.index,
    end: match.index + match[0].length,
    words: wordsOf(match[0]),
  }));
  const cut = (from: number, to: number): string => {
    const head = from > 0 ? '…' : '';
    const tail = to < tokens.length ? '…' : '';
    let body = tokens.length === 0 ? '' : text.slice(tokens[from]!.start, tokens[to - 1]!.end);
    body = body.replace(/\s+/g, ' ');
    if (body.length > SNIPPET_CHARS) return `${head}${body.slice(0, SNIPPET_CHARS - 1)}…`;
    return `${head}${body}${tail}`;
  };
  if (tokens.length <= SNIPPET_WORDS) return cut(0, tokens.length);

  const allWords = [...new Set(terms.flatMap(wordsOf))];
  const contentWords = allWords.filter((word) => !STOP_WORDS.has(word));
  const queryWords = contentWords.length > 0 ? contentWords : allWords;
  // Which query words each token stands for (by index into queryWords).
  const hits = tokens.map((token) => {
    const found = new Set<number>();
    queryWords.forEach((query, index) => {
      if (token.words.some((word) => sameWord(word, query))) found.add(index);
    });
    return [...found];
  });

  // Slide a window of SNIPPET_WORDS tokens, counting distinct query words inside it.
  const counts = new Map<number, number>();
  const add = (at: number, delta: number): void => {
    for (const index of hits[at]!) {
      const next = (counts.get(index) ?? 0) + delta;
      if (next === 0) counts.delete(index);
      else counts.set(index, next);
    }
  };
  for (let i = 0; i < SNIPPET_WORDS; i++) add(i, 1);
  let best = 0;
  let bestCount = counts.size;
  for (let start = 1; start + SNIPPET_WORDS <= tokens.length; start++) {
    add(start - 1, -1);
    add(start + SNIPPET_WORDS - 1, 1);
    if (counts.size > bestCount) {
      best = start;
      bestCount = counts.size;
    }
  }
  if (bestCount > 0) {
    // Start shortly before the first match; the window keeps every match it had.
    const first = hits.findIndex((found, at) => at >= best && found.length > 0);
    best = Math.min(Math.max(best, first - 3), tokens.length - SNIPPET_WORDS);
  }
  return cut(best, best + SNIPPET_WORDS);
}

// ── vectors (docs/memory.md "Embeddings")

export const EMBEDDING_PROVIDERS = ['openai-compatible', 'ollama', 'openai', 'mock'] as const;
export type EmbeddingProvider = (typeof EMBEDDING_PROVIDERS)[number];

/** The most dimensions a workspace's vectors may have (sqlite-vec's float vectors go further). */
export const MAX_EMBEDDING_DIMENSIONS = 4096;

/**
 * `embeddings:` in bosun.yaml: the model that turns memory items (and queries) into vectors. Its
 * `dimensions` are fixed per workspace: the vectors stored are all of this model and this size.
 */
export const EmbeddingsConfigSchema = z
  .strictObject({
    provider: z.enum(EMBEDDING_PROVIDERS, `must be one of ${EMBEDDING_PROVIDERS.join(', ')}`),
    /** The provider's id for the model (`text-embedding-3-small`, `nomic-embed-text`). */
    model: z.string().trim().min(1, 'must name the embedding model id the provider knows'),
    base_url: z.url('must be an http(s) URL').optional(),
    dimensions: z
      .number()
      .int('must be a whole number')
      .min(2, 'must be at least 2')
      .max(MAX_EMBEDDING_DIMENSIONS, `must be at most ${MAX_EMBEDDING_DIMENSIONS}`),
    /** The NAME of the environment variable holding the key, never the key itself. */
    api_key_env: z
      .string()
      .regex(
        /^[A-Z_][A-Z0-9_]*$/,
        'must be an environment variable name (A-Z, 0-9, _), not the key itself',
      )
      .optional(),
  })
  .superRefine((config, ctx) => {
    if (config.provider === 'openai-compatible' && config.base_url === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['base_url'],
        message: 'is required for an openai-compatible provider (e.g. http://localhost:8000/v1)',
      });
    }
  });
export type EmbeddingsConfig = z.output<typeof EmbeddingsConfigSchema>;

/** What a workspace's stored vectors are: which model made them, how long each is. */
export interface EmbeddingSpace {
  /** `provider:model`, e.g. `ollama:nomic-embed-text`. */
  readonly model: string;
  readonly dimensions: number;
}

export const EmbeddingSpace = {
  of(config: EmbeddingsConfig): EmbeddingSpace {
    return { model: `${config.provider}:${config.model}`, dimensions: config.dimensions };
  },
  same(a: EmbeddingSpace | null, b: EmbeddingSpace | null): boolean {
    return a !== null && b !== null && a.model === b.model && a.dimensions === b.dimensions;
  },
  label(space: EmbeddingSpace): string {
    return `${space.model} (${space.dimensions} dimensions)`;
  },
};

/** How the store finds nearest vectors: `off` when no embedder is configured or none loads. */
export const VECTOR_BACKENDS = ['sqlite-vec', 'pgvector', 'exact-scan', 'off'] as const;
export type VectorBackend = (typeof VECTOR_BACKENDS)[number];

/** A vector scaled to length 1 (a zero vector stays zero), so cosine is a dot product. */
export function normalizeVector(vector: readonly number[]): number[] {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const length = Math.sqrt(sum);
  return length === 0 ? vector.map(() => 0) : vector.map((value) => value / length);
}

/** 32-bit words holding one sign bit per dimension. */
export const signWordCount = (dimensions: number): number => Math.ceil(dimensions / 32);

/**
 * A vector's signs: bit `d % 32` of word `d / 32` is set when dimension `d` is positive. The
 * Hamming distance of two such words arrays is a coarse stand-in for the vectors' angle, cheap
 * enough to measure against every stored vector (docs/memory.md "Embeddings").
 */
export function signWords(vector: readonly number[]): Uint32Array {
  const words = new Uint32Array(signWordCount(vector.length));
  vector.forEach((value, dimension) => {
    if (value > 0) words[dimension >>> 5]! |= 1 << (dimension & 31);
  });
  return words;
}

/** signWords as stored: the words' bytes, little-endian. */
export function signBytes(vector: readonly number[]): Uint8Array {
  const words = signWords(vector);
  const bytes = new Uint8Array(words.length * 4);
  const view = new DataView(bytes.buffer);
  words.forEach((word, index) => view.setUint32(index * 4, word, true));
  return bytes;
}

/**
 * A vector in one byte per dimension: a float32 scale (little-endian), then each value / scale
 * rounded to a signed byte, scale being the largest magnitude / 127. Dot products against it
 * are within about 1 % of the float vector's — close enough to order a few hundred candidates,
 * at a quarter of the size (docs/memory.md "Vector storage").
 */
export function byteCodes(vector: readonly number[]): Uint8Array {
  let largest = 0;
  for (const value of vector) largest = Math.max(largest, Math.abs(value));
  const scale = largest === 0 ? 1 : largest / 127;
  const bytes = new Uint8Array(4 + vector.length);
  new DataView(bytes.buffer).setFloat32(0, scale, true);
  const codes = new Int8Array(bytes.buffer, 4);
  vector.forEach((value, dimension) => {
    codes[dimension] = Math.round(value / scale);
  });
  return bytes;
}

/**
 * A deterministic stand-in for an embedding model (the `mock` provider and the fake OpenAI
 * server): a hashed bag of the text's words (stop words left out, each word counted once),
 * normalized. Texts sharing words are close; texts sharing none are nearly orthogonal. It knows
 * nothing of meaning, which is exactly what a test of the plumbing wants.
 */
export function hashedEmbedding(text: string, dimensions: number): number[] {
  const vector: number[] = Array.from({ length: dimensions }, () => 0);
  const words = new Set(wordsOf(text).filter((word) => !STOP_WORDS.has(word)));
  for (const word of words) {
    const hash = fnv1a(word);
    const index = hash % dimensions;
    vector[index]! += (fnv1a(`${word}#`) & 1) === 0 ? 1 : -1;
  }
  return normalizeVector(vector);
}

/** Reciprocal rank fusion's constant: ranks past a few dozen weigh about the same. */
export const RRF_K = 60;

export type MemorySide = 'text' | 'vector';

export interface FusedMatch {
  readonly id: string;
  /** Σ 1 / (RRF_K + rank) over the sides that found the item (rank from 1). */
  readonly score: number;
  /** The sides that found it, text first. */
  readonly matched: MemorySide[];
}

/**
 * Reciprocal rank fusion of the full-text and the vector ranking (each best first, already
 * raised for recency): an item's score is the sum of 1 / (60 + rank) over the lists holding it.
 * Ties go to the better text rank, then the better vector rank, so the order is deterministic.
 */
export function fuseByReciprocalRank(
  text: readonly string[],
  vector: readonly string[],
): FusedMatch[] {
  const entries = new Map<string, { score: number; text: number; vector: number }>();
  const add = (ids: readonly string[], side: MemorySide) => {
    ids.forEach((id, index) => {
      const entry = entries.get(id) ?? { score: 0, text: Infinity, vector: Infinity };
      entry.score += 1 / (RRF_K + index + 1);
      entry[side] = index + 1;
      entries.set(id, entry);
    });
  };
  add(text, 'text');
  add(vector, 'vector');
  return [...entries.entries()]
    .sort(([, a], [, b]) => b.score - a.score || a.text - b.text || a.vector - b.vector)
    .map(([id, entry]) => ({
      id,
      score: entry.score,
      matched: [
        ...(entry.text !== Infinity ? (['text'] as const) : []),
        ...(entry.vector !== Infinity ? (['vector'] as const) : []),
      ],
    }));
}

/** memoryScore's recency factor alone: × 1.25 today, × 1.125 at 30 days. */
export function recencyFactor(createdAtMs: number, now: Date): number {
  const ageDays = Math.max(0, (now.getTime() - createdAtMs) / DAY_MS);
  return 1 + RECENCY_BOOST / (1 + ageDays / RECENCY_HALF_DAYS);
}
