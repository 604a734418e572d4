/**
 * Models as operations: `bosun models list` shows what bosun.yaml declares, `bosun models check`
 * sends each model one trivial prompt and reports latency, tokens and answer size, or the reason
 * it failed. A failed model is a row of the result (`ok: false`), not an error, so every model is
 * reported; the CLI exits non-zero when `ok` is false.
 */

import { z } from 'zod';
import { MODEL_PROVIDERS } from '../domain/agent.js';
import { parseDuration } from '../shared/duration.js';
import { defineOperation } from './operation.js';
import { workspaceCapability } from './workspace-capability.js';

const DEFAULT_TIMEOUT_MS = 20_000;

const ModelSummarySchema = z.object({
  name: z.string(),
  provider: z.enum(MODEL_PROVIDERS),
  modelId: z.string(),
  baseUrl: z.string().nullable(),
  keyEnv: z.string().nullable(),
  inputPrice: z.number(),
  outputPrice: z.number(),
  cachedInputPrice: z.number().nullable(),
  contextWindow: z.number().int().nullable(),
  maxOutputTokens: z.number().int(),
});

const ModelCheckSchema = z.object({
  name: z.string(),
  provider: z.enum(MODEL_PROVIDERS),
  modelId: z.string(),
  ok: z.boolean(),
  latencyMs: z.number().int().nullable(),
  inputTokens: z.number().int().nullable(),
  outputTokens: z.number().int().nullable(),
  responseChars: z.number().int().nullable(),
  reason: z.string().nullable(),
});

export const modelOperations = [
  defineOperation({
    name: 'model.list',
    summary: 'The models of bosun.yaml: provider, model id, base URL, prices, context window',
    effects: 'read',
    input: z.strictObject({}),
    output: z.array(ModelSummarySchema),
    cli: {
      aliases: ['ls'],
      columns: [
        'name',
        'provider',
        'modelId:MODEL',
        'baseUrl:BASE URL',
        'inputPrice:IN $/M',
        'outputPrice:OUT $/M',
        'contextWindow:CONTEXT',
      ],
      empty: 'No models yet: add one under models: in .bosun/bosun.yaml.',
    },
    handler: (ctx) => workspaceCapability(ctx, 'models', 'models').list(),
  }),
  defineOperation({
    name: 'model.check',
    summary:
      'Send each model (or one) a trivial prompt: latency, tokens and answer size, or why it failed',
    effects: 'read',
    input: z.strictObject({
      model: z.string().trim().min(1).optional(),
      timeout: z.string().trim().min(1).optional(),
    }),
    output: z.object({ ok: z.boolean(), models: z.array(ModelCheckSchema) }),
    cli: {
      positional: ['model'],
      rows: 'models',
      ok: 'ok',
      columns: [
        'name',
        'provider',
        'modelId:MODEL',
        'ok',
        'latencyMs:MS',
        'inputTokens:IN',
        'outputTokens:OUT',
        'responseChars:CHARS',
        'reason',
      ],
      empty: 'No models to check: add one under models: in .bosun/bosun.yaml.',
      examples: [
        'bosun models check                        # every model; exit 12 if any fails',
        'bosun models check --model local --timeout 5s',
        'bosun models check --json                 # tokens, latency and reasons for scripts',
      ],
    },
    // The calls take up to the timeout, so they run before the (empty) transaction opens.
    prepare: (ctx, input) =>
      workspaceCapability(ctx, 'models', 'models').check({
        model: input.model,
        timeoutMs:
          input.timeout === undefined
            ? DEFAULT_TIMEOUT_MS
            : parseDuration(input.timeout, 'timeout'),
      }),
    handler: (_ctx, _input, report) => Promise.resolve(report),
  }),
];
