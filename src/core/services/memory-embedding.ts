/**
 * Memory's vectors, made once per item outside any request: an embedding pass takes the pending
 * items in batches (one embedder call each, then one short write transaction), and the query of
 * a search is embedded before the search's transaction opens. Both go through `MemoryVectors`,
 * which the composition root builds from `embeddings:` in bosun.yaml (docs/memory.md).
 */

import type { EmbeddingSpace, VectorBackend } from '../../domain/memory.js';
import type { Embedder } from '../../ports/embedder.js';
import type { Store } from '../../ports/store.js';
import { BosunError } from '../../shared/errors.js';

/** Items per embedder call (and per write transaction). */
export const EMBED_BATCH_SIZE = 64;
/** How long a search waits for its query's vector before answering from full text alone. */
export const QUERY_EMBED_TIMEOUT_MS = 10_000;
/** Items one `memory embed` (or one background round) embeds at most. */
export const EMBED_DEFAULT_LIMIT = 10_000;

export interface EmbedReport {
  readonly model: string;
  readonly dimensions: number;
  readonly backend: VectorBackend;
  /** Vectors stored by this pass. */
  readonly embedded: number;
  /** True when the model or length changed and every item was set back to pending first. */
  readonly reembedding: boolean;
  /** Live items, embedded ones and those still waiting, after the pass. */
  readonly items: number;
  readonly embeddedTotal: number;
  readonly pending: number;
}

export interface EmbedProgress {
  readonly embedded: number;
  readonly pending: number;
}

export interface MemoryVectors {
  readonly space: EmbeddingSpace;
  /** The query's vector; throws when the embedder fails (search then falls back to text). */
  embedQuery(text: string, signal?: AbortSignal): Promise<number[]>;
  /** Embeds pending items, `limit` at most, in batches; `onProgress` hears after each batch. */
  embedPending(options?: {
    readonly limit?: number | undefined;
    readonly batchSize?: number | undefined;
    readonly signal?: AbortSignal | undefined;
    readonly onProgress?: ((progress: EmbedProgress) => void) | undefined;
  }): Promise<EmbedReport>;
}

export function createMemoryVectors(store: Store, embedder: Embedder): MemoryVectors {
  const { space } = embedder;
  return {
    space,
    async embedQuery(text, signal) {
      // A search waits for this: no retries, and a bound on the wait (then full text answers).
      const bound = AbortSignal.timeout(QUERY_EMBED_TIMEOUT_MS);
      const [vector] = await embedder.embed([text], {
        signal: signal ? AbortSignal.any([signal, bound]) : bound,
        maxRetries: 0,
      });
      if (vector === undefined) throw new Error('the embedder returned no vector');
      return vector;
    },
    async embedPending(options = {}) {
      const limit = options.limit ?? EMBED_DEFAULT_LIMIT;
      const batchSize = options.batchSize ?? EMBED_BATCH_SIZE;
      // A read first: a background pass that finds nothing to do writes nothing.
      const before = await store.transaction('read', async (repos) => ({
        backend: repos.memory.vectorBackend,
        space: await repos.memory.vectorSpace(),
        counts: await repos.memory.vectorCounts(),
      }));
      const { backend } = before;
      const sameSpace =
        before.space?.model === space.model && before.space.dimensions === space.dimensions;
      const reembedding =
        backend !== 'off' &&
        !sameSpace &&
        (await store.transaction('write', (repos) => repos.memory.useVectorSpace(space)));
      if (sameSpace && before.counts.pending === 0) {
        return {
          model: space.model,
          dimensions: space.dimensions,
          backend,
          embedded: 0,
          reembedding: false,
          items: before.counts.items,
          embeddedTotal: before.counts.embedded,
          pending: 0,
        };
      }
      if (backend === 'off') {
        throw new BosunError(
          'unavailable',
          'memory: this store cannot keep vectors (sqlite-vec did not load on this platform); memory search stays full-text',
        );
      }
      let embedded = 0;
      while (embedded < limit) {
        options.signal?.throwIfAborted();
        const batch = await store.transaction('read', (repos) =>
          repos.memory.pendingEmbeddings(Math.min(batchSize, limit - embedded)),
        );
        if (batch.length === 0) break;
        const vectors = await embedder.embed(
          batch.map((item) => item.text),
          options.signal ? { signal: options.signal } : {},
        );
        const stored = await store.transaction('write', async (repos) => {
          // Another process may have switched the space meanwhile: never mix two models.
          const current = await repos.memory.vectorSpace();
          if (current?.model !== space.model || current.dimensions !== space.dimensions) return -1;
          return repos.memory.storeEmbeddings(
            batch.map((item, index) => ({ id: item.id, vector: vectors[index]! })),
          );
        });
        if (stored < 0) break;
        embedded += stored;
        if (options.onProgress) {
          const counts = await store.transaction('read', (repos) => repos.memory.vectorCounts());
          options.onProgress({ embedded, pending: counts.pending });
        }
        // Every item of the batch was forgotten or embedded by someone else: ask again.
      }
      const counts = await store.transaction('read', (repos) => repos.memory.vectorCounts());
      return {
        model: space.model,
        dimensions: space.dimensions,
        backend,
        embedded,
        reembedding,
        items: counts.items,
        embeddedTotal: counts.embedded,
        pending: counts.pending,
      };
    },
  };
}
