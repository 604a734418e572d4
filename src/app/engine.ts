/**
 * Wires the workflow engine for an entry point: the runners this installation has, the engine
 * environment operations need (workflow files, runner names), and schedulers whose leases name
 * this process (`host/pid/token`), so a restarted process on the same host can take back at
 * once what a killed one held instead of waiting for its leases to run out.
 */

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { createMockRunner } from '../adapters/runners/mock/index.js';
import { createShellRunner } from '../adapters/runners/shell/index.js';
import { createGptTokenizer } from '../adapters/tokenizer/index.js';
import type { Scheduler } from '../core/engine/scheduler.js';
import { createScheduler } from '../core/engine/scheduler.js';
import type { EngineEnvironment, ModelAdmin, Planner } from '../core/services/service-context.js';
import { createTaskLink } from '../core/engine/task-link.js';
import { parseWorkflowDefinition } from '../domain/workflow-schema.js';
import type { OperationRunner } from '../operations/catalog.js';
import type { Runner, RunnerRegistry } from '../ports/runner.js';
import type { Store } from '../ports/store.js';
import type { Clock } from '../shared/clock.js';
import type { IdGenerator } from '../shared/ids.js';
import { createAgentAdmin } from './agent-admin.js';
import { createSummarizer } from './summarizer.js';
import { createAnswerer } from './answerer.js';
import { createDocumentReader } from './document-reader.js';
import type { McpToolSettings } from './agent-tools.js';
import type { AgentDirectory } from './agent-directory.js';
import { openAgentDirectory } from './agent-directory.js';
import { loadIntakeFile } from './intake-file.js';
import { loadWorkflowFile } from './workflow-file.js';
import { createWorkdirProvider } from './worktrees.js';

/**
 * The runners of this installation. `operations` gives llm agents bosun's operations as tools
 * (the runtime's operation runner, built after the registry); `mcp` the tools of the external
 * MCP servers their `mcp:` allows.
 */
