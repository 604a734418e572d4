/**
 * One journal reader per server, fanned out to every WebSocket and SSE subscriber. The reader is
 * the engine's event feed (it never skips a seq that may still commit on PostgreSQL); it reads
 * when the store reports a commit — this process's at once, other processes' through SQLite's
 * data_version or PostgreSQL's LISTEN/NOTIFY — and on a slow timer as a safety net. A new
 * subscriber first replays what it missed from the store, up to the reader's settled cursor, and
 * turns live in the same tick it catches up, so the handover has neither gap nor duplicate.
 *
 * Backpressure: after each message the subscriber's unsent bytes are checked. Past the limit the
 * hub stops sending to it and looks again after a grace period: a client that was only slow to
 * take a burst has drained by then and catches up out of the store like a new subscriber; one
 * still over the limit is dropped with a reason naming the seq to resume after. So what one
 * client holds in server memory stays near the limit, and a burst never drops a healthy client.
 */

import { createEventFeed } from '../core/engine/event-feed.js';
import type { EventFeed } from '../core/engine/event-feed.js';
import type { JournalEvent } from '../domain/run.js';
import type { Store } from '../ports/store.js';
import { BosunError, toBosunError } from '../shared/errors.js';

/** How often a follower hears from the server when nothing happens. */
export const DEFAULT_HEARTBEAT_MS = 15_000;

export interface EventHubSettings {
  readonly store: Store;
  /** Heartbeat period (default 15 s). */
  readonly heartbeatMs?: number | undefined;
  /** Safety-net read period when no commit is reported (default 1 s). */
  readonly pollMs?: number | undefined;
  /** Unsent bytes past which a subscriber is paused, then dropped if still behind (default 1 MiB). */
  readonly maxBufferedBytes?: number | undefined;
  /** How long a paused subscriber gets to drain below the limit before it is dropped (default 2 s). */
  readonly drainMs?: number | undefined;
  /** Events per store read (default 1,000). */
  readonly batch?: number | undefined;
}

export interface SubscriptionFilter {
  /** Deliver events after this seq; default: the journal's current (settled) end. */
  readonly after?: number | undefined;
  readonly runId?: string | undefined;
  /** Events of this project's runs, and events outside runs whose data names `projectKey`. */
  readonly project?: { readonly id: string; readonly key: string } | undefined;
  readonly kinds?: readonly string[] | undefined;
}

/** The transport's side of a subscription (a WebSocket, an SSE stream). */
export interface EventSink {
  /** `json` is the event serialized once for every subscriber it goes to. */
  send(event: JournalEvent, json: string): void;
  heartbeat(seq: number): void;
  /** Bytes queued for this subscriber and not yet handed to the network. */
  buffered(): number;
  /** Ends the connection because the subscriber reads too slowly. */
  drop(reason: string): void;
  /** Ends the connection because the server failed (or is closing). */
  fail(error: BosunError): void;
}

export interface Subscription {
  close(): void;
}

export interface EventHub {
  subscribe(filter: SubscriptionFilter, sink: EventSink): Subscription;
  /** Subscribers now, and how many were dropped as slow consumers since the hub started. */
  stats(): { readonly subscribers: number; readonly dropped: number };
  close(): Promise<void>;
}

interface Subscriber {
  readonly filter: SubscriptionFilter;
  readonly kinds: ReadonlySet<string> | null;
  readonly sink: EventSink;
  /** Every matching event up to here has been sent. */
  cursor: number;
  /** Gets events as the reader reads them; false while replaying from the store or paused. */
  live: boolean;
  closed: boolean;
}

/**
 * On PostgreSQL the reader starts this far behind the journal's end, so a transaction that took
 * a number before the server started and commits after is still read (the feed waits for it).
 */
const POSTGRES_LOOKBACK = 1_000;
/** How often a paused subscriber's backlog is looked at. */
const DRAIN_CHECK_MS = 20;
/** Run → project ids remembered for the project filter (runs never change project). */
const RUN_PROJECT_CACHE = 10_000;

