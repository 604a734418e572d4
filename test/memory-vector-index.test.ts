/**
 * Memory's sign index (adapters/storage/sql/memory-vector-index.ts) on SQLite, with two
 * connections to one database file as two processes would have: what one embeds, forgets or
 * re-embeds in another space, the other's next search follows; and the index with exact
 * re-ranking finds the same nearest items as an exhaustive cosine scan.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../src/adapters/storage/sql/index.js';
import { MIGRATIONS } from '../src/adapters/storage/sql/sql-migrations.js';
import { createSqliteStore } from '../src/adapters/storage/sqlite/index.js';
import { loadSqliteVec } from '../src/adapters/storage/sqlite/sqlite-store.js';
import type { MemoryItem, MemoryKind } from '../src/domain/memory.js';
import { hashedEmbedding, normalizeVector } from '../src/domain/memory.js';
import type { Store } from '../src/ports/store.js';
import { createUlidGenerator } from '../src/shared/ids.js';

const DIMENSIONS = 64;
const SPACE = { model: 'mock:hashed', dimensions: DIMENSIONS };
const newId = createUlidGenerator();

let dir: string;
let writer: Store;
let reader: Store;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bosun-vector-index-'));
  writer = await createSqliteStore({ path: join(dir, 'bosun.db') });
  reader = await createSqliteStore({ path: join(dir, 'bosun.db') });
});

afterEach(async () => {
  await writer.close();
  await reader.close();
  await rm(dir, { recursive: true, force: true });
});

let created = Date.parse('2026-11-01T00:00:00Z');
const item = (text: string, extra: Partial<MemoryItem> = {}): MemoryItem => ({
  id: newId(),
  kind: 'lesson',
  scope: 'workspace',
  scopeId: null,
  scopeRef: null,
  text,
  tags: [],
  metadata: {},
  author: 'test',
  runId: null,
  createdAt: new Date((created += 1000)).toISOString(),
  forgottenAt: null,
  forgottenBy: null,
  forgetReason: null,
  ...extra,
});

/** Stores items with the given vectors (or their hashed embeddings) through `store`. */
async function embed(
  store: Store,
  items: readonly MemoryItem[],
  vectorOf: (item: MemoryItem) => number[] = (each) => hashedEmbedding(each.text, DIMENSIONS),
) {
  await store.transaction('write', async (repos) => {
    await repos.memory.useVectorSpace(SPACE);
    await repos.memory.insertMany(items);
  });
  await store.transaction('write', (repos) =>
    repos.memory.storeEmbeddings(items.map((each) => ({ id: each.id, vector: vectorOf(each) }))),
  );
}

const nearest = (
  store: Store,
  embedding: readonly number[],
  limit: number,
  extra: { kinds?: MemoryKind[]; tags?: string[] } = {},
) =>
  store.transaction('read', async (repos) =>
    (
      await repos.memory.searchVectors({
        embedding,
        limit,
        now: new Date('2026-11-22T00:00:00Z'),
        ...extra,
      })
    ).map((hit) => hit.id),
  );

