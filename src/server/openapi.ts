/**
 * The OpenAPI 3.1 document of the HTTP API (`GET /api/openapi.json`), derived from the catalog's
 * zod schemas like the MCP tools are, never written by hand: one `POST /api/<operation>` per
 * operation, its input as the request body and its output as the 200 response (and the REST
 * routes, each over one of those operations), with
 * operationId the operation's name with `_` for `.` (`task_next`, as MCP tool names), so tool
 * servers such as Open WebUI can offer them. Built once per process, on first request.
 */

import { z } from 'zod';
import type { AnyOperation } from '../operations/catalog.js';
import { OPERATIONS, findOperation } from '../operations/catalog.js';
import { VERSION } from '../shared/version.js';
import { HTTP_STATUS } from './http-errors.js';
import type { RestRoute } from './rest-routes.js';
import { REST_ROUTES } from './rest-routes.js';

type JsonSchema = Record<string, unknown>;

export const operationId = (operation: AnyOperation): string => operation.name.replace(/\./g, '_');

/**
 * A zod schema as a component: its own `$defs` (recursive JSON values) become components of
 * their own, since `#/$defs/…` inside a component would resolve against the document's root.
 */
function component(
  schemas: Record<string, JsonSchema>,
  id: string,
  schema: z.ZodType,
  io: 'input' | 'output',
): { $ref: string } {
  const {
    $schema: _dialect,
    $defs,
    ...json
  } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
  const rename = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rename);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key,
        key === '$ref' && typeof inner === 'string' && inner.startsWith('#/$defs/')
          ? `#/components/schemas/${id}.${inner.slice('#/$defs/'.length)}`
          : rename(inner),
      ]),
    );
  };
  for (const [name, def] of Object.entries($defs ?? {})) {
    schemas[`${id}.${name}`] = rename(def) as JsonSchema;
  }
  schemas[id] = rename(json) as JsonSchema;
  return { $ref: `#/components/schemas/${id}` };
}

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'details'],
      properties: {
        code: { type: 'string', enum: Object.keys(HTTP_STATUS) },
        message: { type: 'string' },
        details: {
          type: 'object',
          description: '`field` names the field at fault, `rule` the rule it broke',
          properties: { field: { type: 'string' }, rule: { type: 'string' } },
        },
      },
    },
  },
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

function pathOf(operation: AnyOperation, schemas: Record<string, JsonSchema>) {
  const id = operationId(operation);
  const write = operation.effects !== 'read';
  return {
    post: {
      operationId: id,
      summary: operation.summary,
      tags: [operation.name.split('.')[0]!],
      ...(write
        ? {
            parameters: [
              {
                name: 'X-Bosun-Actor',
                in: 'header',
                required: false,
                description:
                  'Who is acting, for the audit log (default: the server’s --as, else web)',
                schema: { type: 'string', minLength: 1, maxLength: 100 },
              },
            ],
          }
        : {}),
      requestBody: {
        required: false,
        description: 'The operation’s input; an empty body is {}',
        content: {
          'application/json': {
            schema: component(schemas, `${id}.input`, operation.input, 'input'),
          },
        },
      },
      responses: {
        '200': {
          description: 'The operation’s output',
          content: {
            'application/json': {
              schema: component(schemas, `${id}.output`, operation.output, 'output'),
            },
          },
        },
        '400': errorResponse('invalid_input or invalid_json: details.field names the field'),
        '401': errorResponse('unauthorized: no bearer token, or a wrong one'),
        '403': errorResponse('forbidden (a foreign origin) or policy_denied'),
        '404': errorResponse('not_found'),
        '409': errorResponse('conflict, invalid_transition, cycle or budget_exceeded'),
        '413': errorResponse('the body is larger than the server accepts'),
        '500': errorResponse('internal: a fault of the server, not of the request'),
        '503': errorResponse('unavailable: try again later'),
      },
    },
  };
}