export function createEventHub(settings: EventHubSettings): EventHub {
  const { store } = settings;
  const heartbeatMs = settings.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const pollMs = settings.pollMs ?? 1_000;
  const maxBuffered = settings.maxBufferedBytes ?? 1024 * 1024;
  const batch = settings.batch ?? 1_000;
  const drainMs = settings.drainMs ?? 2_000;
  const subscribers = new Set<Subscriber>();
  const runProjects = new Map<string, string | null>();
  const serialized = new WeakMap<JournalEvent, string>();
  let feed: EventFeed | undefined;
  /** The reader's settled cursor: every event up to here has been read (or never will exist). */
  let cursor = 0;
  let started: Promise<void> | undefined;
  let closed = false;
  let dropped = 0;
  let reading = false;
  let readAgain = false;
  let unwatch: (() => void) | undefined;
  let poll: ReturnType<typeof setInterval> | undefined;
  let beat: ReturnType<typeof setInterval> | undefined;

  function start(): Promise<void> {
    started ??= (async () => {
      const end = await store.transaction('read', (repos) => repos.events.maxSeq());
      const after = store.dialect === 'postgres' ? Math.max(0, end - POSTGRES_LOOKBACK) : end;
      feed = createEventFeed({ store, after, batch });
      cursor = after;
      unwatch = store.watch(() => void read());
      poll = setInterval(() => void read(), pollMs);
      beat = setInterval(heartbeat, heartbeatMs);
      poll.unref();
      beat.unref();
      await read();
    })();
    return started;
  }

  /** Reads what committed since the last read and fans it out; one read at a time. */
  async function read(): Promise<void> {
    if (reading) {
      readAgain = true;
      return;
    }
    reading = true;
    try {
      do {
        readAgain = false;
        if (closed || !feed) return;
        const events = await feed.read();
        await resolveProjects(events);
        // From here to the end of the fan-out nothing awaits: a subscriber catching up sees
        // either the old cursor (and reads these events itself) or the new one (and gets them).
        cursor = feed.cursor;
        for (const subscriber of subscribers) {
          if (!subscriber.live) continue;
          let sentAll = true;
          for (const event of events) {
            if (event.seq > subscriber.cursor && matches(subscriber, event)) {
              if (!deliver(subscriber, event)) {
                sentAll = false;
                break;
              }
            }
          }
          if (sentAll && subscriber.cursor < cursor) subscriber.cursor = cursor;
        }
        if (events.length === batch) readAgain = true;
      } while (readAgain);
    } catch (error) {
      for (const subscriber of subscribers)
        end(subscriber, () => subscriber.sink.fail(toBosunError(error)));
    } finally {
      reading = false;
    }
  }

  function matches(subscriber: Subscriber, event: JournalEvent): boolean {
    const { filter } = subscriber;
    if (filter.runId !== undefined && event.runId !== filter.runId) return false;
    if (subscriber.kinds !== null && !subscriber.kinds.has(event.kind)) return false;
    if (filter.project !== undefined) {
      if (event.runId === null) return event.data['project'] === filter.project.key;
      return runProjects.get(event.runId) === filter.project.id;
    }
    return true;
  }

  /**
   * Finds the projects of runs not seen before, whether or not anyone filters by project now: a
   * subscriber that does may turn live while this batch is on its way.
   */
  async function resolveProjects(events: readonly JournalEvent[]): Promise<void> {
    const unknown = new Set<string>();
    for (const event of events) {
      if (event.runId !== null && !runProjects.has(event.runId)) unknown.add(event.runId);
    }
    if (unknown.size === 0) return;
    if (runProjects.size + unknown.size > RUN_PROJECT_CACHE) runProjects.clear();
    await store.transaction('read', async (repos) => {
      for (const runId of unknown) {
        runProjects.set(runId, (await repos.runs.findById(runId))?.projectId ?? null);
      }
    });
  }

  /** Sends one event; false when that left the subscriber too far behind and it was paused. */
  function deliver(subscriber: Subscriber, event: JournalEvent): boolean {
    let json = serialized.get(event);
    if (json === undefined) {
      json = JSON.stringify(event);
      serialized.set(event, json);
    }
    subscriber.sink.send(event, json);
    subscriber.cursor = event.seq;
    if (subscriber.sink.buffered() <= maxBuffered) return true;
    subscriber.live = false;
    // Look often, so a client that drains fast resumes fast; drop it if it has not by the deadline.
    const deadline = Date.now() + drainMs;
    const check = () => {
      if (subscriber.closed) return;
      if (subscriber.sink.buffered() <= maxBuffered / 2) return replay(subscriber);
      if (Date.now() < deadline) return void setTimeout(check, DRAIN_CHECK_MS).unref();
      const reason = `slow consumer; resume with after=${subscriber.cursor}`;
      dropped += 1;
      end(subscriber, () => subscriber.sink.drop(reason));
    };
    setTimeout(check, DRAIN_CHECK_MS).unref();
    return false;
  }

  function end(subscriber: Subscriber, how: () => void) {
    if (subscriber.closed) return;
    subscriber.closed = true;
    subscribers.delete(subscriber);
    how();
  }

  function heartbeat() {
    for (const subscriber of subscribers) {
      if (subscriber.live) subscriber.sink.heartbeat(subscriber.cursor);
    }
  }

  function replay(subscriber: Subscriber): void {
    catchUp(subscriber).catch((error: unknown) =>
      end(subscriber, () => subscriber.sink.fail(toBosunError(error))),
    );
  }

  /**
   * Replays from the store, after the subscriber's cursor up to the reader's, then turns live in
   * the same tick; stops early if the subscriber falls behind again (it is paused).
   */
  async function catchUp(subscriber: Subscriber): Promise<void> {
    const { filter } = subscriber;
    while (!subscriber.closed && subscriber.cursor < cursor) {
      const upTo = cursor;
      const events = await store.transaction('read', (repos) =>
        repos.events.list({
          after: subscriber.cursor,
          upTo,
          runId: filter.runId,
          kinds: filter.kinds,
          limit: batch,
        }),
      );
      await resolveProjects(events);
      for (const event of events) {
        if (subscriber.closed) return;
        if (matches(subscriber, event) && !deliver(subscriber, event)) return;
      }
      subscriber.cursor = events.length === batch ? events.at(-1)!.seq : upTo;
    }
    subscriber.live = !subscriber.closed;
  }

  async function begin(subscriber: Subscriber): Promise<void> {
    await start();
    if (subscriber.closed) return;
    subscriber.cursor = subscriber.filter.after ?? cursor;
    subscriber.sink.heartbeat(subscriber.cursor);
    await catchUp(subscriber);
  }

  return {
    subscribe(filter, sink) {
      if (closed) throw new Error('the event hub is closed');
      const subscriber: Subscriber = {
        filter,
        kinds: filter.kinds && filter.kinds.length > 0 ? new Set(filter.kinds) : null,
        sink,
        cursor: filter.after ?? 0,
        live: false,
        closed: false,
      };
      subscribers.add(subscriber);
      begin(subscriber).catch((error: unknown) =>
        end(subscriber, () => sink.fail(toBosunError(error))),
      );
      return {
        close: () => end(subscriber, () => undefined),
      };
    },
    stats: () => ({ subscribers: subscribers.size, dropped }),
    async close() {
      closed = true;
      unwatch?.();
      if (poll !== undefined) clearInterval(poll);
      if (beat !== undefined) clearInterval(beat);
      await started?.catch(() => undefined);
      for (const subscriber of subscribers) {
        end(subscriber, () =>
          subscriber.sink.fail(
            new BosunError('unavailable', 'the server is stopping; reconnect later', {
              retryable: true,
            }),
          ),
        );
      }
    },
  };
}
