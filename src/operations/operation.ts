/**
 * An operation is one capability, defined once: name, summary, zod input and output, effects and a
 * handler. The CLI, HTTP API and MCP server are derived from the catalog of these.
 */

import type { z } from 'zod';
import type { ServiceContext } from '../core/services/service-context.js';

export type Effects = 'read' | 'write' | 'run';

/** Hints for the derived CLI; they never change behaviour, only how it is typed and shown. */
export interface CliHints {
  /** Input fields that may be given as positional arguments, in order. */
  readonly positional?: readonly string[];
  /** Other verbs that name this operation (`task add` for `task.create`). */
  readonly aliases?: readonly string[];
  /** Single-letter flags: letter → input field. */
  readonly short?: Readonly<Record<string, string>>;
  /** Columns of the human table when the output (or its `list` field) is an array of rows. */
  readonly columns?: readonly string[];
  /** What to print instead of an empty table. */
  readonly empty?: string;
  /** Which field of an object output holds the rows to tabulate. */
  readonly rows?: string;
  /** Print the output as JSON even without --json (documents meant for files and pipes). */
  readonly json?: boolean;
  /** Print this text field of the output as it is (a YAML snippet, a diagram). */
  readonly text?: string;
  /** Worked examples shown in --help. */
  readonly examples?: readonly string[];
}

export interface Operation<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly summary: string;
  readonly input: I;
  readonly output: O;
  readonly effects: Effects;
  readonly cli?: CliHints;
  handler(ctx: ServiceContext, input: z.output<I>): Promise<z.input<O>>;
}

export type AnyOperation = Operation<z.ZodType, z.ZodType>;

export function defineOperation<I extends z.ZodType, O extends z.ZodType>(
  operation: Operation<I, O>,
): AnyOperation {
  return operation as unknown as AnyOperation;
}
