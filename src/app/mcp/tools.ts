/**
 * bosun's operations as MCP tools, derived from the catalog, never written by hand: the
 * operation's zod input schema is the tool's input schema (the SDK validates arguments with it and
 * answers InvalidParams naming the field), its summary the description, its effects the
 * annotations. A tool's answer is a short text summary with the full output as structured
 * content; a refusal (bad input the schema could not see, a conflict, a missing task) is an
 * `isError` result the model can read, never a crash of the server.
 *
 * Names use `_` for the catalog's `.` (`task.next` → `task_next`): MCP allows dots, but clients
 * that hand tools to model APIs (which refuse them) would have to rename them.
 */

import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import type {
  CallToolResult,
  ListToolsResult,
  ToolAnnotations,
} from '@modelcontextprotocol/sdk/types.js';
import { ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Runtime } from '../runtime.js';
import type { AnyOperation } from '../../operations/catalog.js';
import { findOperation, OPERATIONS } from '../../operations/catalog.js';
import { BosunError } from '../../shared/errors.js';
import { stableStringify } from '../../shared/json.js';

/**
 * The agent loop, 13 operations: find work and claim it, read it, list, report status, note, keep
 * or give back the lease, start runs and approve steps, and the command-center tools — `task`
 * (hand work to the coordinator; with `start: false` it only creates the task), `status` (a
 * run's or the workspace's state, spend against budgets), `activity` and `memory`. With
 * tools_discover and tools_describe that makes 15 tools.
 */
export const CORE_OPERATIONS = [
  'task.next',
  'task.show',
  'task.list',
  'task.status',
  'note.add',
  'task.heartbeat',
  'task.release',
  'run.start',
  'approval.approve',
  'task.submit',
  'workspace.status',
  'workspace.activity',
  'memory.search',
] as const;

export type ToolProfile = 'core' | 'full';

/** The tool's name: the operation's own (`tool:`), or its catalog name with `_` for `.`. */
export const toolName = (operation: AnyOperation): string =>
  operation.tool ?? operation.name.replace(/\./g, '_');

/** The operation a tool name (or a catalog name) stands for. */
export function operationOfTool(name: string): AnyOperation | undefined {
  return (
    findOperation(name) ??
    OPERATIONS.find((op) => op.tool === name) ??
    findOperation(name.replace(/_/g, '.'))
  );
}

const DESTRUCTIVE = /\.(delete|remove|cancel|release|reject)$/;

/**
 * The hints, spelling out only what differs from the specification's defaults (not read-only,
 * destructive, not idempotent, open world) besides `readOnlyHint`, which is always given: the
 * core list has a size budget. Hints about effects mean something only for tools that write.
 */
function annotationsOf(operation: AnyOperation): ToolAnnotations {
  if (operation.effects === 'read') return { readOnlyHint: true, openWorldHint: false };
  return {
    readOnlyHint: false,
    destructiveHint: DESTRUCTIVE.test(operation.name),
    ...(operation.effects === 'run' ? {} : { openWorldHint: false }),
  };
}

/** A few lines a model can read at a glance; the structured content has everything. */
export function summarize(output: unknown, operation?: AnyOperation): string {
  const textField = operation?.cli?.text;
  if (textField !== undefined && output !== null && typeof output === 'object') {
    const text = (output as Record<string, unknown>)[textField];
    if (typeof text === 'string') return text;
  }
  if (output !== null && typeof output === 'object' && 'items' in output && 'total' in output) {
    // The rows are in the structured content; the text says what is there, and shows the first.
    const paged = output as { items: unknown[]; total: number; nextCursor?: string };
    const values = (item: unknown) =>
      item !== null && typeof item === 'object'
        ? Object.values(item)
            .filter((value) => value !== null && value !== '' && typeof value !== 'object')
            .join(' · ')
        : String(item);
    const lines = paged.items.slice(0, 10).map((item) => `- ${values(item)}`);
    const more = paged.nextCursor ? `; next page: cursor "${paged.nextCursor}"` : '';
    return [`${paged.items.length} of ${paged.total}${more}`, ...lines].join('\n');
  }
  if (Array.isArray(output)) {
    const shown = output.slice(0, 20).map((item) => `- ${stableStringify(item, 0)}`);
    const more = output.length > 20 ? [`… ${output.length - 20} more`] : [];
    return [`${output.length} item${output.length === 1 ? '' : 's'}`, ...shown, ...more].join('\n');
  }
  const text = stableStringify(output, 0);
  return text.length > 4000 ? `${text.slice(0, 4000)}…` : text;
}

/** Rows per page of a list tool, unless the call asks for another size. */
export const PAGE_SIZE = 50;

const PagingSchema = {
  cursor: z.string().optional(),
  page_size: z.number().int().min(1).max(200).optional(),
  fields: z.array(z.string()).optional(),
};

