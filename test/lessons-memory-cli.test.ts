/**
 * Lessons in memory through the built CLI: every lesson keeps one memory item of kind `lesson`
 * that follows it (stored, replaced when its words or tags change, untouched by validations,
 * forgotten when archived, stored again when restored; `lesson reindex` repairs a missing one);
 * `lesson suggest` fuses its ranking by words with memory search and says which side found each
 * lesson, with full text only and with vectors from the fake OpenAI-compatible embeddings
 * server; `bosun ask` cites a lesson's item by the lesson's ref.
 */

import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { fnv1a } from '../src/shared/fnv1a.js';
import type { FakeOpenAIServer } from '../src/testing/fake-openai-server.js';
import { startFakeOpenAIServer } from '../src/testing/fake-openai-server.js';
import { bosunJson, initWorkspace, runBosun } from './helpers/cli.js';

interface HitJson {
  id: string;
  kind: string;
  scopeRef: string | null;
  tags: string[];
  snippet: string;
  matched: string[];
}

interface ItemJson {
  id: string;
  kind: string;
  scope: string;
  scopeRef: string | null;
  text: string;
  tags: string[];
  metadata: Record<string, unknown>;
  forgottenAt: string | null;
  forgetReason: string | null;
}

interface SuggestionJson {
  ref: string;
  relevance: number;
  matched: string[];
  score: number;
  matchedBy: 'text' | 'memory' | 'both';
  helpfulScore: number;
  note?: string;
}

