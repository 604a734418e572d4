/**
 * Briefing: what a person running a project (or the whole workspace) reads to catch up — what
 * changed since the last briefing, what is due and overdue, what is blocked, at risk or over
 * budget, and what the agents did and spent. The digest is structured data assembled from the
 * store; a model may add a short narrative written from it. Briefings are stored, so their
 * history can be read back; deleting one archives it. docs/command-center.md "Briefings".
 */

import { z } from 'zod';
import { dateSchema, idSchema, timestampSchema } from './fields.js';
import { RISK_LEVELS, RISK_STATUSES } from './risk.js';

export const BRIEFING_METHODS = ['digest', 'model'] as const;
export type BriefingMethod = (typeof BRIEFING_METHODS)[number];

/** How far back the first briefing of a scope looks, when nothing says otherwise. */
export const FIRST_BRIEFING_LOOKBACK_MS = 24 * 60 * 60 * 1_000;
/** How many days ahead `due` looks (today included). */
export const BRIEFING_DUE_DAYS = 7;
/** Items each list of the digest keeps at most; the counts stay exact. */
export const BRIEFING_LIST_LIMIT = 50;

const TaskLineSchema = z.object({
  ref: z.string(),
  title: z.string(),
  status: z.string(),
});

const TaskChangeSchema = z.object({
  ref: z.string(),
  title: z.string(),
  from: z.string().nullable(),
  to: z.string(),
  at: timestampSchema,
  actor: z.string(),
});

const RecordChangeSchema = z.object({
  kind: z.string(),
  label: z.string(),
  operation: z.string(),
  at: timestampSchema,
  actor: z.string(),
});

const RunLineSchema = z.object({
  id: idSchema,
  name: z.string(),
  status: z.string(),
  project: z.string().nullable(),
  at: timestampSchema,
});

const DatedRecordSchema = z.object({
  ref: z.string(),
  title: z.string(),
  date: dateSchema,
  owner: z.string().nullable(),
});

const BlockedTaskSchema = TaskLineSchema.extend({
  /** `blocked`: its status says so; `waiting`: it waits on dependencies not yet done. */
  reason: z.enum(['blocked', 'waiting']),
  openDeps: z.number().int().nonnegative(),
});

const ApprovalLineSchema = z.object({
  id: idSchema,
  runId: idSchema,
  run: z.string(),
  stepKey: z.string(),
  phase: z.string(),
  requestedAt: timestampSchema,
});

const RiskLineSchema = z.object({
  ref: z.string(),
  title: z.string(),
  level: z.enum(RISK_LEVELS),
  score: z.number().int(),
  status: z.enum(RISK_STATUSES),
  owner: z.string().nullable(),
});

/** A budget line over its alert threshold: amounts in minor units of its project's currency. */
const BudgetLineSchema = z.object({
  project: z.string(),
  ref: z.string(),
  category: z.string(),
  currency: z.string(),
  plannedMinor: z.number().int(),
  actualMinor: z.number().int(),
  /** As a person reads them (`€1,200.00`). */
  planned: z.string(),
  actual: z.string(),
  variancePercent: z.string().nullable(),
  thresholdPercent: z.number(),
});

/** What one agent did and spent in the window; money as integer micro-dollars. */
const AgentLineSchema = z.object({
  agent: z.string(),
  runs: z.number().int().nonnegative(),
  steps: z.number().int().nonnegative(),
  succeeded: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  calls: z.number().int().nonnegative(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  costMicroUsd: z.number().int().nonnegative(),
});

export const BriefingDigestSchema = z.object({
  changed: z.object({
    tasksCreated: z.array(TaskLineSchema),
    tasksDone: z.array(TaskLineSchema),
    statusChanges: z.array(TaskChangeSchema),
    /** Writes to the command center's records (risks, actions, …): one line per audit entry. */
    records: z.array(RecordChangeSchema),
    runsStarted: z.array(RunLineSchema),
    runsFinished: z.array(RunLineSchema),
  }),
  due: z.object({
    actions: z.array(DatedRecordSchema),
    riskReviews: z.array(DatedRecordSchema),
    milestones: z.array(DatedRecordSchema),
  }),
  overdue: z.object({
    actions: z.array(DatedRecordSchema),
    riskReviews: z.array(DatedRecordSchema),
    milestones: z.array(DatedRecordSchema),
  }),
  blocked: z.object({
    tasks: z.array(BlockedTaskSchema),
    runsAwaitingApproval: z.array(RunLineSchema),
    approvals: z.array(ApprovalLineSchema),
  }),
  atRisk: z.object({ risks: z.array(RiskLineSchema) }),
  overBudget: z.object({ lines: z.array(BudgetLineSchema) }),
  agents: z.object({
    rows: z.array(AgentLineSchema),
    totalCostMicroUsd: z.number().int().nonnegative(),
  }),
});
export type BriefingDigest = z.infer<typeof BriefingDigestSchema>;

export const BriefingSchema = z.object({
  id: idSchema,
  /** null: the whole workspace. */
  projectId: idSchema.nullable(),
  since: timestampSchema,
  until: timestampSchema,
  method: z.enum(BRIEFING_METHODS),
  /** The agent whose model wrote the narrative (null: none, or a model named alone). */
  agent: z.string().nullable(),
  model: z.string().nullable(),
  digest: BriefingDigestSchema,
  narrative: z.string().nullable(),
  /** Why there is no narrative, or what else the reader should know. */
  note: z.string().nullable(),
  createdAt: timestampSchema,
  createdBy: z.string(),
  archivedAt: timestampSchema.nullable(),
});
export type Briefing = Readonly<z.infer<typeof BriefingSchema>>;

/** A briefing as it is shown: with its project's key and the whole of it as readable text. */
export const BriefingViewSchema = BriefingSchema.extend({
  project: z.string().nullable(),
  report: z.string(),
});
export type BriefingView = Readonly<z.infer<typeof BriefingViewSchema>>;

/** The digest's sections in the order a reader goes through them. */
export const BRIEFING_SECTIONS = [
  'changed',
  'due',
  'overdue',
  'blocked',
  'atRisk',
  'overBudget',
  'agents',
] as const satisfies readonly (keyof BriefingDigest)[];

export const Briefing = {
  /** How many items each section holds (what the audit log records in place of the digest). */
  counts(digest: BriefingDigest): Record<(typeof BRIEFING_SECTIONS)[number], number> {
    const size = (section: Readonly<Record<string, unknown>>) =>
      Object.values(section).reduce<number>(
        (sum, value) => sum + (Array.isArray(value) ? value.length : 0),
        0,
      );
    return {
      changed: size(digest.changed),
      due: size(digest.due),
      overdue: size(digest.overdue),
      blocked: size(digest.blocked),
      atRisk: size(digest.atRisk),
      overBudget: size(digest.overBudget),
      agents: size(digest.agents),
    };
  },
};
