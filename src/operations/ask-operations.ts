/**
 * Asking the workspace as an operation: `bosun ask "question"` answers from memory and planning
 * data with citations, or — with no model configured — gives the best passages. The passages are
 * read and the model is asked in `prepare`, outside the transaction; the handler only records the
 * model's spend. docs/memory.md "Asking".
 */

import { z } from 'zod';
import {
  ASK_DEFAULT_PASSAGES,
  ASK_MAX_PASSAGES,
  ASK_QUESTION_MAX_CHARS,
  PASSAGE_SOURCES,
  askWorkspace,
  recordAskSpend,
} from '../core/services/ask-service.js';
import { requiredText } from '../domain/fields.js';
import { actorName, projectKey } from './common-schemas.js';
import { defineOperation } from './operation.js';

const PassageSchema = z.object({
  n: z.number().int().positive(),
  ref: z.string(),
  source: z.enum(PASSAGE_SOURCES),
  id: z.string(),
  title: z.string(),
  status: z.string(),
  snippet: z.string(),
  text: z.string(),
  named: z.boolean(),
});

const CitationSchema = z.object({
  n: z.number().int().positive(),
  ref: z.string(),
  title: z.string(),
  snippet: z.string(),
});

export const askOperations = [
  defineOperation({
    name: 'workspace.ask',
    summary:
      'Answer a question from the workspace’s memory and plans, citing tasks, runs and memories; with no model configured, the best passages',
    // It reads, but a model's answer costs money: the spend is written to the cost ledger.
    effects: 'write',
    input: z.strictObject({
      question: requiredText(ASK_QUESTION_MAX_CHARS),
      project: projectKey.optional(),
      limit: z
        .number()
        .int('must be a whole number')
        .min(1, 'must be at least 1')
        .max(ASK_MAX_PASSAGES, `must be at most ${ASK_MAX_PASSAGES}`)
        .default(ASK_DEFAULT_PASSAGES),
      agent: actorName.optional(),
      /** A model of bosun.yaml; null (`--no-model`): no model, the passages are the answer. */
      model: z.string().trim().min(1, 'must name a model from bosun.yaml').nullable().optional(),
    }),
    output: z.object({
      question: z.string(),
      answer: z.string().nullable(),
      citations: z.array(CitationSchema),
      answeredBy: z.union([
        z.literal('passages'),
        z.object({ agent: z.string().nullable(), model: z.string() }),
      ]),
      passages: z.array(PassageSchema),
      note: z.string().optional(),
      report: z.string(),
    }),
    cli: {
      aliases: ['ask'],
      positional: ['question'],
      short: { n: 'limit', p: 'project' },
      text: 'report',
      examples: [
        'bosun ask "How did we fix the flaky backup test?"',
        'bosun ask "What is left before HOME can ship?" --project HOME',
        'bosun ask "Why did run:01JQ3V7K fail?" --agent analyst',
        'bosun ask "restore NAS" --no-model -n 5      # the passages only, no model call',
      ],
    },
    prepare: (ctx, input) => askWorkspace(ctx, input),
    handler: (ctx, _input, prepared) => recordAskSpend(ctx, prepared),
  }),
];
