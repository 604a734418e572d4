/**
 * Hybrid memory search end to end through the built `bosun` bin: bosun.yaml's `embeddings:`
 * points at the fake OpenAI-compatible server, items are stored as pending (no embedding call in
 * `memory store`), `bosun memory embed` embeds them over the real wire format with progress on
 * stderr, and a search finds an item that only the vector side ranks. A failing embedder at
 * search time leaves a full-text answer that says so.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeOpenAIServer } from '../src/testing/fake-openai-server.js';
import { startFakeOpenAIServer } from '../src/testing/fake-openai-server.js';
import type { BackgroundBosun } from './helpers/cli.js';
import { bosunJson, runBosun, startBosun, tempDir } from './helpers/cli.js';

interface HitJson {
  id: string;
  score: number;
  matched: string[];
  note?: string;
}

let server: FakeOpenAIServer;
let dir: string;

beforeAll(async () => {
  server = await startFakeOpenAIServer({ apiKey: 'sk-embed' });
  dir = tempDir();
  const init = await runBosun(['init'], { cwd: dir });
  expect(init.status, init.stderr).toBe(0);
  const config = join(dir, '.bosun', 'bosun.yaml');
  writeFileSync(
    config,
    `${readFileSync(config, 'utf8')}
embeddings:
  provider: openai-compatible
  base_url: ${server.url}
  model: fake-embed
  dimensions: 384
  api_key_env: FAKE_EMBED_KEY
`,
  );
});

afterAll(async () => {
  await server.close();
});

const env = { FAKE_EMBED_KEY: 'sk-embed' };
const embeddingRequests = () => server.requests.filter((r) => r.path === '/v1/embeddings');

describe('bosun memory with embeddings', () => {
  it('stores items as pending, embeds them with memory embed, then searches by words and by vectors', async () => {
    const store = async (text: string) =>
      bosunJson<{ id: string }>(['memory', 'store', text, '-k', 'lesson'], { cwd: dir, env });
    const both = await store('Restore the NAS backup weekly from the offsite copy');
    const vectorOnly = await store('The NAS mirror lives offsite');
    await store('Rotate the bucket credentials yearly');
    // Storing never calls the embedder.
    expect(embeddingRequests()).toHaveLength(0);

    const before = await bosunJson<{ memory: Record<string, unknown> }>(['system', 'health'], {
      cwd: dir,
      env,
    });
    expect(before.memory).toEqual({
      items: 3,
      embedded: 0,
      pending: 3,
      backend: 'sqlite-vec',
      model: 'openai-compatible:fake-embed',
    });

    const embed = await runBosun(['memory', 'embed', '--json'], { cwd: dir, env });
    expect(embed.status, embed.stderr).toBe(0);
    expect(JSON.parse(embed.stdout)).toMatchObject({
      model: 'openai-compatible:fake-embed',
      dimensions: 384,
      backend: 'sqlite-vec',
      embedded: 3,
      pending: 0,
      items: 3,
    });
    expect(embed.stderr).toContain('memory.embed: embedded 3, 0 pending');
    const [batch] = embeddingRequests();
    expect(batch).toMatchObject({ model: 'fake-embed', authorization: 'Bearer sk-embed' });
    expect(batch!.input).toHaveLength(3);

    // `--match all`: the text side finds only the item holding every word; the vector side adds
    // the one sharing some of them.
    const hits = await bosunJson<HitJson[]>(
      ['memory', 'search', 'nas offsite backup', '--match', 'all'],
      { cwd: dir, env },
    );
    expect(hits.map((hit) => [hit.id, hit.matched])).toEqual([
      [both.id, ['text', 'vector']],
      [vectorOnly.id, ['vector']],
    ]);
    // The query's own vector was one more request.
    expect(embeddingRequests().at(-1)!.input).toEqual(['nas offsite backup']);

    const table = await runBosun(['memory', 'nas offsite backup', '--match', 'all'], {
      cwd: dir,
      env,
    });
    expect(table.stdout).toMatch(/MATCHED/);
    expect(table.stdout).toMatch(/text, vector|text,vector/);
  });

  it('answers from full text, and says so, when the embedder fails at search time', async () => {
    server.failEmbeddings(10, 503);
    const hits = await bosunJson<HitJson[]>(['memory', 'search', 'rotate credentials'], {
      cwd: dir,
      env,
    });
    server.failEmbeddings(0);
    expect(hits).toHaveLength(1);
    expect(hits[0]!.matched).toEqual(['text']);
    expect(hits[0]!.note).toMatch(/embedder failed/);
  });

  it('a worker embeds new items in the background', async () => {
    const worker: BackgroundBosun = startBosun(['worker', '--json'], { cwd: dir, env });
    try {
      await worker.waitForOutput(/serving sqlite workspace/, 10_000);
      const item = await bosunJson<{ id: string }>(
        ['memory', 'store', 'Label every tape cartridge by quarter', '-k', 'lesson'],
        { cwd: dir, env },
      );
      let memory: Record<string, unknown> = {};
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        memory = (
          await bosunJson<{ memory: Record<string, unknown> }>(['system', 'health'], {
            cwd: dir,
            env,
          })
        ).memory;
        if (memory['pending'] === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(memory).toMatchObject({ pending: 0, embedded: memory['items'] });
      expect(
        embeddingRequests().some((r) => r.input.includes('Label every tape cartridge by quarter')),
      ).toBe(true);
      const hits = await bosunJson<HitJson[]>(['memory', 'search', 'tape cartridge'], {
        cwd: dir,
        env,
      });
      expect(hits[0]).toMatchObject({ id: item.id, matched: ['text', 'vector'] });
    } finally {
      worker.kill('SIGTERM');
      await worker.exited;
    }
  });

  it('refuses memory embed without embeddings configured', async () => {
    const plain = tempDir();
    expect((await runBosun(['init'], { cwd: plain })).status).toBe(0);
    const result = await runBosun(['memory', 'embed'], { cwd: plain });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/error\[unavailable\]: .*embeddings:/);
  });
});