/** A list tool answers a page at a time (its input must be an object to take the paging). */
const isListOperation = (operation: AnyOperation): boolean =>
  operation.output instanceof z.ZodArray && operation.input instanceof z.ZodObject;

/** A page of a list tool: the chosen fields of each row. */
const PageSchema = z.object({
  items: z.array(z.record(z.string(), z.unknown())),
  total: z.number().int(),
  nextCursor: z.string().optional(),
});

/**
 * The tool's output schema: the operation's own when its output is an object; the page shape
 * for lists. MCP wants an object at the top, so other outputs (none today) go without.
 */
function outputSchemaOf(operation: AnyOperation, list: boolean): z.ZodObject | undefined {
  if (list) return PageSchema;
  if (operation.output instanceof z.ZodObject) return operation.output;
  if (operation.output instanceof z.ZodArray) {
    return z.object({ items: operation.output });
  }
  return undefined;
}

/** A list tool's default fields: the columns its CLI table shows (`field:HEADER` → field). */
const defaultFields = (operation: AnyOperation): string[] | null =>
  operation.cli?.columns?.map((column) => column.split(':')[0]!) ?? null;

/**
 * One page of a list, with the chosen fields: a model reads 50 compact rows, not 500 whole
 * records. The cursor is the offset of the next page; `fields: ["*"]` keeps every field.
 */
function page(
  operation: AnyOperation,
  rows: readonly unknown[],
  paging: {
    cursor?: string | undefined;
    page_size?: number | undefined;
    fields?: string[] | undefined;
  },
): { items: unknown[]; total: number; nextCursor?: string } {
  const start = paging.cursor === undefined ? 0 : Number.parseInt(paging.cursor, 10);
  if (!Number.isInteger(start) || start < 0 || start > rows.length) {
    throw new BosunError(
      'invalid_input',
      'cursor: not a cursor this list gave; start without one',
      {
        details: { field: 'cursor' },
      },
    );
  }
  const size = paging.page_size ?? PAGE_SIZE;
  const fields = paging.fields?.includes('*') ? null : (paging.fields ?? defaultFields(operation));
  const items = rows
    .slice(start, start + size)
    .map((row) =>
      fields === null || row === null || typeof row !== 'object'
        ? row
        : Object.fromEntries(
            fields.filter((f) => f in row).map((f) => [f, (row as Record<string, unknown>)[f]]),
          ),
    );
  const next = start + size;
  return { items, total: rows.length, ...(next < rows.length ? { nextCursor: String(next) } : {}) };
}

/**
 * `tools/list` without what every entry would repeat: the JSON Schema dialect (`$schema`) and
 * `execution: {taskSupport: 'forbidden'}`, which is what an absent `execution` means. On 15 tools
 * that is 1.4 KB of a 10 KB budget. The SDK builds the list; this trims its answer.
 */
function trimToolList(server: McpServer): void {
  const inner = server.server;
  const set = inner.setRequestHandler.bind(inner) as (
    schema: unknown,
    handler: (request: unknown, extra: unknown) => unknown,
  ) => void;
  const trimmed = (result: ListToolsResult): ListToolsResult => ({
    ...result,
    tools: result.tools.map(({ execution, inputSchema, outputSchema, ...tool }) => ({
      ...tool,
      ...(execution && execution.taskSupport !== 'forbidden' ? { execution } : {}),
      inputSchema: withoutDialect(inputSchema),
      ...(outputSchema ? { outputSchema: withoutDialect(outputSchema) } : {}),
    })),
  });
  (inner as { setRequestHandler: unknown }).setRequestHandler = (
    schema: unknown,
    handler: (request: unknown, extra: unknown) => unknown,
  ) =>
    set(
      schema,
      schema === ListToolsRequestSchema
        ? async (request, extra) => trimmed((await handler(request, extra)) as ListToolsResult)
        : handler,
    );
}

function withoutDialect<T extends Record<string, unknown>>(schema: T): T {
  const { $schema: _dialect, ...rest } = schema;
  return rest as T;
}

function errorResult(error: unknown): CallToolResult {
  const text =
    error instanceof BosunError
      ? `error[${error.code}]: ${error.message}`
      : `error[internal]: ${(error as Error).message ?? String(error)}`;
  return { isError: true, content: [{ type: 'text', text }] };
}

/** Refuses a tool list (`--tools`) that names an operation the catalog does not have. */
export function checkToolNames(names: readonly string[]): void {
  const unknown = names.find((name) => operationOfTool(name) === undefined);
  if (unknown !== undefined) {
    throw new BosunError(
      'invalid_input',
      `tools: unknown operation '${unknown}'; see 'bosun operations'`,
      { details: { field: 'tools', key: unknown } },
    );
  }
}

