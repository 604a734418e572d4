/**
 * Runs one operation: validates the input with its zod schema, runs its `prepare` step if it has
 * one (outside any transaction), opens one transaction (write operations take the write lock),
 * and hands the handler a service context. Everything the handler does commits together or not
 * at all.
 */

import type { z } from 'zod';
import type { EngineEnvironment, SystemInfo } from '../core/services/service-context.js';
import type { MemoryVectors } from '../core/services/memory-embedding.js';
import type { Store } from '../ports/store.js';
import type { Clock } from '../shared/clock.js';
import { BosunError } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import type { AnyOperation } from './operation.js';
import { refusalRecord } from '../core/services/workflow-rules.js';
import type { RuleDefinition } from '../domain/workflow-rule.js';
import type { AttachmentReader } from '../core/services/service-context.js';

export interface OperationRunnerSettings {
  readonly store: Store;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  readonly engine?: EngineEnvironment;
  readonly system?: SystemInfo;
  /** Memory's embedder (bosun.yaml `embeddings:`); without it memory search is full-text only. */
  readonly memoryVectors?: MemoryVectors | undefined;
  /** The workflow rules of bosun.yaml (`rules:`); absent: none. */
  readonly workflowRules?: readonly RuleDefinition[] | undefined;
  /** Reads files attached to test results (`testcase record --attach`); absent: refused. */
  readonly attachments?: AttachmentReader | undefined;
  /** Check every output against its schema (tests); costs time on large outputs. */
  readonly validateOutput?: boolean;
}

export interface OperationRunner {
  run(
    operation: AnyOperation,
    input: unknown,
    actor: string,
    options?: { readonly progress?: (message: string) => void },
  ): Promise<unknown>;
}

export function createOperationRunner(settings: OperationRunnerSettings): OperationRunner {
  return {
    async run(operation, rawInput, actor, options) {
      const input = parseInput(operation.input, rawInput ?? {});
      const base = {
        clock: settings.clock,
        newId: settings.newId,
        actor,
        operation: operation.name,
        engine: settings.engine,
        sql: settings.store.readOnlySql,
        system: settings.system,
        memoryVectors: settings.memoryVectors,
        progress: options?.progress,
        workflowRules: settings.workflowRules,
        attachments: settings.attachments,
      };
      // Before the transaction: slow work (a model call) must not hold the store's lock.
      const prepared =
        operation.prepare === undefined
          ? undefined
          : await operation.prepare(
              {
                ...base,
                read: (work) =>
                  settings.store.transaction('read', (repos) => work({ ...base, repos })),
              },
              input,
            );
      const mode = operation.effects === 'read' ? 'read' : 'write';
      let output: unknown;
      try {
        output = await settings.store.transaction(mode, (repos) =>
          operation.handler({ ...base, repos }, input, prepared),
        );
      } catch (error) {
        // A refused status change rolled its transaction back: its decision is kept in one of
        // its own (docs/decisions/0019-workflow-rule-decisions.md).
        const keep = refusalRecord(error);
        if (keep) await settings.store.transaction('write', (repos) => keep({ ...base, repos }));
        throw error;
      }
      if (settings.validateOutput) {
        const checked = operation.output.safeParse(output);
        if (!checked.success) {
          throw new BosunError(
            'internal',
            `${operation.name} returned output that breaks its schema: ${formatIssues(checked.error)}`,
          );
        }
      }
      return output;
    },
  };
}

export function parseInput<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const result = schema.safeParse(raw, { error: plainMessages });
  if (result.success) return result.data;
  const first = result.error.issues[0];
  throw new BosunError('invalid_input', formatIssues(result.error), {
    details: {
      field: first && first.path.length > 0 ? first.path.join('.') : '(input)',
      rule: first?.message ?? 'invalid',
      issues: result.error.issues.map((issue) => ({
        field: issue.path.join('.'),
        rule: issue.message,
      })),
    },
  });
}

/** Zod's generic wording for the two commonest mistakes, said the way the CLI and API say rules. */
export function plainMessages(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  if (issue.code === 'invalid_value' && issue.values.length > 1) {
    return `must be one of ${issue.values.map(String).join(', ')}`;
  }
  return undefined;
}

/** Shown in the message; all of them stay in `details.issues` (an import can have thousands). */
const ISSUES_SHOWN = 10;

function formatIssues(error: z.ZodError): string {
  const shown = error.issues
    .slice(0, ISSUES_SHOWN)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(input)'}: ${issue.message}`)
    .join('; ');
  const more = error.issues.length - ISSUES_SHOWN;
  return more > 0 ? `${shown}; and ${more} more (--json lists them all)` : shown;
}
