/** Sprint: a time box inside one project, with a goal. */

import { z } from 'zod';
import { dateSchema, idSchema, nameSchema, optionalText, timestampSchema } from './fields.js';
import type { TransitionTable } from './status-machine.js';
import { assertTransition } from './status-machine.js';

export const SPRINT_STATUSES = ['planned', 'active', 'closed'] as const;
export type SprintStatus = (typeof SPRINT_STATUSES)[number];

export const SprintSchema = z.object({
  id: idSchema,
  projectId: idSchema,
  name: nameSchema,
  goal: optionalText(2_000),
  status: z.enum(SPRINT_STATUSES),
  startDate: dateSchema.nullable(),
  endDate: dateSchema.nullable(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});
export type Sprint = Readonly<z.infer<typeof SprintSchema>>;

const TRANSITIONS: TransitionTable<SprintStatus> = {
  planned: ['active', 'closed'],
  active: ['closed'],
  closed: ['active'],
};

export const Sprint = {
  assertTransition(from: SprintStatus, to: SprintStatus): void {
    assertTransition('sprint', TRANSITIONS, from, to);
  },
  transitions: TRANSITIONS,
};
