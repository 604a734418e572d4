/**
 * Full-text memory search on SQLite at 100,000 items, warm: `memory.search` through the operation
 * runner (validation, read transaction, store ranking, recency, snippets), limit 10.
 *
 *   memory-search-100k-sqlite           keyword queries, no filter: p99 ≤ 10 ms (aim ≤ 5 ms)
 *   memory-search-100k-sqlite-filtered  the same queries within one project and kind
 *
 * The corpus is generated, deterministic: texts of 15–80 words drawn from a Zipf(1) vocabulary of
 * 30,000 words whose most frequent ones are English function words, so common words are as
 * common as in prose. A query is 1–4 words picked from a random stored item's content words (an
 * agent recalling something by a few of its words), so every query has matches: the result
 * line says how many items hold at least one of its words, and how many hold all of them.
 */

import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { createSqliteStore } from '../src/adapters/storage/sqlite/index.js';
import type { MemoryItem, MemoryKind } from '../src/domain/memory.js';
import { MEMORY_KINDS, parseMemoryQuery } from '../src/domain/memory.js';
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

// ── search, warm
const runner = createOperationRunner({ store, clock: systemClock, newId: createUlidGenerator() });
const search = findOperation('memory.search')!;

async function measure(filters: Record<string, unknown>): Promise<number[]> {
  const times: number[] = [];
  for (const [i, query] of queries.entries()) {
    const began = performance.now();
    const hits = (await runner.run(search, { query, ...filters }, 'bench')) as unknown[];
    const elapsed = performance.now() - began;
    if (hits.length === 0 && Object.keys(filters).length === 0)
      throw new Error(`no hit for '${query}'`);
    if (i >= WARMUP) times.push(elapsed); // the first queries warm the JIT and the page cache
  }
  return times.sort((a, b) => a - b);
}

// How hard the queries are: items holding any / every word of each (counted on the side).
const counter = new BetterSqlite3(join(workspace.dir, '.bosun', 'bosun.db'), { readonly: true });
const count = counter.prepare('select count(*) from memory_fts where memory_fts match ?').pluck();
const matches = (query: string, operator: ' OR ' | ' AND '): number =>
  count.get(
    `{text tags} : (${parseMemoryQuery(query)
      .map((term) => `"${term}"`)
      .join(operator)})`,
  ) as number;
const anyWord = queries.slice(WARMUP).map((query) => matches(query, ' OR '));
const everyWord = queries.slice(WARMUP).map((query) => matches(query, ' AND '));
counter.close();
const sorted = (values: number[]) => values.sort((a, b) => a - b);

const plain = await measure({});
report({
  bench: 'memory-search-100k-sqlite',
  metric: 'p99',
  value: round(percentile(plain, 99)),
  unit: 'ms',
  target: 10,
  p50: round(percentile(plain, 50)),
  max: round(plain.at(-1)!),
  queries: QUERIES,
  items: ITEMS,
  matchingAnyWordP50: percentile(sorted(anyWord), 50),
  matchingAnyWordP99: percentile(sorted(anyWord), 99),
  matchingEveryWordP50: percentile(sorted(everyWord), 50),
  matchingEveryWordP99: percentile(sorted(everyWord), 99),
  loadSeconds: round(loadSeconds, 1),
});
const filtered = await measure({ scope: 'project:HOME', kind: ['lesson', 'handoff'] });
report({
  bench: 'memory-search-100k-sqlite-filtered',
  metric: 'p99',
  value: round(percentile(filtered, 99)),
  unit: 'ms',
  target: 10,
  p50: round(percentile(filtered, 50)),
  max: round(filtered.at(-1)!),
  queries: QUERIES,
  items: ITEMS,
});
await store.close();
