/**
 * The event stream of `bosun serve`: 50 WebSocket subscribers (the typed client over `ws`) follow
 * the journal of a SQLite workspace while this process commits 1,200 events, one transaction each,
 * every 5 ms. Server, store and clients share one process and one clock, so latency is measured
 * from the moment the commit returned to the moment each client's handler got the event:
 *
 *   events-ws-latency   journal commit → client receive, all 50 × 1,200 deliveries: p99 ≤ 10 ms
 */

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { follow, startEventServer } from '../test/helpers/event-server.js';
import type { Follower } from '../test/helpers/event-server.js';
import { createBenchWorkspace } from './bench-workspace.js';
import { percentile, report, round } from './report.js';

const SUBSCRIBERS = 50;
const EVENTS = 1_200;
const WARM_UP = 50;
const PACE_MS = 5;

const workspace = createBenchWorkspace('events');
const server = await startEventServer(workspace.dir);
const committedAt = new Map<number, number>();
const latencies: number[] = [];
const followers: Follower[] = [];
for (let i = 0; i < SUBSCRIBERS; i++) {
  followers.push(
    follow(
      server.url,
      {},
      {
        onEvent(event) {
          const index = event.data['i'] as number;
          const at = committedAt.get(index);
          if (at !== undefined && index >= WARM_UP) latencies.push(performance.now() - at);
        },
      },
    ),
  );
}
await Promise.all(
  followers.map((f) => f.until(() => f.states.some((s) => s.state === 'open'), 30_000, 'open')),
);

// How late this process's event loop ran meanwhile: on a busy machine the floor under any latency.
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
for (let i = 0; i < WARM_UP + EVENTS; i++) {
  await server.runtime.store.transaction('write', (repos) =>
    repos.events.append([
      { at: new Date().toISOString(), runId: null, stepId: null, kind: 'bench', data: { i } },
    ]),
  );
  committedAt.set(i, performance.now());
  await sleep(PACE_MS);
}
await Promise.all(
  followers.map((f) => f.until(() => f.events.length >= WARM_UP + EVENTS, 30_000, 'every event')),
);
loopDelay.disable();
const lost = followers.filter((f) => f.events.length !== WARM_UP + EVENTS).length;
for (const f of followers) f.stream.close();
await server.stop();

latencies.sort((a, b) => a - b);
report({
  bench: 'events-ws-latency',
  metric: `p99, journal commit → WebSocket client receive, ${SUBSCRIBERS} subscribers × ${EVENTS} events`,
  value: round(percentile(latencies, 99), 2),
  unit: 'ms',
  target: 10,
  p50: round(percentile(latencies, 50), 2),
  max: round(latencies.at(-1)!, 2),
  samples: latencies.length,
  clientsMissingEvents: lost,
  eventLoopDelayP99: round(loopDelay.percentile(99) / 1e6, 2),
});
