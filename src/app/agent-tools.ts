/**
 * The tools an llm agent may call. bosun's own operations (`tools: [note.add, memory.search]` in
 * bosun.yaml): each tool is the operation's zod input schema and summary, executed through the
 * operation runner, so an agent's call is validated, transactional and audited like anyone's —
 * under the actor `agent:<name>`. And the tools of external MCP servers its `mcp:` allows
 * (`mcp: [github/search_*]`), called on the server through the process's MCP client.
 */

import type { JSONSchema7, ToolSet } from 'ai';
import { dynamicTool, jsonSchema, tool } from 'ai';
import type { McpClientPool, McpToolInfo } from '../adapters/mcp-client/index.js';
import type { McpAllowEntry, McpServers, ResolvedMcpServer } from '../domain/mcp-server.js';
import {
  allowsTool,
  externalToolName,
  parseAllowEntry,
  resolveMcpServer,
} from '../domain/mcp-server.js';
import type { OperationRunner } from '../operations/catalog.js';
import { findOperation } from '../operations/catalog.js';
import type { StepAttemptContext } from '../ports/runner.js';
import { StepFailure } from '../shared/step-failure.js';
import type { LazyMcpClients } from './mcp-clients.js';

export function createOperationTools(
  operations: () => OperationRunner,
): (names: readonly string[], attempt: StepAttemptContext) => ToolSet {
  return (names, attempt) => {
    const tools: ToolSet = {};
    for (const name of names) {
      const operation = findOperation(name);
      // An unknown name is left out: the runner refuses an agent whose tools it cannot give.
      if (!operation) continue;
      tools[name] = tool({
        description: operation.summary,
        inputSchema: operation.input,
        execute: (input: unknown) =>
          operations().run(operation, input, `agent:${attempt.agent?.name ?? 'llm'}`),
      });
    }
    return tools;
  };
}

export interface McpToolSettings {
  /** The process's connections to MCP servers. */
  readonly clients: LazyMcpClients;
  /** `mcp_servers:` of bosun.yaml as it is now. */
  readonly servers: () => McpServers;
  /** Where `${VAR}` in a server's settings is read from when the attempt brings no environment. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * The tools of external MCP servers an llm agent's `mcp:` allows, keyed `server/tool`: the
 * server's description and JSON Schema, executed on the server over the shared connection. A tool
 * that reports an error, or a server that cannot be reached mid-call, is a failed tool result the
 * model reads (the AI SDK turns the thrown error into one), not a failed step. A server that cannot
 * be used at all — a variable not set, not reachable, an entry that matches none of its tools —
 * fails the attempt before the model is called, saying which server and why.
 */
export function createMcpTools(
  settings: McpToolSettings,
): (allowlist: readonly string[], attempt: StepAttemptContext) => Promise<ToolSet> {
  return async (allowlist, attempt) => {
    const agent = attempt.agent?.name ?? 'llm';
    const byServer = new Map<string, McpAllowEntry[]>();
    for (const entry of allowlist.map(parseAllowEntry)) {
      byServer.set(entry.server, [...(byServer.get(entry.server) ?? []), entry]);
    }
    const configured = settings.servers();
    const env = attempt.env ?? settings.env;
    const pool = await settings.clients.get();
    const listed = await Promise.all(
      [...byServer].map(async ([name, entries]) => {
        const config = configured[name];
        if (config === undefined) {
          const known = Object.keys(configured).join(', ') || 'none configured';
          throw toolsRefused(agent, `unknown MCP server '${name}' (mcp_servers: ${known})`);
        }
        let server: ResolvedMcpServer;
        try {
          server = resolveMcpServer(name, config, env);
        } catch (error) {
          throw toolsRefused(agent, (error as Error).message);
        }
        let tools: readonly McpToolInfo[];
        try {
          tools = await pool.listTools(server);
        } catch (error) {
          const retryable = (error as { retryable?: unknown }).retryable !== false;
          throw toolsRefused(agent, (error as Error).message, retryable);
        }
        for (const entry of entries) {
          if (tools.some((tool) => allowsTool(entry, tool.name))) continue;
          const offered = tools.map((tool) => tool.name).join(', ') || 'none';
          throw toolsRefused(
            agent,
            `mcp: '${entry.entry}' matches no tool of server '${name}' (its tools: ${offered})`,
          );
        }
        return {
          server,
          tools: tools.filter((tool) => entries.some((e) => allowsTool(e, tool.name))),
        };
      }),
    );
    const tools: ToolSet = {};
    for (const { server, tools: allowed } of listed) {
      for (const info of allowed) {
        tools[externalToolName(server.name, info.name)] = externalTool(pool, server, info);
      }
    }
    return tools;
  };
}

function externalTool(pool: McpClientPool, server: ResolvedMcpServer, info: McpToolInfo) {
  // `$schema` says which draft the schema follows; some model APIs refuse the key.
  const { $schema: _draft, ...schema } = info.inputSchema;
  return dynamicTool({
    description: info.description ?? info.title ?? `${info.name} (MCP server ${server.name})`,
    inputSchema: jsonSchema({ type: 'object', ...schema } as JSONSchema7),
    execute: async (input, { abortSignal }) => {
      const args =
        input !== null && typeof input === 'object' && !Array.isArray(input)
          ? (input as Record<string, unknown>)
          : {};
      const outcome = await pool.callTool(server, info.name, args, { signal: abortSignal });
      if (outcome.isError) {
        throw new Error(outcome.text || `${externalToolName(server.name, info.name)} failed`);
      }
      return outcome.text;
    },
  });
}

function toolsRefused(agent: string, message: string, retryable = false): StepFailure {
  return new StepFailure({
    kind: 'error',
    message: `agent '${agent}': ${message}`,
    retryable,
    outputTail: '',
  });
}
