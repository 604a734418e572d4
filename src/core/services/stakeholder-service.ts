/**
 * Stakeholders: add, change, list, show and archive them. The quadrant is recomputed from
 * influence and interest on every write, so it can never disagree with the ratings; the shared
 * record plumbing (refs, audit, archive) is in project-records.ts.
 */

import type { StakeholderQuadrant } from '../../domain/stakeholder.js';
import { Stakeholder } from '../../domain/stakeholder.js';
import { newRecordFields, resolveRecord, saveRecord, setArchived } from './project-records.js';
import { resolveProject } from './resolve.js';
import type { ServiceContext } from './service-context.js';
import { nowIso } from './service-context.js';

export interface StakeholderFields {
  readonly name?: string | undefined;
  readonly role?: string | undefined;
  readonly organisation?: string | undefined;
  readonly influence?: number | undefined;
  readonly interest?: number | undefined;
  readonly contact?: string | undefined;
  readonly notes?: string | undefined;
}

export interface StakeholderListFilter {
  readonly project?: string | undefined;
  readonly quadrant?: readonly StakeholderQuadrant[] | undefined;
  readonly archived?: boolean | undefined;
}

function placed(stakeholder: Stakeholder): Stakeholder {
  return {
    ...stakeholder,
    quadrant: Stakeholder.quadrant(stakeholder.influence, stakeholder.interest),
  };
}

export async function createStakeholder(
  ctx: ServiceContext,
  input: StakeholderFields & { project: string; name: string; influence: number; interest: number },
): Promise<Stakeholder> {
  const project = await resolveProject(ctx.repos, input.project);
  const stakeholder = placed({
    ...(await newRecordFields(ctx, project, 'stakeholder')),
    name: input.name,
    role: input.role ?? '',
    organisation: input.organisation ?? '',
    influence: input.influence,
    interest: input.interest,
    quadrant: 'monitor',
    contact: input.contact ?? '',
    notes: input.notes ?? '',
  });
  return saveRecord(ctx, 'stakeholder', null, stakeholder);
}

export async function updateStakeholder(
  ctx: ServiceContext,
  input: StakeholderFields & { stakeholder: string },
): Promise<Stakeholder> {
  const before = await resolveRecord<Stakeholder>(ctx.repos, 'stakeholder', input.stakeholder, {
    lock: true,
  });
  const after = placed({
    ...before,
    name: input.name ?? before.name,
    role: input.role ?? before.role,
    organisation: input.organisation ?? before.organisation,
    influence: input.influence ?? before.influence,
    interest: input.interest ?? before.interest,
    contact: input.contact ?? before.contact,
    notes: input.notes ?? before.notes,
    updatedAt: nowIso(ctx),
  });
  return saveRecord(ctx, 'stakeholder', before, after);
}

export async function showStakeholder(
  ctx: ServiceContext,
  input: { stakeholder: string },
): Promise<Stakeholder> {
  return resolveRecord<Stakeholder>(ctx.repos, 'stakeholder', input.stakeholder, {
    includeArchived: true,
  });
}

export async function archiveStakeholder(
  ctx: ServiceContext,
  input: { stakeholder: string },
): Promise<Stakeholder> {
  return setArchived<Stakeholder>(ctx, 'stakeholder', input.stakeholder, true);
}

export async function restoreStakeholder(
  ctx: ServiceContext,
  input: { stakeholder: string },
): Promise<Stakeholder> {
  return setArchived<Stakeholder>(ctx, 'stakeholder', input.stakeholder, false);
}

export async function listStakeholders(
  ctx: ServiceContext,
  filter: StakeholderListFilter,
): Promise<Stakeholder[]> {
  const project =
    filter.project === undefined ? undefined : await resolveProject(ctx.repos, filter.project);
  const stakeholders = await ctx.repos.stakeholders.list({
    projectId: project?.id,
    includeArchived: filter.archived === true,
  });
  // The quadrant is derived, and a project's stakeholders are few: filter after reading.
  const quadrants = filter.quadrant;
  return quadrants === undefined
    ? stakeholders
    : stakeholders.filter((stakeholder) => quadrants.includes(stakeholder.quadrant));
}
