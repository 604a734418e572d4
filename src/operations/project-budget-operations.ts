/**
 * Project budgets (docs/command-center.md "Budget"): budget lines (`budget`, HOME-B1) with a
 * planned amount and an alert threshold, transactions booked against them (`transaction`,
 * HOME-T4), and `budget report` with actuals, variance, burn and projection. Amounts are typed
 * as decimal text in the project's currency and come back as integer minor units (`amountMinor`)
 * beside the same decimal text (`amount`).
 */

import { z } from 'zod';
import {
  archiveBudgetLine,
  archiveTransaction,
  budgetReport,
  createBudgetLine,
  createTransaction,
  listBudgetLines,
  listTransactions,
  restoreBudgetLine,
  restoreTransaction,
  showBudgetLine,
  showTransaction,
  updateBudgetLine,
  updateTransaction,
} from '../core/services/project-budget-service.js';
import { dateSchema, optionalText, requiredText } from '../domain/fields.js';
import { DECIMAL_AMOUNT, DECIMAL_AMOUNT_RULE } from '../domain/money.js';
import {
  BudgetLineViewSchema,
  BudgetTransactionViewSchema,
  ProjectBudgetReportSchema,
  TRANSACTION_SOURCES,
  alertPercentSchema,
} from '../domain/project-budget.js';
import { actorName, projectKey } from './common-schemas.js';
import { defineOperation } from './operation.js';

const lineKey = z.string().trim().min(1, 'must name a budget line by ref (HOME-B1) or id');
const transactionKey = z.string().trim().min(1, 'must name a transaction by ref (HOME-T4) or id');
const decimalAmount = z.string().trim().regex(DECIMAL_AMOUNT, DECIMAL_AMOUNT_RULE);
const transactionSource = z.enum(TRANSACTION_SOURCES);

const LINE_COLUMNS = [
  'ref',
  'category',
  'planned',
  'actual',
  'variance',
  'variancePercent:VAR%',
  'thresholdPercent:LIMIT%',
  'over',
  'owner',
];

/** A line over its threshold stands out on a terminal; `over` says it to every other reader. */
const LINE_COLORS = { over: { true: 'red' } } as const;

const TRANSACTION_COLUMNS = [
  'ref',
  'date',
  'line',
  'amount',
  'currency',
  'vendor',
  'source',
  'note',
];

// null clears a field (`--no-owner`, `--no-alert-percent` on the command line).
const lineFields = {
  description: optionalText(10_000).optional(),
  alertPercent: alertPercentSchema.nullable().optional(),
  owner: actorName.nullable().optional(),
};

const transactionFields = {
  date: dateSchema.optional(),
  vendor: optionalText(200).optional(),
  note: optionalText(10_000).optional(),
  source: transactionSource.optional(),
};

const LINE_SHORT = { c: 'category', d: 'description', p: 'planned' };
const TRANSACTION_SHORT = { a: 'amount', v: 'vendor', n: 'note' };

