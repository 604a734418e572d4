/**
 * A project intake document (`bosun project add --from intake.yaml`): everything a project starts
 * with — its name and dates, objectives and scope, stakeholders, risks, milestones and budget
 * lines — in one YAML or JSON file, validated as a whole before anything is written. Keys are
 * snake_case like bosun.yaml's. docs/command-center.md "Structured intake".
 */

import { z } from 'zod';
import {
  dateSchema,
  nameSchema,
  optionalText,
  projectKeySchema,
  ratingSchema,
  requiredText,
} from './fields.js';
import { currencySchema } from './project.js';

const person = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters');
const textList = z.array(requiredText(1_000)).max(200, 'must hold at most 200 items');

/**
 * An amount as written in the file: a decimal string ("1200.50") or a plain number (1200.5); it
 * is turned into whole minor units exactly, never summed as a float.
 */
export const intakeAmountSchema = z.union(
  [z.string().trim().min(1, 'must not be empty'), z.number().finite('must be a finite number')],
  { error: 'must be an amount such as 1200.50' },
);

export const IntakeStakeholderSchema = z.strictObject({
  name: requiredText(200),
  role: optionalText(200).optional(),
  organisation: optionalText(200).optional(),
  influence: ratingSchema,
  interest: ratingSchema,
  contact: optionalText(500).optional(),
  notes: optionalText(10_000).optional(),
});

export const IntakeRiskSchema = z.strictObject({
  title: requiredText(200),
  description: optionalText(10_000).optional(),
  likelihood: ratingSchema,
  impact: ratingSchema,
  mitigation: optionalText(10_000).optional(),
  owner: person.optional(),
  review: dateSchema.optional(),
});

export const IntakeMilestoneSchema = z.strictObject({
  title: requiredText(200),
  description: optionalText(10_000).optional(),
  due: dateSchema.optional(),
  owner: person.optional(),
});

export const IntakeBudgetLineSchema = z.strictObject({
  category: requiredText(100),
  planned: intakeAmountSchema,
  description: optionalText(2_000).optional(),
  owner: person.optional(),
  /** Percent over plan that raises an alert for this line (default: the budget's). */
  alert_threshold: z.number().int('must be a whole number').min(0).max(1_000).optional(),
});

export const ProjectIntakeSchema = z.strictObject({
  project: z.strictObject({
    key: projectKeySchema,
    name: nameSchema,
    description: optionalText(10_000).optional(),
    owner: person.optional(),
    start: dateSchema.optional(),
    due: dateSchema.optional(),
  }),
  objectives: textList.optional(),
  scope: z.strictObject({ in: textList.optional(), out: textList.optional() }).optional(),
  stakeholders: z.array(IntakeStakeholderSchema).max(500).optional(),
  risks: z.array(IntakeRiskSchema).max(1_000).optional(),
  milestones: z.array(IntakeMilestoneSchema).max(500).optional(),
  budget: z
    .strictObject({
      currency: currencySchema.optional(),
      lines: z.array(IntakeBudgetLineSchema).max(1_000).optional(),
    })
    .optional(),
});
export type ProjectIntake = z.infer<typeof ProjectIntakeSchema>;
