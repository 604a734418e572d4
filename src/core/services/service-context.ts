/**
 * What every use case receives: the repositories of the current transaction, the injected clock and
 * id generator, and who is acting under which operation (for the audit log).
 */

import { diffRecords } from '../../domain/audit.js';
import type { AgentConfig } from '../../domain/agent.js';
import type { WorkflowDefinition } from '../../domain/workflow.js';
import type { Repositories } from '../../ports/store.js';
import type { Clock } from '../../shared/clock.js';
import type { IdGenerator } from '../../shared/ids.js';

export interface ServiceContext {
  readonly repos: Repositories;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  readonly actor: string;
  readonly operation: string;
  /** What the engine's operations need from the outside; absent where runs cannot start. */
  readonly engine?: EngineEnvironment | undefined;
}

export interface EngineEnvironment {
  /** Runners this installation has (`mock`, `shell`, …): a workflow may name only these. */
  readonly runnerNames: readonly string[];
  /** Reads and validates a workflow file (YAML or JSON), naming file and line in errors. */
  loadWorkflowFile(path: string): { definition: WorkflowDefinition; file: string };
  /** Validates an inline workflow document (the API and MCP pass one instead of a path). */
  parseWorkflow(document: unknown): WorkflowDefinition;
  /** The agents of bosun.yaml, to read and change; absent without a workspace folder. */
  readonly agents?: AgentAdmin | undefined;
}

/** Agents as bosun.yaml declares them, read and edited in place (comments kept). */
export interface AgentAdmin {
  list(): { readonly name: string; readonly config: AgentConfig }[];
  /** Adds or replaces an agent; the whole file is validated before it is written. */
  put(name: string, config: Record<string, unknown>): AgentConfig;
  remove(name: string): void;
  /** A commented agent entry to paste into bosun.yaml (or add with `put`). */
  scaffold(name: string): string;
}

export interface AuditTarget {
  readonly kind: string;
  readonly id: string;
  readonly label: string | null;
}

/** Appends one audit entry for a write; a write that changed nothing records nothing. */
export async function recordAudit(
  ctx: ServiceContext,
  target: AuditTarget,
  before: Readonly<Record<string, unknown>> | null,
  after: Readonly<Record<string, unknown>> | null,
  options: { actor?: string; operation?: string } = {},
): Promise<void> {
  const changes = diffRecords(before, after);
  if (Object.keys(changes).length === 0) return;
  await ctx.repos.audit.append({
    at: ctx.clock.now().toISOString(),
    actor: options.actor ?? ctx.actor,
    operation: options.operation ?? ctx.operation,
    targetKind: target.kind,
    targetId: target.id,
    targetLabel: target.label,
    changes,
  });
}

export function nowIso(ctx: ServiceContext): string {
  return ctx.clock.now().toISOString();
}