describe('lessons in memory, full text only', () => {
  let cwd: string;
  const bosun = <T>(args: string[]) => bosunJson<T>(args, { cwd });
  const lessonHits = (query: string) =>
    bosun<HitJson[]>(['memory', 'search', query, '--kind', 'lesson']);
  const item = (id: string) => bosun<ItemJson>(['memory', 'get', id]);

  beforeAll(async () => {
    cwd = await initWorkspace('bosun-lessons-memory-');
    expect((await runBosun(['project', 'create', 'HOME', 'Home lab'], { cwd })).status).toBe(0);
    expect((await runBosun(['project', 'create', 'WORK', 'Work'], { cwd })).status).toBe(0);
  });

  it("keeps one memory item that follows the lesson's life", async () => {
    await bosun([
      'lesson',
      'add',
      'HOME',
      'Test restores, not only backups',
      '--context',
      'the March restore failed',
      '--insight',
      'a backup is only as good as its last restore test',
      '-t',
      'backup',
      '-t',
      'nas',
    ]);
    const [created, ...others] = await lessonHits('restore');
    expect(others).toEqual([]);
    expect(created).toMatchObject({ kind: 'lesson', scopeRef: 'HOME', tags: ['backup', 'nas'] });
    expect(await item(created!.id)).toMatchObject({
      scope: 'project',
      text: 'Test restores, not only backups\n\nthe March restore failed\n\na backup is only as good as its last restore test',
      metadata: { lesson: 'HOME-L1' },
      forgottenAt: null,
    });

    // Validations and applications leave the item alone; so does an update changing nothing.
    await bosun(['task', 'add', 'HOME', 'Restore the photos share']);
    await bosun(['lesson', 'validate', 'HOME-L1', '--helped']);
    await bosun(['lesson', 'apply', 'HOME-L1', '--task', 'HOME-1']);
    await bosun(['lesson', 'update', 'HOME-L1', '-t', 'backup', '-t', 'nas']);
    expect((await lessonHits('restore')).map((hit) => hit.id)).toEqual([created!.id]);

    // A change of words replaces it: the old one forgotten, the new one found by its new words.
    await bosun([
      'lesson',
      'update',
      'HOME-L1',
      '-i',
      'restore one file every Monday',
      '-t',
      'tape',
    ]);
    const [replaced, ...more] = await lessonHits('Monday');
    expect(more).toEqual([]);
    expect(replaced!.id).not.toBe(created!.id);
    expect(replaced!.tags).toEqual(['tape']);
    expect(await lessonHits('"only as good"')).toEqual([]);
    expect(await item(created!.id)).toMatchObject({ forgetReason: 'superseded' });
    expect((await item(created!.id)).forgottenAt).not.toBeNull();

    // Archived: out of memory search; restored: a new item.
    await bosun(['lesson', 'archive', 'HOME-L1']);
    expect(await lessonHits('Monday')).toEqual([]);
    expect(await item(replaced!.id)).toMatchObject({ forgetReason: 'lesson archived' });
    await bosun(['lesson', 'restore', 'HOME-L1']);
    const [restored] = await lessonHits('Monday');
    expect(restored!.id).not.toBe(replaced!.id);
    expect(await item(restored!.id)).toMatchObject({
      metadata: { lesson: 'HOME-L1' },
      forgottenAt: null,
    });
  });

  it('reindex stores the item a lesson lacks (a lesson recorded before lessons kept one)', async () => {
    const [hit] = await lessonHits('Monday');
    await bosun(['memory', 'forget', hit!.id, '--reason', 'as if never stored']);
    expect(await lessonHits('Monday')).toEqual([]);
    expect(await bosun(['lesson', 'reindex', 'HOME'])).toEqual({
      lessons: 1,
      stored: 1,
      forgotten: 0,
      unchanged: 0,
    });
    expect(await lessonHits('Monday')).toHaveLength(1);
    expect(await bosun(['lesson', 'reindex'])).toEqual({
      lessons: 1,
      stored: 0,
      forgotten: 0,
      unchanged: 1,
    });
    const audit = await bosun<{ operation: string }[]>(['audit', 'list', 'HOME-L1']);
    expect(audit.map((entry) => entry.operation)).toContain('lesson.reindex');
  });

  it('suggests by the fused ranking and says which side found each lesson', async () => {
    // Memory's full text stems `restoring` and `restores` alike; the ranking by words does not.
    await bosun(['lesson', 'add', 'HOME', 'Practise restoring from snapshots', '-t', 'drill']); // L2
    await bosun(['lesson', 'add', 'HOME', 'Order spares early', '-i', 'disks take two weeks']); // L3
    await bosun(['lesson', 'add', 'WORK', 'Plan restores for the payroll share']); // WORK-L1
    await bosun(['task', 'add', 'HOME', 'Plan restores of the photos share', '-t', 'tape']); // HOME-2
    const suggestions = await bosun<SuggestionJson[]>(['lesson', 'suggest', '--task', 'HOME-2']);
    expect(suggestions.map((s) => [s.ref, s.matchedBy])).toEqual([
      ['HOME-L1', 'both'],
      ['HOME-L2', 'memory'],
    ]);
    const [first, second] = suggestions;
    expect(first!.relevance).toBeGreaterThan(0);
    expect(first!.matched).toEqual(expect.arrayContaining(['restore', 'tape']));
    expect(second).toMatchObject({ relevance: 0, matched: [] });
    // Reciprocal rank fusion (k = 60): found first by both sides, or second by memory alone.
    expect(first!.score).toBeCloseTo(2 / 61, 4);
    expect(second!.score).toBeCloseTo(1 / 62, 4);
    expect(first!.note).toBeUndefined();

    const everywhere = await bosun<SuggestionJson[]>([
      'lesson',
      'suggest',
      'HOME-2',
      '--all-projects',
    ]);
    expect(everywhere.map((s) => s.ref)).toContain('WORK-L1');
    const table = await runBosun(['lesson', 'suggest', '--task', 'HOME-2'], { cwd });
    expect(table.stdout).toMatch(/^REF\s+SCORE\s+FOUND BY\s+RELEVANCE\s+HELPFUL\s+MATCHED\s+TITLE/);
    expect(table.stdout).toMatch(/HOME-L2\s+\S+\s+memory\s/);

    await bosun(['lesson', 'archive', 'HOME-L2']);
    const after = await bosun<SuggestionJson[]>(['lesson', 'suggest', '--task', 'HOME-2']);
    expect(after.map((s) => s.ref)).toEqual(['HOME-L1']);
    await bosun(['lesson', 'restore', 'HOME-L2']);
  });

  it("bosun ask finds a lesson's item and cites it by the lesson's ref", async () => {
    const asked = await bosun<{
      answeredBy: unknown;
      passages: { ref: string; source: string; title: string; text: string }[];
    }>(['ask', 'How do we practise restoring from snapshots?']);
    expect(asked.answeredBy).toBe('passages');
    const lesson = asked.passages.find((passage) => passage.title.startsWith('lesson HOME-L2'));
    expect(lesson).toMatchObject({
      source: 'memory',
      title: 'lesson HOME-L2 (project:HOME)',
      text: expect.stringContaining('Practise restoring from snapshots'),
    });
    const printed = await runBosun(['ask', 'How do we practise restoring from snapshots?'], {
      cwd,
    });
    expect(printed.stdout).toContain('lesson HOME-L2 (project:HOME)');
  });
});

