/**
 * Memory's embedder from `embeddings:` in bosun.yaml, loaded on first use: a command that embeds
 * nothing never pays for the AI SDK (the `mock` provider never does). A key comes from the
 * environment variable `api_key_env` names (OpenAI: OPENAI_API_KEY by default).
 */

import type { MemoryVectors } from '../core/services/memory-embedding.js';
import { createMemoryVectors } from '../core/services/memory-embedding.js';
import type { EmbeddingsConfig } from '../domain/memory.js';
import { EmbeddingSpace } from '../domain/memory.js';
import type { Embedder } from '../ports/embedder.js';
import type { Store } from '../ports/store.js';
import { BosunError } from '../shared/errors.js';

export interface MemoryVectorSettings {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch?: typeof fetch | undefined;
}

function apiKeyOf(config: EmbeddingsConfig, env: MemoryVectorSettings['env']): string | undefined {
  const name = config.api_key_env ?? (config.provider === 'openai' ? 'OPENAI_API_KEY' : undefined);
  if (name === undefined) return undefined;
  const key = env[name];
  if ((key === undefined || key === '') && config.provider === 'openai') {
    throw new BosunError(
      'invalid_input',
      `embeddings.api_key_env: the environment variable ${name} is not set; export it or name another one`,
      { details: { field: 'embeddings.api_key_env' } },
    );
  }
  return key === '' ? undefined : key;
}

async function loadEmbedder(
  config: EmbeddingsConfig,
  settings: MemoryVectorSettings,
): Promise<Embedder> {
  if (config.provider === 'mock') {
    return (await import('../adapters/embedders/mock-embedder.js')).createMockEmbedder(config);
  }
  (globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;
  const { createAiSdkEmbedder } = await import('../adapters/embedders/ai-sdk-embedder.js');
  return createAiSdkEmbedder({
    config,
    apiKey: apiKeyOf(config, settings.env),
    fetch: settings.fetch,
  });
}

export function createLazyMemoryVectors(
  store: Store,
  config: EmbeddingsConfig,
  settings: MemoryVectorSettings,
): MemoryVectors {
  let loading: Promise<Embedder> | undefined;
  const embedder: Embedder = {
    space: EmbeddingSpace.of(config),
    async embed(texts, options) {
      loading ??= loadEmbedder(config, settings);
      loading.catch(() => (loading = undefined));
      return (await loading).embed(texts, options);
    },
  };
  return createMemoryVectors(store, embedder);
}
