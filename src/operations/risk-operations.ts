/**
 * The risk register (docs/command-center.md): likelihood and impact 1–5, score and level derived,
 * mitigation, owner, status and a review date; listed by score with overdue reviews flagged.
 */

import { z } from 'zod';
import {
  archiveRisk,
  createRisk,
  listRisks,
  restoreRisk,
  showRisk,
  updateRisk,
} from '../core/services/risk-service.js';
import { dateSchema, optionalText, requiredText } from '../domain/fields.js';
import { RISK_LEVELS, RISK_STATUSES, RiskViewSchema, riskRatingSchema } from '../domain/risk.js';
import { actorName, projectKey } from './common-schemas.js';
import { defineOperation } from './operation.js';

const riskKey = z.string().trim().min(1, 'must name a risk by ref (HOME-R3) or id');
const riskStatus = z.enum(RISK_STATUSES);

export const RISK_COLUMNS = [
  'ref',
  'level',
  'score',
  'likelihood:L',
  'impact:I',
  'status',
  'title',
  'owner',
  'reviewDate:REVIEW',
  'overdue',
];

/** Level and overdue stand out on a terminal; the words stay for every other reader. */
const RISK_COLORS = {
  level: { low: 'green', medium: 'yellow', high: 'red', critical: 'magenta' },
  overdue: { true: 'red' },
} as const;

// null clears a field (`--no-owner`, `--no-review` on the command line).
const riskFields = {
  description: optionalText(10_000).optional(),
  mitigation: optionalText(10_000).optional(),
  owner: actorName.nullable().optional(),
  status: riskStatus.optional(),
  review: dateSchema.nullable().optional(),
};

const SHORT = { l: 'likelihood', i: 'impact', d: 'description', m: 'mitigation', s: 'status' };

export const riskOperations = [
  defineOperation({
    name: 'risk.add',
    summary:
      'Add a risk to a project: likelihood and impact 1–5 give its score and level (ref PROJECT-R<n>)',
    effects: 'write',
    input: z.strictObject({
      project: projectKey,
      title: requiredText(200),
      likelihood: riskRatingSchema,
      impact: riskRatingSchema,
      ...riskFields,
    }),
    output: RiskViewSchema,
    cli: {
      positional: ['project', 'title'],
      aliases: ['create', 'new'],
      short: SHORT,
      columns: RISK_COLUMNS,
      colors: RISK_COLORS,
      examples: [
        'bosun risk add HOME "NAS disk fails" -l 4 -i 5 --mitigation "weekly offsite copy" --owner ana --review 2026-12-01',
      ],
    },
    handler: (ctx, input) => createRisk(ctx, input),
  }),
  defineOperation({
    name: 'risk.list',
    summary:
      'The risk register, highest score first: filter by project, status, level or overdue review',
    effects: 'read',
    input: z.strictObject({
      project: projectKey.optional(),
      status: z.array(riskStatus).optional(),
      level: z.array(z.enum(RISK_LEVELS)).optional(),
      overdue: z.boolean().optional(),
      archived: z.boolean().optional(),
    }),
    output: z.array(RiskViewSchema),
    cli: {
      positional: ['project'],
      aliases: ['ls'],
      short: { s: 'status' },
      columns: RISK_COLUMNS,
      colors: RISK_COLORS,
      empty: 'No risks match.',
      examples: [
        'bosun risk list HOME',
        'bosun risk list --level high --level critical --status open',
        'bosun risk list --overdue',
      ],
    },
    handler: (ctx, input) => listRisks(ctx, input),
  }),
  defineOperation({
    name: 'risk.show',
    summary: 'Show one risk, archived or not',
    effects: 'read',
    input: z.strictObject({ risk: riskKey }),
    output: RiskViewSchema,
    cli: { positional: ['risk'], aliases: ['get', 'view'] },
    handler: (ctx, input) => showRisk(ctx, input),
  }),
  defineOperation({
    name: 'risk.update',
    summary:
      'Change any field of a risk; score and level follow likelihood and impact (status moves freely)',
    effects: 'write',
    input: z.strictObject({
      risk: riskKey,
      title: requiredText(200).optional(),
      likelihood: riskRatingSchema.optional(),
      impact: riskRatingSchema.optional(),
      ...riskFields,
    }),
    output: RiskViewSchema,
    cli: {
      positional: ['risk'],
      aliases: ['edit', 'set'],
      short: SHORT,
      columns: RISK_COLUMNS,
      colors: RISK_COLORS,
      examples: [
        'bosun risk update HOME-R1 -s mitigating -l 2',
        'bosun risk update HOME-R1 --review 2027-01-15 --no-owner',
      ],
    },
    handler: (ctx, input) => updateRisk(ctx, input),
  }),
  defineOperation({
    name: 'risk.archive',
    summary:
      'Take a risk out of the register (it keeps its ref and history; risk restore brings it back)',
    effects: 'write',
    input: z.strictObject({ risk: riskKey }),
    output: RiskViewSchema,
    cli: {
      positional: ['risk'],
      aliases: ['delete', 'rm', 'remove'],
      columns: RISK_COLUMNS,
      colors: RISK_COLORS,
    },
    handler: (ctx, input) => archiveRisk(ctx, input),
  }),
  defineOperation({
    name: 'risk.restore',
    summary: 'Bring an archived risk back into the register',
    effects: 'write',
    input: z.strictObject({ risk: riskKey }),
    output: RiskViewSchema,
    cli: { positional: ['risk'], columns: RISK_COLUMNS, colors: RISK_COLORS },
    handler: (ctx, input) => restoreRisk(ctx, input),
  }),
];
