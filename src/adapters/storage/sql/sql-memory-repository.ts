/**
 * Memory items and their full-text search in plain SQL through a SqlExecutor. The tables are the
 * same on both dialects; the index is not: SQLite keeps an external-content FTS5 table in step by
 * triggers and ranks by BM25, PostgreSQL a generated tsvector column under a GIN index, ranked by
 * ts_rank_cd. A query's terms are always bound as parameters and read as text by the database's
 * own tokenizer (an FTS5 string, phraseto_tsquery), never as query syntax. Both rank every match
 * by the same score (domain/memory.ts memoryScore) in SQL.
 *
 * SQLite answers a search from the FTS5 index alone, without reading the row of each match (the
 * lookups cost more than the ranking): an item's rowid is its creation time (ms × 1024, plus a
 * counter), so the index knows each match's age and the since/until bounds are rowid ranges, and
 * its scope, kind and tags are indexed as `facets` tokens, so filters are part of the MATCH.
 */

import type {
  EmbeddingSpace,
  MemoryItem,
  MemoryKind,
  MemoryLineage,
  MemoryScope,
  VectorBackend,
} from '../../../domain/memory.js';
import {
  RECENCY_BOOST,
  RECENCY_HALF_DAYS,
  byteCodes,
  recencyFactor,
  signBytes,
} from '../../../domain/memory.js';
import type {
  MemoryMatch,
  MemorySearchQuery,
  MemoryRepository,
  MemoryVectorQuery,
  StoreDialect,
} from '../../../ports/store.js';
import type { MemoryVectorIndex } from './memory-vector-index.js';
import type { SqlExecutor, SqlParameter } from './sql-executor.js';

const COLUMNS = [
  'id',
  'scope',
  'scope_id',
  'scope_ref',
  'kind',
  'author',
  'run_id',
  'created_at',
  'forgotten_at',
  'forgotten_by',
  'forget_reason',
  'tags',
  'metadata',
  'text',
] as const;
const COLUMN_LIST = COLUMNS.join(', ');

/** Rows per multi-row INSERT (parameters stay under SQLite's limit of 32,766). */
const INSERT_BATCH = 500;

/** Weights of the indexed columns: the text counts fully, a tag's words less (ts_rank's B). */
const TEXT_WEIGHT = 1.0;
const TAGS_WEIGHT = 0.4;

/**
 * SQLite: an item's seq (the FTS5 rowid) is its creation time in ms × 1024 plus a counter for
 * items created in the same millisecond. Past 1,024 of those an item takes the next free number
 * (unique always; its time then reads a little late). Exact while ms × 1024 stays below 2^53,
 * until the year 2242.
 */
const SEQ_SHIFT = 10;
const SEQ_PER_MS = 2 ** SEQ_SHIFT;

/** memoryScore in SQL: relevance × (1 + boost / (1 + age in days / half-life)). */
const scored = (relevance: string, ageMs: string): string =>
  `(${relevance}) * (1 + ${RECENCY_BOOST} / (1 + ${ageMs} / 86400000.0 / ${RECENCY_HALF_DAYS}))`;

/**
 * A facet token: a prefix and the value's UTF-8 bytes as 3-digit numbers (`zk` + `lesson` →
 * `zk108101115115111110`). Letters and digits only, so the tokenizer keeps it whole, and a
 * suffix of digits that the Porter stemmer leaves alone.
 */
function facet(prefix: 'zk' | 'zs' | 'zi' | 'zt', value: string): string {
  let token = prefix;
  for (const byte of new TextEncoder().encode(value)) token += byte.toString().padStart(3, '0');
  return token;
}

function facetsOf(item: MemoryItem): string {
  return [
    facet('zk', item.kind),
    facet('zs', item.scope),
    ...(item.scopeId === null ? [] : [facet('zi', item.scopeId)]),
    ...item.tags.map((tag) => facet('zt', tag)),
  ].join(' ');
}

interface MemoryRow {
  id: string;
  scope: string;
  scope_id: string | null;
  scope_ref: string | null;
  kind: string;
  author: string;
  run_id: string | null;
  created_at: string;
  forgotten_at: string | null;
  forgotten_by: string | null;
  forget_reason: string | null;
  tags: string;
  metadata: string;
  text: string;
}