/** `/api/projects/:key/tasks` → `get_projects_by_key_tasks`. */
const restOperationId = (route: RestRoute): string =>
  `${route.method}_${route.path
    .slice('/api/'.length)
    .replace(/:(\w+)/g, 'by_$1')
    .replace(/[^a-zA-Z0-9]+/g, '_')}`;

/**
 * A REST route as an OpenAPI operation: its path parameters, then the operation's other input
 * fields as query parameters (GET) or as the JSON body, and the operation's output; a route that
 * chooses between operations offers either.
 */
function restOperation(route: RestRoute, schemas: Record<string, JsonSchema>) {
  const names = typeof route.operation === 'string' ? [route.operation] : (route.choices ?? []);
  const operations = names.map((name) => {
    const found = findOperation(name);
    if (!found) throw new Error(`REST route ${route.path} names no operation '${name}'`);
    return found;
  });
  const fromPath = new Set(Object.values(route.params ?? {}));
  const either = (io: 'input' | 'output') => {
    const refs = operations.map((operation) => ({
      $ref: `#/components/schemas/${operationId(operation)}.${io}`,
    }));
    return refs.length === 1 ? refs[0]! : { oneOf: refs };
  };
  const pathParameters = Object.entries(route.params ?? {}).map(([param, field]) => ({
    name: param,
    in: 'path',
    required: true,
    description: `The operation's \`${field}\``,
    schema: { type: 'string' },
  }));
  const input = schemas[`${operationId(operations[0]!)}.input`] as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  const queryParameters =
    route.method === 'get'
      ? Object.entries(input.properties ?? {})
          .filter(([field]) => !fromPath.has(field))
          .map(([field, schema]) => ({
            name: field,
            in: 'query',
            required: input.required?.includes(field) ?? false,
            schema,
          }))
      : [];
  return {
    operationId: restOperationId(route),
    summary: operations.map((operation) => operation.summary).join(' | '),
    description: `The operation${names.length > 1 ? 's' : ''} ${names.join(' or ')} (POST /api/${names[0]}).`,
    tags: [operations[0]!.name.split('.')[0]!],
    parameters: [...pathParameters, ...queryParameters],
    ...(route.method === 'get'
      ? {}
      : {
          requestBody: {
            required: false,
            content: { 'application/json': { schema: either('input') } },
          },
        }),
    responses: {
      '200': {
        description: 'The operation’s output',
        content: { 'application/json': { schema: either('output') } },
      },
      '400': errorResponse('invalid_input or invalid_json: details.field names the field'),
      '401': errorResponse('unauthorized: no bearer token, or a wrong one'),
      '404': errorResponse('not_found'),
    },
  };
}

export function buildOpenApiDocument(operations: readonly AnyOperation[] = OPERATIONS) {
  const schemas: Record<string, JsonSchema> = { Error: ERROR_SCHEMA };
  const paths: Record<string, Record<string, unknown>> = Object.fromEntries(
    operations.map((operation) => [`/api/${operation.name}`, pathOf(operation, schemas)]),
  );
  // The REST routes refer to the operations' schemas, registered just above.
  if (operations === OPERATIONS) {
    for (const route of REST_ROUTES) {
      const path = route.path.replace(/:(\w+)/g, '{$1}');
      paths[path] = { ...paths[path], [route.method]: restOperation(route, schemas) };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'bosun',
      version: VERSION,
      description:
        'The operations of a bosun workspace over HTTP: POST /api/<operation> with its JSON input, and readable REST routes over the same operations (docs/server.md).',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ bearer: [] }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'The token in .bosun/token (or BOSUN_TOKEN)',
        },
      },
    },
  };
}

let cached: Buffer<ArrayBuffer> | undefined;

/** The document as UTF-8 JSON, built on first use and kept for the life of the process. */
export function openApiBytes(): Buffer<ArrayBuffer> {
  return (cached ??= Buffer.from(JSON.stringify(buildOpenApiDocument())));
}
