/**
 * Reading a request the cheap way when @hono/node-server serves it: straight from Node's own
 * IncomingMessage (`c.env.incoming`). Asking Hono for a header builds a web `Headers` object,
 * and reading the body builds a web `Request` and a stream over it; on a small operation such as
 * `task.next` that costs more than the operation itself (bench/api.bench.ts). Under
 * `app.request()` (tests) there is no IncomingMessage, and the web objects are used.
 */

import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

const incomingOf = (c: Context): IncomingMessage | undefined =>
  (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;

/** A request header by its (case-insensitive) name. */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = incomingOf(c);
  if (incoming === undefined) return c.req.header(name);
  const value = incoming.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The request body as text; `tooLarge` is thrown once it passes `max` bytes. */
export async function requestText(c: Context, max: number, tooLarge: () => Error): Promise<string> {
  const incoming = incomingOf(c);
  // Already read through the web Request (Hono keeps what it read): ask it again.
  if (incoming === undefined || incoming.readableEnded) {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.length > max) throw tooLarge();
    return new TextDecoder().decode(bytes);
  }
  if (Number(incoming.headers['content-length'] ?? 0) > max) throw tooLarge();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        incoming.removeAllListeners('data');
        reject(tooLarge());
      } else chunks.push(chunk);
    });
    incoming.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    incoming.once('error', reject);
  });
}
