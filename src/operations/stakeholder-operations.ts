/**
 * Stakeholders (docs/command-center.md): name, role, organisation, influence and interest 1–5 with
 * the quadrant of the power/interest grid derived, contact and notes; listed by influence, then
 * interest.
 */

import { z } from 'zod';
import {
  archiveStakeholder,
  createStakeholder,
  listStakeholders,
  restoreStakeholder,
  showStakeholder,
  updateStakeholder,
} from '../core/services/stakeholder-service.js';
import { optionalText, ratingSchema, requiredText } from '../domain/fields.js';
import { STAKEHOLDER_QUADRANTS, StakeholderSchema } from '../domain/stakeholder.js';
import { projectKey } from './common-schemas.js';
import { defineOperation } from './operation.js';

const stakeholderKey = z.string().trim().min(1, 'must name a stakeholder by ref (HOME-S3) or id');

export const STAKEHOLDER_COLUMNS = [
  'ref',
  'quadrant',
  'influence:INF',
  'interest:INT',
  'name',
  'role',
  'organisation:ORG',
  'contact',
];

const STAKEHOLDER_COLORS = {
  quadrant: { manage_closely: 'red', keep_satisfied: 'yellow', keep_informed: 'cyan' },
} as const;

const stakeholderFields = {
  role: optionalText(200).optional(),
  organisation: optionalText(200).optional(),
  contact: optionalText(500).optional(),
  notes: optionalText(10_000).optional(),
};

const SHORT = { r: 'role', o: 'organisation', n: 'notes' };

export const stakeholderOperations = [
  defineOperation({
    name: 'stakeholder.add',
    summary:
      'Add a stakeholder to a project: influence and interest 1–5 place them on the grid (ref PROJECT-S<n>)',
    effects: 'write',
    input: z.strictObject({
      project: projectKey,
      name: requiredText(200),
      influence: ratingSchema,
      interest: ratingSchema,
      ...stakeholderFields,
    }),
    output: StakeholderSchema,
    cli: {
      positional: ['project', 'name'],
      aliases: ['create', 'new'],
      short: SHORT,
      columns: STAKEHOLDER_COLUMNS,
      colors: STAKEHOLDER_COLORS,
      examples: [
        'bosun stakeholder add HOME "Maria Costa" --influence 5 --interest 4 -r landlord -o "Costa Lda" --contact maria@example.com',
      ],
    },
    handler: (ctx, input) => createStakeholder(ctx, input),
  }),
  defineOperation({
    name: 'stakeholder.list',
    summary:
      'Stakeholders, most influential first, then most interested: filter by project or quadrant',
    effects: 'read',
    input: z.strictObject({
      project: projectKey.optional(),
      quadrant: z.array(z.enum(STAKEHOLDER_QUADRANTS)).optional(),
      archived: z.boolean().optional(),
    }),
    output: z.array(StakeholderSchema),
    cli: {
      positional: ['project'],
      aliases: ['ls'],
      columns: STAKEHOLDER_COLUMNS,
      colors: STAKEHOLDER_COLORS,
      empty: 'No stakeholders match.',
      examples: ['bosun stakeholder list HOME', 'bosun stakeholder list --quadrant manage_closely'],
    },
    handler: (ctx, input) => listStakeholders(ctx, input),
  }),
  defineOperation({
    name: 'stakeholder.show',
    summary: 'Show one stakeholder, archived or not',
    effects: 'read',
    input: z.strictObject({ stakeholder: stakeholderKey }),
    output: StakeholderSchema,
    cli: { positional: ['stakeholder'], aliases: ['get', 'view'] },
    handler: (ctx, input) => showStakeholder(ctx, input),
  }),
  defineOperation({
    name: 'stakeholder.update',
    summary: 'Change any field of a stakeholder; the quadrant follows influence and interest',
    effects: 'write',
    input: z.strictObject({
      stakeholder: stakeholderKey,
      name: requiredText(200).optional(),
      influence: ratingSchema.optional(),
      interest: ratingSchema.optional(),
      ...stakeholderFields,
    }),
    output: StakeholderSchema,
    cli: {
      positional: ['stakeholder'],
      aliases: ['edit', 'set'],
      short: SHORT,
      columns: STAKEHOLDER_COLUMNS,
      colors: STAKEHOLDER_COLORS,
      examples: ['bosun stakeholder update HOME-S1 --interest 2 --contact "+351 912 000 000"'],
    },
    handler: (ctx, input) => updateStakeholder(ctx, input),
  }),
  defineOperation({
    name: 'stakeholder.archive',
    summary:
      'Take a stakeholder off the list (they keep their ref and history; stakeholder restore brings them back)',
    effects: 'write',
    input: z.strictObject({ stakeholder: stakeholderKey }),
    output: StakeholderSchema,
    cli: {
      positional: ['stakeholder'],
      aliases: ['delete', 'rm', 'remove'],
      columns: STAKEHOLDER_COLUMNS,
      colors: STAKEHOLDER_COLORS,
    },
    handler: (ctx, input) => archiveStakeholder(ctx, input),
  }),
  defineOperation({
    name: 'stakeholder.restore',
    summary: 'Bring an archived stakeholder back onto the list',
    effects: 'write',
    input: z.strictObject({ stakeholder: stakeholderKey }),
    output: StakeholderSchema,
    cli: { positional: ['stakeholder'], columns: STAKEHOLDER_COLUMNS, colors: STAKEHOLDER_COLORS },
    handler: (ctx, input) => restoreStakeholder(ctx, input),
  }),
];
