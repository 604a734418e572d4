/**
 * The typed client (`src/client/`) against the server app listening in this process over a real
 * SQLite workspace: operations over HTTP with the token and the actor header, refusals as
 * ClientErrors carrying the server's code, status and field, and the event stream's reconnection
 * schedule when nothing answers. The stream's delivery guarantees are in server-events.test.ts.
 */

import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamState, StreamStateDetail, WebSocketConstructor } from '../src/client/index.js';
import { ClientError, createClient } from '../src/client/index.js';
import type { EventServer } from './helpers/event-server.js';
import { TEST_TOKEN, startEventServer } from './helpers/event-server.js';
import { initWorkspace } from './helpers/cli.js';
import { WebSocket, WebSocketServer } from 'ws';

let server: EventServer;
const sent: { url: string; headers: Record<string, string> }[] = [];

/** fetch, recording what the client sent. */
const recordingFetch = (url: string, init: RequestInit) => {
  sent.push({ url, headers: init.headers as Record<string, string> });
  return fetch(url, init);
};

beforeAll(async () => {
  server = await startEventServer(await initWorkspace('bosun-client-'));
});

afterAll(async () => {
  await server?.stop();
});

/** A port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('client.call', () => {
  it('runs operations over HTTP with the bearer token and the actor header', async () => {
    const client = createClient({
      baseUrl: `${server.url}/`,
      token: TEST_TOKEN,
      actor: 'alice',
      fetch: recordingFetch,
    });
    const project = await client.call('project.create', { key: 'HOME', name: 'Home' });
    expect(project.key).toBe('HOME');
    const task = await client.call('task.create', { project: 'HOME', title: 'Back up the NAS' });
    expect(task.ref).toBe('HOME-1');
    const health = await client.call('system.health');
    expect(health).toBeTypeOf('object');
    expect(sent.at(-2)).toMatchObject({
      url: `${server.url}/api/task.create`,
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'x-bosun-actor': 'alice' },
    });
  });

  it('throws a ClientError with the code, status and field of a refusal', async () => {
    const client = createClient({ baseUrl: server.url, token: TEST_TOKEN });
    const refused = await client
      // @ts-expect-error the title is required, and the types say so
      .call('task.create', { project: 'HOME' })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ClientError);
    expect(refused).toMatchObject({ code: 'invalid_input', status: 400 });
    expect((refused as ClientError).details['field']).toBe('title');

    const missing = await client
      .call('task.show', { task: 'HOME-99' })
      .catch((error: unknown) => error);
    expect(missing).toMatchObject({ code: 'not_found', status: 404 });
  });

  it('throws unauthorized (401) for a wrong token and unavailable (status 0) when nothing answers', async () => {
    const wrong = createClient({ baseUrl: server.url, token: 'wrong' });
    await expect(wrong.call('project.list', {})).rejects.toMatchObject({
      code: 'unauthorized',
      status: 401,
    });
    const down = createClient({ baseUrl: `http://127.0.0.1:${await deadPort()}`, token: 'x' });
    const error = (await down.call('project.list', {}).catch((e: unknown) => e)) as ClientError;
    expect(error).toMatchObject({ code: 'unavailable', status: 0, retryable: true });
  });

  it('fetches the OpenAPI document with the token, refused without the right one', async () => {
    const doc = await createClient({ baseUrl: server.url, token: TEST_TOKEN }).openapi();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.schemas['risk_add.input']).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['project', 'title']),
    });
    await expect(
      createClient({ baseUrl: server.url, token: 'wrong' }).openapi(),
    ).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
  });
});

describe('client.events', () => {
  it('retries with exponential backoff, jittered and capped, until closed', async () => {
    const states: { state: StreamState; detail: StreamStateDetail }[] = [];
    const client = createClient({
      baseUrl: `http://127.0.0.1:${await deadPort()}`,
      token: 'x',
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      backoff: { initialMs: 10, maxMs: 40, random: () => 0.5 },
    });
    const stream = client.events(
      {},
      { onEvent: () => undefined, onState: (state, detail) => states.push({ state, detail }) },
    );
    await expect
      .poll(() => states.filter((s) => s.detail.delayMs !== undefined).length, { timeout: 5_000 })
      .toBeGreaterThanOrEqual(5);
    stream.close();
    expect(states[0]!.state).toBe('connecting');
    const delays = states.flatMap((s) =>
      s.detail.delayMs === undefined ? [] : [s.detail.delayMs],
    );
    // 0.75 of 10, 20, 40, then capped at 40.
    expect(delays.slice(0, 5)).toEqual([8, 15, 30, 30, 30]);
    expect(states.at(-1)!.state).toBe('closed');
    expect(stream.lastSeq).toBeUndefined();
  });

  it('replaces a connection that goes silent, resuming after the last seq it saw', async () => {
    // A server that greets with a heartbeat, then says nothing more.
    const urls: string[] = [];
    const silent = await new Promise<WebSocketServer>((resolve) => {
      const wss: WebSocketServer = new WebSocketServer({ host: '127.0.0.1', port: 0 }, () =>
        resolve(wss),
      );
    });
    silent.on('connection', (socket, request) => {
      urls.push(request.url ?? '');
      socket.send(JSON.stringify({ type: 'heartbeat', seq: 41 + urls.length }));
    });
    const states: { state: StreamState; detail: StreamStateDetail }[] = [];
    const client = createClient({
      baseUrl: `http://127.0.0.1:${silent.address().port}`,
      token: 'x',
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      backoff: { initialMs: 10, maxMs: 20 },
      staleAfterMs: 100,
    });
    const stream = client.events(
      { run: 'R1' },
      { onEvent: () => undefined, onState: (state, detail) => states.push({ state, detail }) },
    );
    await expect.poll(() => urls.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
    stream.close();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    expect(urls[0]).toBe('/api/events?run=R1&token=x');
    expect(urls[1]).toBe('/api/events?after=42&run=R1&token=x');
    expect(states.find((s) => s.state === 'retrying')?.detail.reason).toBe('no message for 100 ms');
  });

  it('takes a connection for dead after three of the heartbeats the server says it sends', async () => {
    // Heartbeats every 40 ms, says the greeting; then nothing: replaced in ~120 ms, not 45 s.
    let connections = 0;
    const quiet = await new Promise<WebSocketServer>((resolve) => {
      const wss: WebSocketServer = new WebSocketServer({ host: '127.0.0.1', port: 0 }, () =>
        resolve(wss),
      );
    });
    quiet.on('connection', (socket) => {
      connections += 1;
      socket.send(JSON.stringify({ type: 'heartbeat', seq: 7, everyMs: 40 }));
    });
    const states: { state: StreamState; detail: StreamStateDetail }[] = [];
    const stream = createClient({
      baseUrl: `http://127.0.0.1:${quiet.address().port}`,
      token: 'x',
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      backoff: { initialMs: 10, maxMs: 20 },
    }).events(
      {},
      { onEvent: () => undefined, onState: (state, detail) => states.push({ state, detail }) },
    );
    await expect.poll(() => connections, { timeout: 3_000 }).toBeGreaterThanOrEqual(2);
    stream.close();
    await new Promise<void>((resolve) => quiet.close(() => resolve()));
    expect(states.find((s) => s.state === 'retrying')?.detail.reason).toBe('no message for 120 ms');
  });

  it('stops with unauthorized when the server refuses the token, instead of retrying', async () => {
    const states: { state: StreamState; detail: StreamStateDetail }[] = [];
    const errors: ClientError[] = [];
    const client = createClient({
      baseUrl: server.url,
      token: 'wrong',
      fetch: recordingFetch,
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      backoff: { initialMs: 10, maxMs: 20 },
    });
    const before = sent.length;
    client.events(
      {},
      {
        onEvent: () => undefined,
        onState: (state, detail) => states.push({ state, detail }),
        onError: (error) => errors.push(error),
      },
    );
    await expect.poll(() => states.at(-1)?.state, { timeout: 5_000 }).toBe('closed');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ClientError);
    expect(errors[0]).toMatchObject({ code: 'unauthorized', status: 401 });
    expect(errors[0]!.message).toMatch(/authorization/);
    // It asked once, over HTTP with the same fetch and the token, and never retried.
    expect(sent.slice(before)).toEqual([
      { url: `${server.url}/api/events`, headers: { authorization: 'Bearer wrong' } },
    ]);
    expect(states.map((s) => s.state)).toEqual(['connecting', 'closed']);
  });

  it('keeps retrying a close before open when the token is fine (the server said 426, not 401)', async () => {
    // Upgrades fail (a proxy that does not pass them, say) but the token is good: back off.
    const states: StreamState[] = [];
    const errors: ClientError[] = [];
    class NoUpgrade {
      onopen: ((event: unknown) => void) | null = null;
      onmessage: ((event: { data: unknown }) => void) | null = null;
      onclose: ((event: { code: number; reason: string }) => void) | null = null;
      onerror: ((event: unknown) => void) | null = null;
      constructor() {
        setTimeout(() => this.onclose?.({ code: 1006, reason: '' }), 1);
      }
      close() {}
    }
    const client = createClient({
      baseUrl: server.url,
      token: TEST_TOKEN,
      WebSocket: NoUpgrade,
      backoff: { initialMs: 5, maxMs: 10 },
    });
    const stream = client.events(
      {},
      {
        onEvent: () => undefined,
        onState: (state) => states.push(state),
        onError: (error) => errors.push(error),
      },
    );
    await expect
      .poll(() => states.filter((s) => s === 'retrying').length, { timeout: 5_000 })
      .toBeGreaterThanOrEqual(3);
    stream.close();
    expect(errors).toEqual([]);
  });

  it('says so when the runtime has no WebSocket and none is given', () => {
    const client = createClient({ baseUrl: server.url, token: TEST_TOKEN });
    expect(() => client.events({}, { onEvent: () => undefined })).toThrow(/WebSocket/);
  });
});
