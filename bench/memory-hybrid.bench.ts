/**
 * Hybrid memory search on SQLite at 100,000 items with 384-dimension vectors, warm:
 * `memory.search` through the operation runner with an in-process embedder (the query's vector
 * is made in `prepare`, as with a real model, minus the network), full text and sqlite-vec kNN
 * fused by reciprocal rank, limit 10.
 *
 *   memory-hybrid-100k-384d-sqlite           p99 ≤ 10 ms (aim ≤ 5 ms)
 *   memory-hybrid-100k-384d-sqlite-filtered  the same queries within one project and two kinds
 *
 * The corpus and queries are memory.bench.ts's (same generator, same seed); each item's vector is
 * the hashed bag of its words (domain/memory.ts hashedEmbedding), so the vector side has real
 * neighbours to find.
 */

import { hashedEmbedding } from '../src/domain/memory.js';
import { createMemoryVectors } from '../src/core/services/memory-embedding.js';
import type { Embedder } from '../src/ports/embedder.js';
import { createOperationRunner, findOperation } from '../src/operations/catalog.js';
import { systemClock } from '../src/shared/clock.js';
import { createUlidGenerator } from '../src/shared/ids.js';
import { ITEMS, QUERIES, WARMUP, loadSeconds, queries, store } from './memory-corpus.js';
import { percentile, report, round } from './report.js';

// ── the vectors, written through the repository in the workspace's embedding space
const DIMENSIONS = 384;
const space = { model: 'mock:hashed', dimensions: DIMENSIONS };
const embedStart = performance.now();
await store.transaction('write', (repos) => repos.memory.useVectorSpace(space));
for (;;) {
  const pending = await store.transaction('read', (repos) => repos.memory.pendingEmbeddings(5_000));
  if (pending.length === 0) break;
  await store.transaction('write', (repos) =>
    repos.memory.storeEmbeddings(
      pending.map((item) => ({ id: item.id, vector: hashedEmbedding(item.text, DIMENSIONS) })),
    ),
  );
}
const embedSeconds = (performance.now() - embedStart) / 1000;

// ── search, warm
const embedder: Embedder = {
  space,
  embed: (values) => Promise.resolve(values.map((text) => hashedEmbedding(text, DIMENSIONS))),
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
await store.close();
