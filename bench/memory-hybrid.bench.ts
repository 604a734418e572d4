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

import { join } from 'node:path';
import { createSqliteStore } from '../src/adapters/storage/sqlite/index.js';
import type { MemoryItem, MemoryKind } from '../src/domain/memory.js';
import { MEMORY_KINDS, hashedEmbedding } from '../src/domain/memory.js';
import { createMemoryVectors } from '../src/core/services/memory-embedding.js';
import type { Embedder } from '../src/ports/embedder.js';
import { createOperationRunner, findOperation } from '../src/operations/catalog.js';
import { createManualClock, systemClock } from '../src/shared/clock.js';
import { createUlidGenerator } from '../src/shared/ids.js';
import { createBenchWorkspace } from './bench-workspace.js';
import { percentile, report, round } from './report.js';

const ITEMS = 100_000;
const QUERIES = 2_000;
const WARMUP = 200;
const VOCABULARY = 30_000;

let state = 7;
const random = (): number => {
  state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
  return state / 2_147_483_648;
};
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const FUNCTION_WORDS = (
  'the of and to a in is it that for on was with as be at by this we from or an are not but ' +
  'had have has were did how what when which there their they so if all would about one out up ' +
  'into them then its only can will just should now no than too very some any after before'
).split(' ');
const SYLLABLES = ['ba', 'ko', 'ri', 'ne', 'tu', 'sa', 'mi', 'lo', 'pe', 'da', 'gu', 'xi', 'vo'];
// Made-up words, one per number written in base 13 with a syllable per digit (3–5 syllables).
const vocabulary = [...FUNCTION_WORDS];
for (let n = 13 * 13; vocabulary.length < VOCABULARY; n++) {
  let word = '';
  for (let rest = n; rest > 0; rest = Math.floor(rest / 13)) word += SYLLABLES[rest % 13];
  vocabulary.push(word);
}
const cumulative: number[] = [];
let total = 0;
for (let rank = 1; rank <= VOCABULARY; rank++) cumulative.push((total += 1 / rank));
const zipfWord = (): string => {
  const target = random() * total;
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (cumulative[middle]! < target) low = middle + 1;
    else high = middle;
  }
  return vocabulary[low]!;
};
const functionWords = new Set(FUNCTION_WORDS);
const TAGS = Array.from({ length: 40 }, (_, i) => `tag${i}`);

const workspace = createBenchWorkspace('memory');
workspace.bosun('project', 'create', 'HOME', 'Home lab');
const store = await createSqliteStore({ path: join(workspace.dir, '.bosun', 'bosun.db') });
const project = await store.transaction('read', (repos) => repos.projects.findByKey('HOME'));

// ── the corpus, written through the memory repository (its triggers fill the FTS index)
const start = Date.parse('2026-01-01T00:00:00.000Z');
const clock = createManualClock(new Date(start));
const newId = createUlidGenerator(clock);
const texts: string[] = [];
const loadStart = performance.now();
for (let written = 0; written < ITEMS;) {
  const batch: MemoryItem[] = [];
  for (let i = 0; i < 5_000 && written < ITEMS; i++, written++) {
    clock.set(new Date(start + written * 300_000)); // one item every 5 minutes: a year
    const words = Array.from({ length: 15 + Math.floor(random() * 66) }, zipfWord);
    texts.push(words.join(' '));
    const inProject = random() < 0.1;
    batch.push({
      id: newId(),
      kind: pick<MemoryKind>(MEMORY_KINDS),
      scope: inProject ? 'project' : 'workspace',
      scopeId: inProject ? project!.id : null,
      scopeRef: inProject ? 'HOME' : null,
      text: texts.at(-1)!,
      tags: [...new Set(Array.from({ length: Math.floor(random() * 3) }, () => pick(TAGS)))],
      metadata: {},
      author: 'bench',
      runId: null,
      createdAt: clock.now().toISOString(),
      forgottenAt: null,
      forgottenBy: null,
      forgetReason: null,
    });
  }
  await store.transaction('write', (repos) => repos.memory.insertMany(batch));
}
const loadSeconds = (performance.now() - loadStart) / 1000;

const queries = Array.from({ length: QUERIES + WARMUP }, () => {
  const words = pick(texts)
    .split(' ')
    .filter((word) => !functionWords.has(word));
  return Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(words)).join(' ');
});

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
