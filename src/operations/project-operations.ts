/** Operations on projects and sprints. */

import { z } from 'zod';
import {
  createProject,
  createSprint,
  showProject,
  updateProject,
  updateSprint,
} from '../core/services/project-service.js';
import { createProjectFromIntake } from '../core/services/intake-service.js';
import { resolveProject } from '../core/services/resolve.js';
import { dateSchema, nameSchema, optionalText, projectKeySchema } from '../domain/fields.js';
import { ProjectIntakeSchema } from '../domain/intake.js';
import { PROJECT_STATUSES, ProjectSchema, currencySchema } from '../domain/project.js';
import { BudgetSummarySchema } from '../domain/project-budget.js';
import { SPRINT_STATUSES, SprintSchema } from '../domain/sprint.js';
import { TASK_STATUSES } from '../domain/task.js';
import { actorName, projectKey, sprintKey } from './common-schemas.js';
import { defineOperation } from './operation.js';
import { parseInput } from './operation-runner.js';
import { invalidInput } from '../shared/errors.js';

// null clears a field (`--no-owner` on the command line).
const projectFields = {
  description: optionalText(10_000).optional(),
  owner: actorName.nullable().optional(),
  startDate: dateSchema.nullable().optional(),
  dueDate: dateSchema.nullable().optional(),
  budgetAmount: z.number().nonnegative('must not be negative').nullable().optional(),
  budgetCurrency: currencySchema.nullable().optional(),
};

const PROJECT_COLUMNS = ['key', 'name', 'status', 'owner', 'dueDate'];

/** What an intake document says itself: given with --from, these would be ambiguous. */
const INTAKE_OWNED = [
  'key',
  'name',
  'description',
  'owner',
  'startDate',
  'dueDate',
  'budgetCurrency',
] as const;

