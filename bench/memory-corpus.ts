/**
 * The memory benchmarks' corpus, made the same way for each (same generator, same seed): a
 * workspace with project HOME and 100,000 memory items of 15–80 words drawn from a Zipf
 * vocabulary whose most frequent words are English function words, one item every 5 minutes
 * over a year, 10 % of them in HOME, with 0–2 of 40 tags; and 2,200 queries of 1–4 words of a
 * stored item (the first 200 warm up).
 */

import { join } from 'node:path';
import { createSqliteStore } from '../src/adapters/storage/sqlite/index.js';
import type { MemoryItem, MemoryKind } from '../src/domain/memory.js';
import { MEMORY_KINDS } from '../src/domain/memory.js';
import { createManualClock } from '../src/shared/clock.js';
import { createUlidGenerator } from '../src/shared/ids.js';
import { createBenchWorkspace } from './bench-workspace.js';

export const ITEMS = 100_000;
export const QUERIES = 2_000;
export const WARMUP = 200;
const VOCABULARY = 30_000;

let state = 7;
export const random = (): number => {
  state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
  return state / 2_147_483_648;
};
export const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

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

export const workspace = createBenchWorkspace('memory');
workspace.bosun('project', 'create', 'HOME', 'Home lab');
export const databasePath = join(workspace.dir, '.bosun', 'bosun.db');
export const store = await createSqliteStore({ path: databasePath });
const project = await store.transaction('read', (repos) => repos.projects.findByKey('HOME'));

// ── the corpus, written through the memory repository (its triggers fill the FTS index)
const start = Date.parse('2026-01-01T00:00:00.000Z');
const clock = createManualClock(new Date(start));
const newId = createUlidGenerator(clock);
export const texts: string[] = [];
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
export const loadSeconds = (performance.now() - loadStart) / 1000;

export const queries = Array.from({ length: QUERIES + WARMUP }, () => {
  const words = pick(texts)
    .split(' ')
    .filter((word) => !functionWords.has(word));
  return Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(words)).join(' ');
});
