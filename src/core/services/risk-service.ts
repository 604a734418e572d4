/**
 * The risk register: add, change, list, show and archive risks. Score and level are recomputed
 * from likelihood and impact on every write, so they can never disagree with the ratings; the
 * shared record plumbing (refs, audit, archive) is in project-records.ts.
 */

import type { Risk, RiskLevel, RiskStatus, RiskView } from '../../domain/risk.js';
import { ACTIVE_RISK_STATUSES, RISK_STATUSES, Risk as RiskRules } from '../../domain/risk.js';
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

export interface RiskFields {
  readonly title?: string | undefined;
  readonly description?: string | undefined;
  readonly likelihood?: number | undefined;
  readonly impact?: number | undefined;
  readonly mitigation?: string | undefined;
  readonly owner?: string | null | undefined;
  readonly status?: RiskStatus | undefined;
  /** The review date (YYYY-MM-DD); null clears it. */
  readonly review?: string | null | undefined;
}

export interface RiskListFilter {
  readonly project?: string | undefined;
  readonly status?: readonly RiskStatus[] | undefined;
  readonly level?: readonly RiskLevel[] | undefined;
  /** Only risks whose review is overdue (open or mitigating, review date before today). */
  readonly overdue?: boolean | undefined;
  readonly archived?: boolean | undefined;
}

function view(ctx: ServiceContext, risk: Risk): RiskView {
  return { ...risk, overdue: RiskRules.isOverdue(risk, todayOf(ctx)) };
}

function rated(risk: Risk): Risk {
  const score = RiskRules.score(risk.likelihood, risk.impact);
  return { ...risk, score, level: RiskRules.level(score) };
}

export async function createRisk(
  ctx: ServiceContext,
  input: RiskFields & { project: string; title: string; likelihood: number; impact: number },
): Promise<RiskView> {
  const project = await resolveProject(ctx.repos, input.project);
  const risk = rated({
    ...(await newRecordFields(ctx, project, 'risk')),
    title: input.title,
    description: input.description ?? '',
    likelihood: input.likelihood,
    impact: input.impact,
    score: 0,
    level: 'low',
    mitigation: input.mitigation ?? '',
    owner: input.owner ?? null,
    status: input.status ?? 'open',
    reviewDate: input.review ?? null,
  });
  return view(ctx, await saveRecord(ctx, 'risk', null, risk));
}

export async function updateRisk(
  ctx: ServiceContext,
  input: RiskFields & { risk: string },
): Promise<RiskView> {
  const before = await resolveRecord<Risk>(ctx.repos, 'risk', input.risk, { lock: true });
  const after = rated({
    ...before,
    title: input.title ?? before.title,
    description: input.description ?? before.description,
    likelihood: input.likelihood ?? before.likelihood,
    impact: input.impact ?? before.impact,
    mitigation: input.mitigation ?? before.mitigation,
    owner: input.owner === undefined ? before.owner : input.owner,
    status: input.status ?? before.status,
    reviewDate: input.review === undefined ? before.reviewDate : input.review,
    updatedAt: nowIso(ctx),
  });
  return view(ctx, await saveRecord(ctx, 'risk', before, after));
}

export async function showRisk(ctx: ServiceContext, input: { risk: string }): Promise<RiskView> {
  return view(
    ctx,
    await resolveRecord<Risk>(ctx.repos, 'risk', input.risk, { includeArchived: true }),
  );
}

export async function archiveRisk(ctx: ServiceContext, input: { risk: string }): Promise<RiskView> {
  return view(ctx, await setArchived<Risk>(ctx, 'risk', input.risk, true));
}

export async function restoreRisk(ctx: ServiceContext, input: { risk: string }): Promise<RiskView> {
  return view(ctx, await setArchived<Risk>(ctx, 'risk', input.risk, false));
}

export async function listRisks(ctx: ServiceContext, filter: RiskListFilter): Promise<RiskView[]> {
  const project =
    filter.project === undefined ? undefined : await resolveProject(ctx.repos, filter.project);
  const statuses = filter.overdue
    ? (filter.status ?? RISK_STATUSES).filter((status) => ACTIVE_RISK_STATUSES.includes(status))
    : filter.status;
  const risks = await ctx.repos.risks.list({
    projectId: project?.id,
    status: statuses,
    scores: filter.level === undefined ? undefined : RiskRules.scoresOf(filter.level),
    reviewBefore: filter.overdue ? todayOf(ctx) : undefined,
    // An archived risk is never overdue.
    includeArchived: filter.archived === true && filter.overdue !== true,
  });
  return risks.map((risk) => view(ctx, risk));
}
