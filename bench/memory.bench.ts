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
import { parseMemoryQuery } from '../src/domain/memory.js';
import { createOperationRunner, findOperation } from '../src/operations/catalog.js';
import { systemClock } from '../src/shared/clock.js';
import { createUlidGenerator } from '../src/shared/ids.js';
import { ITEMS, QUERIES, WARMUP, loadSeconds, queries, store, workspace } from './memory-corpus.js';
import { percentile, report, round } from './report.js';

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
