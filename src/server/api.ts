/**
 * The HTTP API, derived from the operation catalog: `POST /api/<operation>` with the operation's
 * JSON input (an empty body is `{}`) answers its output, validated and run by the runtime's
 * operation runner exactly as MCP and the CLI run it; a read operation also answers
 * `GET /api/<operation>?field=value`. The readable REST routes (`GET /api/projects/:key/tasks`,
 * `POST /api/runs/:id/pause`, …) only name an operation and where its input comes from — path,
 * query, body — and have no logic of their own. docs/server.md lists them.
 *
 * The actor of a write is the `X-Bosun-Actor` header, else the server's --as, else `web`.
 */

import type { Context } from 'hono';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { Runtime } from '../app/runtime.js';
import type { AnyOperation } from '../operations/catalog.js';
import { findOperation } from '../operations/catalog.js';
import { actorName } from '../operations/common-schemas.js';
import { BosunError } from '../shared/errors.js';
import { parseJson, tryParseJson } from '../shared/json.js';
import { errorBody, errorResponse } from './http-errors.js';
import { requestHeader, requestText } from './node-request.js';
import { maybeGzip } from './gzip.js';
import { openApiBytes } from './openapi.js';
import type { Input } from './rest-routes.js';
import { REST_ROUTES } from './rest-routes.js';

/** A request body larger than this is refused with 413 (a workspace import fits many times). */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export const ACTOR_HEADER = 'X-Bosun-Actor';

export interface ApiOptions {
  /** The actor of writes that name none (`bosun serve --as`); absent: `web`. */
  readonly as?: string | undefined;
  readonly maxBodyBytes?: number | undefined;
}

/**
 * Query parameters as an operation's input: a value stays a string when the field takes it, else
 * it is read as JSON (`limit=5`, `claim=true`), else split at commas (`kinds=a,b`); a repeated
 * parameter is a list. Whatever still does not fit is passed on for validation to name.
 */
export function queryInput(operation: AnyOperation, query: Record<string, string[]>): Input {
  const shape: Record<string, z.ZodType> =
    operation.input instanceof z.ZodObject ? operation.input.shape : {};
  const fits = (field: z.ZodType | undefined, value: unknown) =>
    field !== undefined && field.safeParse(value).success;
  const coerce = (field: z.ZodType | undefined, raw: string): unknown => {
    if (field === undefined || fits(field, raw)) return raw;
    const json = tryParseJson(raw);
    if (json !== undefined && fits(field, json)) return json;
    if (fits(field, raw.split(','))) return raw.split(',');
    return json ?? raw;
  };
  return Object.fromEntries(
    Object.entries(query).map(([key, values]) => {
      const field = shape[key];
      if (values.length > 1 && fits(field, values)) return [key, values];
      return [key, coerce(field, values[values.length - 1]!)];
    }),
  );
}

/** A 413 with the error body, past `max` bytes. */
const tooLarge = (c: Context, max: number) => () =>
  new HTTPException(413, {
    res: c.json(
      errorBody('invalid_input', `body: larger than ${max} bytes`, {
        field: 'body',
        rule: 'too large',
      }),
      413,
    ),
  });

async function bodyInput(c: Context, max: number): Promise<Input> {
  const text = await requestText(c, max, tooLarge(c, max));
  if (text.trim() === '') return {};
  const body = parseJson(text, 'body');
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BosunError('invalid_input', 'body: must be a JSON object (the operation’s input)', {
      details: { field: 'body', rule: 'a JSON object' },
    });
  }
  return body as Input;
}

function operationNamed(name: string): AnyOperation {
  const operation = findOperation(name);
  if (!operation) {
    throw new BosunError(
      'not_found',
      `operation: no operation '${name}'; GET /api/openapi.json lists them`,
      { details: { field: 'operation', kind: 'operation', key: name } },
    );
  }
  return operation;
}

export function createApi(runtime: Runtime, options: ApiOptions = {}): Hono {
  const api = new Hono();
  const fallbackActor = options.as ?? 'web';

  const actorOf = (c: Context): string => {
    const header = requestHeader(c, ACTOR_HEADER);
    if (header === undefined) return fallbackActor;
    const parsed = actorName.safeParse(header);
    if (!parsed.success) {
      const rule = parsed.error.issues[0]?.message ?? 'invalid';
      throw new BosunError('invalid_input', `${ACTOR_HEADER}: ${rule}`, {
        details: { field: ACTOR_HEADER, rule },
      });
    }
    return parsed.data;
  };

  const run = async (c: Context, operation: AnyOperation, input: Input) =>
    c.json((await runtime.runner.run(operation, input, actorOf(c))) ?? null);

  const maxBody = options.maxBodyBytes ?? MAX_BODY_BYTES;
  api.onError((error, c) => errorResponse(c, error));

  api.get('/openapi.json', (c) => {
    const sent = maybeGzip(c.req.header('accept-encoding'), 'openapi.json', openApiBytes);
    return c.body(sent.body, 200, {
      ...sent.headers,
      'content-type': 'application/json; charset=utf-8',
    });
  });

  for (const route of REST_ROUTES) {
    api.on(route.method.toUpperCase(), route.path.slice('/api'.length), async (c) => {
      const fromPath = Object.fromEntries(
        Object.entries(route.params ?? {}).map(([param, field]) => [field, c.req.param(param)]),
      );
      const name = (input: Input) =>
        typeof route.operation === 'string' ? route.operation : route.operation(input);
      if (route.method === 'get') {
        const operation = operationNamed(name(fromPath));
        return run(c, operation, { ...queryInput(operation, c.req.queries()), ...fromPath });
      }
      const input = { ...(await bodyInput(c, maxBody)), ...fromPath };
      return run(c, operationNamed(name(input)), input);
    });
  }

  // Every operation name has a dot, so these never shadow a route of a plain name (/api/events).
  const byName = '/:operation{[a-z]+(?:\\.[a-z]+)+}';
  api.post(byName, async (c) =>
    run(c, operationNamed(c.req.param('operation')), await bodyInput(c, maxBody)),
  );
  api.get(byName, async (c) => {
    const operation = operationNamed(c.req.param('operation'));
    if (operation.effects !== 'read') {
      throw new BosunError(
        'invalid_input',
        `method: ${operation.name} changes the workspace; call it with POST`,
        { details: { field: 'method', rule: 'POST for operations that write' } },
      );
    }
    return run(c, operation, queryInput(operation, c.req.queries()));
  });
  return api;
}
