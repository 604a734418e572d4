/** Project: the unit of planning. Its key prefixes every task ref (HOME-12). */

import { z } from 'zod';
import {
  dateSchema,
  idSchema,
  nameSchema,
  optionalText,
  projectKeySchema,
  timestampSchema,
} from './fields.js';
import type { TransitionTable } from './status-machine.js';
import { assertTransition } from './status-machine.js';

export const PROJECT_STATUSES = ['active', 'paused', 'completed', 'archived'] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];

export const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be a 3-letter ISO 4217 code such as USD');

export const ProjectSchema = z.object({
  id: idSchema,
  key: projectKeySchema,
  name: nameSchema,
  description: optionalText(10_000),
  status: z.enum(PROJECT_STATUSES),
  owner: z.string().nullable(),
  startDate: dateSchema.nullable(),
  dueDate: dateSchema.nullable(),
  budgetAmount: z.number().nonnegative().nullable(),
  budgetCurrency: currencySchema.nullable(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});
export type Project = Readonly<z.infer<typeof ProjectSchema>>;

const TRANSITIONS: TransitionTable<ProjectStatus> = {
  active: ['paused', 'completed', 'archived'],
  paused: ['active', 'archived'],
  completed: ['active', 'archived'],
  archived: ['active'],
};

export const Project = {
  assertTransition(from: ProjectStatus, to: ProjectStatus): void {
    assertTransition('project', TRANSITIONS, from, to);
  },
  transitions: TRANSITIONS,
};
