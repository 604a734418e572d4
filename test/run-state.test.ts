/**
 * The run page's reducer (web/src/run-state.ts) over real journals: runs executed by the built
 * `bosun` bin on a real SQLite workspace (a retry, an approval gate, a failure that cancels the
 * rest), their events read back with `run events`, folded from the graph's starting point. At
 * every step-start the fold must already say `ready` (the engine only claims ready steps), and at
 * the end it must equal what `run graph` says.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphStep, RunEvent } from '../web/src/run-state.js';
import { applyEvent } from '../web/src/run-state.js';
import { bosunJson, initWorkspace, runBosun } from './helpers/cli.js';

const STATES = `name: states
steps:
  - id: fetch
    runner: mock
    with: { output: 1 }
  - id: flaky
    runner: mock
    needs: fetch
    retry: { attempts: 3, backoff: 10ms }
    with: { fail_attempts: 1, output: 2 }
  - id: side
    runner: mock
    needs: fetch
    with: { output: 3 }
  - id: gate
    runner: mock
    needs: [flaky, side]
    approval: before
    with: { output: 4 }
  - id: after
    runner: mock
    needs: gate
    with: { output: 5 }
`;

const FAILS = `name: fails
steps:
  - id: first
    runner: mock
    with: { output: 1 }
  - id: broken
    runner: mock
    needs: first
    with: { fail: true, error: boom }
  - id: never
    runner: mock
    needs: broken
    with: { output: 3 }
`;

type Event = RunEvent & { seq: number };

async function graphOf(cwd: string): Promise<GraphStep[]> {
  const graph = await bosunJson<{ text: string }>(['run', 'graph', 'last', '--format', 'json'], {
    cwd,
  });
  return JSON.parse(graph.text) as GraphStep[];
}

const eventsOf = async (cwd: string) =>
  (await bosunJson<{ events: Event[] }>(['run', 'events', 'last'], { cwd })).events;

/** The graph as it stood when the run started: roots ready, the rest waiting, no attempts. */
const atStart = (graph: readonly GraphStep[]): GraphStep[] =>
  graph.map((s) => ({ ...s, status: s.needs.length === 0 ? 'ready' : 'waiting', attempts: 0 }));

/** Folds the events, checking that every claimed step was ready just before. */
function fold(start: readonly GraphStep[], events: readonly Event[]): readonly GraphStep[] {
  let steps: readonly GraphStep[] = start;
  for (const event of events) {
    if (event.kind === 'step-start') {
      const before = steps.find((s) => s.key === event.data['step']);
      expect(before?.status, `#${event.seq} step-start ${String(event.data['step'])}`).toBe(
        'ready',
      );
    }
    steps = applyEvent(steps, event);
  }
  return steps;
}

const statuses = (steps: readonly GraphStep[]) =>
  Object.fromEntries(steps.map((s) => [s.key, `${s.status}/${s.attempts}`]));

describe('applyEvent over real journals', () => {
  it('follows a retry and an approval gate, matching run graph before and after approval', async () => {
    const cwd = await initWorkspace('bosun-run-state-');
    writeFileSync(join(cwd, 'states.yaml'), STATES);
    expect((await runBosun(['run', 'start', 'states.yaml'], { cwd })).status).toBe(0);
    const blocked = await graphOf(cwd);
    const start = atStart(blocked);
    const events = await eventsOf(cwd);
    expect(events.map((e) => e.kind)).toContain('step-retry');
    expect(statuses(fold(start, events))).toEqual(statuses(blocked));
    expect(statuses(blocked)).toMatchObject({ gate: 'approval/0', flaky: 'succeeded/2' });

    const [approval] = await bosunJson<{ id: string }[]>(['approval', 'list'], { cwd });
    await bosunJson(['approval', 'approve', approval!.id], { cwd });
    expect((await runBosun(['run', 'resume', 'last'], { cwd })).status).toBe(0);
    const done = await graphOf(cwd);
    expect(statuses(fold(start, await eventsOf(cwd)))).toEqual(statuses(done));
    expect(done.every((s) => s.status === 'succeeded')).toBe(true);
  });

  it('cancels what is left when a step fails', async () => {
    const cwd = await initWorkspace('bosun-run-state-fail-');
    writeFileSync(join(cwd, 'fails.yaml'), FAILS);
    await runBosun(['run', 'start', 'fails.yaml'], { cwd });
    const graph = await graphOf(cwd);
    expect(statuses(fold(atStart(graph), await eventsOf(cwd)))).toEqual(statuses(graph));
    expect(statuses(graph)).toMatchObject({ broken: 'failed/1', never: 'cancelled/0' });
  });

  it('leaves the steps alone for events that change nothing (output, run-start)', () => {
    const steps: GraphStep[] = [{ key: 'a', status: 'running', needs: [], attempts: 1 }];
    expect(applyEvent(steps, { kind: 'step-output', data: { step: 'a', text: 'hi' } })).toBe(steps);
    expect(applyEvent(steps, { kind: 'run-start', data: { steps: 1 } })).toBe(steps);
    expect(applyEvent(steps, { kind: 'run-end', data: { status: 'succeeded' } })).toBe(steps);
  });
});
