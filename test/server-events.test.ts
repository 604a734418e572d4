/**
 * The journal stream of `bosun serve` over real sockets: the server app listening in this
 * process on 127.0.0.1 over a real SQLite workspace, runs executed by the built `bosun` bin in
 * child processes (so the server learns of them the way it does in production, from another
 * process's commits), and followers using the typed client over WebSocket (`ws`) or plain
 * fetch for SSE. Every test compares what the followers received with what the store holds.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { get as httpGet } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEvent } from '../src/client/index.js';
import { findOperation } from '../src/operations/catalog.js';
import type { EventServer, Follower } from './helpers/event-server.js';
import { TEST_TOKEN, follow, startEventServer } from './helpers/event-server.js';
import { bosunJson, initWorkspace, runBosun, startBosun } from './helpers/cli.js';

const RELAY = `name: relay
steps:
  - id: fetch
    runner: mock
    with: { output: 1, latency: 150ms }
  - id: left
    runner: mock
    needs: fetch
    with: { output: 2, latency: 150ms }
  - id: right
    runner: mock
    needs: fetch
    with: { output: 3, latency: 200ms }
  - id: merge
    runner: mock
    needs: [left, right]
    with: { output: 4, latency: 150ms }
  - id: check
    runner: mock
    needs: merge
    with: { output: 5, latency: 150ms }
  - id: publish
    runner: mock
    needs: check
    with: { output: 6, latency: 150ms, usage: { input_tokens: 10, output_tokens: 2, cost_usd: 0.001 } }
`;

/** The grace a paused subscriber gets to drain before it is dropped (shortened for the tests). */
const DRAIN_MS = 200;

let cwd: string;
let server: EventServer;
const followers: Follower[] = [];

function follower(...args: Parameters<typeof follow>): Follower {
  const started = follow(...args);
  followers.push(started);
  return started;
}

const seqs = (events: readonly JournalEvent[]) => events.map((event) => event.seq);

async function journalEnd(): Promise<number> {
  return server.runtime.store.transaction('read', (repos) => repos.events.maxSeq());
}

async function journalAfter(after: number): Promise<JournalEvent[]> {
  return server.runtime.store.transaction('read', (repos) =>
    repos.events.list({ after, limit: 100_000 }),
  );
}

async function append(count: number, kind: string, data: (i: number) => Record<string, unknown>) {
  await server.runtime.store.transaction('write', (repos) =>
    repos.events.append(
      Array.from({ length: count }, (_, i) => ({
        at: new Date().toISOString(),
        runId: null,
        stepId: null,
        kind,
        data: data(i),
      })),
    ),
  );
}

const wsUrl = (query: string) => `ws://127.0.0.1:${server.port}/api/events${query}`;

/** A raw WebSocket's first answer: the HTTP status it was refused with, or its messages and close. */
function rawSocket(
  query: string,
): Promise<{ status?: number; messages: unknown[]; close?: { code: number; reason: string } }> {
  return new Promise((resolve) => {
    const messages: unknown[] = [];
    const socket = new WebSocket(wsUrl(query));
    socket.on('unexpected-response', (_request, response) =>
      resolve({ status: response.statusCode, messages }),
    );
    socket.on('error', () => undefined);
    socket.on('message', (data) => messages.push(JSON.parse(data.toString())));
    socket.on('close', (code, reason) =>
      resolve({ messages, close: { code, reason: reason.toString() } }),
    );
  });
}

const isOpen = (f: Follower) => f.states.some((s) => s.state === 'open');

/** Waits until the server has dropped one more slow consumer than `before`. */
async function untilDropped(before: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (server.stats().dropped === before) {
    if (Date.now() > deadline) throw new Error('the server never dropped the stalled client');
    await sleep(20);
  }
}

beforeAll(async () => {
  cwd = await initWorkspace('bosun-events-');
  writeFileSync(join(cwd, 'relay.yaml'), RELAY);
  server = await startEventServer(cwd, {
    heartbeatMs: 50,
    maxBufferedBytes: 64 * 1024,
    drainMs: DRAIN_MS,
  });
});

