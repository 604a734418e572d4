/**
 * The composition root: picks the store adapter, wires clock and ids into the operation runner,
 * and closes everything on the way out. Entry points (CLI, server, MCP) start here.
 */

import type { OperationRunner } from '../operations/catalog.js';
import { createOperationRunner } from '../operations/catalog.js';
import type { Store } from '../ports/store.js';
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import { createUlidGenerator } from '../shared/ids.js';
import type { ResolvedWorkspace, WorkspaceOptions } from './workspace.js';
import { openStore, resolveWorkspace } from './workspace.js';

export interface Runtime {
  readonly workspace: ResolvedWorkspace;
  readonly store: Store;
  readonly runner: OperationRunner;
  close(): Promise<void>;
}

export async function openRuntime(
  options: WorkspaceOptions,
  clock: Clock = systemClock,
): Promise<Runtime> {
  const workspace = await resolveWorkspace(options);
  const store = await openStore(workspace.db);
  return {
    workspace,
    store,
    runner: createOperationRunner({ store, clock, newId: createUlidGenerator(clock) }),
    close: () => store.close(),
  };
}