export interface ToolRegistry {
  /** Registers one more operation as a tool (tools_describe does this); false if unknown. */
  enable(operation: string): boolean;
  readonly enabled: ReadonlySet<string>;
}

/**
 * Registers the profile's operations (or the explicit list) plus, unless every operation is a
 * tool already, `tools_discover` and `tools_describe` to reach the rest.
 */
export function registerTools(
  server: McpServer,
  runtime: Runtime,
  options: { profile: ToolProfile; tools?: readonly string[]; actor: () => string },
): ToolRegistry {
  const enabled = new Set<string>();
  const registered = new Map<string, RegisteredTool>();

  trimToolList(server);
  const enable = (name: string, withOutputSchema = true): boolean => {
    const operation = operationOfTool(name);
    if (!operation) return false;
    if (enabled.has(operation.name)) return true;
    enabled.add(operation.name);
    const list = isListOperation(operation);
    const outputSchema = withOutputSchema ? outputSchemaOf(operation, list) : undefined;
    registered.set(
      operation.name,
      server.registerTool(
        toolName(operation),
        {
          ...(outputSchema ? { outputSchema } : {}),
          description: list
            ? `${operation.summary} (${PAGE_SIZE} per page, nextCursor as cursor; fields ["*"] for all)`
            : operation.summary,
          inputSchema: list
            ? (operation.input as z.ZodObject).extend(PagingSchema)
            : operation.input,
          annotations: annotationsOf(operation),
        },
        async (args: unknown) => {
          const input = args as Record<string, unknown>;
          try {
            const { cursor, page_size, fields, ...rest } = input;
            const output = await runtime.runner.run(
              operation,
              list ? rest : input,
              options.actor(),
            );
            const structured = list
              ? page(operation, output as unknown[], {
                  cursor: cursor as string | undefined,
                  page_size: page_size as number | undefined,
                  fields: fields as string[] | undefined,
                })
              : Array.isArray(output)
                ? { items: output }
                : output;
            return {
              content: [{ type: 'text', text: summarize(list ? structured : output, operation) }],
              structuredContent: structured as Record<string, unknown>,
            };
          } catch (error) {
            return errorResult(error);
          }
        },
      ),
    );
    return true;
  };

  const initial =
    options.tools ??
    (options.profile === 'full' ? OPERATIONS.map((op) => op.name) : [...CORE_OPERATIONS]);
  // The core profile's tools go without output schemas: with them its list would be 40 KB, not
  // under 10. Their structured content is the same; tools_describe gives the schema.
  const lean = options.tools === undefined && options.profile === 'core';
  checkToolNames(initial);
  for (const name of initial) enable(name, !lean);

  if (enabled.size < OPERATIONS.length) {
    server.registerTool(
      'tools_discover',
      {
        description:
          'List the bosun operations not loaded as tools yet (name and summary), optionally filtered by a word',
        inputSchema: z.strictObject({ query: z.string().trim().min(1).optional() }),
        annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
      },
      (input: { query?: string | undefined }) => {
        const word = input.query?.toLowerCase();
        const rest = OPERATIONS.filter((op) => !enabled.has(op.name)).filter(
          (op) => word === undefined || `${op.name} ${op.summary}`.toLowerCase().includes(word),
        );
        const lines = rest.map((op) => `${toolName(op)}: ${op.summary}`);
        return {
          content: [{ type: 'text', text: lines.join('\n') || 'Nothing else matches.' }],
          structuredContent: {
            tools: rest.map((op) => ({ name: toolName(op), summary: op.summary })),
          },
        };
      },
    );
    server.registerTool(
      'tools_describe',
      {
        description:
          'Load a bosun operation as a tool (the tool list changes) and return its input and output schemas',
        inputSchema: z.strictObject({ name: z.string().trim().min(1) }),
        annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
      },
      (input: { name: string }) => {
        const operation = operationOfTool(input.name);
        if (!operation || !enable(operation.name)) {
          return errorResult(
            new BosunError('not_found', `no operation '${input.name}'; tools_discover lists them`),
          );
        }
        server.sendToolListChanged();
        const schema = z.toJSONSchema(operation.input, { io: 'input', unrepresentable: 'any' });
        const output = outputSchemaOf(operation, isListOperation(operation));
        const outputSchema = output
          ? z.toJSONSchema(output, { io: 'output', unrepresentable: 'any' })
          : undefined;
        return {
          content: [
            {
              type: 'text',
              text: `${toolName(operation)} is loaded: ${operation.summary}\n${stableStringify(schema, 0)}`,
            },
          ],
          structuredContent: {
            name: toolName(operation),
            inputSchema: schema,
            ...(outputSchema ? { outputSchema } : {}),
          },
        };
      },
    );
  }
  return { enable, enabled };
}
