/**
 * A project's budget: budget lines (a category with a planned amount) and the transactions booked
 * against them (a day, an amount, a vendor; refunds are negative). Everything is integer minor
 * units of the project's one currency, summed as bigints: actuals, variance, the burn rate and the
 * projection never touch a float, and the alert rule is an integer comparison. (The AI spend
 * limits of bosun.yaml are another thing: domain/budget.ts.)
 *
 * Rules, all in this file (docs/command-center.md "Budget"):
 * - actual = the sum of the line's live transactions; variance = actual − planned.
 * - a line is over its threshold when actual × 100 > planned × (100 + threshold percent).
 * - variance percent is for reading only: variance / planned in tenths of a percent, rounded half
 *   away from zero; none when nothing is planned.
 * - burn per day = actual ÷ elapsed days, floored; elapsed days count the start day and today.
 * - projected = actual × (elapsed + remaining days) ÷ elapsed days, floored: the same pace kept
 *   up to the end day; overrun = projected − planned.
 */

import { z } from 'zod';
import { dateSchema, idSchema, optionalText, requiredText, timestampSchema } from './fields.js';
import { projectRecordFields } from './project-record.js';

/** The threshold of a line that names none. */
export const DEFAULT_ALERT_PERCENT = 10;

const PERCENT_RULE = 'must be a whole number of percent from 0 to 1000';

export const alertPercentSchema = z
  .number({ error: (issue) => (issue.input === undefined ? 'is required' : PERCENT_RULE) })
  .int(PERCENT_RULE)
  .min(0, PERCENT_RULE)
  .max(1000, PERCENT_RULE);

