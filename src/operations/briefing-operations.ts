/**
 * Briefings (docs/command-center.md "Briefings"): `bosun brief` digests what changed since the
 * last briefing and what needs attention, with a model's narrative when one is at hand, and
 * stores it; `brief list` and `brief show` read the history back. The digest is read and the
 * model asked in `prepare`, outside the transaction; the handler stores the briefing.
 */

import { z } from 'zod';
import {
  listBriefings,
  prepareBriefing,
  setBriefingArchived,
  showBriefing,
  storeBriefing,
} from '../core/services/briefing-service.js';
import { BriefingViewSchema } from '../domain/briefing.js';
import { actorName, limit, projectKey } from './common-schemas.js';
import { defineOperation } from './operation.js';

const briefingKey = z
  .string()
  .trim()
  .min(1, "must name a briefing by id, its first 8 or more characters, or 'latest'");

const BRIEFING_COLUMNS = [
  'id',
  'project',
  'createdAt:CREATED',
  'since',
  'method',
  'agent',
  'createdBy:BY',
];

/** A briefing named by id or `latest`; `project` picks whose latest. */
const namedBriefing = z.strictObject({ briefing: briefingKey, project: projectKey.optional() });

export const briefingOperations = [
  defineOperation({
    name: 'brief.create',
    summary:
      'Brief a project or the workspace: what changed since the last briefing, what is due, overdue, blocked, at risk or over budget, what agents did and spent; stored',
    // A model's narrative costs money: its spend goes to the cost ledger with the briefing.
    effects: 'write',
    input: z.strictObject({
      project: projectKey.optional(),
      /** A day, a time or a duration back from now; default: since the last briefing. */
      since: z.string().trim().min(1, 'must not be empty').optional(),
      agent: actorName.optional(),
      /** A model of bosun.yaml; null (`--no-model`): the digest alone. */
      model: z.string().trim().min(1, 'must name a model from bosun.yaml').nullable().optional(),
    }),
    output: BriefingViewSchema,
    cli: {
      bare: true,
      aliases: ['new'],
      short: { p: 'project' },
      text: 'report',
      examples: [
        'bosun brief                          # the workspace, since its last briefing',
        'bosun brief --project HOME           # one project',
        'bosun brief -p HOME --since 7d       # the last week, whatever was briefed before',
        'bosun brief --no-model               # the digest alone, no model call',
        'bosun brief -p HOME --agent briefer  # this agent writes the narrative, or it fails',
      ],
    },
    prepare: (ctx, input) => prepareBriefing(ctx, input),
    handler: (ctx, _input, prepared) => storeBriefing(ctx, prepared),
  }),
  defineOperation({
    name: 'brief.list',
    summary:
      'Past briefings, newest first: of one project, of the workspace alone (--workspace-only), or all',
    effects: 'read',
    input: z.strictObject({
      project: projectKey.optional(),
      workspaceOnly: z.boolean().optional(),
      archived: z.boolean().optional(),
      limit: limit.optional(),
    }),
    output: z.array(BriefingViewSchema),
    cli: {
      positional: ['project'],
      aliases: ['ls', 'history'],
      short: { n: 'limit' },
      columns: BRIEFING_COLUMNS,
      empty: "No briefings yet; 'bosun brief' makes one.",
      examples: [
        'bosun brief list',
        'bosun brief list HOME -n 5',
        'bosun brief list --workspace-only',
      ],
    },
    handler: (ctx, input) => listBriefings(ctx, input),
  }),
  defineOperation({
    name: 'brief.show',
    summary: "Show a past briefing, archived or not, by id or 'latest'",
    effects: 'read',
    input: namedBriefing,
    output: BriefingViewSchema,
    cli: {
      positional: ['briefing'],
      aliases: ['get', 'view'],
      short: { p: 'project' },
      text: 'report',
      examples: [
        'bosun brief show latest',
        'bosun brief show latest -p HOME',
        'bosun brief show 01JQ3V7K',
      ],
    },
    handler: (ctx, input) => showBriefing(ctx, input),
  }),
  defineOperation({
    name: 'brief.archive',
    summary:
      'Take a briefing out of the history (kept, with its audit trail; brief restore brings it back)',
    effects: 'write',
    input: namedBriefing,
    output: BriefingViewSchema,
    cli: {
      positional: ['briefing'],
      aliases: ['delete', 'rm', 'remove'],
      short: { p: 'project' },
      columns: BRIEFING_COLUMNS,
    },
    handler: (ctx, input) => setBriefingArchived(ctx, input, true),
  }),
  defineOperation({
    name: 'brief.restore',
    summary: 'Bring an archived briefing back into the history',
    effects: 'write',
    input: namedBriefing,
    output: BriefingViewSchema,
    cli: { positional: ['briefing'], short: { p: 'project' }, columns: BRIEFING_COLUMNS },
    handler: (ctx, input) => setBriefingArchived(ctx, input, false),
  }),
];
