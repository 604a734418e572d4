/**
 * What the MCP client adapter is given and what it hands back: how bosun introduces itself, where
 * stdio servers start, the fetch HTTP servers are reached with, and the plain shapes of a server's
 * tools, a tool call's outcome and a connection check.
 */

export interface McpClientSettings {
  /** Who bosun says it is in `initialize` (servers may log it, or use it as the actor). */
  readonly clientInfo: { readonly name: string; readonly version: string };
  /** The folder a stdio server starts in, and that a relative `cwd:` is resolved against. */
  readonly cwd: string;
  /** The fetch Streamable HTTP requests go through (default: the global one). */
  readonly fetch?: typeof fetch | undefined;
  /** Milliseconds, for the times a check reports (default `performance.now`). */
  readonly now?: (() => number) | undefined;
}

/** A tool as the server lists it. */
export interface McpToolInfo {
  readonly name: string;
  readonly title: string | null;
  readonly description: string | null;
  /** JSON Schema of the arguments (an object schema). */
  readonly inputSchema: { readonly [key: string]: unknown };
  readonly readOnly: boolean | null;
  readonly destructive: boolean | null;
}

/** A tool call's result as text a model reads; `isError` when the tool itself reported failure. */
export interface McpToolOutcome {
  readonly isError: boolean;
  readonly text: string;
  readonly structuredContent: { readonly [key: string]: unknown } | null;
}

/** `bosun mcp servers test` for one server: connected, initialized and listed — or why not. */
export type McpProbe =
  | {
      readonly ok: true;
      /** Start (or reach) the server and `initialize`. */
      readonly connectMs: number;
      /** Connect plus list every page of tools. */
      readonly totalMs: number;
      readonly serverInfo: { readonly name: string; readonly version: string } | null;
      readonly instructions: string | null;
      readonly tools: readonly McpToolInfo[];
    }
  | {
      readonly ok: false;
      readonly totalMs: number;
      readonly reason: string;
    };
