/**
 * WAL checkpoints off the event loop (decision 0003). A checkpoint copies the WAL back into the
 * database file and syncs it; when a commit triggers it (SQLite's automatic checkpoint), that
 * commit stalls for tens of milliseconds. A process that writes steadily (a scheduler driving
 * runs) instead leaves the bulk of the copying to a worker thread with its own connection, in
 * `PASSIVE` mode: it never waits for the writer nor blocks it.
 *
 * A passive checkpoint alone cannot rewind the WAL while writes keep coming (the writer restarts
 * the log only once every frame is copied), so the file would grow without end. When the log has
 * grown past `rewindAtFrames`, the thread says so and the writer copies the few frames the thread
 * has not reached, right after one of its commits, which lets its next transaction rewind the log:
 * a short stall of about one fsync, once per few thousand frames, instead of a long one.
 */

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface BackgroundCheckpointSettings {
  /**
   * How often the thread checkpoints (default 500 ms). Less often means fewer syncs competing
   * with the writer, and a longer WAL: up to what the writer appends in that time.
   */
  readonly everyMs?: number;
  /**
   * WAL length, in frames of one page, from which the writer is asked to finish the checkpoint
   * and rewind the log (default 10,000 ≈ 40 MB, SQLite's automatic threshold as bosun sets it).
   */
  readonly rewindAtFrames?: number;
}

// CommonJS evaluated in the thread: it needs only the driver, whose resolved path it is given.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
parentPort.postMessage('ready');
const timer = setInterval(() => {
  try {
    let [result] = db.pragma('wal_checkpoint(PASSIVE)');
    if (result.log < workerData.rewindAtFrames) return;
    // Catch up with what the writer appended meanwhile, so that the part it copies is short.
    for (let i = 0; i < 2 && result.log - result.checkpointed > 200; i++) {
      [result] = db.pragma('wal_checkpoint(PASSIVE)');
    }
    parentPort.postMessage('rewind');
  } catch {
    // Busy (the writer is finishing a rewind, a schema change): the next tick tries again.
  }
}, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface BackgroundCheckpointer {
  /** Called after each write commit: finishes and rewinds the WAL when the thread asked for it. */
  committed(): void;
  /** Stops the thread and closes its connection. */
  stop(): Promise<void>;
}

export interface CheckpointerHooks {
  /** The thread's connection is open: turn off the writer's automatic checkpoint. */
  readonly onStarted: () => void;
  /** The thread died: turn it back on. */
  readonly onLost: () => void;
  /** Checkpoints on the writer's connection (`PRAGMA wal_checkpoint(PASSIVE)`). */
  readonly checkpoint: () => void;
}

export function startBackgroundCheckpointer(
  path: string,
  hooks: CheckpointerHooks,
  settings: BackgroundCheckpointSettings = {},
): BackgroundCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(THREAD_SOURCE, {
    eval: true,
    // It allocates next to nothing: a small heap keeps the thread's memory small.
    resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 8 },
    workerData: {
      driver,
      path,
      everyMs: settings.everyMs ?? 500,
      rewindAtFrames: settings.rewindAtFrames ?? 10_000,
    },
  });
  worker.unref();
  let stopping = false;
  let rewindDue = false;
  worker.on('message', (message) => {
    if (message === 'ready') hooks.onStarted();
    else if (message === 'rewind') rewindDue = true;
  });
  worker.once('error', () => undefined);
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', () => {
      if (!stopping) hooks.onLost();
      resolve();
    });
  });
  return {
    committed() {
      if (!rewindDue) return;
      rewindDue = false;
      try {
        hooks.checkpoint();
      } catch {
        // Busy with the thread's own checkpoint: it will ask again.
      }
    },
    async stop() {
      stopping = true;
      worker.postMessage('stop');
      const timeout = setTimeout(() => void worker.terminate(), 2_000);
      await exited;
      clearTimeout(timeout);
    },
  };
}
