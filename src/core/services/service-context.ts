/**
 * What every use case receives: the repositories of the current transaction, the injected clock and
 * id generator, and who is acting under which operation (for the audit log).
 */

import { diffRecords } from '../../domain/audit.js';
import type { AgentConfig, BudgetConfig, ModelProvider } from '../../domain/agent.js';
import type { ProjectIntake } from '../../domain/intake.js';
import type { Plan } from '../../domain/plan.js';
import type { WorkflowDefinition } from '../../domain/workflow.js';
import type { RuleDefinition } from '../../domain/workflow-rule.js';
import type { DocumentReader } from '../../ports/document-reader.js';
import type { ModelCall, ResolvedModel } from '../../ports/runner.js';
import type { ReadOnlySql, Repositories } from '../../ports/store.js';
import type { Clock } from '../../shared/clock.js';
import type { MemoryVectors } from './memory-embedding.js';
import type { IdGenerator } from '../../shared/ids.js';

export interface ServiceContext {
  readonly repos: Repositories;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  readonly actor: string;
  readonly operation: string;
  /** What the engine's operations need from the outside; absent where runs cannot start. */
  readonly engine?: EngineEnvironment | undefined;
  /**
   * Read-only SQL on a connection apart from `repos` (`db.query`, `db.schema`); a query can take
   * seconds, so it belongs in an operation's `prepare`. Absent where the store offers none.
   */
  readonly sql?: ReadOnlySql | undefined;
  /** What this installation is and where its store lives (`system.health`); absent in tests. */
  readonly system?: SystemInfo | undefined;
  /**
   * Memory's vectors (`embeddings:` in bosun.yaml): embeds a query or the pending items over the
   * network, so only in `prepare`. Absent without an embedder: memory search is full-text only.
   */
  readonly memoryVectors?: MemoryVectors | undefined;
  /** Hears how long work is getting on (the CLI prints it on stderr); absent elsewhere. */
  readonly progress?: ((message: string) => void) | undefined;
  /** The workflow rules of bosun.yaml (`rules:`), checked before rule records; absent: none. */
  readonly workflowRules?: readonly RuleDefinition[] | undefined;
  /**
   * Reads a file to attach to a test result (name, size, sha256, base64 content), refusing one
   * over 1 MB; only in an operation's `prepare`. Absent where files cannot be read.
   */
  readonly attachments?: AttachmentReader | undefined;
}

export interface AttachmentFile {
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
  /** base64 */
  readonly content: string;
}

export type AttachmentReader = (path: string) => Promise<AttachmentFile>;

export interface SystemInfo {
  readonly version: string;
  readonly store: {
    readonly dialect: 'sqlite' | 'postgres';
    /** The SQLite file, or the PostgreSQL URL without its password. */
    readonly location: string;
  };
  /** The workspace's `.bosun/` folder; null when only a database was named. */
  readonly workspaceDir: string | null;
}

export interface EngineEnvironment {
  /** Runners this installation has (`mock`, `shell`, …): a workflow may name only these. */
  readonly runnerNames: readonly string[];
  /** Reads and validates a workflow file (YAML or JSON), naming file and line in errors. */
  loadWorkflowFile(path: string): { definition: WorkflowDefinition; file: string };
  /** Validates an inline workflow document (the API and MCP pass one instead of a path). */
  parseWorkflow(document: unknown): WorkflowDefinition;
  /**
   * Reads and validates a project intake file (YAML or JSON), naming file, line and place in
   * errors; absent where files cannot be read (then only an inline intake is taken).
   */
  readonly loadIntakeFile?: ((path: string) => ProjectIntake) | undefined;
  /** The agents of bosun.yaml, to read and change; absent without a workspace folder. */
  readonly agents?: AgentAdmin | undefined;
  /** The models of bosun.yaml, listed and checked; absent without a workspace folder. */
  readonly models?: ModelAdmin | undefined;
  /** Asks the planner agent's model for a checked plan: a network call, never in a transaction. */
  readonly planner?: Planner | undefined;
  /** The summarizer agent's model, rewriting extractive memory summaries (`memory.summarize`). */
  readonly summarizer?: Summarizer | undefined;
  /** Answers a question from passages with the analyst agent's model (`workspace.ask`). */
  readonly answerer?: Answerer | undefined;
  /** Reads a document file and extracts its text (`doc.add`); absent where files cannot be read. */
  readonly documents?: DocumentReader | undefined;
}

export interface PlannerOptions {
  /** The project the plan is for, as context for the model. */
  readonly project: { readonly key: string; readonly name: string; readonly description: string };
  /** Plan with this agent instead of the one whose role is `planner`. */
  readonly agent?: string | undefined;
  /** Use this configured model (instead of the agent's, or when no agent plays `planner`). */
  readonly model?: string | undefined;
}

export interface PlannerResult {
  readonly plan: Plan;
  /** Model answers it took to get a valid plan (an invalid one is sent back with its problems). */
  readonly attempts: number;
  /** The configured model name that answered. */
  readonly model: string;
  /** The agent that planned; null when `--model` named a model and no agent plays `planner`. */
  readonly agent: string | null;
  /** Every model call it took, valid answer or not, for the cost ledger. */
  readonly calls: readonly ModelCall[];
}

