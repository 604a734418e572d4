/**
 * Action items: add, change, list, show and archive them. An action that came from a risk names
 * it by ref, and that ref is resolved on every write that touches the source, so it always names a
 * risk of the same project; the shared record plumbing (refs, audit, archive) is in
 * project-records.ts.
 */

import type { Action, ActionSource, ActionStatus, ActionView } from '../../domain/action.js';
import {
  ACTION_STATUSES,
  ACTIVE_ACTION_STATUSES,
  Action as ActionRules,
} from '../../domain/action.js';
import type { Project } from '../../domain/project.js';
import type { Risk } from '../../domain/risk.js';
import { invalidInput } from '../../shared/errors.js';
import { isUlid } from '../../shared/ids.js';
import {
  newRecordFields,
  recordKindOfRef,
  resolveRecord,
  saveRecord,
  setArchived,
  todayOf,
} from './project-records.js';
import { resolveProject } from './resolve.js';
import type { ServiceContext } from './service-context.js';
import { nowIso } from './service-context.js';

export interface ActionFields {
  readonly title?: string | undefined;
  readonly description?: string | undefined;
  readonly owner?: string | null | undefined;
  /** The due day (YYYY-MM-DD); null clears it. */
  readonly due?: string | null | undefined;
  readonly status?: ActionStatus | undefined;
  readonly source?: ActionSource | undefined;
  /** null clears it. */
  readonly sourceRef?: string | null | undefined;
}

export interface ActionListFilter {
  readonly project?: string | undefined;
  readonly status?: readonly ActionStatus[] | undefined;
  readonly owner?: string | undefined;
  readonly source?: readonly ActionSource[] | undefined;
  /** Only overdue actions (open or in progress, due before today). */
  readonly overdue?: boolean | undefined;
  readonly archived?: boolean | undefined;
}

function view(ctx: ServiceContext, action: Action): ActionView {
  return { ...action, overdue: ActionRules.isOverdue(action, todayOf(ctx)) };
}

/**
 * The source ref as stored: a risk's own ref when the source is a risk (it must be one of the
 * project's risks, archived or not), the text as given otherwise.
 */
async function checkedSourceRef(
  ctx: ServiceContext,
  projectId: string,
  source: ActionSource,
  sourceRef: string | null,
): Promise<string | null> {
  if (sourceRef === null || source !== 'risk') return sourceRef;
  if (recordKindOfRef(sourceRef) !== 'risk' && !isUlid(sourceRef.trim()))
    throw invalidInput('sourceRef', 'must be a risk ref such as HOME-R2 when the source is risk');
  const risk = await resolveRecord<Risk>(ctx.repos, 'risk', sourceRef, {
    field: 'sourceRef',
    includeArchived: true,
  });
  if (risk.projectId !== projectId)
    throw invalidInput('sourceRef', `risk ${risk.ref} belongs to another project`);
  return risk.ref;
}

export async function createAction(
  ctx: ServiceContext,
  input: ActionFields & { project: string; title: string },
): Promise<ActionView> {
  const project: Project = await resolveProject(ctx.repos, input.project);
  const sourceRef = input.sourceRef ?? null;
  // A risk ref needs no --source: it says where the action came from by itself.
  const source =
    input.source ??
    (sourceRef !== null && recordKindOfRef(sourceRef) === 'risk' ? 'risk' : 'other');
  const checkedRef = await checkedSourceRef(ctx, project.id, source, sourceRef);
  const action: Action = {
    ...(await newRecordFields(ctx, project, 'action')),
    title: input.title,
    description: input.description ?? '',
    owner: input.owner ?? null,
    dueDate: input.due ?? null,
    status: input.status ?? 'open',
    source,
    sourceRef: checkedRef,
  };
  return view(ctx, await saveRecord(ctx, 'action', null, action));
}

export async function updateAction(
  ctx: ServiceContext,
  input: ActionFields & { action: string },
): Promise<ActionView> {
  const before = await resolveRecord<Action>(ctx.repos, 'action', input.action, { lock: true });
  const source = input.source ?? before.source;
  const sourceRef = input.sourceRef === undefined ? before.sourceRef : input.sourceRef;
  const sourceChanged = input.source !== undefined || input.sourceRef !== undefined;
  const after: Action = {
    ...before,
    title: input.title ?? before.title,
    description: input.description ?? before.description,
    owner: input.owner === undefined ? before.owner : input.owner,
    dueDate: input.due === undefined ? before.dueDate : input.due,
    status: input.status ?? before.status,
    source,
    sourceRef: sourceChanged
      ? await checkedSourceRef(ctx, before.projectId, source, sourceRef)
      : sourceRef,
    updatedAt: nowIso(ctx),
  };
  return view(ctx, await saveRecord(ctx, 'action', before, after));
}

export async function showAction(
  ctx: ServiceContext,
  input: { action: string },
): Promise<ActionView> {
  return view(
    ctx,
    await resolveRecord<Action>(ctx.repos, 'action', input.action, { includeArchived: true }),
  );
}

export async function archiveAction(
  ctx: ServiceContext,
  input: { action: string },
): Promise<ActionView> {
  return view(ctx, await setArchived<Action>(ctx, 'action', input.action, true));
}

export async function restoreAction(
  ctx: ServiceContext,
  input: { action: string },
): Promise<ActionView> {
  return view(ctx, await setArchived<Action>(ctx, 'action', input.action, false));
}

export async function listActions(
  ctx: ServiceContext,
  filter: ActionListFilter,
): Promise<ActionView[]> {
  const project =
    filter.project === undefined ? undefined : await resolveProject(ctx.repos, filter.project);
  const statuses = filter.overdue
    ? (filter.status ?? ACTION_STATUSES).filter((status) => ACTIVE_ACTION_STATUSES.includes(status))
    : filter.status;
  const actions = await ctx.repos.actions.list({
    projectId: project?.id,
    status: statuses,
    owner: filter.owner,
    source: filter.source,
    dueBefore: filter.overdue ? todayOf(ctx) : undefined,
    // An archived action is never overdue.
    includeArchived: filter.archived === true && filter.overdue !== true,
  });
  return actions.map((action) => view(ctx, action));
}
