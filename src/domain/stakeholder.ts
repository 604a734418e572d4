/**
 * Stakeholder: a person or group with a say in a project, rated 1–5 for influence and for
 * interest. The quadrant of the power/interest grid follows from the two ratings alone: manage
 * closely when both are 4 or more, keep satisfied when only influence is, keep informed when only
 * interest is, monitor otherwise. The ratings are stored so the list sorts in the store; the
 * quadrant is never stored, so the rule lives here only.
 */

import { z } from 'zod';
import { optionalText, ratingSchema, requiredText } from './fields.js';
import { projectRecordFields } from './project-record.js';

export const STAKEHOLDER_QUADRANTS = [
  'manage_closely',
  'keep_satisfied',
  'keep_informed',
  'monitor',
] as const;
export type StakeholderQuadrant = (typeof STAKEHOLDER_QUADRANTS)[number];

/** From this rating up, influence or interest counts as high. */
export const HIGH_RATING = 4;

export const StakeholderSchema = z.object({
  ...projectRecordFields('stakeholder'),
  name: requiredText(200),
  role: optionalText(200),
  organisation: optionalText(200),
  influence: ratingSchema,
  interest: ratingSchema,
  quadrant: z.enum(STAKEHOLDER_QUADRANTS),
  contact: optionalText(500),
  notes: optionalText(10_000),
});
export type Stakeholder = Readonly<z.infer<typeof StakeholderSchema>>;

export const Stakeholder = {
  quadrant(influence: number, interest: number): StakeholderQuadrant {
    const powerful = influence >= HIGH_RATING;
    const interested = interest >= HIGH_RATING;
    if (powerful && interested) return 'manage_closely';
    if (powerful) return 'keep_satisfied';
    if (interested) return 'keep_informed';
    return 'monitor';
  },
};