/** Whether a line's alert has fired: `over` from the write that crossed its threshold on. */
export const ALERT_STATES = ['ok', 'over'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** Where a transaction came from. */
export const TRANSACTION_SOURCES = ['manual', 'invoice', 'import', 'agent'] as const;
export type TransactionSource = (typeof TRANSACTION_SOURCES)[number];

const minorUnits = z.number().int().safe();

export const BudgetLineSchema = z.object({
  ...projectRecordFields('budget'),
  category: requiredText(100),
  description: optionalText(10_000),
  plannedMinor: minorUnits.nonnegative(),
  /** This line's own threshold; null takes DEFAULT_ALERT_PERCENT. */
  alertPercent: alertPercentSchema.nullable(),
  owner: z.string().nullable(),
  alertState: z.enum(ALERT_STATES),
  /** When the alert last fired; null when it never did. */
  alertedAt: timestampSchema.nullable(),
});
export type BudgetLine = Readonly<z.infer<typeof BudgetLineSchema>>;

/** Figures of a line or of a whole budget, in minor units and as decimal text. */
const figureFields = {
  currency: z.string(),
  planned: z.string(),
  actualMinor: minorUnits,
  actual: z.string(),
  varianceMinor: minorUnits,
  variance: z.string(),
  /** variance ÷ planned in percent with one decimal ("21.0", "-4.5"); null when planned is 0. */
  variancePercent: z.string().nullable(),
};

/** A line as it is shown: with its actual, variance and whether it is over its threshold. */
export const BudgetLineViewSchema = BudgetLineSchema.extend({
  ...figureFields,
  thresholdPercent: alertPercentSchema,
  over: z.boolean(),
});
export type BudgetLineView = Readonly<z.infer<typeof BudgetLineViewSchema>>;

export const BudgetTransactionSchema = z.object({
  ...projectRecordFields('transaction'),
  lineId: idSchema,
  date: dateSchema,
  /** Negative for a refund; never zero. */
  amountMinor: minorUnits,
  vendor: optionalText(200),
  note: optionalText(10_000),
  source: z.enum(TRANSACTION_SOURCES),
});
export type BudgetTransaction = Readonly<z.infer<typeof BudgetTransactionSchema>>;

export const BudgetTransactionViewSchema = BudgetTransactionSchema.extend({
  /** The budget line's ref (HOME-B1). */
  line: z.string(),
  currency: z.string(),
  amount: z.string(),
});
export type BudgetTransactionView = Readonly<z.infer<typeof BudgetTransactionViewSchema>>;

export const BudgetTotalsSchema = z.object({ plannedMinor: minorUnits, ...figureFields });

/** What `project show` tells of the budget: the totals and the lines over their threshold. */
export const BudgetSummarySchema = BudgetTotalsSchema.extend({
  lines: z.number().int().nonnegative(),
  alerts: z.array(
    BudgetLineViewSchema.pick({
      ref: true,
      category: true,
      plannedMinor: true,
      actualMinor: true,
      variancePercent: true,
      thresholdPercent: true,
    }),
  ),
});
export type BudgetSummary = z.infer<typeof BudgetSummarySchema>;

export const ProjectBudgetReportSchema = z.object({
  project: z.string(),
  currency: z.string(),
  /** The day the burn is measured to (today). */
  asOf: dateSchema,
  lines: z.array(BudgetLineViewSchema),
  totals: BudgetTotalsSchema,
  burn: z.object({
    /** The project's start day, or its first transaction's day; null with neither. */
    since: dateSchema.nullable(),
    elapsedDays: z.number().int().nonnegative(),
    perDayMinor: minorUnits.nullable(),
    perDay: z.string().nullable(),
  }),
  projection: z.object({
    /** The end day (`until`, else the project's due date); null with neither. */
    until: dateSchema.nullable(),
    remainingDays: z.number().int().nonnegative().nullable(),
    projectedMinor: minorUnits.nullable(),
    projected: z.string().nullable(),
    overrunMinor: minorUnits.nullable(),
    overrun: z.string().nullable(),
  }),
  /** Refs of the lines over their threshold. */
  alerts: z.array(z.string()),
});
export type ProjectBudgetReport = z.infer<typeof ProjectBudgetReportSchema>;

const DAY_MS = 86_400_000;

/** a ÷ b rounded down (toward −∞), b > 0: bigint division alone truncates toward zero. */
export function floorDiv(a: bigint, b: bigint): bigint {
  const quotient = a / b;
  return a % b !== 0n && a < 0n ? quotient - 1n : quotient;
}

export const ProjectBudget = {
  thresholdOf(line: Pick<BudgetLine, 'alertPercent'>): number {
    return line.alertPercent ?? DEFAULT_ALERT_PERCENT;
  },

  /** The alert rule, in integers: actual × 100 > planned × (100 + threshold). */
  exceeds(actual: bigint, planned: bigint, thresholdPercent: number): boolean {
    return actual * 100n > planned * BigInt(100 + thresholdPercent);
  },

  /** variance ÷ planned in percent, one decimal, half away from zero; null when planned is 0. */
  variancePercent(variance: bigint, planned: bigint): string | null {
    if (planned <= 0n) return null;
    const magnitude = variance < 0n ? -variance : variance;
    const tenths = (magnitude * 2000n + planned) / (2n * planned);
    const sign = variance < 0n && tenths > 0n ? '-' : '';
    return `${sign}${tenths / 10n}.${tenths % 10n}`;
  },

  sum(amounts: readonly number[]): bigint {
    return amounts.reduce((total, amount) => total + BigInt(amount), 0n);
  },

  /** Calendar days from one day to another (YYYY-MM-DD): 0 for the same day, negative before. */
  daysBetween(from: string, to: string): number {
    return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
  },

  /** Days from `since` to `today`, both counted; 0 when `since` is after today or unknown. */
  elapsedDays(since: string | null, today: string): number {
    if (since === null) return 0;
    return Math.max(0, ProjectBudget.daysBetween(since, today) + 1);
  },

  /** Actual per elapsed day, floored; null when no day has elapsed. */
  burnPerDay(actual: bigint, elapsedDays: number): bigint | null {
    return elapsedDays <= 0 ? null : floorDiv(actual, BigInt(elapsedDays));
  },

  /**
   * The actual at the end of `remainingDays` more days at the pace so far (floored); null when no
   * day has elapsed.
   */
  projected(actual: bigint, elapsedDays: number, remainingDays: number): bigint | null {
    if (elapsedDays <= 0) return null;
    return floorDiv(actual * BigInt(elapsedDays + remainingDays), BigInt(elapsedDays));
  },
};
