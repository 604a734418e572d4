/**
 * The plumbing every kind of project record shares (risks, actions and stakeholders now;
 * milestones next): a ref from the project's counter for that kind (HOME-R3), finding a record
 * by ref or id with not_found naming the field, writes that are always audited, and archiving in
 * place of deletion. A new kind adds its repository to RECORD_REPOSITORIES and its letter to
 * RECORD_SERIES (domain/project-record.ts); its service keeps only its own rules.
 */

import type { Project } from '../../domain/project.js';
import type { RecordKind } from '../../domain/project-record.js';
import { ProjectRecord, RECORD_SERIES } from '../../domain/project-record.js';
import type { LockOptions, Repositories } from '../../ports/store.js';
import { BosunError } from '../../shared/errors.js';
import { isUlid } from '../../shared/ids.js';
import type { ServiceContext } from './service-context.js';
import { nowIso, recordAudit } from './service-context.js';
import { checkTransition } from './workflow-rules.js';

export interface RecordRepository<T extends ProjectRecord> {
  insert(record: T): Promise<void>;
  update(record: T): Promise<void>;
  findById(id: string, options?: LockOptions): Promise<T | undefined>;
  findByRef(ref: string, options?: LockOptions): Promise<T | undefined>;
}

/** Where each kind of record is kept. */
const RECORD_REPOSITORIES: {
  readonly [K in RecordKind]: (repos: Repositories) => RecordRepository<ProjectRecord>;
} = {
  risk: (repos) => repos.risks,
  action: (repos) => repos.actions,
  stakeholder: (repos) => repos.stakeholders,
  doc: (repos) => repos.documents,
  milestone: (repos) => repos.milestones,
  lesson: (repos) => repos.lessons,
  budget: (repos) => repos.budgetLines,
  transaction: (repos) => repos.budgetTransactions,
  rule: (repos) => repos.workflowRules,
  testplan: (repos) => repos.testPlans,
  testcase: (repos) => repos.testCases,
};

/** The kind of record a ref names (HOME-R3 → risk), or undefined for anything else. */
export function recordKindOfRef(ref: string): RecordKind | undefined {
  const upper = ref.trim().toUpperCase();
  return (Object.keys(RECORD_SERIES) as RecordKind[]).find((kind) =>
    ProjectRecord.isRef(kind, upper),
  );
}

/**
 * What every new record of the project starts with: an id, the next ref of its kind (HOME-R1,
 * HOME-R2, …, reserved in this transaction), the times, not archived.
 */
export async function newRecordFields(
  ctx: ServiceContext,
  project: Project,
  kind: RecordKind,
): Promise<
  Pick<ProjectRecord, 'id' | 'projectId' | 'ref' | 'createdAt' | 'updatedAt' | 'archivedAt'>
> {
  const seq = await ctx.repos.projects.nextRecordSeq(project.id, kind);
  const now = nowIso(ctx);
  return {
    id: ctx.newId(),
    projectId: project.id,
    ref: ProjectRecord.formatRef(kind, project.key, seq),
    createdAt: now,
    updatedAt: now,
    archivedAt: null,
  };
}

export interface ResolveRecordOptions {
  /** The input field that named the record, for the error (default: the kind). */
  readonly field?: string;
  /** Also find an archived record; otherwise naming one is a conflict saying how to restore it. */
  readonly includeArchived?: boolean;
  /** Hold the row until the transaction ends (a read-modify-write). */
  readonly lock?: boolean;
}

/** Finds a record by ref (any case) or id. */
export async function resolveRecord<T extends ProjectRecord>(
  repos: Repositories,
  kind: RecordKind,
  refOrId: string,
  options: ResolveRecordOptions = {},
): Promise<T> {
  const field = options.field ?? kind;
  const value = refOrId.trim();
  const repository = RECORD_REPOSITORIES[kind](repos) as RecordRepository<T>;
  const lock = { lock: options.lock };
  const record = isUlid(value)
    ? await repository.findById(value, lock)
    : await repository.findByRef(value.toUpperCase(), lock);
  if (!record) {
    throw new BosunError(
      'not_found',
      `${field}: no ${kind} '${refOrId}'; see 'bosun ${kind} list'`,
      {
        details: { field, kind, key: refOrId },
      },
    );
  }
  if (record.archivedAt !== null && !options.includeArchived) {
    throw new BosunError(
      'conflict',
      `${field}: ${kind} ${record.ref} is archived; 'bosun ${kind} restore ${record.ref}' brings it back`,
      { details: { field, kind, key: refOrId, archivedAt: record.archivedAt } },
    );
  }
  return record;
}

/**
 * Writes a record and its audit entry: `before` null inserts it, otherwise it replaces `before`.
 * Every write of a project record goes through here, so none escapes the audit log.
 */
export async function saveRecord<T extends ProjectRecord>(
  ctx: ServiceContext,
  kind: RecordKind,
  before: T | null,
  after: T,
): Promise<T> {
  const repository = RECORD_REPOSITORIES[kind](ctx.repos) as RecordRepository<T>;
  const from = (before as { status?: unknown } | null)?.status;
  const to = (after as { status?: unknown }).status;
  if (before !== null && typeof from === 'string' && typeof to === 'string' && from !== to) {
    await checkTransition(ctx, {
      entity: kind,
      projectId: before.projectId,
      recordId: before.id,
      recordRef: before.ref,
      from,
      to,
      record: before,
    });
  }
  if (before === null) await repository.insert(after);
  else await repository.update(after);
  await recordAudit(ctx, { kind, id: after.id, label: after.ref }, before, after);
  return after;
}

/**
 * Archives a record (delete-as-archive: it leaves the register, keeps its ref and its history) or
 * brings it back. Archiving an archived record, or restoring a live one, is a conflict.
 */
export async function setArchived<T extends ProjectRecord>(
  ctx: ServiceContext,
  kind: RecordKind,
  refOrId: string,
  archived: boolean,
): Promise<T> {
  const before = await resolveRecord<T>(ctx.repos, kind, refOrId, {
    includeArchived: true,
    lock: true,
  });
  if ((before.archivedAt !== null) === archived) {
    const state = archived ? 'is already archived' : 'is not archived';
    throw new BosunError('conflict', `${kind}: ${kind} ${before.ref} ${state}`, {
      details: { field: kind, kind, key: refOrId, archivedAt: before.archivedAt },
    });
  }
  const now = nowIso(ctx);
  return saveRecord(ctx, kind, before, {
    ...before,
    archivedAt: archived ? now : null,
    updatedAt: now,
  });
}

/** Today as a day (YYYY-MM-DD, UTC): what review and due dates are compared with. */
export function todayOf(ctx: Pick<ServiceContext, 'clock'>): string {
  return ctx.clock.now().toISOString().slice(0, 10);
}
