/**
 * The embedder port: turns texts into vectors of one embedding space (a model and a length).
 * Memory's vectors are made by it in the background and a query's at search time, always outside
 * a store transaction (a model call is a network call).
 */

import type { EmbeddingSpace } from '../domain/memory.js';

export interface Embedder {
  /** The model and length of every vector it returns. */
  readonly space: EmbeddingSpace;
  /** One vector per text, in order, each `space.dimensions` long and normalized. */
  embed(
    texts: readonly string[],
    options?: { readonly signal?: AbortSignal; readonly maxRetries?: number },
  ): Promise<number[][]>;
}
