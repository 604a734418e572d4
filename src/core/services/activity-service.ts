/**
 * Recent activity (`activity`): the engine's journal (runs and steps starting, ending, waiting)
 * and the audit log (every write, by whom) merged into one feed, newest first, each entry one
 * readable line. Filters narrow it to a run, a project, an actor, kinds or a time.
 */

import type { AuditEntry } from '../../domain/audit.js';
import type { JournalEvent } from '../../domain/run.js';
import { momentOf } from './moment.js';
import { resolveProject } from './resolve.js';
import { resolveRun } from './run-service.js';
import type { ServiceContext } from './service-context.js';

export const ACTIVITY_SOURCES = ['runs', 'audit'] as const;
export type ActivitySource = (typeof ACTIVITY_SOURCES)[number];

export interface ActivityEntry {
  readonly at: string;
  /** `runs` for the engine's journal, `audit` for a write someone made. */
  readonly source: ActivitySource;
  /** The event kind (`step-end`) or the operation (`task.status`). */
  readonly kind: string;
  /** Who wrote (audit); null for the engine's own events. */
  readonly actor: string | null;
  /** A task ref, project key, run id… what the entry is about. */
  readonly target: string | null;
  readonly runId: string | null;
  readonly summary: string;
}

export interface ActivityInput {
  readonly run?: string | undefined;
  readonly project?: string | undefined;
  readonly actor?: string | undefined;
  readonly kinds?: readonly string[] | undefined;
  readonly source?: ActivitySource | undefined;
  readonly since?: string | undefined;
  readonly limit?: number | undefined;
}

export const ACTIVITY_LIMIT = 30;

/** Rows read per source before filtering in memory: filters that SQL does not apply need room. */
const OVERSCAN = 10;

export async function recentActivity(
  ctx: ServiceContext,
  input: ActivityInput,
): Promise<ActivityEntry[]> {
  const { repos } = ctx;
  const limit = input.limit ?? ACTIVITY_LIMIT;
  const since = momentOf(ctx, input.since, 'since') ?? null;
  const run = input.run ? await resolveRun(repos, input.run) : undefined;
  const project = input.project ? await resolveProject(repos, input.project) : undefined;
  const kinds = input.kinds && input.kinds.length > 0 ? new Set(input.kinds) : undefined;
  const wants = (source: ActivitySource) => input.source === undefined || input.source === source;

  const entries: ActivityEntry[] = [];
  // The engine has no actor: asking for one actor's activity reads the audit log only.
  if (wants('runs') && input.actor === undefined) {
    const projectRuns = project
      ? new Set((await repos.runs.list({ projectId: project.id, limit: 1000 })).map((r) => r.id))
      : undefined;
    const events = await repos.events.list({
      after: 0,
      runId: run?.id,
      kinds: kinds ? [...kinds] : undefined,
      limit: projectRuns ? limit * OVERSCAN : limit,
      newestFirst: true,
    });
    for (const event of events) {
      if (since !== null && event.at < since) continue;
      if (project && !eventConcerns(event, project.key, projectRuns!)) continue;
      entries.push(fromEvent(event));
    }
  }
  if (wants('audit')) {
    const audit = await repos.audit.list({
      actor: input.actor,
      targetId: run?.id,
      since: since ?? undefined,
      limit: kinds || project ? limit * OVERSCAN : limit,
      order: 'desc',
    });
    for (const entry of audit) {
      if (kinds && !kinds.has(entry.operation)) continue;
      if (project && !concerns(entry, project)) continue;
      entries.push(fromAudit(entry));
    }
  }
  return entries.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, limit);
}

/**
 * An event is about a project when it belongs to one of the project's runs, or — outside runs
 * (a budget alert) — names the project's key in its data.
 */
function eventConcerns(event: JournalEvent, key: string, runs: ReadonlySet<string>): boolean {
  return event.runId === null ? event.data['project'] === key : runs.has(event.runId);
}

/** An audit entry is about a project when it targets the project or one of its tasks. */
function concerns(entry: AuditEntry, project: { id: string; key: string }): boolean {
  if (entry.targetId === project.id) return true;
  const label = entry.targetLabel ?? '';
  return label === project.key || label.startsWith(`${project.key}-`);
}

function fromEvent(event: JournalEvent): ActivityEntry {
  const data = event.data;
  const text = (key: string) =>
    typeof data[key] === 'string' || typeof data[key] === 'number' ? String(data[key]) : null;
  const parts = [event.kind, text('step'), text('status'), text('reason') ?? text('error')];
  return {
    at: event.at,
    source: 'runs',
    kind: event.kind,
    actor: null,
    target: text('step') ?? event.runId,
    runId: event.runId,
    summary: parts.filter((p) => p !== null).join(' · '),
  };
}

function fromAudit(entry: AuditEntry): ActivityEntry {
  const changes = Object.entries(entry.changes).filter(([field]) => field !== 'updatedAt');
  const label = entry.targetLabel ?? entry.targetId;
  const base = {
    at: entry.at,
    source: 'audit' as const,
    kind: entry.operation,
    actor: entry.actor,
    target: label,
    runId: null,
  };
  if (changes.every(([, change]) => change.before === null || change.before === undefined)) {
    const title = entry.changes['title']?.after ?? entry.changes['name']?.after;
    const named = typeof title === 'string' ? ` “${title.slice(0, 60)}”` : '';
    return { ...base, summary: `${entry.actor} ${entry.operation} ${label}: created${named}` };
  }
  const shown = changes.slice(0, 3).map(([field, change]) => {
    const value = (v: unknown) =>
      v === undefined || v === null
        ? '∅'
        : typeof v === 'object'
          ? JSON.stringify(v).slice(0, 40)
          : String(v).slice(0, 40);
    return `${field} ${value(change.before)} → ${value(change.after)}`;
  });
  const more = changes.length > 3 ? ` (+${changes.length - 3} fields)` : '';
  return {
    ...base,
    summary: `${entry.actor} ${entry.operation} ${label}: ${shown.join(', ')}${more}`,
  };
}
