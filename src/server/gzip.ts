/**
 * Gzip for the large bodies that never change while the server runs: the dashboard's files and
 * the OpenAPI document (785 KB of JSON, 32 KB gzipped). Each is compressed once, on first
 * request, and kept; API answers and the event streams are never compressed (they are small, or
 * must flow as written).
 */

import { gzipSync } from 'node:zlib';

const compressed = new Map<string, Buffer<ArrayBuffer>>();

/** Below this, compressing costs more than it saves. */
const MIN_BYTES = 1024;

/** Whether the request's Accept-Encoding admits gzip (a `q=0` refuses it). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (name !== 'gzip' && name !== '*') return false;
    return !params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p));
  });
}

/**
 * The body to send, gzipped when the client accepts it and it is worth it, with the headers that
 * say so. `key` names this exact content (a path with its modification time, say); `load` gives
 * it, and is not called when its gzipped form is already kept.
 */
export function maybeGzip(
  acceptEncoding: string | undefined,
  key: string,
  load: () => Buffer<ArrayBuffer>,
): { body: Buffer<ArrayBuffer>; headers: Record<string, string> } {
  const vary = { vary: 'accept-encoding' };
  const gzip = acceptsGzip(acceptEncoding);
  const kept = gzip ? compressed.get(key) : undefined;
  if (kept) return { body: kept, headers: { ...vary, 'content-encoding': 'gzip' } };
  const body = load();
  if (body.length < MIN_BYTES) return { body, headers: {} };
  if (!gzip) return { body, headers: vary };
  const zipped = gzipSync(body);
  compressed.set(key, zipped);
  return { body: zipped, headers: { ...vary, 'content-encoding': 'gzip' } };
}
