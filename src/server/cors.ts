/**
 * CORS, closed unless `bosun serve --allow-origin URL` opens it: a request from one of those
 * origins gets `Access-Control-Allow-Origin` with its own origin, and a preflight (OPTIONS with
 * `Access-Control-Request-Method`) from it is answered here, before the guard, since a browser
 * sends no token on a preflight. A preflight from any other origin is refused with 403. The
 * server's own pages are same-origin and need none of this.
 */

import type { MiddlewareHandler } from 'hono';
import { errorBody } from './http-errors.js';
import { requestHeader } from './node-request.js';

const ALLOWED_HEADERS = 'Authorization, Content-Type, X-Bosun-Actor, Last-Event-ID';
const ALLOWED_METHODS = 'GET, POST, PATCH, DELETE, OPTIONS';

export function cors(origins: ReadonlySet<string>): MiddlewareHandler {
  return async (c, next) => {
    const origin = requestHeader(c, 'origin');
    const allowed = origin !== undefined && origins.has(origin);
    if (c.req.method === 'OPTIONS' && requestHeader(c, 'access-control-request-method')) {
      if (!allowed) {
        return c.json(
          errorBody(
            'forbidden',
            `origin: ${origin ?? '(none)'} may not call this server; start it with --allow-origin to allow it`,
            { field: 'origin', rule: 'an allowed origin' },
          ),
          403,
        );
      }
      return c.body(null, 204, {
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Methods': ALLOWED_METHODS,
        'Access-Control-Allow-Headers': ALLOWED_HEADERS,
        'Access-Control-Max-Age': '600',
        Vary: 'Origin',
      });
    }
    await next();
    if (allowed) {
      c.res.headers.set('Access-Control-Allow-Origin', origin);
      c.res.headers.append('Vary', 'Origin');
    }
  };
}
