/**
 * The server's event hub on PostgreSQL, where event numbers are taken at insert and become
 * visible at commit, so a later number can be seen before an earlier one (decision 0007). The hub
 * must hold back what follows a number still held by an open transaction, deliver both in order
 * once it commits, and skip the number only when its transaction rolled back. A throwaway
 * cluster; the hub is driven directly with a recording sink (the transports are tested in
 * server-events.test.ts).
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../src/adapters/storage/postgres/index.js';
import type { JournalEvent } from '../src/domain/run.js';
import type { Store } from '../src/ports/store.js';
import type { EventHub, EventSink } from '../src/server/event-hub.js';
import { createEventHub } from '../src/server/event-hub.js';
import type { PostgresCluster } from '../src/testing/postgres-cluster.js';
import { startPostgresCluster } from '../src/testing/postgres-cluster.js';

let cluster: PostgresCluster | undefined;
let store: Store;
let hub: EventHub;
const received: JournalEvent[] = [];
const heartbeats: number[] = [];
const failures: string[] = [];

const sink: EventSink = {
  send: (event) => received.push(event),
  heartbeat: (seq) => heartbeats.push(seq),
  buffered: () => 0,
  drop: () => undefined,
  fail: (error) => failures.push(error.message),
};

const event = (kind: string) => ({
  at: new Date().toISOString(),
  runId: null,
  stepId: null,
  kind,
  data: {},
});

/** Transactions still open; afterAll rolls them back so the store can close. */
const open = new Set<(commit: boolean) => void>();

/** A write transaction that appends one event, then stays open until `end` is called. */
function openWriter(kind: string) {
  let end!: (commit: boolean) => void;
  const decided = new Promise<boolean>((resolve) => (end = resolve));
  open.add(end);
  let appended!: () => void;
  const inserted = new Promise<void>((resolve) => (appended = resolve));
  const done = store
    .transaction('write', async (repos) => {
      await repos.events.append([event(kind)]);
      appended();
      if (!(await decided)) throw new Error('rolled back on purpose');
    })
    .catch((error: Error) => error.message);
  return { inserted, end, done };
}

const until = async (done: () => boolean, what: string) => {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
};

beforeAll(async () => {
  cluster = await startPostgresCluster();
  store = await createPostgresStore({ url: await cluster.createDatabase() });
  hub = createEventHub({ store, pollMs: 50, heartbeatMs: 60_000 });
  hub.subscribe({}, sink);
  await until(() => heartbeats.length > 0, 'the subscription');
});

afterAll(async () => {
  try {
    for (const end of open) end(false);
    await hub?.close();
    await store?.close();
  } finally {
    await cluster?.stop();
  }
});

describe('the event hub on PostgreSQL', () => {
  it('holds back an event committed past a number still open, then delivers both in order', async () => {
    const first = openWriter('first');
    await first.inserted;
    await store.transaction('write', (repos) => repos.events.append([event('second')]));
    // Several reads (a commit notification, the 50 ms safety net) see `second` past the gap.
    await sleep(300);
    expect(received.map((e) => e.kind)).toEqual([]);
    first.end(true);
    await first.done;
    await until(() => received.length >= 2, 'both events');
    expect(received.map((e) => e.kind)).toEqual(['first', 'second']);
    expect(received[1]!.seq).toBe(received[0]!.seq + 1);
    expect(failures).toEqual([]);
  });

  it('skips a number whose transaction rolled back, once no transaction could still hold it', async () => {
    const before = received.length;
    const doomed = openWriter('doomed');
    await doomed.inserted;
    await store.transaction('write', (repos) => repos.events.append([event('survivor')]));
    await sleep(300);
    expect(received.length).toBe(before);
    doomed.end(false);
    expect(await doomed.done).toBe('rolled back on purpose');
    await until(() => received.length > before, 'the survivor');
    expect(received.slice(before).map((e) => e.kind)).toEqual(['survivor']);
    expect(failures).toEqual([]);
  });
});