describe('memory sign index', () => {
  it("follows another connection's new vectors, forgets and change of space", async () => {
    const first = item('tape library restore drill');
    await embed(writer, [first, item('garden hose'), item('kitchen lamp')]);
    const query = hashedEmbedding('tape library restore', DIMENSIONS);
    expect((await nearest(reader, query, 1))[0]).toBe(first.id);

    // Embedded by the other connection after the reader's index loaded: found at once.
    const closer = item('tape library restore drill tape library restore');
    await embed(writer, [closer]);
    const after = await nearest(reader, query, 2);
    expect(after).toContain(closer.id);
    expect(after).toContain(first.id);

    // Forgotten by the other connection: gone from the reader's answers.
    await writer.transaction('write', (repos) =>
      repos.memory.forget(first.id, { at: new Date().toISOString(), by: 'test', reason: null }),
    );
    expect(await nearest(reader, query, 5)).not.toContain(first.id);

    // Another embedding space: the reader's index starts again, old vectors never answer.
    await writer.transaction('write', (repos) =>
      repos.memory.useVectorSpace({ model: 'mock:other', dimensions: DIMENSIONS }),
    );
    expect(await nearest(reader, query, 5)).toEqual([]);
  });

  it('finds what an exhaustive cosine scan finds, with and without a narrow filter', async () => {
    // 2,000 unit vectors of 64 dimensions around 40 topics (as texts on a few subjects embed),
    // 1 % of them design docs tagged 'rare'.
    let state = 11;
    const random = () => {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      return state / 2_147_483_648 - 0.5;
    };
    const randomVector = () => Array.from({ length: DIMENSIONS }, random);
    const topics = Array.from({ length: 40 }, randomVector);
    const nearTopic = () => {
      const topic = topics[Math.floor((random() + 0.5) * topics.length)]!;
      return normalizeVector(randomVector().map((noise, d) => topic[d]! + noise * 0.8));
    };
    const vectors = new Map<string, number[]>();
    const items = Array.from({ length: 2000 }, (_, i) => {
      const each = item(`item ${i}`, i % 100 === 0 ? { kind: 'design_doc', tags: ['rare'] } : {});
      vectors.set(each.id, nearTopic());
      return each;
    });
    await embed(writer, items, (each) => vectors.get(each.id)!);
    const exact = (query: number[], keep: (each: MemoryItem) => boolean, limit: number) =>
      items
        .filter(keep)
        .map((each) => ({
          id: each.id,
          cosine: vectors.get(each.id)!.reduce((sum, value, d) => sum + value * query[d]!, 0),
        }))
        .filter((each) => each.cosine > 0)
        .sort((a, b) => b.cosine - a.cosine)
        .slice(0, limit)
        .map((each) => each.id);
    let found = 0;
    let wanted = 0;
    for (let q = 0; q < 20; q++) {
      const query = nearTopic();
      const truth = exact(query, () => true, 10);
      const got = await nearest(reader, query, 10);
      wanted += truth.length;
      found += got.filter((id) => truth.includes(id)).length;
      // The filter is applied in the index: all 20 rare items are candidates, so it is exact.
      const rare = (each: MemoryItem) => each.kind === 'design_doc';
      expect(await nearest(reader, query, 5, { kinds: ['design_doc'], tags: ['rare'] })).toEqual(
        exact(query, rare, 5),
      );
    }
    // 100 candidates by signs for 10 results: nearly every true neighbour is among them.
    expect(found / wanted).toBeGreaterThanOrEqual(0.9);
  });
});

describe('upgrading a workspace whose vectors were stored before the sign index', () => {
  it('computes signs and byte values for every stored vector and searches them', async () => {
    // A database at schema 6, vectors stored as version 6 did: float32 blobs and a vec0 table.
    const path = join(dir, 'old.db');
    const database = new BetterSqlite3(path);
    loadSqliteVec(database);
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
    await sql`create table bosun_migrations (version integer primary key, name text not null, applied_at text not null)`.execute(
      db,
    );
    for (const migration of MIGRATIONS.filter((each) => each.version <= 6)) {
      await migration.up(db, 'sqlite');
      await sql`insert into bosun_migrations values (${migration.version}, ${migration.name}, '2026-11-01')`.execute(
        db,
      );
    }
    await db.destroy();
    const v6 = new BetterSqlite3(path);
    loadSqliteVec(v6);
    const texts = ['tape library restore drill', 'garden hose', 'kitchen lamp'];
    v6.prepare(
      "insert into memory_vector_space (id, model, dimensions, since) values (1, 'mock:hashed', 64, '2026-11-01')",
    ).run();
    v6.prepare('create virtual table memory_vec using vec0(coarse bit[64])').run();
    texts.forEach((text, i) => {
      const seq = (1_700_000_000_000 + i) * 1024;
      v6.prepare(
        "insert into memory_items (seq, facets, id, scope, scope_id, scope_ref, kind, author, run_id, created_at, tags, metadata, text, embedded) values (?, '', ?, 'workspace', null, null, 'lesson', 'test', null, ?, '[]', '{}', ?, 1)",
      ).run(seq, newId(), new Date(1_700_000_000_000 + i).toISOString(), text);
      v6.prepare('insert into memory_vectors (seq, embedding) values (?, vec_f32(?))').run(
        seq,
        JSON.stringify(hashedEmbedding(text, DIMENSIONS)),
      );
    });
    v6.close();

    const upgraded = await createSqliteStore({ path });
    try {
      const found = await upgraded.transaction('read', (repos) =>
        repos.memory.searchVectors({
          embedding: hashedEmbedding('tape library restore', DIMENSIONS),
          limit: 1,
          now: new Date('2026-11-22T00:00:00Z'),
        }),
      );
      const [target] = await upgraded.transaction('read', (repos) =>
        repos.memory.findByIds(found.map((hit) => hit.id)),
      );
      expect(target?.text).toBe('tape library restore drill');
    } finally {
      await upgraded.close();
    }
    const check = new BetterSqlite3(path, { readonly: true });
    expect(
      check
        .prepare('select count(*) as n from memory_vectors where bits is null or codes is null')
        .get(),
    ).toEqual({ n: 0 });
    expect(
      check.prepare("select count(*) as n from sqlite_master where name = 'memory_vec'").get(),
    ).toEqual({ n: 0 });
    check.close();
  });
});
