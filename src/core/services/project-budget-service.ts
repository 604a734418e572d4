/**
 * A project's budget: budget lines and the transactions booked against them, the report (actuals,
 * variance, burn, projection) and the variance alerts. Amounts arrive as decimal text and are read
 * into integer minor units of the project's currency (its budgetCurrency, USD when unset); the
 * arithmetic is in domain/project-budget.ts. An alert fires once, as one `budget-alert` event,
 * when a write takes a line from under its threshold to over it; the line remembers that in its
 * alert state, and clears it (`budget-alert-cleared`) when a write takes it back under.
 */

import { DEFAULT_CURRENCY, Money } from '../../domain/money.js';
import type { Project } from '../../domain/project.js';
import type {
  BudgetLine,
  BudgetLineView,
  BudgetSummary,
  BudgetTransaction,
  BudgetTransactionView,
  ProjectBudgetReport,
  TransactionSource,
} from '../../domain/project-budget.js';
import { ProjectBudget } from '../../domain/project-budget.js';
import type { Repositories } from '../../ports/store.js';
import { BosunError, invalidInput } from '../../shared/errors.js';
import {
  newRecordFields,
  resolveRecord,
  saveRecord,
  setArchived,
  todayOf,
} from './project-records.js';
import { resolveProject } from './resolve.js';
import type { ServiceContext } from './service-context.js';
import { nowIso } from './service-context.js';

/** The currency every amount of the project is in. */
export function projectCurrency(project: Pick<Project, 'budgetCurrency'>): string {
  return project.budgetCurrency ?? DEFAULT_CURRENCY;
}

// ── budget lines

export interface BudgetLineFields {
  readonly category?: string | undefined;
  readonly description?: string | undefined;
  /** A decimal amount in the project's currency ("1200.50"). */
  readonly planned?: string | undefined;
  /** null takes the default threshold again. */
  readonly alertPercent?: number | null | undefined;
  readonly owner?: string | null | undefined;
}

async function projectById(repos: Repositories, id: string): Promise<Project> {
  const project = await repos.projects.findById(id);
  if (!project) throw new BosunError('internal', `no project with id ${id}`);
  return project;
}

async function actualOf(repos: Repositories, lineId: string): Promise<bigint> {
  const transactions = await repos.budgetTransactions.list({ lineId });
  return ProjectBudget.sum(transactions.map((t) => t.amountMinor));
}

function lineView(line: BudgetLine, currency: string, actual: bigint): BudgetLineView {
  const planned = BigInt(line.plannedMinor);
  const variance = actual - planned;
  const thresholdPercent = ProjectBudget.thresholdOf(line);
  return {
    ...line,
    currency,
    planned: Money.format(planned, currency),
    actualMinor: Money.toSafeNumber(actual),
    actual: Money.format(actual, currency),
    varianceMinor: Money.toSafeNumber(variance),
    variance: Money.format(variance, currency),
    variancePercent: ProjectBudget.variancePercent(variance, planned),
    thresholdPercent,
    over: ProjectBudget.exceeds(actual, planned, thresholdPercent),
  };
}

/**
 * The line with its alert state brought up to date with `actual`; crossing the threshold either
 * way appends its one event. An archived line is left as it is (its restore looks again).
 */
async function withAlert(
  ctx: ServiceContext,
  project: Project,
  line: BudgetLine,
  actual: bigint,
): Promise<BudgetLine> {
  if (line.archivedAt !== null) return line;
  const view = lineView(line, projectCurrency(project), actual);
  const state = view.over ? 'over' : 'ok';
  if (state === line.alertState) return line;
  const at = nowIso(ctx);
  await ctx.repos.events.append([
    {
      at,
      runId: null,
      stepId: null,
      kind: view.over ? 'budget-alert' : 'budget-alert-cleared',
      data: {
        project: project.key,
        line: line.ref,
        category: line.category,
        currency: view.currency,
        plannedMinor: line.plannedMinor,
        planned: view.planned,
        actualMinor: view.actualMinor,
        actual: view.actual,
        thresholdPercent: view.thresholdPercent,
        reason: view.over
          ? `${line.ref} ${line.category}: ${view.actual} of ${view.planned} ${view.currency} is over its ${view.thresholdPercent}% threshold`
          : `${line.ref} ${line.category}: ${view.actual} of ${view.planned} ${view.currency} is back within its ${view.thresholdPercent}% threshold`,
      },
    },
  ]);
  return { ...line, alertState: state, alertedAt: view.over ? at : line.alertedAt };
}

