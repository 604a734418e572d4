/**
 * The composition root: picks the store adapter, wires clock and ids into the operation runner,
 * and closes everything on the way out. Entry points (CLI, server, MCP) start here.
 */

import type { OperationRunner } from '../operations/catalog.js';
import { createOperationRunner } from '../operations/catalog.js';
import type { Store } from '../ports/store.js';
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import { dirname } from 'node:path';
import type { RunnerRegistry } from '../ports/runner.js';
import type { IdGenerator } from '../shared/ids.js';
import { createUlidGenerator } from '../shared/ids.js';
import type { AgentDirectory } from './agent-directory.js';
import { openAgentDirectory } from './agent-directory.js';
import { createEngineEnvironment, createRunnerRegistry } from './engine.js';
import { lazyMcpClients } from './mcp-clients.js';
import type { MemoryVectors } from '../core/services/memory-embedding.js';
import { createLazyMemoryVectors } from './embedder.js';
import { createAttachmentReader } from './attachments.js';
import type { ResolvedWorkspace, WorkspaceOptions } from './workspace.js';
import { openStore, resolveWorkspace } from './workspace.js';
import { VERSION } from '../shared/version.js';

/** A database URL as it may be shown: `postgres://bosun:***@host/db`. */
export function redactPassword(db: string): string {
  return db.replace(/^(postgres(?:ql)?:\/\/[^:/@]+:)[^@]*@/i, '$1***@');
}

export interface Runtime {
  readonly workspace: ResolvedWorkspace;
  readonly store: Store;
  readonly runner: OperationRunner;
  readonly runners: RunnerRegistry;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  /** The folder steps run in: the workspace's project folder (the parent of `.bosun/`). */
  readonly workdir: string;
  /**
   * The workspace's agents, read from bosun.yaml on first use and re-read when it changes.
   * `onReloadError` hears about an edit that does not validate (the last good settings stay).
   */
  agents(onReloadError?: (error: Error) => void): AgentDirectory;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Memory's embedder (`embeddings:` in bosun.yaml); undefined: full-text search only. */
  readonly memoryVectors: MemoryVectors | undefined;
  close(): Promise<void>;
}

export async function openRuntime(
  options: WorkspaceOptions,
  clock: Clock = systemClock,
): Promise<Runtime> {
  const workspace = await resolveWorkspace(options);
  const store = await openStore(workspace.db, workspace.queryDb);
  const newId = createUlidGenerator(clock);
  let operations: OperationRunner | undefined;
  let agents: AgentDirectory | undefined;
  const directory = (onReloadError?: (error: Error) => void) =>
    (agents ??= openAgentDirectory(workspace.dir, {
      watch: true,
      ...(onReloadError ? { onReloadError } : {}),
    }));
  const workdir = workspace.dir ? dirname(workspace.dir) : options.cwd;
  // External MCP servers: connected on first use by an llm agent, closed with the runtime.
  const mcpClients = lazyMcpClients({ cwd: workdir });
  const runners = createRunnerRegistry(() => operations!, {
    clients: mcpClients,
    servers: () => directory().section.mcp_servers ?? {},
    env: options.env,
  });
  const engine = createEngineEnvironment(runners, options.cwd, workspace.dir, options.env);
  const memoryVectors = workspace.embeddings
    ? createLazyMemoryVectors(store, workspace.embeddings, { env: options.env })
    : undefined;
  return {
    workspace,
    store,
    runner: (operations = createOperationRunner({
      store,
      clock,
      newId,
      engine,
      memoryVectors,
      workflowRules: workspace.rules,
      attachments: createAttachmentReader(options.cwd),
      system: {
        version: VERSION,
        store: { dialect: store.dialect, location: redactPassword(workspace.db) },
        workspaceDir: workspace.dir,
      },
    })),
    runners,
    clock,
    newId,
    workdir,
    agents: directory,
    env: options.env,
    memoryVectors,
    close: async () => {
      agents?.close();
      await mcpClients.close();
      return store.close();
    },
  };
}
