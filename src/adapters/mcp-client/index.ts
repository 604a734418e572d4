/** The MCP client: bosun's connections to the external MCP servers of bosun.yaml. */
export { createMcpClientPool } from './mcp-client-pool.js';
export type { McpClientPool } from './mcp-client-pool.js';
export { McpClientError } from './mcp-client-errors.js';
export type {
  McpClientSettings,
  McpProbe,
  McpToolInfo,
  McpToolOutcome,
} from './mcp-client-settings.js';