/** Looks at a line's alert again after its transactions changed; saves it when the state moved. */
async function reassessLine(
  ctx: ServiceContext,
  project: Project,
  line: BudgetLine,
): Promise<void> {
  const after = await withAlert(ctx, project, line, await actualOf(ctx.repos, line.id));
  if (after !== line) await saveRecord(ctx, 'budget', line, { ...after, updatedAt: nowIso(ctx) });
}

async function viewOfLine(ctx: ServiceContext, line: BudgetLine): Promise<BudgetLineView> {
  const project = await projectById(ctx.repos, line.projectId);
  return lineView(line, projectCurrency(project), await actualOf(ctx.repos, line.id));
}

export async function createBudgetLine(
  ctx: ServiceContext,
  input: BudgetLineFields & { project: string; category: string; planned: string },
): Promise<BudgetLineView> {
  const project = await resolveProject(ctx.repos, input.project);
  const plannedMinor = Money.parse(input.planned, projectCurrency(project), 'planned');
  if (plannedMinor < 0) throw invalidInput('planned', 'must not be negative');
  const line: BudgetLine = {
    ...(await newRecordFields(ctx, project, 'budget')),
    category: input.category,
    description: input.description ?? '',
    plannedMinor,
    alertPercent: input.alertPercent ?? null,
    owner: input.owner ?? null,
    alertState: 'ok',
    alertedAt: null,
  };
  // A line planned at 0 is over as soon as anything is spent, never before: no alert yet.
  await saveRecord(ctx, 'budget', null, line);
  return lineView(line, projectCurrency(project), 0n);
}

export async function updateBudgetLine(
  ctx: ServiceContext,
  input: BudgetLineFields & { line: string },
): Promise<BudgetLineView> {
  const before = await resolveRecord<BudgetLine>(ctx.repos, 'budget', input.line, {
    field: 'line',
    lock: true,
  });
  const project = await projectById(ctx.repos, before.projectId);
  const currency = projectCurrency(project);
  let plannedMinor = before.plannedMinor;
  if (input.planned !== undefined) {
    plannedMinor = Money.parse(input.planned, currency, 'planned');
    if (plannedMinor < 0) throw invalidInput('planned', 'must not be negative');
  }
  const actual = await actualOf(ctx.repos, before.id);
  const after = await withAlert(
    ctx,
    project,
    {
      ...before,
      category: input.category ?? before.category,
      description: input.description ?? before.description,
      plannedMinor,
      alertPercent: input.alertPercent === undefined ? before.alertPercent : input.alertPercent,
      owner: input.owner === undefined ? before.owner : input.owner,
      updatedAt: nowIso(ctx),
    },
    actual,
  );
  await saveRecord(ctx, 'budget', before, after);
  return lineView(after, currency, actual);
}

export async function showBudgetLine(
  ctx: ServiceContext,
  input: { line: string },
): Promise<BudgetLineView> {
  const line = await resolveRecord<BudgetLine>(ctx.repos, 'budget', input.line, {
    field: 'line',
    includeArchived: true,
  });
  return viewOfLine(ctx, line);
}

export async function archiveBudgetLine(
  ctx: ServiceContext,
  input: { line: string },
): Promise<BudgetLineView> {
  return viewOfLine(ctx, await setArchived<BudgetLine>(ctx, 'budget', input.line, true));
}

export async function restoreBudgetLine(
  ctx: ServiceContext,
  input: { line: string },
): Promise<BudgetLineView> {
  const restored = await setArchived<BudgetLine>(ctx, 'budget', input.line, false);
  const project = await projectById(ctx.repos, restored.projectId);
  await reassessLine(ctx, project, restored);
  return showBudgetLine(ctx, { line: restored.id });
}

