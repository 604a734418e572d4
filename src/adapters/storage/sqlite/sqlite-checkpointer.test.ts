import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../ports/store.js';
import { createSqliteStore } from './sqlite-store.js';

const dirs: string[] = [];
const stores: Store[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function openStore(background: boolean, rewindAtFrames = 10_000) {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-checkpoint-'));
  dirs.push(dir);
  const path = join(dir, 'bosun.db');
  // The writer's own automatic checkpoint would only start at 100,000 pages: whatever reaches
  // the database file below got there through the thread.
  const store = await createSqliteStore({
    path,
    walAutocheckpointPages: 100_000,
    backgroundCheckpoint: { afterCommits: 1, everyMs: 10, rewindAtFrames },
  });
  stores.push(store);
  if (background) store.housekeepInBackground();
  return { store, path };
}

/** One transaction appending an event of about `bytes` bytes. */
const writeOne = (store: Store, bytes: number) =>
  store.transaction('write', (repos) =>
    repos.events.append([
      {
        at: new Date().toISOString(),
        runId: null,
        stepId: null,
        kind: 'test-write',
        data: { text: 'x'.repeat(bytes) },
      },
    ]),
  );

const size = (path: string) => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return condition();
}

describe('background WAL checkpoints (SQLite)', () => {
  it('copies the WAL into the database file from a worker thread once asked to', async () => {
    const quiet = await openStore(false);
    const busy = await openStore(true);
    for (let i = 0; i < 300; i++) {
      await writeOne(quiet.store, 8_000);
      await writeOne(busy.store, 8_000);
    }
    // ~2.4 MB of events: the thread moves them into the database file; nobody does for the
    // store that was not asked to.
    expect(await until(() => size(busy.path) > 2_000_000, 5_000)).toBe(true);
    expect(size(quiet.path)).toBeLessThan(500_000);
  });

  it('keeps the WAL from growing without end under continuous writes', async () => {
    const rewinding = await openStore(true, 200);
    const growing = await openStore(false, 200);
    // 3,000 writes each, back to back but for a turn of the event loop now and then, as a
    // scheduler's loop takes one: a passive checkpoint alone never catches up with them.
    for (let i = 0; i < 3_000; i++) {
      await writeOne(rewinding.store, 500);
      await writeOne(growing.store, 500);
      if (i % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const grown = size(`${growing.path}-wal`);
    expect(grown).toBeGreaterThan(10_000_000);
    // 200 frames of 4 KB, plus what is written between two looks of the thread (more on a busy
    // machine): a fraction of the WAL that nobody rewinds.
    expect(size(`${rewinding.path}-wal`)).toBeLessThan(grown / 3);
  });
});
