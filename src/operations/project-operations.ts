/** Operations on projects and sprints. */

import { z } from 'zod';
import {
  createProject,
  createSprint,
  showProject,
  updateProject,
  updateSprint,
} from '../core/services/project-service.js';
import { resolveProject } from '../core/services/resolve.js';
import { dateSchema, nameSchema, optionalText, projectKeySchema } from '../domain/fields.js';
import { PROJECT_STATUSES, ProjectSchema, currencySchema } from '../domain/project.js';
import { SPRINT_STATUSES, SprintSchema } from '../domain/sprint.js';
import { TASK_STATUSES } from '../domain/task.js';
import { actorName, projectKey, sprintKey } from './common-schemas.js';
import { defineOperation } from './operation.js';

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

export const projectOperations = [
  defineOperation({
    name: 'project.create',
    summary: 'Create a project; its key prefixes every task ref (HOME → HOME-1)',
    effects: 'write',
    input: z.strictObject({ key: projectKeySchema, name: nameSchema, ...projectFields }),
    output: ProjectSchema,
    cli: {
      positional: ['key', 'name'],
      aliases: ['add', 'new'],
      columns: PROJECT_COLUMNS,
      examples: ['bosun project create HOME "Home lab" --owner ana --due-date 2026-12-31'],
    },
    handler: (ctx, input) => createProject(ctx, input),
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
    summary: 'Show a project with its sprints and task counts by status',
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