afterEach(() => {
  for (const started of followers.splice(0)) started.stream.close();
});

afterAll(async () => {
  await server?.stop();
});

describe('GET /api/events (WebSocket)', () => {
  it('streams a run to 50 clients exactly once and in order; a killed client resumes from its last seq', async () => {
    const start = await journalEnd();
    const clients = Array.from({ length: 50 }, () => follower(server.url, {}));
    await Promise.all(clients.map((c) => c.until(() => isOpen(c), 20_000, 'the stream to open')));

    const victim = clients[7]!;
    const run = runBosun(['run', 'start', 'relay.yaml', '--json'], { cwd });
    await victim.until(() => victim.events.length >= 3, 20_000, 'three events');
    const seenWhenKilled = victim.events.length;
    victim.sockets.at(-1)!.terminate();

    const result = await run;
    expect(result.status, result.stderr).toBe(0);
    const runId = (JSON.parse(result.stdout) as { run: { id: string; status: string } }).run.id;
    const expected = await journalAfter(start);
    expect(expected.at(-1)!.kind).toBe('run-end');
    // The kill happened mid-run: the victim had seen only part of it.
    expect(seenWhenKilled).toBeLessThan(expected.length);

    for (const client of clients) {
      await client.until(() => client.events.length >= expected.length, 20_000, 'the whole run');
      expect(seqs(client.events)).toEqual(seqs(expected));
      expect(client.events).toEqual(expected);
    }
    expect(victim.sockets).toHaveLength(2);
    const states = victim.states.map((s) => s.state);
    expect(states.indexOf('retrying')).toBeGreaterThan(states.indexOf('open'));
    expect(states.at(-1)).toBe('open');

    // The same events as run.events reads from the store.
    const fromStore = (await server.runtime.runner.run(
      findOperation('run.events')!,
      { run: runId },
      'test',
    )) as { events: JournalEvent[] };
    expect(seqs(victim.events.filter((e) => e.runId === runId))).toEqual(seqs(fromStore.events));
  });

  it('filters by run, by project (its runs and the events that name it) and by kind', async () => {
    await bosunJson(['project', 'create', 'HOME', 'Home'], { cwd });
    await bosunJson(['project', 'create', 'OTHER', 'Other'], { cwd });
    await bosunJson(['task', 'add', 'HOME', 'Back up the NAS'], { cwd });
    await bosunJson(['task', 'add', 'OTHER', 'Water the plants'], { cwd });
    const start = await journalEnd();
    const home = follower(server.url, { project: 'HOME', after: start });
    const ends = follower(server.url, { kinds: ['run-end', 'step-end'], after: start });
    const all = follower(server.url, { after: start });

    const homeRun = await bosunJson<{ run: { id: string } }>(
      ['run', 'start', '--task', 'HOME-1', '--runner', 'mock'],
      { cwd },
    );
    await bosunJson(['run', 'start', '--task', 'OTHER-1', '--runner', 'mock'], { cwd });
    await append(1, 'budget-alert', () => ({ project: 'HOME', line: 'HOME-B1' }));
    await append(1, 'budget-alert', () => ({ project: 'OTHER', line: 'OTHER-B1' }));

    const expected = await journalAfter(start);
    await all.until(() => all.events.length >= expected.length, 20_000, 'every event');
    expect(all.events).toEqual(expected);

    const homeRunId = homeRun.run.id;
    const wantHome = expected.filter((e) =>
      e.runId === null ? e.data['project'] === 'HOME' : e.runId === homeRunId,
    );
    expect(wantHome.some((e) => e.kind === 'budget-alert')).toBe(true);
    expect(wantHome.some((e) => e.kind === 'run-end')).toBe(true);
    await home.until(() => home.events.at(-1)?.seq === wantHome.at(-1)!.seq, 20_000, 'HOME');
    expect(home.events).toEqual(wantHome);

    const wantEnds = expected.filter((e) => e.kind === 'run-end' || e.kind === 'step-end');
    await ends.until(() => ends.events.at(-1)?.seq === wantEnds.at(-1)!.seq, 20_000, 'ends');
    expect(ends.events).toEqual(wantEnds);

    // A run filter from the start of the journal: a replay out of the store, then live.
    const oneRun = follower(server.url, { run: homeRunId, after: 0 });
    const wantRun = (await journalAfter(0)).filter((e) => e.runId === homeRunId);
    await oneRun.until(() => oneRun.events.length >= wantRun.length, 20_000, 'the run');
    expect(oneRun.events).toEqual(wantRun);
  });

  it('sends heartbeats carrying the seq every matching event up to which has been sent', async () => {
    const end = await journalEnd();
    const quiet = follower(server.url, { kinds: ['nothing-ever'] });
    await quiet.until(() => quiet.heartbeats.length >= 3, 5_000, 'three heartbeats');
    expect(quiet.heartbeats.every((seq) => seq >= end)).toBe(true);
    await append(1, 'something-else', () => ({}));
    const after = await journalEnd();
    await quiet.until(() => quiet.heartbeats.at(-1)! >= after, 5_000, 'a heartbeat past it');
    expect(quiet.events).toEqual([]);
    expect(quiet.stream.lastSeq).toBeGreaterThanOrEqual(after);
  });

  it('drops a client that stops reading, which then resumes after its last seq without loss', async () => {
    const start = await journalEnd();
    const fast = follower(server.url, { after: start });
    let connections = 0;
    const slow = follower(
      server.url,
      { after: start },
      {
        onSocket(socket) {
          // The first connection stops reading at once, as a stalled browser tab would.
          if (connections++ === 0) socket.on('open', () => socket.pause());
        },
      },
    );
    await fast.until(() => isOpen(fast), 5_000, 'the fast stream');
    const droppedBefore = server.stats().dropped;
    const pad = 'x'.repeat(4_000);
    await append(4_000, 'bulk', (i) => ({ i, pad }));
    const expected = await journalAfter(start);
    expect(expected).toHaveLength(4_000);
    await fast.until(() => fast.events.length >= 4_000, 30_000, 'the fast client');
    // Past the grace period the stalled socket, still over the limit, is dropped; the client
    // then reads what was queued before the close, and reconnects.
    await untilDropped(droppedBefore);
    slow.sockets[0]!.resume();
    await slow.until(() => slow.events.length >= 4_000, 30_000, 'the slow client');
    expect(seqs(slow.events)).toEqual(seqs(expected));
    const drop = slow.states.find((s) => s.state === 'retrying' && s.detail.reason);
    expect(drop?.detail.reason).toMatch(/^slow consumer; resume with after=\d+$/);
    expect(slow.sockets.length).toBeGreaterThanOrEqual(2);
    expect(seqs(fast.events)).toEqual(seqs(expected));
  });

  it('refuses a missing or wrong token with 401, and takes it from ?token=', async () => {
    expect((await rawSocket('')).status).toBe(401);
    expect((await rawSocket('?token=wrong')).status).toBe(401);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = new WebSocket(wsUrl(`?token=${TEST_TOKEN}`));
      socket.on('error', () => resolve(false));
      socket.on('message', () => {
        socket.close();
        resolve(true);
      });
    });
    expect(ok).toBe(true);
  });

  it('refuses a bad query with an error message and a close code; the client gives up', async () => {
    const bad = await rawSocket(`?token=${TEST_TOKEN}&after=soon`);
    expect(bad.close?.code).toBe(4400);
    expect(bad.messages[0]).toMatchObject({
      type: 'error',
      error: { code: 'invalid_input', details: { field: 'after' } },
    });
    const unknown = follower(server.url, { project: 'NOPE' });
    await unknown.until(() => unknown.errors.length > 0, 5_000, 'the refusal');
    expect(unknown.errors[0]).toMatchObject({ code: 'not_found' });
    expect(unknown.errors[0]!.message).toMatch(/project/);
    expect(unknown.states.at(-1)?.state).toBe('closed');
    expect(unknown.sockets).toHaveLength(1);
  });

  it('answers a GET without Upgrade with 426 pointing at the SSE route', async () => {
    const response = await fetch(`${server.url}/api/events`, {
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
    });
    expect(response.status).toBe(426);
    expect(await response.json()).toMatchObject({
      error: { code: 'invalid_input', message: expect.stringMatching(/\/api\/events\/sse/) },
    });
  });
});

