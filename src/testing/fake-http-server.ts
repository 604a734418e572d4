/**
 * What the fake model servers share: a real HTTP server on 127.0.0.1, a queue of scripted replies
 * answered in order, a log of every request that tests can wait on, and the small pieces of HTTP,
 * JSON and SSE each wire format is written with.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedServer<Reply, Request> {
  /** The base URL to configure, ending in `/v1` (e.g. `http://127.0.0.1:41234/v1`). */
  readonly url: string;
  /** Every request received, in arrival order (refused ones included). */
  readonly requests: readonly Request[];
  /** Queues replies, answered in order, one per request that asks for one. */
  enqueue(...replies: Reply[]): void;
  /** How many queued replies are still unused. */
  readonly pending: number;
  /** Resolves once `count` requests have arrived (at once if they already have). */
  waitForRequests(count: number): Promise<void>;
  /** Stops listening and cuts every open connection, stalled ones included. */
  close(): Promise<void>;
}

/** What a server's handler uses of the script: log the request, take the next reply. */
export interface Script<Reply, Request> {
  record(request: Request): void;
  next(): Reply | undefined;
}

export async function startScriptedServer<Reply, Request>(
  handle: (
    incoming: IncomingMessage,
    response: ServerResponse,
    script: Script<Reply, Request>,
  ) => Promise<void>,
): Promise<ScriptedServer<Reply, Request>> {
  const queue: Reply[] = [];
  const requests: Request[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const script: Script<Reply, Request> = {
    record(request) {
      requests.push(request);
      for (const waiter of waiters.splice(0)) {
        if (requests.length >= waiter.count) waiter.resolve();
        else waiters.push(waiter);
      }
    },
    next: () => queue.shift(),
  };
  const server = createServer((incoming, response) => {
    handle(incoming, response, script).catch((error: unknown) => {
      response.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    enqueue: (...replies) => {
      queue.push(...replies);
    },
    get pending() {
      return queue.length;
    },
    waitForRequests: (count) =>
      requests.length >= count
        ? Promise.resolve()
        : new Promise((resolve) => waiters.push({ count, resolve })),
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

export function sendJson(response: ServerResponse, status: number, document: unknown): void {
  const text = JSON.stringify(document);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

export function writeSseHead(response: ServerResponse): void {
  response.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
}

/** A text as streamed deltas: a list as given; one string a word (and its spacing) at a time. */
export function deltasOf(text: string | readonly string[]): readonly string[] {
  if (typeof text !== 'string') return text;
  return text.match(/\s*\S+\s*/g) ?? (text === '' ? [] : [text]);
}

/** Streamed JSON (a tool call's arguments) in up to three pieces, the way servers send it. */
export function splitInThree(text: string): string[] {
  if (text.length < 3) return [text];
  const third = Math.ceil(text.length / 3);
  return [text.slice(0, third), text.slice(third, 2 * third), text.slice(2 * third)];
}

export function readBody(incoming: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (data: Buffer) => chunks.push(data));
    incoming.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    incoming.on('error', reject);
  });
}

export function isObject(value: unknown): value is { [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
