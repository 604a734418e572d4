/**
 * An embedder over the AI SDK (`embedMany`) from `embeddings:` in bosun.yaml: any
 * OpenAI-compatible server (vLLM, llama.cpp, LM Studio), Ollama through its OpenAI-compatible
 * `/v1`, or OpenAI. Every vector is checked against the configured length and normalized.
 */

import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { embedMany } from 'ai';
import type { EmbeddingModel } from 'ai';
import type { EmbeddingsConfig } from '../../domain/memory.js';
import { EmbeddingSpace, normalizeVector } from '../../domain/memory.js';
import type { Embedder } from '../../ports/embedder.js';
import { BosunError } from '../../shared/errors.js';

export const OLLAMA_EMBEDDINGS_BASE_URL = 'http://localhost:11434/v1';

export interface AiSdkEmbedderSettings {
  readonly config: EmbeddingsConfig;
  readonly apiKey?: string | undefined;
  readonly fetch?: typeof fetch | undefined;
  /** Retries per call after the first (the AI SDK's default is 2). */
  readonly maxRetries?: number;
}

function embeddingModelOf(settings: AiSdkEmbedderSettings): EmbeddingModel {
  const { config, apiKey, fetch } = settings;
  const common = {
    ...(apiKey === undefined ? {} : { apiKey }),
    ...(fetch === undefined ? {} : { fetch }),
  };
  switch (config.provider) {
    case 'openai':
      return createOpenAI({
        ...(config.base_url === undefined ? {} : { baseURL: config.base_url }),
        ...common,
      }).embeddingModel(config.model);
    case 'openai-compatible':
    case 'ollama':
    case 'mock':
      return createOpenAICompatible({
        baseURL: config.base_url ?? OLLAMA_EMBEDDINGS_BASE_URL,
        name: config.provider === 'ollama' ? 'ollama' : 'openaiCompatible',
        ...common,
      }).embeddingModel(config.model);
  }
}

export function createAiSdkEmbedder(settings: AiSdkEmbedderSettings): Embedder {
  const { config } = settings;
  const model = embeddingModelOf(settings);
  const space = EmbeddingSpace.of(config);
  return {
    space,
    async embed(texts, options = {}) {
      if (texts.length === 0) return [];
      const { embeddings } = await embedMany({
        model,
        values: [...texts],
        maxRetries: options.maxRetries ?? settings.maxRetries ?? 2,
        // OpenAI's text-embedding-3 models shorten their vectors on request; other servers may
        // refuse the field, so it is sent to OpenAI only.
        ...(config.provider === 'openai' ? { dimensions: config.dimensions } : {}),
        ...(options.signal ? { abortSignal: options.signal } : {}),
      });
      return embeddings.map((vector) => {
        if (vector.length !== config.dimensions) {
          throw new BosunError(
            'invalid_input',
            `embeddings.dimensions: ${config.model} returned vectors of ${vector.length} dimensions, bosun.yaml says ${config.dimensions}; set dimensions: ${vector.length}`,
            { details: { field: 'embeddings.dimensions', returned: vector.length } },
          );
        }
        return normalizeVector(vector);
      });
    },
  };
}