export type Planner = (goal: string, options: PlannerOptions) => Promise<PlannerResult>;

export interface AnswererOptions {
  /** Answer with this agent instead of the one whose role is `analyst`. */
  readonly agent?: string | undefined;
  /** Use this configured model (instead of the agent's, or when no agent plays `analyst`). */
  readonly model?: string | undefined;
  /** The roles whose agent answers when none is named, the first one played (default analyst). */
  readonly roles?: readonly string[] | undefined;
  /** Names the caller in errors (default `ask`). */
  readonly purpose?: string | undefined;
}

/** Who answers: the agent (null when a model was named alone), its model and instructions. */
export interface AnswererChoice {
  readonly agent: string | null;
  readonly model: ResolvedModel;
  readonly instructions: string;
}

export interface AnswerPrompt {
  /** How to answer (the agent's own instructions are added after these). */
  readonly instructions: string;
  readonly prompt: string;
  /** Names the caller in errors (default `ask`). */
  readonly purpose?: string | undefined;
}

export interface AnswerResult {
  readonly text: string;
  /** The model call, for the cost ledger. */
  readonly calls: readonly ModelCall[];
}

/**
 * The model side of `workspace.ask`. `choose` reads bosun.yaml only (no network): null when no
 * agent plays `analyst` and none is named; it throws when a named agent or model cannot answer,
 * or when the analyst agent cannot (it does not run on `llm`). `answer` is one model call, made
 * outside any transaction; it throws an `unavailable` BosunError when the call fails.
 */
export interface Answerer {
  choose(options: AnswererOptions): AnswererChoice | null;
  answer(choice: AnswererChoice, prompt: AnswerPrompt): Promise<AnswerResult>;
}

/** The agent whose model writes memory's summaries, as bosun.yaml has it now. */
export interface SummarizerChoice {
  readonly agent: string;
  readonly model: ResolvedModel;
  readonly instructions: string;
}

export interface SummaryPrompt {
  /** How to summarize (the agent's own instructions are added after these). */
  readonly instructions: string;
  readonly prompt: string;
}

export interface SummaryResult {
  readonly text: string;
  /** The model call, for the cost ledger. */
  readonly calls: readonly ModelCall[];
}

/**
 * The model side of memory's summaries (core/services/memory-summaries.ts). `choose` reads
 * bosun.yaml only (no network): null when no agent plays `summarizer`; it throws when that agent
 * cannot summarize (it does not run on `llm`, it has no model). `summarize` is one model call,
 * made outside any transaction; it throws an `unavailable` BosunError when the call fails.
 */
export interface Summarizer {
  choose(): SummarizerChoice | null;
  summarize(
    choice: SummarizerChoice,
    prompt: SummaryPrompt,
    signal?: AbortSignal,
  ): Promise<SummaryResult>;
}

/** Agents as bosun.yaml declares them, read and edited in place (comments kept). */
export interface AgentAdmin {
  list(): { readonly name: string; readonly config: AgentConfig }[];
  /** The budgets of bosun.yaml, in the order written. */
  budgets(): readonly BudgetConfig[];
  /** Adds or replaces an agent; the whole file is validated before it is written. */
  put(name: string, config: Record<string, unknown>): AgentConfig;
  remove(name: string): void;
  /**
   * A commented agent entry; with `write`, also added under `agents:` in bosun.yaml (comments
   * included), refused if the agent exists.
   */
  scaffold(name: string, write: boolean): string;
}

/** The models bosun.yaml declares, and a live check of each against its provider. */
export interface ModelAdmin {
  list(): Promise<ModelSummary[]>;
  /** One trivial prompt per model (or only `model`); a failed model is a row, never a throw. */
  check(options: { readonly model?: string | undefined; readonly timeoutMs: number }): Promise<{
    readonly ok: boolean;
    readonly models: ModelCheckRow[];
  }>;
}

export interface ModelSummary {
  readonly name: string;
  readonly provider: ModelProvider;
  readonly modelId: string;
  /** Where requests go, the provider's default included; null for the in-process mock. */
  readonly baseUrl: string | null;
  readonly keyEnv: string | null;
  /** US dollars per million tokens. */
  readonly inputPrice: number;
  readonly outputPrice: number;
  readonly cachedInputPrice: number | null;
  readonly contextWindow: number | null;
  readonly maxOutputTokens: number;
}

export interface ModelCheckRow {
  readonly name: string;
  readonly provider: ModelProvider;
  readonly modelId: string;
  readonly ok: boolean;
  /** Until the answer or the failure; null when no request was sent. */
  readonly latencyMs: number | null;
  readonly inputTokens: number | null;
  readonly outputTokens: number | null;
  /** Characters of the answer's text. */
  readonly responseChars: number | null;
  /** Why it failed, starting with its kind: `unreachable`, `unauthorized`, `unknown model`, … */
  readonly reason: string | null;
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