export async function listBudgetLines(
  ctx: ServiceContext,
  filter: {
    project?: string | undefined;
    over?: boolean | undefined;
    archived?: boolean | undefined;
  },
): Promise<BudgetLineView[]> {
  const project =
    filter.project === undefined ? undefined : await resolveProject(ctx.repos, filter.project);
  const lines = await ctx.repos.budgetLines.list({
    projectId: project?.id,
    includeArchived: filter.archived === true,
  });
  const views = await Promise.all(lines.map((line) => viewOfLine(ctx, line)));
  return filter.over ? views.filter((view) => view.over) : views;
}

// ── transactions

export interface TransactionFields {
  /** A decimal amount in the project's currency; negative for a refund. */
  readonly amount?: string | undefined;
  readonly date?: string | undefined;
  readonly vendor?: string | undefined;
  readonly note?: string | undefined;
  readonly source?: TransactionSource | undefined;
}

function parseAmount(text: string, currency: string): number {
  const amount = Money.parse(text, currency, 'amount');
  if (amount === 0) throw invalidInput('amount', 'must not be zero');
  return amount;
}

/** Looks up what a transaction's view names (its project's currency, its line's ref) once each. */
function transactionViews(ctx: ServiceContext) {
  const projects = new Map<string, Promise<Project>>();
  const lines = new Map<string, Promise<BudgetLine | undefined>>();
  const once = <T>(cache: Map<string, Promise<T>>, id: string, load: () => Promise<T>) => {
    let found = cache.get(id);
    if (!found) cache.set(id, (found = load()));
    return found;
  };
  return async (transaction: BudgetTransaction): Promise<BudgetTransactionView> => {
    const project = await once(projects, transaction.projectId, () =>
      projectById(ctx.repos, transaction.projectId),
    );
    const line = await once(lines, transaction.lineId, () =>
      ctx.repos.budgetLines.findById(transaction.lineId),
    );
    const currency = projectCurrency(project);
    return {
      ...transaction,
      line: line?.ref ?? transaction.lineId,
      currency,
      amount: Money.format(transaction.amountMinor, currency),
    };
  };
}

function transactionView(
  ctx: ServiceContext,
  transaction: BudgetTransaction,
): Promise<BudgetTransactionView> {
  return transactionViews(ctx)(transaction);
}

export async function createTransaction(
  ctx: ServiceContext,
  input: TransactionFields & { line: string; amount: string },
): Promise<BudgetTransactionView> {
  const line = await resolveRecord<BudgetLine>(ctx.repos, 'budget', input.line, {
    field: 'line',
    lock: true,
  });
  const project = await projectById(ctx.repos, line.projectId);
  const transaction: BudgetTransaction = {
    ...(await newRecordFields(ctx, project, 'transaction')),
    lineId: line.id,
    date: input.date ?? todayOf(ctx),
    amountMinor: parseAmount(input.amount, projectCurrency(project)),
    vendor: input.vendor ?? '',
    note: input.note ?? '',
    source: input.source ?? 'manual',
  };
  await saveRecord(ctx, 'transaction', null, transaction);
  await reassessLine(ctx, project, line);
  return transactionView(ctx, transaction);
}

/** The lines a write touches, locked in one order so that two writers never wait on each other. */
async function lockLines(ctx: ServiceContext, ids: readonly string[]): Promise<BudgetLine[]> {
  const lines: BudgetLine[] = [];
  for (const id of [...new Set(ids)].sort()) {
    const line = await ctx.repos.budgetLines.findById(id, { lock: true });
    if (line) lines.push(line);
  }
  return lines;
}

export async function updateTransaction(
  ctx: ServiceContext,
  input: TransactionFields & { transaction: string; line?: string | undefined },
): Promise<BudgetTransactionView> {
  const before = await resolveRecord<BudgetTransaction>(
    ctx.repos,
    'transaction',
    input.transaction,
    { lock: true },
  );
  const project = await projectById(ctx.repos, before.projectId);
  let lineId = before.lineId;
  if (input.line !== undefined) {
    const line = await resolveRecord<BudgetLine>(ctx.repos, 'budget', input.line, {
      field: 'line',
    });
    if (line.projectId !== before.projectId)
      throw invalidInput('line', `budget line ${line.ref} belongs to another project`);
    lineId = line.id;
  }
  const lines = await lockLines(ctx, [before.lineId, lineId]);
  const after: BudgetTransaction = {
    ...before,
    lineId,
    date: input.date ?? before.date,
    amountMinor:
      input.amount === undefined
        ? before.amountMinor
        : parseAmount(input.amount, projectCurrency(project)),
    vendor: input.vendor ?? before.vendor,
    note: input.note ?? before.note,
    source: input.source ?? before.source,
    updatedAt: nowIso(ctx),
  };
  await saveRecord(ctx, 'transaction', before, after);
  for (const line of lines) await reassessLine(ctx, project, line);
  return transactionView(ctx, after);
}

