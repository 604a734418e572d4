/**
 * Hybrid memory search on SQLite at 100,000 items with 384-dimension vectors, warm:
 * `memory.search` through the operation runner with an in-process embedder (the query's vector
 * is made in `prepare`, as with a real model, minus the network), full text and the sign index
 * with exact re-ranking fused by reciprocal rank, limit 10.
 *
 *   memory-hybrid-100k-384d-sqlite           p99 ≤ 10 ms (aim ≤ 5 ms)
 *   memory-hybrid-100k-384d-sqlite-filtered  the same queries within one project and two kinds
 *   memory-vector-recall-100k-384d-sqlite    the vector side's 10 best against an exhaustive scan
 *   memory-vector-recall-clustered-100k-384d the sign index alone on topic-clustered vectors
 *
 * The corpus and queries are memory.bench.ts's (same generator, same seed). Each item's vector
 * stands in for a real model's: dense, as every embedding model's are — the sum of a fixed
 * random ±1 vector per word (a random projection of the bag of words), normalized, so texts
 * sharing words are close. (The mock provider's sparse hashedEmbedding is a poor stand-in here:
 * its zeros carry no sign, which is what the index compares.)
 */

import Database from 'better-sqlite3';
import { loadSqliteVec } from '../src/adapters/storage/sqlite/sqlite-store.js';
import { byteCodes, normalizeVector, signBytes, wordsOf } from '../src/domain/memory.js';
import { createMemoryVectorIndex } from '../src/adapters/storage/sql/memory-vector-index.js';
import type { SqlExecutor } from '../src/adapters/storage/sql/sql-executor.js';
import { fnv1a } from '../src/shared/fnv1a.js';
import { createMemoryVectors } from '../src/core/services/memory-embedding.js';
import type { Embedder } from '../src/ports/embedder.js';
import { createOperationRunner, findOperation } from '../src/operations/catalog.js';
import { systemClock } from '../src/shared/clock.js';
import { createUlidGenerator } from '../src/shared/ids.js';
import {
  ITEMS,
  QUERIES,
  WARMUP,
  databasePath,
  loadSeconds,
  queries,
  store,
} from './memory-corpus.js';
import { percentile, report, round } from './report.js';

// ── the vectors, written through the repository in the workspace's embedding space
const DIMENSIONS = 384;
const wordVectors = new Map<string, Float32Array>();
/** A word's fixed random ±1 vector (xorshift32 seeded by the word's hash). */
const wordVector = (word: string): Float32Array => {
  let vector = wordVectors.get(word);
  if (vector === undefined) {
    vector = new Float32Array(DIMENSIONS);
    let state = fnv1a(word) || 1;
    for (let d = 0; d < DIMENSIONS; d++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      vector[d] = state & 1 ? 1 : -1;
    }
    wordVectors.set(word, vector);
  }
  return vector;
};
const embedText = (text: string): number[] => {
  const sum = new Array<number>(DIMENSIONS).fill(0);
  for (const word of new Set(wordsOf(text))) {
    const vector = wordVector(word);
    for (let d = 0; d < DIMENSIONS; d++) sum[d]! += vector[d]!;
  }
  return normalizeVector(sum);
};
const space = { model: 'mock:hashed', dimensions: DIMENSIONS };
const embedStart = performance.now();
await store.transaction('write', (repos) => repos.memory.useVectorSpace(space));
for (;;) {
  const pending = await store.transaction('read', (repos) => repos.memory.pendingEmbeddings(5_000));
  if (pending.length === 0) break;
  await store.transaction('write', (repos) =>
    repos.memory.storeEmbeddings(
      pending.map((item) => ({ id: item.id, vector: embedText(item.text) })),
    ),
  );
}
const embedSeconds = (performance.now() - embedStart) / 1000;

// ── search, warm
const embedder: Embedder = {
  space,
  embed: (values) => Promise.resolve(values.map(embedText)),
};
const runner = createOperationRunner({
  store,
  clock: systemClock,
  newId: createUlidGenerator(),
  memoryVectors: createMemoryVectors(store, embedder),
});
const search = findOperation('memory.search')!;

async function measure(
  filters: Record<string, unknown>,
): Promise<{ times: number[]; vectorOnly: number }> {
  const times: number[] = [];
  let vectorOnly = 0;
  for (const [i, query] of queries.entries()) {
    const began = performance.now();
    const hits = (await runner.run(search, { query, ...filters }, 'bench')) as {
      matched: string[];
      note?: string;
    }[];
    const elapsed = performance.now() - began;
    if (hits.some((hit) => hit.note !== undefined)) throw new Error(`'${query}': ${hits[0]!.note}`);
    if (i >= WARMUP) {
      times.push(elapsed);
      vectorOnly += hits.filter(
        (hit) => hit.matched.length === 1 && hit.matched[0] === 'vector',
      ).length;
    }
  }
  return { times: times.sort((a, b) => a - b), vectorOnly };
}