export const projectOperations = [
  defineOperation({
    name: 'project.create',
    summary:
      'Create a project; its key prefixes every task ref (HOME → HOME-1). With --from, a whole project from an intake file',
    effects: 'write',
    input: z
      .strictObject({
        key: projectKeySchema.optional(),
        name: nameSchema.optional(),
        ...projectFields,
        /** A YAML or JSON intake file (docs/command-center.md "Structured intake"). */
        from: z.string().trim().min(1, 'must be a path').optional(),
        /** The same document inline (the API and MCP send one instead of a path). */
        intake: z.record(z.string(), z.unknown()).optional(),
      })
      .superRefine((input, check) => {
        const intakes = [input.from, input.intake].filter((v) => v !== undefined).length;
        const issue = (path: string, message: string) =>
          check.addIssue({ code: 'custom', path: [path], message });
        if (intakes > 1) issue('from', 'give a file or an inline intake, not both');
        if (intakes === 1) {
          const given = INTAKE_OWNED.filter((field) => input[field] !== undefined);
          if (given.length > 0)
            issue(given[0]!, 'comes from the intake document; leave it out with --from');
        } else {
          if (input.key === undefined) issue('key', 'is required (or give --from FILE)');
          if (input.name === undefined) issue('name', 'is required (or give --from FILE)');
        }
      }),
    output: ProjectSchema.extend({
      /** With an intake: the refs of what it created besides the project. */
      created: z
        .object({
          stakeholders: z.array(z.string()),
          risks: z.array(z.string()),
          milestones: z.array(z.string()),
          budgetLines: z.array(z.string()),
        })
        .optional(),
    }),
    cli: {
      positional: ['key', 'name'],
      aliases: ['add', 'new'],
      columns: PROJECT_COLUMNS,
      examples: [
        'bosun project create HOME "Home lab" --owner ana --due-date 2026-12-31',
        'bosun project add --from intake.yaml      # objectives, scope, stakeholders, risks, milestones, budget',
      ],
    },
    async prepare(ctx, input) {
      if (input.intake !== undefined) return parseInput(ProjectIntakeSchema, input.intake);
      if (input.from === undefined) return undefined;
      const load = ctx.engine?.loadIntakeFile;
      if (load === undefined)
        throw invalidInput('from', 'files cannot be read here; send the document as intake');
      return load(input.from);
    },
    async handler(ctx, input, intake) {
      if (intake === undefined) {
        return createProject(ctx, { ...input, key: input.key!, name: input.name! });
      }
      const { project, ...created } = await createProjectFromIntake(ctx, intake);
      return { ...project, created };
    },
  }),
  defineOperation({
    name: 'project.update',
    summary: 'Change a project: name, description, owner, dates, budget or status',
    effects: 'write',
    input: z.strictObject({
      project: projectKey,
      name: nameSchema.optional(),
      status: z.enum(PROJECT_STATUSES).optional(),
      ...projectFields,
    }),
    output: ProjectSchema,
    cli: { positional: ['project'], aliases: ['edit', 'set'], columns: PROJECT_COLUMNS },
    handler: (ctx, input) => updateProject(ctx, input),
  }),
  defineOperation({
    name: 'project.list',
    summary: 'List projects',
    effects: 'read',
    input: z.strictObject({ status: z.enum(PROJECT_STATUSES).optional() }),
    output: z.array(ProjectSchema),
    cli: { aliases: ['ls'], columns: PROJECT_COLUMNS },
    handler: (ctx, input) => ctx.repos.projects.list(input),
  }),
  defineOperation({
    name: 'project.show',
    summary: 'Show a project with its sprints, task counts by status and budget (totals, alerts)',
    effects: 'read',
    input: z.strictObject({ project: projectKey }),
    output: z.object({
      project: ProjectSchema,
      sprints: z.array(SprintSchema),
      tasks: z.object({
        ...Object.fromEntries(TASK_STATUSES.map((s) => [s, z.number().int()])),
        ready: z.number().int(),
        total: z.number().int(),
      }),
      /** The budget's totals and the lines over their threshold (docs/command-center.md). */
      budget: BudgetSummarySchema,
    }),
    cli: { positional: ['project'] },
    handler: (ctx, input) => showProject(ctx, input.project),
  }),
  defineOperation({
    name: 'sprint.create',
    summary: 'Create a sprint (a time box with a goal) in a project',
    effects: 'write',
    input: z.strictObject({
      project: projectKey,
      name: nameSchema,
      goal: optionalText(2_000).optional(),
      startDate: dateSchema.optional(),
      endDate: dateSchema.optional(),
    }),
    output: SprintSchema,
    cli: {
      positional: ['project', 'name'],
      aliases: ['add', 'new'],
      columns: ['name', 'status', 'startDate', 'endDate', 'goal'],
      examples: ['bosun sprint create HOME "Sprint 1" --goal "Backups work" --end-date 2026-12-15'],
    },
    handler: (ctx, input) => createSprint(ctx, input),
  }),
  defineOperation({
    name: 'sprint.update',
    summary: 'Change a sprint: name, goal, dates or status (planned → active → closed)',
    effects: 'write',
    input: z.strictObject({
      project: projectKey,
      sprint: sprintKey,
      name: nameSchema.optional(),
      goal: optionalText(2_000).optional(),
      startDate: dateSchema.nullable().optional(),
      endDate: dateSchema.nullable().optional(),
      status: z.enum(SPRINT_STATUSES).optional(),
    }),
    output: SprintSchema,
    cli: {
      positional: ['project', 'sprint'],
      aliases: ['edit', 'set'],
      columns: ['name', 'status', 'startDate', 'endDate', 'goal'],
    },
    handler: (ctx, input) => updateSprint(ctx, input),
  }),
  defineOperation({
    name: 'sprint.list',
    summary: "List a project's sprints",
    effects: 'read',
    input: z.strictObject({ project: projectKey }),
    output: z.array(SprintSchema),
    cli: {
      positional: ['project'],
      aliases: ['ls'],
      columns: ['name', 'status', 'startDate', 'endDate', 'goal'],
    },
    handler: async (ctx, input) => {
      const project = await resolveProject(ctx.repos, input.project);
      return ctx.repos.sprints.list({ projectId: project.id });
    },
  }),
];
