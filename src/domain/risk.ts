/**
 * Risk: something that may go wrong in a project, rated 1–5 for likelihood and for impact. The
 * score is their product (1–25) and the level follows from the score alone: low up to 4, medium
 * up to 9, high up to 15, critical above. The score is stored so that the register sorts and
 * filters in the store; the level is never stored, so the rule lives here only. A risk's review is
 * overdue when its review date is before today and it is still open or being mitigated.
 */

import { z } from 'zod';
import { dateSchema, optionalText, ratingSchema, requiredText } from './fields.js';
import { projectRecordFields } from './project-record.js';

export const RISK_STATUSES = ['open', 'mitigating', 'closed', 'accepted'] as const;
export type RiskStatus = (typeof RISK_STATUSES)[number];

/** Statuses whose review still matters: a closed or accepted risk is never overdue. */
export const ACTIVE_RISK_STATUSES: readonly RiskStatus[] = ['open', 'mitigating'];

export const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** The highest score of each level; critical takes everything above high. */
const LEVEL_CEILINGS: readonly (readonly [RiskLevel, number])[] = [
  ['low', 4],
  ['medium', 9],
  ['high', 15],
  ['critical', 25],
];

export const riskRatingSchema = ratingSchema;

export const RiskSchema = z.object({
  ...projectRecordFields('risk'),
  title: requiredText(200),
  description: optionalText(10_000),
  likelihood: riskRatingSchema,
  impact: riskRatingSchema,
  score: z.number().int().min(1).max(25),
  level: z.enum(RISK_LEVELS),
  mitigation: optionalText(10_000),
  owner: z.string().nullable(),
  status: z.enum(RISK_STATUSES),
  reviewDate: dateSchema.nullable(),
});
export type Risk = Readonly<z.infer<typeof RiskSchema>>;

/** A risk as the register shows it: with whether its review is overdue today. */
export const RiskViewSchema = RiskSchema.extend({ overdue: z.boolean() });
export type RiskView = Readonly<z.infer<typeof RiskViewSchema>>;

export const Risk = {
  score(likelihood: number, impact: number): number {
    return likelihood * impact;
  },
  level(score: number): RiskLevel {
    for (const [level, ceiling] of LEVEL_CEILINGS) if (score <= ceiling) return level;
    return 'critical';
  },
  /** Every score that a product of two ratings can make and that falls in one of `levels`. */
  scoresOf(levels: readonly RiskLevel[]): number[] {
    const scores = new Set<number>();
    for (let likelihood = 1; likelihood <= 5; likelihood++)
      for (let impact = 1; impact <= 5; impact++) scores.add(likelihood * impact);
    return [...scores].filter((score) => levels.includes(Risk.level(score))).sort((a, b) => a - b);
  },
  /** `today` is a day (YYYY-MM-DD). */
  isOverdue(risk: Pick<Risk, 'reviewDate' | 'status' | 'archivedAt'>, today: string): boolean {
    return (
      risk.archivedAt === null &&
      risk.reviewDate !== null &&
      risk.reviewDate < today &&
      ACTIVE_RISK_STATUSES.includes(risk.status)
    );
  },
};