export const projectBudgetOperations = [
  defineOperation({
    name: 'budget.add',
    summary:
      'Add a budget line to a project: a category and its planned amount in the project currency (ref PROJECT-B<n>)',
    effects: 'write',
    input: z.strictObject({
      project: projectKey,
      category: requiredText(100),
      planned: decimalAmount,
      ...lineFields,
    }),
    output: BudgetLineViewSchema,
    cli: {
      positional: ['project', 'category', 'planned'],
      aliases: ['create', 'new'],
      short: LINE_SHORT,
      columns: LINE_COLUMNS,
      colors: LINE_COLORS,
      examples: [
        'bosun budget add HOME Hardware 1200.00 --owner ana',
        'bosun budget add HOME "Cloud hosting" 300 --alert-percent 5',
      ],
    },
    handler: (ctx, input) => createBudgetLine(ctx, input),
  }),
  defineOperation({
    name: 'budget.list',
    summary: 'Budget lines with their actual, variance and alert, in the order they were added',
    effects: 'read',
    input: z.strictObject({
      project: projectKey.optional(),
      over: z.boolean().optional(),
      archived: z.boolean().optional(),
    }),
    output: z.array(BudgetLineViewSchema),
    cli: {
      positional: ['project'],
      aliases: ['ls'],
      columns: LINE_COLUMNS,
      colors: LINE_COLORS,
      empty: 'No budget lines match.',
      examples: ['bosun budget list HOME', 'bosun budget list --over'],
    },
    handler: (ctx, input) => listBudgetLines(ctx, input),
  }),
  defineOperation({
    name: 'budget.show',
    summary: 'Show one budget line, archived or not, with its actual and variance',
    effects: 'read',
    input: z.strictObject({ line: lineKey }),
    output: BudgetLineViewSchema,
    cli: { positional: ['line'], aliases: ['get', 'view'] },
    handler: (ctx, input) => showBudgetLine(ctx, input),
  }),
  defineOperation({
    name: 'budget.update',
    summary:
      'Change a budget line: category, planned amount, alert threshold, owner (an alert fires when it crosses its threshold)',
    effects: 'write',
    input: z.strictObject({
      line: lineKey,
      category: requiredText(100).optional(),
      planned: decimalAmount.optional(),
      ...lineFields,
    }),
    output: BudgetLineViewSchema,
    cli: {
      positional: ['line'],
      aliases: ['edit', 'set'],
      short: LINE_SHORT,
      columns: LINE_COLUMNS,
      colors: LINE_COLORS,
      examples: [
        'bosun budget update HOME-B1 --planned 1500',
        'bosun budget update HOME-B1 --alert-percent 20 --no-owner',
        'bosun budget update HOME-B1 --no-alert-percent    # back to the default 10%',
      ],
    },
    handler: (ctx, input) => updateBudgetLine(ctx, input),
  }),
  defineOperation({
    name: 'budget.archive',
    summary:
      'Take a budget line out of the budget (it keeps its ref, history and transactions; budget restore brings it back)',
    effects: 'write',
    input: z.strictObject({ line: lineKey }),
    output: BudgetLineViewSchema,
    cli: {
      positional: ['line'],
      aliases: ['delete', 'rm', 'remove'],
      columns: LINE_COLUMNS,
      colors: LINE_COLORS,
    },
    handler: (ctx, input) => archiveBudgetLine(ctx, input),
  }),
  defineOperation({
    name: 'budget.restore',
    summary: 'Bring an archived budget line back into the budget',
    effects: 'write',
    input: z.strictObject({ line: lineKey }),
    output: BudgetLineViewSchema,
    cli: { positional: ['line'], columns: LINE_COLUMNS, colors: LINE_COLORS },
    handler: (ctx, input) => restoreBudgetLine(ctx, input),
  }),
  defineOperation({
    name: 'budget.report',
    summary:
      "A project's budget: each line's actual, variance and alert, the totals, the burn rate per day and the projection to the end day",
    effects: 'read',
    input: z.strictObject({ project: projectKey, until: dateSchema.optional() }),
    output: ProjectBudgetReportSchema,
    cli: {
      positional: ['project'],
      rows: 'lines',
      columns: LINE_COLUMNS,
      colors: LINE_COLORS,
      empty: 'No budget lines.',
      examples: ['bosun budget report HOME', 'bosun budget report HOME --until 2026-12-31 --json'],
    },
    handler: (ctx, input) => budgetReport(ctx, input),
  }),
  defineOperation({
    name: 'transaction.add',
    summary:
      'Book a transaction against a budget line: amount in the project currency (negative for a refund), day, vendor (ref PROJECT-T<n>)',
    effects: 'write',
    input: z.strictObject({ line: lineKey, amount: decimalAmount, ...transactionFields }),
    output: BudgetTransactionViewSchema,
    cli: {
      positional: ['line', 'amount'],
      aliases: ['create', 'new'],
      short: TRANSACTION_SHORT,
      columns: TRANSACTION_COLUMNS,
      examples: [
        'bosun transaction add HOME-B1 349.99 --vendor "Disk shop" --date 2026-03-02 --source invoice',
        'bosun transaction add HOME-B1 -40 --note "refund: cable"',
      ],
    },
    handler: (ctx, input) => createTransaction(ctx, input),
  }),
  defineOperation({
    name: 'transaction.list',
    summary: 'Transactions by day: filter by project, budget line and dates',
    effects: 'read',
    input: z.strictObject({
      project: projectKey.optional(),
      line: lineKey.optional(),
      from: dateSchema.optional(),
      to: dateSchema.optional(),
      archived: z.boolean().optional(),
    }),
    output: z.array(BudgetTransactionViewSchema),
    cli: {
      positional: ['project'],
      aliases: ['ls'],
      columns: TRANSACTION_COLUMNS,
      empty: 'No transactions match.',
      examples: [
        'bosun transaction list HOME',
        'bosun transaction list --line HOME-B1 --from 2026-03-01 --to 2026-03-31',
      ],
    },
    handler: (ctx, input) => listTransactions(ctx, input),
  }),
  defineOperation({
    name: 'transaction.show',
    summary: 'Show one transaction, archived or not',
    effects: 'read',
    input: z.strictObject({ transaction: transactionKey }),
    output: BudgetTransactionViewSchema,
    cli: { positional: ['transaction'], aliases: ['get', 'view'] },
    handler: (ctx, input) => showTransaction(ctx, input),
  }),
  defineOperation({
    name: 'transaction.update',
    summary:
      'Change a transaction: amount, day, budget line (of the same project), vendor, note, source',
    effects: 'write',
    input: z.strictObject({
      transaction: transactionKey,
      amount: decimalAmount.optional(),
      line: lineKey.optional(),
      ...transactionFields,
    }),
    output: BudgetTransactionViewSchema,
    cli: {
      positional: ['transaction'],
      aliases: ['edit', 'set'],
      short: TRANSACTION_SHORT,
      columns: TRANSACTION_COLUMNS,
      examples: [
        'bosun transaction update HOME-T1 --amount 329.99',
        'bosun transaction update HOME-T1 --line HOME-B2',
      ],
    },
    handler: (ctx, input) => updateTransaction(ctx, input),
  }),
  defineOperation({
    name: 'transaction.archive',
    summary:
      'Take a transaction out of the actuals (it keeps its ref and history; transaction restore brings it back)',
    effects: 'write',
    input: z.strictObject({ transaction: transactionKey }),
    output: BudgetTransactionViewSchema,
    cli: {
      positional: ['transaction'],
      aliases: ['delete', 'rm', 'remove'],
      columns: TRANSACTION_COLUMNS,
    },
    handler: (ctx, input) => archiveTransaction(ctx, input),
  }),
  defineOperation({
    name: 'transaction.restore',
    summary: 'Bring an archived transaction back into the actuals',
    effects: 'write',
    input: z.strictObject({ transaction: transactionKey }),
    output: BudgetTransactionViewSchema,
    cli: { positional: ['transaction'], columns: TRANSACTION_COLUMNS },
    handler: (ctx, input) => restoreTransaction(ctx, input),
  }),
];