interface SseRecord {
  readonly id?: string;
  readonly event?: string;
  readonly data?: string;
  readonly comment?: string;
}

/** Reads SSE records from a response until `done` says enough, then cancels the stream. */
async function readSse(response: Response, done: (records: SseRecord[]) => boolean) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const records: SseRecord[] = [];
  let buffer = '';
  while (!done(records)) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    buffer += value;
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const record: Record<string, string> = {};
      for (const line of buffer.slice(0, cut).split('\n')) {
        if (line.startsWith(':')) record['comment'] = line.slice(1).trim();
        else {
          const at = line.indexOf(': ');
          record[line.slice(0, at)] = line.slice(at + 2);
        }
      }
      records.push(record);
      buffer = buffer.slice(cut + 2);
    }
  }
  await reader.cancel();
  return records;
}

describe('GET /api/events/sse', () => {
  const auth = { authorization: `Bearer ${TEST_TOKEN}` };

  it('streams id/event/data records with heartbeats, and resumes from Last-Event-ID', async () => {
    const start = await journalEnd();
    await append(5, 'sse-test', (i) => ({ i }));
    const first = await fetch(`${server.url}/api/events/sse?after=${start}&kinds=sse-test`, {
      headers: auth,
    });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const records = await readSse(
      first,
      (r) => r.filter((x) => x.id).length >= 5 && r.some((x) => x.comment?.startsWith('heartbeat')),
    );
    const events = records.filter((r) => r.id !== undefined);
    expect(events.map((r) => Number(r.id))).toEqual([1, 2, 3, 4, 5].map((n) => start + n));
    expect(events.every((r) => r.event === 'sse-test')).toBe(true);
    expect((JSON.parse(events[2]!.data!) as JournalEvent).data).toEqual({ i: 2 });

    // Last-Event-ID wins over ?after=.
    const resumed = await fetch(`${server.url}/api/events/sse?after=0&kinds=sse-test`, {
      headers: { ...auth, 'last-event-id': String(start + 3) },
    });
    const rest = (await readSse(resumed, (r) => r.filter((x) => x.id).length >= 2)).filter(
      (r) => r.id !== undefined,
    );
    expect(rest.map((r) => Number(r.id))).toEqual([start + 4, start + 5]);
  });

  it('cuts off a client that stops reading; it resumes from Last-Event-ID without loss', async () => {
    const start = await journalEnd();
    // Node's http client, paused: unlike fetch it stops reading the socket, so TCP backs up.
    const stalled = await new Promise<IncomingMessage>((resolve, reject) =>
      httpGet(
        `${server.url}/api/events/sse?after=${start}&kinds=sse-bulk`,
        { headers: auth },
        resolve,
      ).on('error', reject),
    );
    expect(stalled.statusCode).toBe(200);
    stalled.pause();
    const droppedBefore = server.stats().dropped;
    const pad = 'y'.repeat(4_000);
    await append(4_000, 'sse-bulk', (i) => ({ i, pad }));
    const expected = seqs(await journalAfter(start));
    // The server fills the socket, pauses the stream and, past the grace, cuts it off: wait for
    // that (however long a busy machine takes), then read what arrived before the cut.
    await untilDropped(droppedBefore);
    let text = '';
    await new Promise<void>((resolve) => {
      stalled.on('data', (chunk: Buffer) => (text += chunk.toString()));
      stalled.on('close', () => resolve());
      stalled.on('error', () => resolve());
      stalled.resume();
    });
    // Only complete records count (the last one may have been cut), as EventSource does.
    const complete = text.slice(0, text.lastIndexOf('\n\n') + 2);
    const ids = [...complete.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
    expect(ids.length).toBeLessThan(4_000);
    expect(ids).toEqual(ids.map((_, i) => start + 1 + i));
    const resumed = await fetch(`${server.url}/api/events/sse?kinds=sse-bulk`, {
      headers: { ...auth, 'last-event-id': String(ids.at(-1) ?? start) },
    });
    const rest = (await readSse(resumed, (r) => r.filter((x) => x.id).length >= 4_000 - ids.length))
      .filter((r) => r.id !== undefined)
      .map((r) => Number(r.id));
    expect([...ids, ...rest]).toEqual(expected);
  });

  it('takes the token from ?token= and refuses a missing or wrong one with 401', async () => {
    expect((await fetch(`${server.url}/api/events/sse`)).status).toBe(401);
    const wrong = await fetch(`${server.url}/api/events/sse?token=wrong`);
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { code: 'unauthorized' } });
    const right = await fetch(`${server.url}/api/events/sse?token=${TEST_TOKEN}`);
    expect(right.status).toBe(200);
    await right.body!.cancel();
  });

  it('refuses a bad query with 400 naming the field, and an unknown run with 404', async () => {
    const bad = await fetch(`${server.url}/api/events/sse?after=-1`, { headers: auth });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: { code: 'invalid_input', details: { field: 'after' } },
    });
    const missing = await fetch(`${server.url}/api/events/sse?run=01ZZZZZZZZZZZZZZZZZZZZZZZZ`, {
      headers: auth,
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      error: { code: 'not_found', details: { field: 'run' } },
    });
  });
});

