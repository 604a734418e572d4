/**
 * The `mock` embedding provider: deterministic vectors made in-process (a hashed bag of words,
 * domain/memory.ts hashedEmbedding), so demos and tests get hybrid search without a model.
 */

import type { EmbeddingsConfig } from '../../domain/memory.js';
import { EmbeddingSpace, hashedEmbedding } from '../../domain/memory.js';
import type { Embedder } from '../../ports/embedder.js';

export function createMockEmbedder(config: EmbeddingsConfig): Embedder {
  return {
    space: EmbeddingSpace.of(config),
    embed: (texts) =>
      Promise.resolve(texts.map((text) => hashedEmbedding(text, config.dimensions))),
  };
}
