/**
 * One-time login links for `bosun serve --open`: a random code, held in memory only, that the
 * dashboard exchanges once at `POST /api/login` for the bearer token. A code works once and for
 * ten minutes; a wrong, used or expired one is refused alike (401), so it tells a guesser nothing.
 */

import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Hono, MiddlewareHandler } from 'hono';

export const LOGIN_CODE_TTL_MS = 10 * 60_000;

export interface LoginCodes {
  /** A new code, valid once for `LOGIN_CODE_TTL_MS`. */
  issue(): string;
  /** True once for a code that was issued and has neither been used nor expired. */
  redeem(code: string): boolean;
}

export function createLoginCodes(now: () => number = Date.now): LoginCodes {
  const codes = new Map<string, number>();
  return {
    issue() {
      const code = randomBytes(24).toString('base64url');
      codes.set(code, now() + LOGIN_CODE_TTL_MS);
      return code;
    },
    redeem(code) {
      let found: string | undefined;
      for (const [known, expires] of codes) {
        if (expires <= now()) codes.delete(known);
        else if (found === undefined && sameText(known, code)) found = known;
      }
      if (found === undefined) return false;
      codes.delete(found);
      return true;
    },
  };
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The link `--open` prints: the code rides in the fragment, so no server or proxy logs it. */
export const loginLink = (url: string, code: string): string => `${url}/#login=${code}`;

/**
 * `POST /api/login` with `{ "code": "…" }` → `{ "token": "…" }`. Registered ahead of the token
 * guard (the code stands in for the token); `check` is the origin and host part of the guard.
 */
export function mountLogin(
  app: Hono,
  options: {
    readonly codes: LoginCodes;
    readonly token: string | null;
    readonly check: MiddlewareHandler;
  },
): void {
  app.post('/api/login', options.check, async (c) => {
    const body: unknown = await c.req.json().catch(() => null);
    const code = (body as { code?: unknown } | null)?.code;
    if (typeof code !== 'string' || code === '') {
      return c.json(
        {
          error: {
            code: 'invalid_input',
            message: 'code: must be the one-time code of the login link',
            details: { field: 'code' },
          },
        },
        400,
      );
    }
    if (!options.codes.redeem(code)) {
      return c.json(
        {
          error: {
            code: 'unauthorized',
            message:
              'code: this login link is unknown, used or expired (links work once, for 10 minutes); run `bosun serve --open` again or paste the token',
            details: { field: 'code' },
          },
        },
        401,
      );
    }
    return c.json({ token: options.token });
  });
}
