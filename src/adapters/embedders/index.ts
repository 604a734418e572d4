export { createAiSdkEmbedder, OLLAMA_EMBEDDINGS_BASE_URL } from './ai-sdk-embedder.js';
export type { AiSdkEmbedderSettings } from './ai-sdk-embedder.js';
export { createMockEmbedder } from './mock-embedder.js';
