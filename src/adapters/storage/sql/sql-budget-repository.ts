/**
 * Budget lines and their transactions over Kysely, the same on both dialects. Amounts are bigint
 * columns of minor units; PostgreSQL hands bigints back as strings, so the mappers read them with
 * Number (amounts stay below MAX_AMOUNT_MINOR, far inside exact numbers). Sums are taken by the
 * service as bigints, not by SQL, so both stores add alike.
 */

import type { Kysely } from 'kysely';
import type {
  AlertState,
  BudgetLine,
  BudgetTransaction,
  TransactionSource,
} from '../../../domain/project-budget.js';
import type {
  BudgetLineRepository,
  BudgetTransactionRepository,
  StoreDialect,
} from '../../../ports/store.js';
import { inScope, recordRows } from './sql-project-records.js';
import type { BudgetLinesTable, BudgetTransactionsTable, Database } from './sql-schema.js';

export function toBudgetLine(row: BudgetLinesTable): BudgetLine {
  return {
    id: row.id,
    projectId: row.project_id,
    ref: row.ref,
    category: row.category,
    description: row.description,
    plannedMinor: Number(row.planned_minor),
    alertPercent: row.alert_percent === null ? null : Number(row.alert_percent),
    owner: row.owner,
    alertState: row.alert_state as AlertState,
    alertedAt: row.alerted_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    archivedAt: row.archived_at,
  };
}

export function toBudgetLineRow(line: BudgetLine): BudgetLinesTable {
  return {
    id: line.id,
    project_id: line.projectId,
    ref: line.ref,
    category: line.category,
    description: line.description,
    planned_minor: line.plannedMinor,
    alert_percent: line.alertPercent,
    owner: line.owner,
    alert_state: line.alertState,
    alerted_at: line.alertedAt,
    created_at: line.createdAt,
    updated_at: line.updatedAt,
    archived_at: line.archivedAt,
  };
}

export function toBudgetTransaction(row: BudgetTransactionsTable): BudgetTransaction {
  return {
    id: row.id,
    projectId: row.project_id,
    ref: row.ref,
    lineId: row.line_id,
    date: row.date,
    amountMinor: Number(row.amount_minor),
    vendor: row.vendor,
    note: row.note,
    source: row.source as TransactionSource,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    archivedAt: row.archived_at,
  };
}

export function toBudgetTransactionRow(transaction: BudgetTransaction): BudgetTransactionsTable {
  return {
    id: transaction.id,
    project_id: transaction.projectId,
    ref: transaction.ref,
    line_id: transaction.lineId,
    date: transaction.date,
    amount_minor: transaction.amountMinor,
    vendor: transaction.vendor,
    note: transaction.note,
    source: transaction.source,
    created_at: transaction.createdAt,
    updated_at: transaction.updatedAt,
    archived_at: transaction.archivedAt,
  };
}

export function budgetLineRepository(
  db: Kysely<Database>,
  dialect: StoreDialect,
): BudgetLineRepository {
  return {
    ...recordRows(db, dialect, 'budget_lines', toBudgetLine, toBudgetLineRow),
    async list(filter) {
      let query = inScope(db.selectFrom('budget_lines').selectAll(), filter);
      if (filter.alertState) query = query.where('alert_state', '=', filter.alertState);
      const rows = await query.orderBy('created_at').orderBy('id').execute();
      return rows.map(toBudgetLine);
    },
  };
}

export function budgetTransactionRepository(
  db: Kysely<Database>,
  dialect: StoreDialect,
): BudgetTransactionRepository {
  return {
    ...recordRows(db, dialect, 'budget_transactions', toBudgetTransaction, toBudgetTransactionRow),
    async list(filter) {
      let query = inScope(db.selectFrom('budget_transactions').selectAll(), filter);
      if (filter.lineId) query = query.where('line_id', '=', filter.lineId);
      if (filter.from !== undefined) query = query.where('date', '>=', filter.from);
      if (filter.to !== undefined) query = query.where('date', '<=', filter.to);
      const rows = await query.orderBy('date').orderBy('created_at').orderBy('id').execute();
      return rows.map(toBudgetTransaction);
    },
  };
}