export async function showTransaction(
  ctx: ServiceContext,
  input: { transaction: string },
): Promise<BudgetTransactionView> {
  const transaction = await resolveRecord<BudgetTransaction>(
    ctx.repos,
    'transaction',
    input.transaction,
    { includeArchived: true },
  );
  return transactionView(ctx, transaction);
}

async function setTransactionArchived(
  ctx: ServiceContext,
  refOrId: string,
  archived: boolean,
): Promise<BudgetTransactionView> {
  const found = await resolveRecord<BudgetTransaction>(ctx.repos, 'transaction', refOrId, {
    includeArchived: true,
  });
  const lines = await lockLines(ctx, [found.lineId]);
  const transaction = await setArchived<BudgetTransaction>(ctx, 'transaction', refOrId, archived);
  const project = await projectById(ctx.repos, transaction.projectId);
  for (const line of lines) await reassessLine(ctx, project, line);
  return transactionView(ctx, transaction);
}

export function archiveTransaction(
  ctx: ServiceContext,
  input: { transaction: string },
): Promise<BudgetTransactionView> {
  return setTransactionArchived(ctx, input.transaction, true);
}

export function restoreTransaction(
  ctx: ServiceContext,
  input: { transaction: string },
): Promise<BudgetTransactionView> {
  return setTransactionArchived(ctx, input.transaction, false);
}

export async function listTransactions(
  ctx: ServiceContext,
  filter: {
    project?: string | undefined;
    line?: string | undefined;
    from?: string | undefined;
    to?: string | undefined;
    archived?: boolean | undefined;
  },
): Promise<BudgetTransactionView[]> {
  const project =
    filter.project === undefined ? undefined : await resolveProject(ctx.repos, filter.project);
  const line =
    filter.line === undefined
      ? undefined
      : await resolveRecord<BudgetLine>(ctx.repos, 'budget', filter.line, {
          field: 'line',
          includeArchived: true,
        });
  const transactions = await ctx.repos.budgetTransactions.list({
    projectId: project?.id,
    lineId: line?.id,
    from: filter.from,
    to: filter.to,
    includeArchived: filter.archived === true,
  });
  const view = transactionViews(ctx);
  const views: BudgetTransactionView[] = [];
  for (const transaction of transactions) views.push(await view(transaction));
  return views;
}

// ── the report

/**
 * The budget of a project as `budget report` shows it: each live line with its actual, variance
 * and alert; the totals; the burn rate since the project's start (or its first transaction,
 * whichever is earlier) to today; and the projection to `until` (else the project's due date).
 * Briefings call this too: its name and shape are kept stable.
 */