/**
 * Two different words the fake embedder (domain/memory.ts hashedEmbedding: a hashed bag of
 * words) puts in the same dimension with the same sign: to it they mean the same, the way a real
 * model puts synonyms close. Found by trying made-up words, deterministically.
 */
function synonyms(dimensions: number): [string, string] {
  const seen = new Map<string, string>();
  for (let i = 0; ; i++) {
    const word = `zork${i}x`;
    const key = `${fnv1a(word) % dimensions}:${fnv1a(`${word}#`) & 1}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) return [earlier, word];
    seen.set(key, word);
  }
}

describe('lessons in memory, with embeddings', () => {
  let server: FakeOpenAIServer;
  let cwd: string;
  const env = { FAKE_EMBED_KEY: 'sk-embed' };
  const bosun = <T>(args: string[]) => bosunJson<T>(args, { cwd, env });

  beforeAll(async () => {
    server = await startFakeOpenAIServer({ apiKey: 'sk-embed' });
    cwd = await initWorkspace('bosun-lessons-vectors-', [
      'embeddings:',
      '  provider: openai-compatible',
      `  base_url: ${server.url}`,
      '  model: fake-embed',
      '  dimensions: 384',
      '  api_key_env: FAKE_EMBED_KEY',
    ]);
    expect((await runBosun(['project', 'create', 'HOME', 'Home lab'], { cwd, env })).status).toBe(
      0,
    );
  });

  afterAll(async () => {
    await server.close();
  });

  it('finds through the vector side a lesson that shares no word with the task', async () => {
    const [word, synonym] = synonyms(384);
    await bosun(['lesson', 'add', 'HOME', 'Rotate the bucket credentials yearly']); // L1
    await bosun(['lesson', 'add', 'HOME', `Check the ${word} twice`, '-i', 'it drifts']); // L2
    await bosun(['lesson', 'add', 'HOME', 'Label cables before unracking']); // L3
    await bosun(['task', 'add', 'HOME', `Upgrade ${synonym} firmware`]); // HOME-1

    // Not embedded yet: memory's full text finds nothing, the words find nothing.
    expect(await bosun<SuggestionJson[]>(['lesson', 'suggest', '--task', 'HOME-1'])).toEqual([]);

    const embed = await runBosun(['memory', 'embed', '--json'], { cwd, env });
    expect(embed.status, embed.stderr).toBe(0);
    expect(JSON.parse(embed.stdout)).toMatchObject({ embedded: 3, pending: 0 });

    const suggestions = await bosun<SuggestionJson[]>(['lesson', 'suggest', '--task', 'HOME-1']);
    expect(suggestions[0]).toMatchObject({ ref: 'HOME-L2', matchedBy: 'memory', relevance: 0 });
    expect(suggestions[0]!.score).toBeCloseTo(1 / 61, 4);
    expect(suggestions.every((s) => s.matchedBy === 'memory')).toBe(true);
    // The query's vector was asked for outside the transaction: the task's words and tags.
    expect(server.requests.filter((r) => r.path === '/v1/embeddings').at(-1)!.input).toEqual([
      `Upgrade ${synonym} firmware`,
    ]);

    // An archived lesson is never suggested, however near its vector.
    await bosun(['lesson', 'archive', 'HOME-L2']);
    const after = await bosun<SuggestionJson[]>(['lesson', 'suggest', '--task', 'HOME-1']);
    expect(after.map((s) => s.ref)).not.toContain('HOME-L2');
  });

  it('falls back to full text, and says so, when the embedder fails', async () => {
    await bosun(['lesson', 'restore', 'HOME-L2']);
    server.failEmbeddings(10, 503);
    const suggestions = await bosun<SuggestionJson[]>([
      'lesson',
      'suggest',
      '--text',
      'rotate credentials',
    ]);
    server.failEmbeddings(0);
    expect(suggestions.map((s) => [s.ref, s.matchedBy])).toEqual([['HOME-L1', 'both']]);
    expect(suggestions[0]!.note).toMatch(/embedder failed/);
  });
});
