/**
 * What stands in front of every route but /healthz: the Origin and Host checks against DNS
 * rebinding (a web page the person opens must not reach the server through a name that resolves
 * to 127.0.0.1), then the bearer token. Refusals are JSON: 403 for a foreign origin or host, 401
 * (with `WWW-Authenticate: Bearer`) for a missing or wrong token.
 */

import type { Context, MiddlewareHandler } from 'hono';
import { bearerMatches } from '../app/access-token.js';
import { EVENT_PATHS } from './events.js';
import { requestHeader } from './node-request.js';

export interface GuardOptions {
  /** The token every request must carry; null only with --no-auth on a loopback address. */
  readonly token: string | null;
  /** Origins a browser may call from, exactly (`http://127.0.0.1:7433`). */
  readonly allowedOrigins: ReadonlySet<string>;
  /** Host header values accepted (`127.0.0.1:7433`, `localhost:7433`); null accepts any. */
  readonly allowedHosts: ReadonlySet<string> | null;
}

/** Names a loopback listener answers to, as Host header values and origins. */
export function loopbackNames(port: number): { hosts: string[]; origins: string[] } {
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  return { hosts, origins: hosts.map((host) => `http://${host}`) };
}

export const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);

const refusal = (code: string, message: string) => ({ error: { code, message } });

/**
 * The Authorization header; on the event stream, whose browser clients (WebSocket, EventSource)
 * cannot set headers, also `?token=`.
 */
function presentedToken(c: Context): string | undefined {
  const header = requestHeader(c, 'authorization');
  if (header !== undefined || !EVENT_PATHS.has(c.req.path)) return header;
  const token = c.req.query('token');
  return token === undefined ? undefined : `Bearer ${token}`;
}

export function guard(options: GuardOptions): MiddlewareHandler {
  return async (c, next) => {
    const origin = requestHeader(c, 'origin');
    if (origin !== undefined && !options.allowedOrigins.has(origin)) {
      return c.json(
        refusal(
          'forbidden',
          `origin: ${origin} may not call this server; start it with --allow-origin ${origin} to allow it`,
        ),
        403,
      );
    }
    const host = requestHeader(c, 'host')?.toLowerCase();
    if (options.allowedHosts !== null && (host === undefined || !options.allowedHosts.has(host))) {
      return c.json(
        refusal('forbidden', `host: '${host ?? ''}' is not a name this server answers to`),
        403,
      );
    }
    if (options.token !== null && !bearerMatches(presentedToken(c), options.token)) {
      c.header('WWW-Authenticate', 'Bearer realm="bosun"');
      return c.json(
        refusal(
          'unauthorized',
          `authorization: send "Authorization: Bearer <token>"${EVENT_PATHS.has(c.req.path) ? ' or ?token=<token>' : ''}; the token is in .bosun/token (or BOSUN_TOKEN)`,
        ),
        401,
      );
    }
    await next();
  };
}