export async function projectBudget(
  ctx: ServiceContext,
  projectId: string,
  options: { until?: string | undefined } = {},
): Promise<ProjectBudgetReport> {
  const project = await projectById(ctx.repos, projectId);
  const currency = projectCurrency(project);
  const today = todayOf(ctx);
  const lines = await ctx.repos.budgetLines.list({ projectId });
  const live = new Set(lines.map((line) => line.id));
  const transactions = (await ctx.repos.budgetTransactions.list({ projectId })).filter((t) =>
    live.has(t.lineId),
  );
  const byLine = new Map<string, bigint>();
  for (const t of transactions)
    byLine.set(t.lineId, (byLine.get(t.lineId) ?? 0n) + BigInt(t.amountMinor));
  const views = lines.map((line) => lineView(line, currency, byLine.get(line.id) ?? 0n));

  const planned = ProjectBudget.sum(lines.map((line) => line.plannedMinor));
  const actual = ProjectBudget.sum(transactions.map((t) => t.amountMinor));
  const variance = actual - planned;
  const format = (minor: bigint | null) => (minor === null ? null : Money.format(minor, currency));
  const safe = (minor: bigint | null) => (minor === null ? null : Money.toSafeNumber(minor));

  const firstDay = transactions.reduce<string | null>(
    (first, t) => (first === null || t.date < first ? t.date : first),
    null,
  );
  const since =
    project.startDate !== null && (firstDay === null || project.startDate < firstDay)
      ? project.startDate
      : firstDay;
  const elapsedDays = ProjectBudget.elapsedDays(since, today);
  const perDay = ProjectBudget.burnPerDay(actual, elapsedDays);
  const until = options.until ?? project.dueDate;
  const remainingDays =
    until === null ? null : Math.max(0, ProjectBudget.daysBetween(today, until));
  const projected =
    remainingDays === null ? null : ProjectBudget.projected(actual, elapsedDays, remainingDays);
  const overrun = projected === null ? null : projected - planned;

  return {
    project: project.key,
    currency,
    asOf: today,
    lines: views,
    totals: {
      currency,
      plannedMinor: Money.toSafeNumber(planned),
      planned: Money.format(planned, currency),
      actualMinor: Money.toSafeNumber(actual),
      actual: Money.format(actual, currency),
      varianceMinor: Money.toSafeNumber(variance),
      variance: Money.format(variance, currency),
      variancePercent: ProjectBudget.variancePercent(variance, planned),
    },
    burn: { since, elapsedDays, perDayMinor: safe(perDay), perDay: format(perDay) },
    projection: {
      until,
      remainingDays,
      projectedMinor: safe(projected),
      projected: format(projected),
      overrunMinor: safe(overrun),
      overrun: format(overrun),
    },
    alerts: views.filter((view) => view.over).map((view) => view.ref),
  };
}

export async function budgetReport(
  ctx: ServiceContext,
  input: { project: string; until?: string | undefined },
): Promise<ProjectBudgetReport> {
  const project = await resolveProject(ctx.repos, input.project);
  return projectBudget(ctx, project.id, { until: input.until });
}

/** The budget part of `project show`: totals and the lines over their threshold. */
export async function budgetSummary(
  ctx: ServiceContext,
  projectId: string,
): Promise<BudgetSummary> {
  const report = await projectBudget(ctx, projectId);
  return {
    ...report.totals,
    lines: report.lines.length,
    alerts: report.lines
      .filter((line) => line.over)
      .map((line) => ({
        ref: line.ref,
        category: line.category,
        plannedMinor: line.plannedMinor,
        actualMinor: line.actualMinor,
        variancePercent: line.variancePercent,
        thresholdPercent: line.thresholdPercent,
      })),
  };
}

/** The lines over their threshold, for the overview (`bosun status`); of one project or all. */
export interface BudgetAlert {
  readonly project: string;
  readonly ref: string;
  readonly category: string;
  readonly currency: string;
  readonly planned: string;
  readonly actual: string;
  readonly variancePercent: string | null;
  readonly thresholdPercent: number;
}

export async function budgetAlerts(
  ctx: ServiceContext,
  projectId?: string,
): Promise<BudgetAlert[]> {
  const lines = await ctx.repos.budgetLines.list({ projectId, alertState: 'over' });
  const out: BudgetAlert[] = [];
  for (const line of lines) {
    const project = await projectById(ctx.repos, line.projectId);
    const view = lineView(line, projectCurrency(project), await actualOf(ctx.repos, line.id));
    out.push({
      project: project.key,
      ref: view.ref,
      category: view.category,
      currency: view.currency,
      planned: view.planned,
      actual: view.actual,
      variancePercent: view.variancePercent,
      thresholdPercent: view.thresholdPercent,
    });
  }
  return out;
}

/**
 * A project's currency is fixed once it has a budget line: its amounts were read in it. Changing
 * it then is a conflict naming budgetCurrency.
 */
export async function assertCurrencyChangeAllowed(
  ctx: ServiceContext,
  before: Project,
  after: Project,
): Promise<void> {
  const from = projectCurrency(before);
  const to = projectCurrency(after);
  if (from === to) return;
  const lines = await ctx.repos.budgetLines.list({ projectId: before.id, includeArchived: true });
  if (lines.length === 0) return;
  throw new BosunError(
    'conflict',
    `budgetCurrency: project ${before.key} keeps its budget in ${from}; it cannot become ${to} once it has budget lines`,
    { details: { field: 'budgetCurrency', project: before.key, currency: from } },
  );
}