export function createRunnerRegistry(
  operations?: () => OperationRunner,
  mcp?: McpToolSettings,
): RunnerRegistry {
  const runners = [
    createMockRunner(),
    createShellRunner(),
    // Loaded on first use: a command that runs no agent never pays for node-pty or the AI SDK.
    lazyRunner('process', async () =>
      (await import('../adapters/runners/process/index.js')).createProcessRunner(),
    ),
    lazyRunner('claude-code', async () =>
      (await import('../adapters/runners/claude-code/index.js')).createClaudeCodeRunner(),
    ),
    lazyRunner('codex', async () =>
      (await import('../adapters/runners/codex/index.js')).createCodexRunner(),
    ),
    lazyRunner('llm', async () => {
      // The AI SDK prints call warnings on the console unless told not to; bosun journals instead.
      (globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;
      const { createLlmRunner } = await import('../adapters/runners/llm/index.js');
      if (operations === undefined && mcp === undefined) return createLlmRunner();
      const { createMcpTools, createOperationTools } = await import('./agent-tools.js');
      return createLlmRunner({
        ...(operations === undefined ? {} : { tools: createOperationTools(operations) }),
        ...(mcp === undefined ? {} : { externalTools: createMcpTools(mcp) }),
      });
    }),
  ];
  return new Map(runners.map((runner) => [runner.name, runner]));
}

/** A runner whose module is imported the first time a step needs it. */
function lazyRunner(name: string, load: () => Promise<Runner>): Runner {
  let loading: Promise<Runner> | undefined;
  return {
    name,
    async execute(context) {
      loading ??= load();
      return (await loading).execute(context);
    },
  };
}

export function createEngineEnvironment(
  runners: RunnerRegistry,
  cwd: string,
  workspaceDir: string | null = null,
  env: Readonly<Record<string, string | undefined>> = process.env,
): EngineEnvironment {
  const knownRunners = [...runners.keys()];
  return {
    ...(workspaceDir !== null ? { agents: createAgentAdmin(workspaceDir) } : {}),
    ...(workspaceDir !== null ? { models: lazyModelAdmin(workspaceDir, env) } : {}),
    ...(workspaceDir !== null ? { planner: lazyPlanner(workspaceDir, env) } : {}),
    ...(workspaceDir !== null
      ? { summarizer: createSummarizer({ agents: () => openAgentDirectory(workspaceDir), env }) }
      : {}),
    // bosun.yaml as it is at each question; the AI SDK is loaded only when a model is asked.
    ...(workspaceDir !== null
      ? { answerer: createAnswerer({ agents: () => openAgentDirectory(workspaceDir), env }) }
      : {}),
    // Document files are read where the command runs, like workflow files.
    documents: createDocumentReader(cwd),
    runnerNames: knownRunners,
    loadWorkflowFile: (path) => loadWorkflowFile(resolve(cwd, path), { knownRunners }),
    loadIntakeFile: (path) => loadIntakeFile(resolve(cwd, path), path),
    parseWorkflow: (document) => parseWorkflowDefinition(document, { knownRunners }),
  };
}

/** Loaded on first use, like the llm runner: only model commands pay for the AI SDK. */
function lazyModelAdmin(
  workspaceDir: string,
  env: Readonly<Record<string, string | undefined>>,
): ModelAdmin {
  const load = async () => {
    // The AI SDK prints call warnings on the console unless told not to; the row says enough.
    (globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;
    return (await import('./model-check.js')).createModelAdmin(workspaceDir, { env });
  };
  return {
    list: async () => (await load()).list(),
    check: async (options) => (await load()).check(options),
  };
}

/** The planner, loaded on first use: only `bosun plan` pays for the AI SDK. */
function lazyPlanner(
  workspaceDir: string,
  env: Readonly<Record<string, string | undefined>>,
): Planner {
  return async (goal, options) => {
    (globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;
    const { createPlanner } = await import('./planner.js');
    // bosun.yaml as it is now: a plan is one call, nothing to watch.
    return createPlanner({ agents: () => openAgentDirectory(workspaceDir), env })(goal, options);
  };
}

const HOST = hostname();

/** The prefix of every lease owner on this host. */
export const OWNER_PREFIX = `${HOST}/`;

export function leaseOwner(): string {
  return `${HOST}/${process.pid}/${randomBytes(3).toString('hex')}`;
}

/** False only when the owner ran on this host and its process is gone. */
export function isOwnerAlive(owner: string): boolean {
  const [host, pid] = owner.split('/');
  if (host !== HOST || pid === undefined) return true;
  if (Number(pid) === process.pid) return owner.startsWith(`${HOST}/${process.pid}/`);
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface SchedulerOptions {
  readonly store: Store;
  readonly runners: RunnerRegistry;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  readonly workdir: string;
  readonly runId?: string;
  readonly concurrency?: number;
  readonly leaseMs?: number;
  /** Register in the workers table (a `bosun worker` process). */
  readonly worker?: boolean;
  /** The workspace's agents (bosun.yaml); without it agent and role steps run on `mock`. */
  readonly agents?: AgentDirectory;
  /** The `.bosun/` folder: agents with `workdir: worktree` get their worktrees in it. */
  readonly workspaceDir?: string | null;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly onError?: (error: unknown) => void;
}

/**
 * One tokenizer for every scheduler of the process: its vocabulary loads on the first agent step
 * whose context is packed, never at start.
 */
const tokenizer = createGptTokenizer();

export function createEngineScheduler(options: SchedulerOptions): Scheduler {
  const owner = leaseOwner();
  return createScheduler({
    store: options.store,
    runners: options.runners,
    clock: options.clock,
    newId: options.newId,
    owner,
    workdir: options.workdir,
    ...(options.runId ? { runId: options.runId } : {}),
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
    ...(options.worker ? { worker: { host: HOST, pid: process.pid } } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.agents
      ? {
          agents: options.agents.resolve,
          budgets: () => options.agents!.section.budgets,
          tokenizer: () => tokenizer.load(),
        }
      : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.workspaceDir
      ? { workdirs: createWorkdirProvider(options.workdir, options.workspaceDir) }
      : {}),
    taskLink: (ctx) => createTaskLink(ctx),
    ownerPrefix: OWNER_PREFIX,
    isOwnerAlive: (candidate) => candidate === owner || isOwnerAlive(candidate),
  });
}