// Stored JSON was written by this repository; it is trusted like any other column.
function toMemoryItem(row: MemoryRow): MemoryItem {
  return {
    id: row.id,
    kind: row.kind as MemoryKind,
    scope: row.scope as MemoryScope,
    scopeId: row.scope_id,
    scopeRef: row.scope_ref,
    text: row.text,
    tags: JSON.parse(row.tags) as string[],
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    author: row.author,
    runId: row.run_id,
    createdAt: row.created_at,
    forgottenAt: row.forgotten_at,
    forgottenBy: row.forgotten_by,
    forgetReason: row.forget_reason,
  };
}

function toParameters(item: MemoryItem): SqlParameter[] {
  return [
    item.id,
    item.scope,
    item.scopeId,
    item.scopeRef,
    item.kind,
    item.author,
    item.runId,
    item.createdAt,
    item.forgottenAt,
    item.forgottenBy,
    item.forgetReason,
    JSON.stringify(item.tags),
    JSON.stringify(item.metadata),
    item.text,
  ];
}

const insertTexts = new Map<number, string>();

function insertText(table: string, columns: number, rows: number, names: string): string {
  const key = rows * 100 + columns;
  let text = insertTexts.get(key);
  if (text === undefined) {
    const row = `(${Array.from({ length: columns }, () => '?').join(', ')})`;
    text = `insert into ${table} (${names}) values ${Array.from({ length: rows }, () => row).join(', ')}`;
    insertTexts.set(key, text);
  }
  return text;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** An FTS5 string: everything between the double quotes is text for the tokenizer. */
const ftsString = (term: string): string => `"${term.replace(/"/g, '""')}"`;

/** A JSON array bound as one parameter, read back by json_each / jsonb_array_elements_text. */
const jsonList = (values: readonly (string | number)[]): string => JSON.stringify(values);

/**
 * SQLite: candidates the sign index (memory-vector-index.ts) takes by their signs per result
 * wanted, and orders by their byte values. The index applies the filters itself, so a narrow
 * filter needs no more.
 */
const COARSE_OVERSAMPLE = 20;
const COARSE_MIN_CANDIDATES = 200;
/** Of those, the nearest by their byte values, per result wanted, measured exactly by the store. */
const KEEP_PER_RESULT = 2;
/** Re-rankings at most when candidates turn out forgotten by another process meanwhile. */
const FORGOTTEN_RETRIES = 3;

/** A vector as SQL text: JSON for sqlite-vec's vec_f32(), an array literal for PostgreSQL. */
const vectorText = (dialect: StoreDialect, vector: readonly number[]): string =>
  dialect === 'postgres' ? `{${vector.join(',')}}` : JSON.stringify(vector);

export function memoryRepository(
  sql: SqlExecutor,
  dialect: StoreDialect,
  vectorBackend: VectorBackend = 'off',
  vectorIndex?: MemoryVectorIndex,
): MemoryRepository {
  const listOf =
    dialect === 'postgres'
      ? (placeholder: string) => `select jsonb_array_elements_text(${placeholder}::jsonb)`
      : (placeholder: string) => `select value from json_each(${placeholder})`;
  // SQLite numbers the item from its creation time (SEQ_PER_MS); PostgreSQL by sequence.
  const insertOne =
    dialect === 'postgres'
      ? (item: MemoryItem) =>
          sql.run(insertText('memory_items', COLUMNS.length, 1, COLUMN_LIST), toParameters(item))
      : (item: MemoryItem) => {
          const ms = Date.parse(item.createdAt);
          const seq = `(select case when count(*) = 0 then ? * ${SEQ_PER_MS} when max(seq) + 1 < (? + 1) * ${SEQ_PER_MS} then max(seq) + 1 else (select max(seq) + 1 from memory_items) end from memory_items where seq >= ? * ${SEQ_PER_MS} and seq < (? + 1) * ${SEQ_PER_MS})`;
          return sql.run(
            `insert into memory_items (seq, facets, ${COLUMN_LIST}) values (${seq}, ?, ${COLUMNS.map(() => '?').join(', ')})`,
            [ms, ms, ms, ms, facetsOf(item), ...toParameters(item)],
          );
        };
  const insertTags = async (items: readonly MemoryItem[]): Promise<void> => {
    const rows = items.flatMap((item) => item.tags.map((tag) => [item.id, tag]));
    for (const part of chunk(rows, INSERT_BATCH)) {
      await sql.run(insertText('memory_tags', 2, part.length, 'item_id, tag'), part.flat());
    }
  };
  const selectItems = async (where: string, params: readonly SqlParameter[]) =>
    (
      await sql.all<MemoryRow>(`select ${COLUMN_LIST} from memory_items where ${where}`, params)
    ).map(toMemoryItem);

  /** domain/memory.ts inLineage on `m`: no item of a hidden run, none of an ancestor after the branch. */
  const lineageCondition = `(m.run_id is null or (m.run_id not in (${listOf('?')}) and not exists (select 1 from ${
    dialect === 'postgres' ? 'jsonb_array_elements(?::jsonb) a(value)' : 'json_each(?) a'
  } where a.value ->> 0 = m.run_id and m.created_at >= a.value ->> 1)))`;
  const lineageParameters = (lineage: MemoryLineage): SqlParameter[] => [
    jsonList(lineage.hidden),
    JSON.stringify(lineage.ancestors.map((each) => [each.runId, each.before])),
  ];

  /** The filters on `m` (memory_items) with their parameters, in order. */
  const filtersOf = (
    query: Omit<MemorySearchQuery, 'terms' | 'match'>,
  ): { where: string[]; params: SqlParameter[] } => {
    const where: string[] = [];
    const params: SqlParameter[] = [];
    if (query.scope !== undefined) {
      where.push('m.scope = ?');
      params.push(query.scope);
    }
    if (query.scopeId !== undefined) {
      where.push('m.scope_id = ?');
      params.push(query.scopeId);
    }
    if (query.kinds !== undefined && query.kinds.length > 0) {
      where.push(`m.kind in (${listOf('?')})`);
      params.push(jsonList(query.kinds));
    }
    if (query.tags !== undefined && query.tags.length > 0) {
      // Every tag asked for: none of them is missing from the item.
      where.push(
        dialect === 'postgres'
          ? 'not exists (select 1 from jsonb_array_elements_text(?::jsonb) w(tag) where not exists (select 1 from memory_tags g where g.item_id = m.id and g.tag = w.tag))'
          : 'not exists (select 1 from json_each(?) w where not exists (select 1 from memory_tags g where g.item_id = m.id and g.tag = w.value))',
      );
      params.push(jsonList(query.tags));
    }
    // SQLite: by seq, the creation time in ms × SEQ_PER_MS (an index range, no date parsing).
    if (query.since !== undefined) {
      where.push(dialect === 'postgres' ? 'm.created_at >= ?' : `m.seq >= ? * ${SEQ_PER_MS}`);
      params.push(dialect === 'postgres' ? query.since : Date.parse(query.since));
    }
    if (query.until !== undefined) {
      where.push(dialect === 'postgres' ? 'm.created_at < ?' : `m.seq < ? * ${SEQ_PER_MS}`);
      params.push(dialect === 'postgres' ? query.until : Date.parse(query.until));
    }
    if (query.lineage !== undefined) {
      where.push(lineageCondition);
      params.push(...lineageParameters(query.lineage));
    }
    return { where, params };
  };

  const toMatches = (rows: readonly { id: string; score: number }[]): MemoryMatch[] =>
    rows.map((row) => ({ id: row.id, score: Number(row.score) }));

  const searchSqlite = async (query: MemorySearchQuery): Promise<MemoryMatch[]> => {
    // The person's terms in the text and tags only, so no term can match a facet token.
    const terms = query.terms.map(ftsString).join(query.match === 'all' ? ' AND ' : ' OR ');
    const expression = [`{text tags} : (${terms})`];
    if (query.scope !== undefined) expression.push(`facets : "${facet('zs', query.scope)}"`);
    if (query.scopeId !== undefined) expression.push(`facets : "${facet('zi', query.scopeId)}"`);
    if (query.kinds !== undefined && query.kinds.length > 0) {
      const kinds = query.kinds.map((kind) => `"${facet('zk', kind)}"`).join(' OR ');
      expression.push(`facets : (${kinds})`);
    }
    for (const tag of query.tags ?? []) expression.push(`facets : "${facet('zt', tag)}"`);
    const bounds: string[] = [];
    const params: SqlParameter[] = [query.now.getTime(), expression.join(' AND ')];
    if (query.since !== undefined) {
      bounds.push(` and memory_fts.rowid >= ? * ${SEQ_PER_MS}`);
      params.push(Date.parse(query.since));
    }
    if (query.until !== undefined) {
      bounds.push(` and memory_fts.rowid < ? * ${SEQ_PER_MS}`);
      params.push(Date.parse(query.until));
    }
    if (query.lineage !== undefined) {
      // Run ids are not facets: each match's row is read (a forked run's search only).
      bounds.push(
        ` and exists (select 1 from memory_items m where m.seq = memory_fts.rowid and ${lineageCondition})`,
      );
      params.push(...lineageParameters(query.lineage));
    }
    const score = scored(
      `-bm25(memory_fts, ${TEXT_WEIGHT}, ${TAGS_WEIGHT}, 0)`,
      `max(0, ? - (memory_fts.rowid >> ${SEQ_SHIFT}))`,
    );
    // The index ranks every match; only the few kept are looked up.
    const rows = await sql.all<{ id: string; score: number }>(
      `select m.id, t.score from (select memory_fts.rowid as seq, ${score} as score from memory_fts where memory_fts match ?${bounds.join('')} order by score desc, memory_fts.rowid desc limit ?) t join memory_items m on m.seq = t.seq order by t.score desc, t.seq desc`,
      [...params, query.limit],
    );
    return toMatches(rows);
  };

  const searchPostgres = async (query: MemorySearchQuery): Promise<MemoryMatch[]> => {
    const combine = query.match === 'all' ? 'memory_all_terms' : 'memory_any_terms';
    const filters = filtersOf(query);
    const score = scored(
      'ts_rank_cd(m.search, (select query from q), 1)::float8',
      'greatest(0, extract(epoch from (?::timestamptz - m.created_at::timestamptz))::float8 * 1000)',
    );
    // The tsquery is computed once (an InitPlan) so the GIN index can take it as its condition.
    const rows = await sql.all<{ id: string; score: number }>(
      `with q as (select ${combine}(phraseto_tsquery('english'::regconfig, value)) as query from jsonb_array_elements_text(?::jsonb) t(value))
      select m.id, ${score} as score
      from memory_items m
      where m.search @@ (select query from q) and m.forgotten_at is null${filters.where.map((w) => ` and ${w}`).join('')}
      order by score desc, m.created_at desc, m.id desc limit ?`,
      [jsonList(query.terms), query.now.toISOString(), ...filters.params, query.limit],
    );
    return toMatches(rows);
  };

  // ── vectors

  const vectorsOn = vectorBackend !== 'off';
  const vectorSpace = async (): Promise<EmbeddingSpace | null> => {
    const [row] = await sql.all<{ model: string; dimensions: number }>(
      'select model, dimensions from memory_vector_space where id = 1',
    );
    return row === undefined ? null : { model: row.model, dimensions: Number(row.dimensions) };
  };

  const searchVectorsSqlite = async (query: MemoryVectorQuery): Promise<MemoryMatch[]> => {
    if (vectorIndex === undefined) return [];
    await vectorIndex.sync(sql);
    const filter = {
      scope: query.scope,
      scopeId: query.scopeId,
      kinds: query.kinds,
      tags: query.tags,
      sinceMs: query.since === undefined ? undefined : Date.parse(query.since),
      untilMs: query.until === undefined ? undefined : Date.parse(query.until),
      lineage: query.lineage,
    };
    const target = vectorText(dialect, query.embedding);
    const count = Math.max(COARSE_MIN_CANDIDATES, query.limit * COARSE_OVERSAMPLE);
    let rows: { id: string; seq: number; forgotten_at: string | null; distance: number }[] = [];
    for (let round = 0; round < FORGOTTEN_RETRIES; round++) {
      // The nearest by their signs (filters applied), re-ranked by exact cosine.
      const candidates = vectorIndex.nearest(query.embedding, filter, {
        candidates: count,
        keep: query.limit * KEEP_PER_RESULT,
      });
      if (candidates.length === 0) return [];
      rows = await sql.all(
        'select m.id, m.seq, m.forgotten_at, vec_distance_cosine(d.embedding, vec_f32(?)) as distance from memory_items m join memory_vectors d on d.seq = m.seq where m.seq in (select value from json_each(?))',
        [target, jsonList(candidates)],
      );
      // Forgotten elsewhere since the index loaded them: out of the index for good, then again.
      const forgotten = rows.filter((row) => row.forgotten_at !== null);
      for (const row of forgotten) vectorIndex.forget(Number(row.seq));
      if (forgotten.length === 0 || candidates.length < query.limit * KEEP_PER_RESULT) break;
    }
    return rows
      .filter((row) => row.forgotten_at === null)
      .map((row) => ({
        id: row.id,
        seq: Number(row.seq),
        score:
          Math.max(0, 1 - Number(row.distance)) *
          recencyFactor(Math.floor(Number(row.seq) / SEQ_PER_MS), query.now),
      }))
      .filter((row) => row.score > 0)
      .sort((a, b) => b.score - a.score || b.seq - a.seq)
      .slice(0, query.limit)
      .map((row) => ({ id: row.id, score: row.score }));
  };

  const searchVectorsPostgres = async (query: MemoryVectorQuery): Promise<MemoryMatch[]> => {
    const filters = filtersOf(query);
    // An exact scan: the dot product of normalized vectors is their cosine similarity.
    const similarity =
      'greatest(0, (select sum(a * b) from unnest(v.embedding, (select target from q)) t(a, b)))::float8';
    const score = scored(
      similarity,
      'greatest(0, extract(epoch from (?::timestamptz - m.created_at::timestamptz))::float8 * 1000)',
    );
    const rows = await sql.all<{ id: string; score: number }>(
      `with q as (select ?::real[] as target)
      select * from (select m.id, m.created_at, m.seq, ${score} as score
        from memory_vectors v join memory_items m on m.seq = v.seq
        where m.forgotten_at is null${filters.where.map((w) => ` and ${w}`).join('')}) s
      where s.score > 0 order by s.score desc, s.created_at desc, s.seq desc limit ?`,
      [
        vectorText(dialect, query.embedding),
        query.now.toISOString(),
        ...filters.params,
        query.limit,
      ],
    );
    return toMatches(rows);
  };

  return {
    vectorBackend,
    vectorSpace,
    async useVectorSpace(space) {
      if (!vectorsOn) return false;
      const current = await vectorSpace();
      if (current?.model === space.model && current.dimensions === space.dimensions) return false;
      // A new space (its `since` differs) makes every process's sign index start again.
      await sql.run('delete from memory_vectors');
      await sql.run('update memory_items set embedded = 0 where embedded = 1');
      await sql.run('delete from memory_vector_space');
      await sql.run(
        'insert into memory_vector_space (id, model, dimensions, since) values (1, ?, ?, ?)',
        [space.model, space.dimensions, new Date().toISOString()],
      );
      return true;
    },
    async pendingEmbeddings(limit) {
      return sql.all<{ id: string; text: string }>(
        'select id, text from memory_items where embedded = 0 and forgotten_at is null order by seq limit ?',
        [limit],
      );
    },
    async storeEmbeddings(vectors) {
      if (!vectorsOn) return 0;
      const insert =
        dialect === 'postgres'
          ? 'insert into memory_vectors (seq, embedding, bits, codes, gen) select seq, ?::real[], ?, ?, ? from memory_items where id = ?'
          : 'insert into memory_vectors (seq, embedding, bits, codes, gen) select seq, vec_f32(?), ?, ?, ? from memory_items where id = ?';
      // This write's generation: the sign indexes load what is newer than what they hold.
      const [numbered] = await sql.all<{ generation: number }>(
        'update memory_vector_space set generation = generation + 1 where id = 1 returning generation',
      );
      const gen = Number(numbered?.generation ?? 0);
      let stored = 0;
      for (const { id, vector } of vectors) {
        const marked = await sql.run(
          'update memory_items set embedded = 1 where id = ? and embedded = 0 and forgotten_at is null',
          [id],
        );
        if (marked === 0) continue;
        await sql.run(insert, [
          vectorText(dialect, vector),
          Buffer.from(signBytes(vector)),
          Buffer.from(byteCodes(vector)),
          gen,
          id,
        ]);
        stored += 1;
      }
      return stored;
    },
    searchVectors: (query) =>
      !vectorsOn
        ? Promise.resolve([])
        : dialect === 'postgres'
          ? searchVectorsPostgres(query)
          : searchVectorsSqlite(query),
    async vectorCounts() {
      const [row] = await sql.all<{ items: number; embedded: number | null }>(
        'select count(*) as items, sum(embedded) as embedded from memory_items where forgotten_at is null',
      );
      const items = Number(row?.items ?? 0);
      const embedded = Number(row?.embedded ?? 0);
      return { items, embedded, pending: items - embedded };
    },
    async insert(item) {
      await insertOne(item);
      await insertTags([item]);
    },
    async insertMany(items) {
      if (dialect === 'postgres') {
        for (const part of chunk(items, INSERT_BATCH)) {
          await sql.run(
            insertText('memory_items', COLUMNS.length, part.length, COLUMN_LIST),
            part.flatMap(toParameters),
          );
        }
      } else {
        // One prepared statement per row: each numbers itself after the rows before it.
        for (const item of items) await insertOne(item);
      }
      await insertTags(items);
    },
    async findById(id, options) {
      const lock = options?.lock && dialect === 'postgres' ? ' for update' : '';
      const [item] = await selectItems(`id = ?${lock}`, [id]);
      return item;
    },
    async findByIds(ids) {
      if (ids.length === 0) return [];
      return selectItems(`id in (${listOf('?')})`, [jsonList(ids)]);
    },
    async findByIdPrefix(prefix, limit) {
      return selectItems('id >= ? and id < ? order by id limit ?', [
        prefix,
        `${prefix}\uffff`,
        limit,
      ]);
    },
    async forget(id, mark) {
      const changed = await sql.run(
        'update memory_items set forgotten_at = ?, forgotten_by = ?, forget_reason = ? where id = ? and forgotten_at is null',
        [mark.at, mark.by, mark.reason, id],
      );
      // Its vector goes with it (without sqlite-vec loaded it stays, unreachable: search
      // joins live items only).
      if (changed > 0) {
        await sql.run(
          'delete from memory_vectors where seq = (select seq from memory_items where id = ?)',
          [id],
        );
      }
      return changed > 0;
    },
    search: (query) =>
      query.terms.length === 0
        ? Promise.resolve([])
        : dialect === 'postgres'
          ? searchPostgres(query)
          : searchSqlite(query),
    async count() {
      const [row] = await sql.all<{ n: number }>('select count(*) as n from memory_items');
      return Number(row?.n ?? 0);
    },
    // ── automatic capture (core/services/memory-capture.ts)
    async latestLive(query) {
      // Metadata is compared as the JSON text this repository wrote (JSON.stringify), the same on
      // both dialects; the scope index has already narrowed the rows to one thing's items.
      const exact = query.metadata === undefined ? '' : ' and metadata = ?';
      return selectItems(
        `scope = ? and scope_id = ? and kind = ? and forgotten_at is null${exact} order by created_at desc, seq desc limit ?`,
        [
          query.scope,
          query.scopeId,
          query.kind,
          ...(query.metadata === undefined ? [] : [JSON.stringify(query.metadata)]),
          query.limit,
        ],
      );
    },
    async extractiveSummaries(limit) {
      // The condition of migration 8's partial index, word for word, so the index answers it.
      return selectItems(
        `forgotten_at is null and kind in ('task_summary', 'project_summary') and metadata like '{"method":"extractive"%' order by case when kind = 'task_summary' then 0 else 1 end, seq limit ?`,
        [limit],
      );
    },
  };
}
