/**
 * One MCP server over a workspace: its tools (a profile of the catalog), resources and prompt.
 * The stdio entry makes one per process; the HTTP endpoint one per session. The actor of every
 * write is `as`, else the client's name from its `initialize`, else the workspace's actor.
 */

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Runtime } from '../runtime.js';
import { VERSION } from '../../shared/version.js';
import { registerResources } from './resources.js';
import type { ToolProfile, ToolRegistry } from './tools.js';
import { registerTools } from './tools.js';

export interface McpServerOptions {
  readonly profile: ToolProfile;
  readonly tools?: readonly string[] | undefined;
  readonly as?: string | undefined;
}

export function createMcpServer(
  runtime: Runtime,
  options: McpServerOptions,
): McpServer & { readonly registry: ToolRegistry } {
  // The tools capability (with listChanged) is declared by the first registered tool: declaring
  // it here would make the SDK install its tools/list handler before registerTools can trim it.
  const server = new McpServer(
    { name: 'bosun', version: VERSION },
    { capabilities: { resources: {}, prompts: {} } },
  );
  const actor = () =>
    options.as ?? server.server.getClientVersion()?.name ?? runtime.workspace.actor;
  const registry = registerTools(server, runtime, {
    profile: options.profile,
    ...(options.tools ? { tools: options.tools } : {}),
    actor,
  });
  const stopWatching = registerResources(server, runtime, actor);
  const close = server.close.bind(server);
  server.close = async () => {
    stopWatching();
    await close();
  };
  return Object.assign(server, { registry });
}
