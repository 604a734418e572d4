/**
 * Milestones (docs/command-center.md): title, due day, status and owner, the tasks linked to them,
 * and their progress from those tasks; listed by due day with overdue milestones flagged.
 */

import { z } from 'zod';
import {
  archiveMilestone,
  createMilestone,
  linkMilestoneTasks,
  listMilestones,
  restoreMilestone,
  showMilestone,
  unlinkMilestoneTasks,
  updateMilestone,
} from '../core/services/milestone-service.js';
import { dateSchema, optionalText, requiredText } from '../domain/fields.js';
import {
  MILESTONE_STATUSES,
  MilestoneDetailSchema,
  MilestoneViewSchema,
} from '../domain/milestone.js';
import { actorName, projectKey, taskKey } from './common-schemas.js';
import { defineOperation } from './operation.js';

const milestoneKey = z.string().trim().min(1, 'must name a milestone by ref (HOME-M2) or id');
const milestoneStatus = z.enum(MILESTONE_STATUSES);
const taskKeys = z.array(taskKey).min(1, 'must name at least one task').max(500);

export const MILESTONE_COLUMNS = [
  'ref',
  'status',
  'dueDate:DUE',
  'overdue',
  'progress:DONE%',
  'owner',
  'title',
];

/** Overdue stands out on a terminal; the word stays for every other reader. */
const MILESTONE_COLORS = {
  status: { done: 'green', missed: 'red' },
  overdue: { true: 'red' },
} as const;

// null clears a field (`--no-owner`, `--no-due` on the command line).
const milestoneFields = {
  description: optionalText(10_000).optional(),
  owner: actorName.nullable().optional(),
  due: dateSchema.nullable().optional(),
  status: milestoneStatus.optional(),
};

const SHORT = { d: 'description', s: 'status' };

const linkInput = z.strictObject({ milestone: milestoneKey, tasks: taskKeys });

export const milestoneOperations = [
  defineOperation({
    name: 'milestone.add',
    summary: 'Add a milestone to a project: due day, status and owner (ref PROJECT-M<n>)',
    effects: 'write',
    input: z.strictObject({ project: projectKey, title: requiredText(200), ...milestoneFields }),
    output: MilestoneDetailSchema,
    cli: {
      positional: ['project', 'title'],
      aliases: ['create', 'new'],
      short: SHORT,
      examples: [
        'bosun milestone add HOME "Backups verified" --due 2026-12-01 --owner ana',
        'bosun milestone add HOME "NAS migrated" -s in_progress',
      ],
    },
    handler: (ctx, input) => createMilestone(ctx, input),
  }),
  defineOperation({
    name: 'milestone.list',
    summary:
      'Milestones with progress from their linked tasks, earliest due first (undated last): filter by project, status or overdue',
    effects: 'read',
    input: z.strictObject({
      project: projectKey.optional(),
      status: z.array(milestoneStatus).optional(),
      overdue: z.boolean().optional(),
      archived: z.boolean().optional(),
    }),
    output: z.array(MilestoneViewSchema),
    cli: {
      positional: ['project'],
      aliases: ['ls'],
      short: { s: 'status' },
      columns: MILESTONE_COLUMNS,
      colors: MILESTONE_COLORS,
      empty: 'No milestones match.',
      examples: [
        'bosun milestone list HOME',
        'bosun milestone list --status planned --status in_progress',
        'bosun milestone list --overdue',
      ],
    },
    handler: (ctx, input) => listMilestones(ctx, input),
  }),
  defineOperation({
    name: 'milestone.show',
    summary: 'Show one milestone, archived or not, with its progress and linked tasks',
    effects: 'read',
    input: z.strictObject({ milestone: milestoneKey }),
    output: MilestoneDetailSchema,
    cli: {
      positional: ['milestone'],
      aliases: ['get', 'view'],
      examples: ['bosun milestone show HOME-M1'],
    },
    handler: (ctx, input) => showMilestone(ctx, input),
  }),
  defineOperation({
    name: 'milestone.update',
    summary: 'Change any field of a milestone (status moves freely)',
    effects: 'write',
    input: z.strictObject({
      milestone: milestoneKey,
      title: requiredText(200).optional(),
      ...milestoneFields,
    }),
    output: MilestoneDetailSchema,
    cli: {
      positional: ['milestone'],
      aliases: ['edit', 'set'],
      short: SHORT,
      examples: [
        'bosun milestone update HOME-M1 -s done',
        'bosun milestone update HOME-M1 --due 2027-01-15 --no-owner',
      ],
    },
    handler: (ctx, input) => updateMilestone(ctx, input),
  }),
  defineOperation({
    name: 'milestone.link',
    summary:
      'Link tasks of the same project to a milestone (its progress counts them; linking twice changes nothing)',
    effects: 'write',
    input: linkInput,
    output: MilestoneDetailSchema,
    cli: {
      positional: ['milestone', 'tasks'],
      aliases: ['add-task'],
      examples: ['bosun milestone link HOME-M1 HOME-3 HOME-4'],
    },
    handler: (ctx, input) => linkMilestoneTasks(ctx, input),
  }),
  defineOperation({
    name: 'milestone.unlink',
    summary: 'Unlink tasks from a milestone (a task not linked is left as it is)',
    effects: 'write',
    input: linkInput,
    output: MilestoneDetailSchema,
    cli: {
      positional: ['milestone', 'tasks'],
      aliases: ['remove-task'],
      examples: ['bosun milestone unlink HOME-M1 HOME-4'],
    },
    handler: (ctx, input) => unlinkMilestoneTasks(ctx, input),
  }),
  defineOperation({
    name: 'milestone.archive',
    summary:
      'Take a milestone off the list (it keeps its ref, links and history; milestone restore brings it back)',
    effects: 'write',
    input: z.strictObject({ milestone: milestoneKey }),
    output: MilestoneDetailSchema,
    cli: { positional: ['milestone'], aliases: ['delete', 'rm', 'remove'] },
    handler: (ctx, input) => archiveMilestone(ctx, input),
  }),
  defineOperation({
    name: 'milestone.restore',
    summary: 'Bring an archived milestone back onto the list',
    effects: 'write',
    input: z.strictObject({ milestone: milestoneKey }),
    output: MilestoneDetailSchema,
    cli: { positional: ['milestone'] },
    handler: (ctx, input) => restoreMilestone(ctx, input),
  }),
];