describe('bosun serve (the built bin)', () => {
  it('serves the event stream: a client follows a run started from another process', async () => {
    const dir = await initWorkspace('bosun-events-serve-');
    writeFileSync(join(dir, 'relay.yaml'), RELAY);
    const serving = startBosun(['serve', '--port', '0', '--json', '--no-worker'], { cwd: dir });
    try {
      const [line] = await serving.waitForOutput(/\{.*"url".*\}/, 15_000);
      const { url } = JSON.parse(line) as { url: string };
      const token = readFileSync(join(dir, '.bosun', 'token'), 'utf8').trim();
      const watcher = follower(url, { kinds: ['run-end'] }, { token });
      await watcher.until(() => isOpen(watcher), 10_000, 'the stream to open');
      const run = await runBosun(['run', 'start', 'relay.yaml', '--json'], { cwd: dir });
      expect(run.status, run.stderr).toBe(0);
      const runId = (JSON.parse(run.stdout) as { run: { id: string } }).run.id;
      await watcher.until(() => watcher.events.length > 0, 10_000, 'the run-end event');
      expect(watcher.events).toMatchObject([{ kind: 'run-end', runId }]);
    } finally {
      serving.kill('SIGTERM');
      await serving.exited;
    }
  });

  it('sends heartbeats as often as --heartbeat says, and refuses one out of range', async () => {
    const dir = await initWorkspace('bosun-events-heartbeat-');
    const serving = startBosun(
      ['serve', '--port', '0', '--json', '--no-worker', '--heartbeat', '200ms'],
      { cwd: dir },
    );
    try {
      const [line] = await serving.waitForOutput(/\{.*"url".*\}/, 15_000);
      const { url } = JSON.parse(line) as { url: string };
      const token = readFileSync(join(dir, '.bosun', 'token'), 'utf8').trim();
      const socket = new WebSocket(`${url.replace('http:', 'ws:')}/api/events?token=${token}`);
      const beats: number[] = [];
      socket.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString()) as { type: string; everyMs?: number };
        if (message.type !== 'heartbeat') return;
        // Each says how often they come, so clients size their silence limit to it.
        expect(message.everyMs).toBe(200);
        beats.push(Date.now());
      });
      // The greeting, then one every 200 ms (15 s by default: none more within the second).
      await expect
        .poll(() => beats.length, { timeout: 1_000, interval: 50 })
        .toBeGreaterThanOrEqual(3);
      socket.close();
    } finally {
      serving.kill('SIGTERM');
      await serving.exited;
    }
    for (const value of ['50ms', '11m']) {
      const refused = await runBosun(['serve', '--port', '0', '--heartbeat', value], { cwd: dir });
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain(`--heartbeat: must be from 100ms to 10m, not '${value}'`);
    }
    const help = await runBosun(['serve', '--help'], { cwd: dir });
    expect(help.stdout).toContain('--heartbeat DURATION');
  });
});
