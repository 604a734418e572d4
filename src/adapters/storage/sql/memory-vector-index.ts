/**
 * Memory's nearest-vector candidates, found in the process: every stored vector's signs (one bit
 * per dimension) and the few facts the search filters on, held in memory. A search counts, for
 * every item, the signs that differ from the query's (Hamming distance, in WebAssembly SIMD:
 * under a millisecond for 100,000 × 384 dimensions), keeps the nearest that pass the filters,
 * and orders those by their values in a byte each; the store re-ranks the first few by exact
 * cosine. The index follows the store by generation numbers: each embedding pass numbers what
 * it wrote, and a search first loads what it has not seen (decision 0017).
 */

import type { MemoryKind, MemoryLineage, MemoryScope } from '../../../domain/memory.js';
import { MEMORY_KINDS, MEMORY_SCOPES, signBytes } from '../../../domain/memory.js';
import type { SignDistances } from './sign-distances.js';
import { createSignDistances } from './sign-distances.js';
import type { SqlExecutor } from './sql-executor.js';

/** What a vector search keeps, as the index can check it. */
export interface VectorIndexFilter {
  readonly scope?: MemoryScope | undefined;
  readonly scopeId?: string | undefined;
  readonly kinds?: readonly MemoryKind[] | undefined;
  readonly tags?: readonly string[] | undefined;
  /** Epoch ms: created at or after / before. */
  readonly sinceMs?: number | undefined;
  readonly untilMs?: number | undefined;
  readonly lineage?: MemoryLineage | undefined;
}

export interface MemoryVectorIndex {
  /** Loads what the store holds and the index has not seen; cheap when nothing changed. */
  sync(sql: SqlExecutor): Promise<void>;
  /**
   * The seqs of the `keep` items nearest to `vector` among those passing the filter, nearest
   * first: the best `candidates` by their signs, ordered by their values in a byte each.
   */
  nearest(
    vector: readonly number[],
    filter: VectorIndexFilter,
    depth: { readonly candidates: number; readonly keep: number },
  ): number[];
  /** Takes a forgotten item out for good (forgetting cannot be undone). */
  forget(seq: number): void;
  /** Items held (live or not yet known to be forgotten). */
  readonly size: number;
}

const NO_ID = -1;

/** A distance no item has: the mark of one the filters leave out. */
const FAR = 0xffff;

interface IndexRow {
  seq: number;
  gen: number;
  bits: Uint8Array;
  codes: Uint8Array | null;
  kind: string;
  scope: string;
  scope_id: string | null;
  run_id: string | null;
  tags: string;
  created_at: string;
  forgotten_at: string | null;
}

