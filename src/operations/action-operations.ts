/**
 * Action items (docs/command-center.md): title, owner, due day, status and where each came from
 * (a meeting, a risk, a document or elsewhere, with an optional source ref); listed by due date
 * with overdue actions flagged.
 */

import { z } from 'zod';
import {
  archiveAction,
  createAction,
  listActions,
  restoreAction,
  showAction,
  updateAction,
} from '../core/services/action-service.js';
import {
  ACTION_SOURCES,
  ACTION_STATUSES,
  ActionViewSchema,
  actionSourceRefSchema,
} from '../domain/action.js';
import { dateSchema, optionalText, requiredText } from '../domain/fields.js';
import { actorName, projectKey } from './common-schemas.js';
import { defineOperation } from './operation.js';

const actionKey = z.string().trim().min(1, 'must name an action by ref (HOME-A3) or id');
const actionStatus = z.enum(ACTION_STATUSES);
const actionSource = z.enum(ACTION_SOURCES);

export const ACTION_COLUMNS = [
  'ref',
  'status',
  'dueDate:DUE',
  'overdue',
  'owner',
  'title',
  'source',
  'sourceRef:FROM',
];

/** Overdue stands out on a terminal; the word stays for every other reader. */
const ACTION_COLORS = {
  status: { done: 'green', cancelled: 'gray' },
  overdue: { true: 'red' },
} as const;

// null clears a field (`--no-owner`, `--no-due`, `--no-source-ref` on the command line).
const actionFields = {
  description: optionalText(10_000).optional(),
  owner: actorName.nullable().optional(),
  due: dateSchema.nullable().optional(),
  status: actionStatus.optional(),
  source: actionSource.optional(),
  sourceRef: actionSourceRefSchema.nullable().optional(),
};

const SHORT = { d: 'description', s: 'status' };

export const actionOperations = [
  defineOperation({
    name: 'action.add',
    summary:
      'Add an action item to a project: owner, due day, status and source (ref PROJECT-A<n>)',
    effects: 'write',
    input: z.strictObject({ project: projectKey, title: requiredText(200), ...actionFields }),
    output: ActionViewSchema,
    cli: {
      positional: ['project', 'title'],
      aliases: ['create', 'new'],
      short: SHORT,
      columns: ACTION_COLUMNS,
      colors: ACTION_COLORS,
      examples: [
        'bosun action add HOME "Order a second NAS disk" --owner ana --due 2026-12-01 --source-ref HOME-R1',
        'bosun action add HOME "Write the restore runbook" --source meeting --source-ref "weekly 2026-03-02"',
      ],
    },
    handler: (ctx, input) => createAction(ctx, input),
  }),
  defineOperation({
    name: 'action.list',
    summary:
      'Action items, earliest due first (undated last): filter by project, status, owner, source or overdue',
    effects: 'read',
    input: z.strictObject({
      project: projectKey.optional(),
      status: z.array(actionStatus).optional(),
      owner: actorName.optional(),
      source: z.array(actionSource).optional(),
      overdue: z.boolean().optional(),
      archived: z.boolean().optional(),
    }),
    output: z.array(ActionViewSchema),
    cli: {
      positional: ['project'],
      aliases: ['ls'],
      short: { s: 'status' },
      columns: ACTION_COLUMNS,
      colors: ACTION_COLORS,
      empty: 'No actions match.',
      examples: [
        'bosun action list HOME',
        'bosun action list --owner ana --status open --status in_progress',
        'bosun action list --overdue',
      ],
    },
    handler: (ctx, input) => listActions(ctx, input),
  }),
  defineOperation({
    name: 'action.show',
    summary: 'Show one action item, archived or not',
    effects: 'read',
    input: z.strictObject({ action: actionKey }),
    output: ActionViewSchema,
    cli: { positional: ['action'], aliases: ['get', 'view'] },
    handler: (ctx, input) => showAction(ctx, input),
  }),
  defineOperation({
    name: 'action.update',
    summary: 'Change any field of an action item (status moves freely)',
    effects: 'write',
    input: z.strictObject({
      action: actionKey,
      title: requiredText(200).optional(),
      ...actionFields,
    }),
    output: ActionViewSchema,
    cli: {
      positional: ['action'],
      aliases: ['edit', 'set'],
      short: SHORT,
      columns: ACTION_COLUMNS,
      colors: ACTION_COLORS,
      examples: [
        'bosun action update HOME-A1 -s done',
        'bosun action update HOME-A1 --due 2027-01-15 --no-owner',
      ],
    },
    handler: (ctx, input) => updateAction(ctx, input),
  }),
  defineOperation({
    name: 'action.archive',
    summary:
      'Take an action item off the list (it keeps its ref and history; action restore brings it back)',
    effects: 'write',
    input: z.strictObject({ action: actionKey }),
    output: ActionViewSchema,
    cli: {
      positional: ['action'],
      aliases: ['delete', 'rm', 'remove'],
      columns: ACTION_COLUMNS,
      colors: ACTION_COLORS,
    },
    handler: (ctx, input) => archiveAction(ctx, input),
  }),
  defineOperation({
    name: 'action.restore',
    summary: 'Bring an archived action item back onto the list',
    effects: 'write',
    input: z.strictObject({ action: actionKey }),
    output: ActionViewSchema,
    cli: { positional: ['action'], columns: ACTION_COLUMNS, colors: ACTION_COLORS },
    handler: (ctx, input) => restoreAction(ctx, input),
  }),
];
