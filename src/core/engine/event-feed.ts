/**
 * Reading the journal as a stream, from any event number, without ever skipping an event. On
 * SQLite numbers are handed out in commit order, so what is visible is complete. On PostgreSQL a
 * transaction may commit event 12 while event 11's transaction is still open: the feed then stops
 * before the gap and waits until every transaction that was open when the gap was first seen has
 * ended (the snapshot's xmax has passed); a gap still there is a rolled-back number, skipped.
 */

import type { JournalEvent } from '../../domain/run.js';
import type { Store } from '../../ports/store.js';

export interface EventFeedOptions {
  readonly store: Store;
  readonly after: number;
  readonly runId?: string | undefined;
  readonly kinds?: readonly string[] | undefined;
  /** Events per read (default 1,000). */
  readonly batch?: number;
}

export interface EventFeed {
  /** The events committed after the cursor, in order; advances the cursor. */
  read(): Promise<JournalEvent[]>;
  readonly cursor: number;
  /**
   * Delivers events as they are committed until `signal` aborts or `stop()` answers true after a
   * read that found nothing new.
   */
  follow(
    deliver: (events: JournalEvent[]) => void | Promise<void>,
    options: { signal?: AbortSignal; stop?: () => boolean | Promise<boolean>; pollMs?: number },
  ): Promise<void>;
}

interface Gap {
  readonly seq: number;
  readonly xmax: bigint;
}

export function createEventFeed(options: EventFeedOptions): EventFeed {
  const { store } = options;
  const batch = options.batch ?? 1_000;
  let cursor = options.after;
  let gap: Gap | null = null;
  /** The highest number below which every event is visible or will never exist. */
  let settled = options.after;

  async function read(): Promise<JournalEvent[]> {
    return store.transaction('read', async (repos) => {
      const seqs = await repos.events.seqsAfter(settled, batch);
      if (seqs.length > 0) {
        const horizon = store.dialect === 'postgres' ? await repos.events.horizon() : null;
        for (const seq of seqs) {
          if (seq === settled + 1 || horizon === null) {
            settled = seq;
            continue;
          }
          // Numbers settled+1 … seq-1 are missing: in flight, or rolled back.
          const missing = settled + 1;
          if (gap === null || gap.seq !== missing) {
            gap = { seq: missing, xmax: BigInt(horizon.xmax) };
            break;
          }
          if (BigInt(horizon.xmin) < gap.xmax) break;
          gap = null;
          settled = seq;
        }
      }
      if (settled <= cursor) return [];
      const events = await repos.events.list({
        after: cursor,
        upTo: settled,
        runId: options.runId,
        kinds: options.kinds,
        limit: batch,
      });
      // A filtered read may stop short of `settled`; the next read continues after the last one.
      cursor = events.length === batch ? events.at(-1)!.seq : settled;
      return events;
    });
  }

  return {
    read,
    get cursor() {
      return cursor;
    },
    async follow(deliver, followOptions) {
      const pollMs = followOptions.pollMs ?? 1_000;
      let wake: (() => void) | undefined;
      let changed = true;
      const unwatch = store.watch(() => {
        changed = true;
        wake?.();
      });
      const onAbort = () => wake?.();
      followOptions.signal?.addEventListener('abort', onAbort);
      try {
        while (!followOptions.signal?.aborted) {
          changed = false;
          const events = await read();
          if (events.length > 0) {
            await deliver(events);
            continue;
          }
          if (gap !== null) {
            await new Promise((resolve) => setTimeout(resolve, 20));
            continue;
          }
          if (await followOptions.stop?.()) {
            // One last read: what committed between the read above and the stop decision.
            const last = await read();
            if (last.length > 0) await deliver(last);
            if (gap === null) return;
            continue;
          }
          if (changed) continue;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, pollMs);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = undefined;
        }
      } finally {
        unwatch();
        followOptions.signal?.removeEventListener('abort', onAbort);
      }
    },
  };
}