export function createMemoryVectorIndex(
  options: { readonly webAssembly?: boolean } = {},
): MemoryVectorIndex {
  let space = '';
  let generation = -1;
  let signs: SignDistances = createSignDistances(0, options);
  let dimensions = 0;
  let size = 0;
  let capacity = 0;
  let codes = new Int8Array(0);
  let scales = new Float32Array(0);
  let seqs = new Float64Array(0);
  let created = new Float64Array(0);
  let kinds = new Uint8Array(0);
  let scopes = new Uint8Array(0);
  let scopeIds = new Int32Array(0);
  let runIds = new Int32Array(0);
  let dead = new Uint8Array(0);
  /** Slots marked dead: none, usually, and then no pass looks for them. */
  let forgotten = 0;
  let tags: (Int32Array | null)[] = [];
  let at = new Map<number, number>();
  const names = new Map<string, number>();
  let syncing: Promise<void> = Promise.resolve();

  const idOf = (name: string | null | undefined): number => {
    if (name === null || name === undefined) return NO_ID;
    let id = names.get(name);
    if (id === undefined) {
      id = names.size;
      names.set(name, id);
    }
    return id;
  };
  /** The id of a name the index has seen, or undefined (then nothing held can match it). */
  const knownId = (name: string): number | undefined => names.get(name);

  const reset = (nextSpace: string, length: number): void => {
    space = nextSpace;
    generation = -1;
    dimensions = length;
    signs = createSignDistances(length, options);
    size = 0;
    capacity = 0;
    codes = new Int8Array(0);
    scales = new Float32Array(0);
    seqs = new Float64Array(0);
    created = new Float64Array(0);
    kinds = new Uint8Array(0);
    scopes = new Uint8Array(0);
    scopeIds = new Int32Array(0);
    runIds = new Int32Array(0);
    dead = new Uint8Array(0);
    forgotten = 0;
    tags = [];
    at = new Map();
  };

  const grow = (needed: number): void => {
    if (needed <= capacity) return;
    const next = Math.max(needed, capacity * 2, 1024);
    const widen = <A extends Float64Array | Float32Array | Uint8Array | Int8Array | Int32Array>(
      array: A,
      make: (length: number) => A,
      per = 1,
    ): A => {
      const wider = make(next * per);
      wider.set(array);
      return wider;
    };
    signs.reserve(next);
    codes = widen(codes, (n) => new Int8Array(n), dimensions);
    scales = widen(scales, (n) => new Float32Array(n));
    seqs = widen(seqs, (n) => new Float64Array(n));
    created = widen(created, (n) => new Float64Array(n));
    kinds = widen(kinds, (n) => new Uint8Array(n));
    scopes = widen(scopes, (n) => new Uint8Array(n));
    scopeIds = widen(scopeIds, (n) => new Int32Array(n));
    runIds = widen(runIds, (n) => new Int32Array(n));
    dead = widen(dead, (n) => new Uint8Array(n));
    capacity = next;
  };

  const add = (row: IndexRow): void => {
    const seq = Number(row.seq);
    let slot = at.get(seq);
    if (slot === undefined) {
      grow(size + 1);
      slot = size++;
      at.set(seq, slot);
    }
    signs.set(slot, row.bits);
    // The values in a byte each (domain/memory.ts byteCodes; migration 7 wrote them for every
    // stored vector).
    const valueBytes = row.codes ?? new Uint8Array(4 + dimensions);
    scales[slot] = new DataView(valueBytes.buffer, valueBytes.byteOffset, 4).getFloat32(0, true);
    codes.set(
      new Int8Array(valueBytes.buffer, valueBytes.byteOffset + 4, dimensions),
      slot * dimensions,
    );
    seqs[slot] = seq;
    created[slot] = Date.parse(row.created_at);
    kinds[slot] = MEMORY_KINDS.indexOf(row.kind as MemoryKind);
    scopes[slot] = MEMORY_SCOPES.indexOf(row.scope as MemoryScope);
    scopeIds[slot] = idOf(row.scope_id);
    runIds[slot] = idOf(row.run_id);
    const itemTags = JSON.parse(row.tags) as string[];
    tags[slot] = itemTags.length === 0 ? null : Int32Array.from(itemTags, idOf);
    if (row.forgotten_at !== null && dead[slot] === 0) forgotten += 1;
    dead[slot] = row.forgotten_at === null ? 0 : 1;
  };

  const load = async (sql: SqlExecutor): Promise<void> => {
    const [current] = await sql.all<{
      model: string;
      dimensions: number;
      since: string;
      generation: number;
    }>('select model, dimensions, since, generation from memory_vector_space where id = 1');
    if (current === undefined) {
      if (space !== '') reset('', 0);
      return;
    }
    const currentSpace = `${current.model}|${current.dimensions}|${current.since}`;
    if (currentSpace !== space) reset(currentSpace, Number(current.dimensions));
    const currentGeneration = Number(current.generation);
    if (currentGeneration <= generation) return;
    const rows = await sql.all<IndexRow>(
      'select v.seq, v.gen, v.bits, v.codes, m.kind, m.scope, m.scope_id, m.run_id, m.tags, m.created_at, m.forgotten_at from memory_vectors v join memory_items m on m.seq = v.seq where v.gen > ? and v.gen <= ? and v.bits is not null',
      [generation, currentGeneration],
    );
    for (const row of rows) add(row);
    generation = currentGeneration;
  };

  /**
   * Marks FAR the distance of every slot the filter leaves out (and of the forgotten): one tight
   * pass over a typed array per condition, the tags and the lineage only for slots still in.
   */
  const leaveOut = (filter: VectorIndexFilter, distance: Uint16Array): void => {
    const drop = (keep: (i: number) => boolean): void => {
      for (let i = 0; i < size; i++) if (distance[i] !== FAR && !keep(i)) distance[i] = FAR;
    };
    if (forgotten > 0) for (let i = 0; i < size; i++) if (dead[i] === 1) distance[i] = FAR;
    if (filter.scope !== undefined) {
      const scope = MEMORY_SCOPES.indexOf(filter.scope);
      for (let i = 0; i < size; i++) if (scopes[i] !== scope) distance[i] = FAR;
    }
    if (filter.scopeId !== undefined) {
      const id = knownId(filter.scopeId) ?? NO_ID - 1;
      for (let i = 0; i < size; i++) if (scopeIds[i] !== id) distance[i] = FAR;
    }
    if (filter.kinds !== undefined && filter.kinds.length > 0) {
      const wanted = new Uint8Array(MEMORY_KINDS.length);
      for (const kind of filter.kinds) wanted[MEMORY_KINDS.indexOf(kind)] = 1;
      for (let i = 0; i < size; i++) if (wanted[kinds[i]!] === 0) distance[i] = FAR;
    }
    const { sinceMs, untilMs } = filter;
    if (sinceMs !== undefined) {
      for (let i = 0; i < size; i++) if (created[i]! < sinceMs) distance[i] = FAR;
    }
    if (untilMs !== undefined) {
      for (let i = 0; i < size; i++) if (created[i]! >= untilMs) distance[i] = FAR;
    }
    if (filter.tags !== undefined && filter.tags.length > 0) {
      // A tag the index has never seen: nothing carries it.
      const ids = filter.tags.map((tag) => knownId(tag) ?? NO_ID - 1);
      drop((i) => {
        const held = tags[i];
        return held !== null && ids.every((id) => held!.includes(id));
      });
    }
    if (filter.lineage !== undefined) {
      const hidden = new Set(filter.lineage.hidden.map(knownId));
      const before = new Map(
        filter.lineage.ancestors.map((ancestor) => [
          knownId(ancestor.runId),
          Date.parse(ancestor.before),
        ]),
      );
      drop((i) => {
        const run = runIds[i]!;
        if (run === NO_ID) return true;
        if (hidden.has(run)) return false;
        const bound = before.get(run);
        return bound === undefined || created[i]! < bound;
      });
    }
  };

  return {
    get size() {
      return size;
    },
    sync(sql) {
      // One load at a time; a search arriving meanwhile waits for it, then loads what is left.
      const next = syncing.then(() => load(sql));
      syncing = next.catch(() => undefined);
      return next;
    },
    nearest(vector, filter, depth) {
      const count = depth.candidates;
      if (size === 0 || count <= 0) return [];
      const distance = signs.distances(signBytes(vector), size);
      leaveOut(filter, distance);
      const histogram = new Uint32Array(dimensions + 1);
      let kept = 0;
      for (let i = 0; i < size; i++) {
        if (distance[i] !== FAR) {
          histogram[distance[i]!]! += 1;
          kept += 1;
        }
      }
      if (kept === 0) return [];
      // The distance at which the nearest `count` are reached: all nearer are taken, and of
      // those at it, the latest stored (the newest, mostly) fill the places left.
      let threshold = 0;
      for (let nearer = 0; nearer + histogram[threshold]! < count && threshold < dimensions;) {
        nearer += histogram[threshold]!;
        threshold += 1;
      }
      const shortlist: number[] = [];
      for (let i = 0; i < size; i++) if (distance[i]! < threshold) shortlist.push(i);
      for (let i = size - 1; i >= 0 && shortlist.length < count; i--) {
        if (distance[i] === threshold) shortlist.push(i);
      }
      // The candidates' dot products with their values in a byte each: within ~1 % of exact.
      const chosen = shortlist.map((slot) => {
        let dot = 0;
        for (let d = 0, base = slot * dimensions; d < dimensions; d++) {
          dot += vector[d]! * codes[base + d]!;
        }
        return { slot, similarity: dot * scales[slot]! };
      });
      chosen.sort((a, b) => b.similarity - a.similarity || seqs[b.slot]! - seqs[a.slot]!);
      return chosen.slice(0, depth.keep).map((each) => seqs[each.slot]!);
    },
    forget(seq) {
      const slot = at.get(seq);
      if (slot !== undefined && dead[slot] === 0) {
        dead[slot] = 1;
        forgotten += 1;
      }
    },
  };
}
