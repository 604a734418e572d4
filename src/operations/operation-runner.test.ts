/**
 * The operation runner's `prepare` step: it runs before the operation's transaction opens (a
 * model call must not hold the write lock), reads through short read transactions of its own,
 * hands its result to the handler, and when it fails no write transaction opens at all.
 */

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Repositories, Store, TransactionMode } from '../ports/store.js';
import { createManualClock } from '../shared/clock.js';
import { BosunError } from '../shared/errors.js';
import { defineOperation } from './operation.js';
import { createOperationRunner, parseInput } from './operation-runner.js';

/** A store that only records which transactions open and close, in order. */
function recordingStore(log: string[]): Store {
  const store = {
    async transaction<T>(mode: TransactionMode, work: (repos: Repositories) => Promise<T>) {
      log.push(`open ${mode}`);
      try {
        return await work({} as Repositories);
      } finally {
        log.push(`close ${mode}`);
      }
    },
  };
  return store as unknown as Store;
}

function runnerWith(log: string[]) {
  return createOperationRunner({
    store: recordingStore(log),
    clock: createManualClock(),
    newId: () => '01HZZZZZZZZZZZZZZZZZZZZZZZ',
  });
}

const prepared = (log: string[], fail = false) =>
  defineOperation({
    name: 'test.prepared',
    summary: 'An operation with a prepare step',
    effects: 'write',
    input: z.strictObject({ word: z.string() }),
    output: z.object({ said: z.string() }),
    prepare: async (ctx, input) => {
      const looked = await ctx.read(() => Promise.resolve('looked up'));
      log.push(`prepare ${input.word} (${looked}) as ${ctx.actor}`);
      if (fail) throw new BosunError('unavailable', 'the model is down');
      return input.word.toUpperCase();
    },
    handler: (_ctx, input, loud) => {
      log.push(`handler ${input.word} with ${loud}`);
      return Promise.resolve({ said: loud });
    },
  });

describe('an operation with a prepare step', () => {
  it('prepares before its transaction opens and hands the result to the handler', async () => {
    const log: string[] = [];
    const output = await runnerWith(log).run(prepared(log), { word: 'hi' }, 'alice');
    expect(output).toEqual({ said: 'HI' });
    expect(log).toEqual([
      'open read',
      'close read',
      'prepare hi (looked up) as alice',
      'open write',
      'handler hi with HI',
      'close write',
    ]);
  });

  it('opens no write transaction when preparing fails', async () => {
    const log: string[] = [];
    await expect(runnerWith(log).run(prepared(log, true), { word: 'hi' }, 'alice')).rejects.toThrow(
      'the model is down',
    );
    expect(log).not.toContain('open write');
  });

  it('validates the input before preparing', async () => {
    const log: string[] = [];
    await expect(runnerWith(log).run(prepared(log), { word: 3 }, 'alice')).rejects.toThrow(/word/);
    expect(log).toEqual([]);
  });
});

describe('input errors', () => {
  it('names the first ten problems in the message and keeps all of them in the details', () => {
    const schema = z.strictObject(
      Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`f${i}`, z.string()])),
    );
    let caught: unknown;
    try {
      parseInput(schema, {});
    } catch (error) {
      caught = error;
    }
    const error = caught as BosunError;
    expect(error.message).toMatch(
      /^f0: is required; f1: is required; .* f9: is required; and 5 more/,
    );
    expect(error.message).not.toContain('f10');
    expect((error.details['issues'] as unknown[]).length).toBe(15);
  });
});
