/**
 * An operation is one capability, defined once: name, summary, zod input and output, effects and a
 * handler. The CLI, HTTP API and MCP server are derived from the catalog of these.
 */

import type { z } from 'zod';
import type { ServiceContext } from '../core/services/service-context.js';

export type Effects = 'read' | 'write' | 'run';

export type CellColor = 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'cyan' | 'gray';

/** Hints for the derived CLI; they never change behaviour, only how it is typed and shown. */
export interface CliHints {
  /** Input fields that may be given as positional arguments, in order. */
  readonly positional?: readonly string[];
  /** Other verbs that name this operation (`task add` for `task.create`). */
  readonly aliases?: readonly string[];
  /** The noun alone runs this operation: `bosun plan "goal"` is `bosun plan create "goal"`. */
  readonly bare?: boolean;
  /** Single-letter flags: letter → input field. */
  readonly short?: Readonly<Record<string, string>>;
  /** Columns of the human table when the output (or its `list` field) is an array of rows. */
  readonly columns?: readonly string[];
  /**
   * Colors of table cells on a terminal: field → the cell's value (`true` for a boolean) → color.
   * Never shown off a terminal or under NO_COLOR, so the words alone must carry the meaning.
   */
  readonly colors?: Readonly<Record<string, Readonly<Record<string, CellColor>>>>;
  /** What to print instead of an empty table. */
  readonly empty?: string;
  /** Which field of an object output holds the rows to tabulate. */
  readonly rows?: string;
  /**
   * A string-array field of the output that names the table's columns, for rows whose columns
   * are known only when they arrive (`db.query`).
   */
  readonly columnsFrom?: string;
  /** Print the output as JSON even without --json (documents meant for files and pipes). */
  readonly json?: boolean;
  /** Print this text field of the output as it is (a YAML snippet, a diagram). */
  readonly text?: string;
  /**
   * A boolean field of the output saying whether everything checked passed; when it is false
   * the output is printed all the same and the command exits with CHECK_FAILED_EXIT.
   */
  readonly ok?: string;
  /** Worked examples shown in --help. */
  readonly examples?: readonly string[];
}

/**
 * What `prepare` gets: everything a handler gets but the repositories (no transaction is open),
 * and `read` to look something up in a short read transaction of its own.
 */
export interface PrepareContext extends Omit<ServiceContext, 'repos'> {
  read<T>(work: (ctx: ServiceContext) => Promise<T>): Promise<T>;
}

/**
 * An operation runs its handler in one transaction. Work that must not hold a transaction — a
 * model call that takes seconds, over the network — goes in the optional `prepare`, which runs
 * first, outside any transaction; what it returns is the handler's third argument. A `prepare`
 * that throws ends the operation before its transaction opens. The handler must still check
 * (in its transaction) whatever it relies on that `prepare` read: the store may have changed.
 */
export interface Operation<
  I extends z.ZodType = z.ZodType,
  O extends z.ZodType = z.ZodType,
  P = undefined,
> {
  readonly name: string;
  readonly summary: string;
  readonly input: I;
  readonly output: O;
  readonly effects: Effects;
  readonly cli?: CliHints;
  /**
   * The MCP tool's name when it is not the operation's name with `_` for `.`: the command-center
   * tools `task`, `status`, `activity` and `memory` keep the short names agents know them by.
   */
  readonly tool?: string;
  prepare?(ctx: PrepareContext, input: z.output<I>): Promise<P>;
  handler(ctx: ServiceContext, input: z.output<I>, prepared: P): Promise<z.input<O>>;
}

export type AnyOperation = Operation<z.ZodType, z.ZodType, unknown>;

/**
 * An operation as the catalog keeps it: callable with anything (the runner parses the input),
 * yet still carrying its name and schemas as types, so the typed client (`src/client/`) can
 * derive each operation's input and output from the catalog.
 */
export type DefinedOperation<
  N extends string,
  I extends z.ZodType,
  O extends z.ZodType,
> = AnyOperation & { readonly name: N; readonly input: I; readonly output: O };

export function defineOperation<
  I extends z.ZodType,
  O extends z.ZodType,
  P = undefined,
  N extends string = string,
>(operation: Operation<I, O, P> & { readonly name: N }): DefinedOperation<N, I, O> {
  return operation as unknown as DefinedOperation<N, I, O>;
}
