/**
 * `bosun mcp servers list|test`: the external MCP servers of bosun.yaml as a person checks them —
 * how each is reached and which agents may use which of its tools; then, for `test`, each one
 * started (or reached), initialized and asked for its tools, all at once, with the time it took or
 * the reason it failed. Header and env values are never shown: they are often secrets.
 */

import type { McpProbe, McpToolInfo } from '../adapters/mcp-client/index.js';
import { createMcpClientPool } from '../adapters/mcp-client/index.js';
import type { AgentsSection } from '../domain/agent.js';
import type { McpServerConfig, ResolvedMcpServer } from '../domain/mcp-server.js';
import {
  allowsTool,
  describeAllowEntry,
  describeMcpServer,
  parseAllowEntry,
  resolveMcpServer,
} from '../domain/mcp-server.js';
import { BosunError } from '../shared/errors.js';
import { VERSION } from '../shared/version.js';

/** Who may use a server, and which of its tools. */
export interface McpServerGrant {
  readonly agent: string;
  /** The agent's entries for this server as written (`github`, `github/search_*`). */
  readonly entries: readonly string[];
  /** The same for people: `all tools`, `search_*`. */
  readonly allows: readonly string[];
}

export interface McpServerSummary {
  readonly name: string;
  readonly transport: 'stdio' | 'http';
  /** The command line or the URL as written (`${VAR}` not filled in). */
  readonly target: string;
  readonly cwd: string | null;
  /** Names only: values may be secrets. */
  readonly envNames: readonly string[];
  readonly headerNames: readonly string[];
  readonly timeoutMs: number;
  readonly toolTimeoutMs: number;
  readonly agents: readonly McpServerGrant[];
}

export interface McpServerCheck {
  readonly name: string;
  readonly transport: 'stdio' | 'http';
  readonly target: string;
  readonly ok: boolean;
  /** Start (or reach), initialize and list tools; null when it never got that far. */
  readonly ms: number | null;
  readonly connectMs: number | null;
  readonly server: { readonly name: string; readonly version: string } | null;
  readonly tools: readonly { readonly name: string; readonly description: string | null }[];
  readonly reason: string | null;
  readonly agents: readonly McpServerGrant[];
  /** Agents' entries for this server that match none of its tools (only known when it answered). */
  readonly unmatched: readonly { readonly agent: string; readonly entry: string }[];
}

type Servers = Readonly<Record<string, McpServerConfig>>;

export function listMcpServers(section: AgentsSection): McpServerSummary[] {
  const servers: Servers = section.mcp_servers ?? {};
  return Object.entries(servers).map(([name, config]) => ({
    name,
    ...describeMcpServer(config),
    cwd: config.cwd ?? null,
    envNames: Object.keys(config.env),
    headerNames: Object.keys(config.headers),
    timeoutMs: config.timeout,
    toolTimeoutMs: config.tool_timeout,
    agents: grantsOf(section, name),
  }));
}

function grantsOf(section: AgentsSection, server: string): McpServerGrant[] {
  return Object.entries(section.agents).flatMap(([agent, config]) => {
    const entries = config.mcp.map(parseAllowEntry).filter((entry) => entry.server === server);
    if (entries.length === 0) return [];
    return [
      { agent, entries: entries.map((e) => e.entry), allows: entries.map(describeAllowEntry) },
    ];
  });
}

export interface McpServerTestOptions {
  /** Only these servers (default: all). */
  readonly names?: readonly string[] | undefined;
  /** Overrides each server's `timeout`. */
  readonly timeoutMs?: number | undefined;
  /** Where `${VAR}` is read from. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The project folder: where stdio servers start. */
  readonly cwd: string;
  readonly fetch?: typeof fetch | undefined;
}

export async function testMcpServers(
  section: AgentsSection,
  options: McpServerTestOptions,
): Promise<{ ok: boolean; servers: McpServerCheck[] }> {
  const servers: Servers = section.mcp_servers ?? {};
  let names = Object.keys(servers);
  for (const name of options.names ?? []) {
    if (!(name in servers)) {
      throw new BosunError(
        'not_found',
        `MCP server '${name}' is not in bosun.yaml (mcp_servers: ${names.join(', ') || 'none'})`,
        { details: { kind: 'mcp server', key: name, field: 'name' } },
      );
    }
  }
  if (options.names !== undefined && options.names.length > 0) names = [...options.names];
  const pool = createMcpClientPool({
    clientInfo: { name: 'bosun', version: VERSION },
    cwd: options.cwd,
    fetch: options.fetch,
  });
  try {
    const rows = await Promise.all(
      names.map((name) => testOne(name, servers[name]!, section, options, pool)),
    );
    return { ok: rows.every((row) => row.ok), servers: rows };
  } finally {
    await pool.close();
  }
}

async function testOne(
  name: string,
  config: McpServerConfig,
  section: AgentsSection,
  options: McpServerTestOptions,
  pool: ReturnType<typeof createMcpClientPool>,
): Promise<McpServerCheck> {
  const agents = grantsOf(section, name);
  const row = {
    name,
    ...describeMcpServer(config),
    agents,
    ms: null,
    connectMs: null,
    server: null,
    tools: [],
    unmatched: [],
  };
  let server: ResolvedMcpServer;
  try {
    server = resolveMcpServer(name, config, options.env);
  } catch (error) {
    const details = error instanceof BosunError ? error.details : {};
    const reason =
      typeof details['variable'] === 'string'
        ? `missing variable: ${details['variable']} is not set (${String(details['field']).replace(`mcp_servers.${name}.`, '')})`
        : `invalid: ${(error as Error).message.replace(`mcp server '${name}': `, '')}`;
    return { ...row, ok: false, reason };
  }
  const probe: McpProbe = await pool.probe(
    server,
    options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
  );
  if (!probe.ok) return { ...row, ok: false, ms: probe.totalMs, reason: probe.reason };
  return {
    ...row,
    ok: true,
    ms: probe.totalMs,
    connectMs: probe.connectMs,
    server: probe.serverInfo,
    tools: probe.tools.map((tool) => ({ name: tool.name, description: tool.description })),
    reason: null,
    unmatched: unmatchedEntries(agents, probe.tools),
  };
}

function unmatchedEntries(
  agents: readonly McpServerGrant[],
  tools: readonly McpToolInfo[],
): { agent: string; entry: string }[] {
  return agents.flatMap(({ agent, entries }) =>
    entries
      .filter((entry) => !tools.some((tool) => allowsTool(parseAllowEntry(entry), tool.name)))
      .map((entry) => ({ agent, entry })),
  );
}