for (const [bench, filters] of [
  ['memory-hybrid-100k-384d-sqlite', {}],
  [
    'memory-hybrid-100k-384d-sqlite-filtered',
    { scope: 'project:HOME', kind: ['lesson', 'handoff'] },
  ],
] as const) {
  const { times, vectorOnly } = await measure(filters);
  report({
    bench,
    metric: 'p99',
    value: round(percentile(times, 99)),
    unit: 'ms',
    target: 10,
    p50: round(percentile(times, 50)),
    max: round(times.at(-1)!),
    queries: QUERIES,
    items: ITEMS,
    dimensions: DIMENSIONS,
    vectorOnlyHits: vectorOnly,
    loadSeconds: round(loadSeconds, 1),
    embedSeconds: round(embedSeconds, 1),
  });
}
// ── recall of the vector side: the sign index's 10 best after exact re-ranking, against an
// exhaustive cosine scan of all vectors (sqlite-vec's vec_distance_cosine over every row). An
// item counts as found when its similarity reaches the exhaustive 10th best: many items can be
// equally near, and which of them fill the last places is arbitrary.
const RECALL_QUERIES = 50;
const database = new Database(databasePath, { readonly: true });
loadSqliteVec(database);
const exhaustive = database.prepare(
  'select 1 - vec_distance_cosine(v.embedding, vec_f32(?)) as similarity from memory_vectors v join memory_items m on m.seq = v.seq where m.forgotten_at is null order by similarity desc limit 10',
);
let found = 0;
let wanted = 0;
for (const query of queries.slice(WARMUP, WARMUP + RECALL_QUERIES)) {
  const embedding = embedText(query);
  // Recency out of it: at the epoch every item is "new", so every score is similarity × 1.25.
  const indexed = await store.transaction('read', (repos) =>
    repos.memory.searchVectors({ embedding, limit: 10, now: new Date(0) }),
  );
  const exact = exhaustive.all(JSON.stringify(embedding)) as { similarity: number }[];
  const tenth = exact.at(-1)?.similarity ?? 1;
  wanted += exact.filter((row) => row.similarity > 0).length;
  found += indexed.filter((hit) => hit.score / 1.25 >= tenth - 1e-6).length;
}
report({
  bench: 'memory-vector-recall-100k-384d-sqlite',
  metric: 'recall@10',
  value: round(found / wanted),
  unit: 'ratio',
  queries: RECALL_QUERIES,
});
database.close();
await store.close();

// ── recall of the sign index alone on vectors shaped like real embeddings: 100,000 unit vectors
// of 384 dimensions around 1,000 topics (texts on a few subjects embed so), the index's 10 best
// against an exhaustive dot product over all of them
{
  let state = 13;
  const noise = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648 - 0.5;
  };
  const topics = Array.from({ length: 1000 }, () => Array.from({ length: DIMENSIONS }, noise));
  const nearTopic = () => {
    const topic = topics[Math.floor((noise() + 0.5) * topics.length)]!;
    return normalizeVector(topic.map((value) => value + noise() * 1.2));
  };
  const vectors = Array.from({ length: ITEMS }, nearTopic);
  const rows = vectors.map((vector, seq) => ({
    seq,
    gen: 1,
    bits: signBytes(vector),
    codes: byteCodes(vector),
    kind: 'lesson',
    scope: 'workspace',
    scope_id: null,
    run_id: null,
    tags: '[]',
    created_at: new Date(seq * 1000).toISOString(),
    forgotten_at: null,
  }));
  // The index reads the store through an executor: this one answers its two queries.
  const executor = {
    all: (text: string) =>
      Promise.resolve(
        text.includes('memory_vector_space')
          ? [{ model: 'clustered', dimensions: DIMENSIONS, since: '', generation: 1 }]
          : rows,
      ),
  } as unknown as SqlExecutor;
  const index = createMemoryVectorIndex();
  await index.sync(executor);
  let hits = 0;
  const CLUSTERED_QUERIES = 30;
  for (let q = 0; q < CLUSTERED_QUERIES; q++) {
    const query = nearTopic();
    const exact = vectors
      .map((vector, seq) => ({ seq, dot: vector.reduce((sum, v, d) => sum + v * query[d]!, 0) }))
      .sort((a, b) => b.dot - a.dot)
      .slice(0, 10)
      .map((each) => each.seq);
    const found = index.nearest(query, {}, { candidates: 200, keep: 10 });
    hits += exact.filter((seq) => found.includes(seq)).length;
  }
  report({
    bench: 'memory-vector-recall-clustered-100k-384d',
    metric: 'recall@10',
    value: round(hits / (CLUSTERED_QUERIES * 10)),
    unit: 'ratio',
    queries: CLUSTERED_QUERIES,
  });
}
