/** The cost ledger as operations: `bosun cost report`. */

import { z } from 'zod';
import { costReport } from '../core/services/cost-service.js';
import { COST_GROUPINGS } from '../ports/store.js';
import { defineOperation } from './operation.js';

const CostRowSchema = z.object({
  key: z.string(),
  label: z.string(),
  calls: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  cachedInputTokens: z.number().int(),
  costUsd: z.number(),
});

export const costOperations = [
  defineOperation({
    name: 'cost.report',
    summary: 'Spend by project, run, agent, model or day, from the ledger of model calls',
    effects: 'read',
    input: z.strictObject({
      by: z.enum(COST_GROUPINGS, `must be one of ${COST_GROUPINGS.join(', ')}`).default('model'),
      since: z.string().trim().min(1).optional(),
      project: z.string().trim().min(1).optional(),
      run: z.string().trim().min(1).optional(),
    }),
    output: z.object({
      by: z.enum(COST_GROUPINGS),
      since: z.string().nullable(),
      rows: z.array(CostRowSchema),
      total: CostRowSchema.omit({ key: true, label: true }),
    }),
    cli: {
      aliases: ['spend'],
      rows: 'rows',
      columns: [
        'label:KEY',
        'calls',
        'inputTokens:IN',
        'outputTokens:OUT',
        'cachedInputTokens:CACHED',
        'costUsd:COST $',
      ],
      empty: 'No model calls recorded yet.',
      examples: [
        'bosun cost report                         # by model, all time',
        'bosun cost report --by day --since 7d',
        'bosun cost report --by agent --project HOME',
      ],
    },
    handler: (ctx, input) => costReport(ctx, input),
  }),
];
