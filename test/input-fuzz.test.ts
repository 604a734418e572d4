/**
 * Fuzzes the operation boundary: arbitrary JSON thrown at write operations is either accepted or
 * refused with a caller-side BosunError (never `internal`), and a refusal leaves the store
 * exactly as it was.
 */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/adapters/storage/sqlite/index.js';
import type { OperationRunner } from '../src/operations/catalog.js';
import { createOperationRunner, findOperation } from '../src/operations/catalog.js';
import type { Store } from '../src/ports/store.js';
import { createManualClock } from '../src/shared/clock.js';
import { BosunError } from '../src/shared/errors.js';
import { stableStringify } from '../src/shared/json.js';
import { createUlidGenerator } from '../src/shared/ids.js';

const CALLER_ERRORS = ['invalid_input', 'not_found', 'conflict', 'invalid_transition', 'cycle'];

let store: Store;
let runner: OperationRunner;
const run = (name: string, input: unknown) => runner.run(findOperation(name)!, input, 'fuzzer');
const snapshot = async () => stableStringify(await run('workspace.export', {}));

beforeAll(async () => {
  store = await createSqliteStore({
    path: join(mkdtempSync(join(tmpdir(), 'bosun-fuzz-')), 'f.db'),
  });
  const clock = createManualClock();
  runner = createOperationRunner({
    store,
    clock,
    newId: createUlidGenerator(clock),
    validateOutput: true,
  });
  await run('project.create', { key: 'HOME', name: 'Home' });
  await run('task.create', { project: 'HOME', title: 'Anchor' });
  await run('task.create', { project: 'HOME', title: 'Second', dependsOn: ['HOME-1'] });
});

afterAll(async () => {
  await store.close();
});

const refs = fc.constantFrom('HOME-1', 'HOME-2', 'HOME-99', 'home-1', 'NOPE-1', '', ' ');
const values = fc.oneof(
  fc.string({ maxLength: 12 }),
  refs,
  fc.integer({ min: -5, max: 5 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string({ maxLength: 8 }), refs), { maxLength: 3 }),
);
const fields = [
  'project',
  'title',
  'task',
  'status',
  'on',
  'priority',
  'tags',
  'scope',
  'parent',
  'estimate',
  'dependsOn',
  'lease',
  'claim',
  'parallel',
  'item',
  'text',
  'body',
];
const inputs = fc.dictionary(fc.constantFrom(...fields), values, { maxKeys: 5 });
const operations = fc.constantFrom(
  'task.create',
  'task.update',
  'task.status',
  'dep.add',
  'dep.remove',
  'task.next',
  'todo.check',
  'note.add',
  'task.delete',
);

describe('operation inputs under fuzzing', () => {
  it('either succeed or fail with a caller error that changed nothing', async () => {
    const outcomes = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(operations, inputs, async (operation, input) => {
        const before = await snapshot();
        try {
          await run(operation, input);
          outcomes.accepted += 1;
        } catch (error) {
          outcomes.refused += 1;
          expect(error).toBeInstanceOf(BosunError);
          expect(CALLER_ERRORS).toContain((error as BosunError).code);
          expect(await snapshot()).toBe(before);
        }
      }),
      { numRuns: 300 },
    );
    // Both paths were exercised, so the property says something about each.
    expect(outcomes.accepted).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});
