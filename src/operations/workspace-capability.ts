/**
 * What the workspace's bosun.yaml provides to operations (agents, models, the planner). A store
 * named by `--db` alone has no workspace folder, so these are absent there and the operation says
 * so, the same way everywhere.
 */

import type { EngineEnvironment, ServiceContext } from '../core/services/service-context.js';
import { BosunError } from '../shared/errors.js';

type Capability = 'agents' | 'models' | 'planner';

export function workspaceCapability<K extends Capability>(
  ctx: Pick<ServiceContext, 'engine'>,
  key: K,
  label: string,
  purpose = '',
): NonNullable<EngineEnvironment[K]> {
  const capability = ctx.engine?.[key];
  if (!capability) {
    throw new BosunError(
      'unavailable',
      `${label}: this store has no workspace folder (bosun.yaml)${purpose}; run 'bosun init' or pass --workspace`,
      { details: { field: 'workspace' } },
    );
  }
  return capability as NonNullable<EngineEnvironment[K]>;
}
