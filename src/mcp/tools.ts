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
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Runtime } from '../app/runtime.js';
import type { AnyOperation } from '../operations/catalog.js';
import { findOperation, OPERATIONS } from '../operations/catalog.js';
import { BosunError } from '../shared/errors.js';
import { stableStringify } from '../shared/json.js';

/** The agent loop: find work, claim it, read it, report, keep the lease, run and approve. */
export const CORE_OPERATIONS = [
  'task.next',
  'task.show',
  'task.list',
  'task.create',
  'task.status',
  'note.add',
  'task.heartbeat',
  'task.release',
  'run.start',
  'run.show',
  'approval.approve',
  'cost.report',
] as const;

export type ToolProfile = 'core' | 'full';

export const toolName = (operation: string): string => operation.replace(/\./g, '_');

const DESTRUCTIVE = /\.(delete|remove|cancel|release|reject)$/;

function annotationsOf(operation: AnyOperation): ToolAnnotations {
  const readOnly = operation.effects === 'read';
  return {
    readOnlyHint: readOnly,
    destructiveHint: !readOnly && DESTRUCTIVE.test(operation.name),
    idempotentHint: readOnly,
    openWorldHint: operation.effects === 'run',
  };
}

/** A few lines a model can read at a glance; the structured content has everything. */
export function summarize(output: unknown): string {
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
  cursor: z.string().trim().min(1).optional(),
  page_size: z.number().int().min(1).max(200).optional(),
  fields: z.array(z.string().trim().min(1)).min(1).optional(),
};

const isListOperation = (operation: AnyOperation): boolean =>
  operation.output instanceof z.ZodArray;

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

function errorResult(error: unknown): CallToolResult {
  const text =
    error instanceof BosunError
      ? `error[${error.code}]: ${error.message}`
      : `error[internal]: ${(error as Error).message ?? String(error)}`;
  return { isError: true, content: [{ type: 'text', text }] };
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

  const enable = (name: string): boolean => {
    const operation = findOperation(name);
    if (!operation) return false;
    if (enabled.has(operation.name)) return true;
    enabled.add(operation.name);
    const list = isListOperation(operation) && operation.input instanceof z.ZodObject;
    registered.set(
      operation.name,
      server.registerTool(
        toolName(operation.name),
        {
          description: list
            ? `${operation.summary} (${PAGE_SIZE} per page: pass nextCursor as cursor; fields picks columns, ["*"] all)`
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
              content: [{ type: 'text', text: summarize(list ? structured : output) }],
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
  for (const name of initial) {
    if (!enable(name)) {
      throw new BosunError(
        'invalid_input',
        `tools: unknown operation '${name}'; see 'bosun operations'`,
        {
          details: { field: 'tools', key: name },
        },
      );
    }
  }

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
        const lines = rest.map((op) => `${toolName(op.name)}: ${op.summary}`);
        return {
          content: [{ type: 'text', text: lines.join('\n') || 'Nothing else matches.' }],
          structuredContent: {
            tools: rest.map((op) => ({ name: toolName(op.name), summary: op.summary })),
          },
        };
      },
    );
    server.registerTool(
      'tools_describe',
      {
        description:
          'Load a bosun operation as a tool (the tool list changes) and return its input schema',
        inputSchema: z.strictObject({ name: z.string().trim().min(1) }),
        annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
      },
      (input: { name: string }) => {
        const name = input.name.replace(/_/g, '.');
        const operation = findOperation(name);
        if (!operation || !enable(operation.name)) {
          return errorResult(
            new BosunError('not_found', `no operation '${input.name}'; tools_discover lists them`),
          );
        }
        server.sendToolListChanged();
        const schema = z.toJSONSchema(operation.input, { io: 'input', unrepresentable: 'any' });
        return {
          content: [
            {
              type: 'text',
              text: `${toolName(operation.name)} is loaded: ${operation.summary}\n${stableStringify(schema, 0)}`,
            },
          ],
          structuredContent: { name: toolName(operation.name), inputSchema: schema },
        };
      },
    );
  }
  return { enable, enabled };
}
