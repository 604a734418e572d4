/**
 * The HTTP API of `bosun serve`: the operation routes, the REST routes over them, the OpenAPI
 * document, /metrics, the guard and CORS in front of them, and the error body with its statuses.
 * Most of it goes through `app.request()` on a real SQLite workspace (no socket); the last part
 * starts the built `bosun serve` with its worker and drives runs and approvals over real HTTP.
 */

import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../src/app/runtime.js';
import { openRuntime } from '../src/app/runtime.js';
import { OPERATIONS } from '../src/operations/catalog.js';
import { createApi } from '../src/server/api.js';
import type { ServerApp } from '../src/server/app.js';
import { createServerApp } from '../src/server/app.js';
import { errorResponse, HTTP_STATUS } from '../src/server/http-errors.js';
import { buildOpenApiDocument, openApiBytes } from '../src/server/openapi.js';
import { REST_ROUTES } from '../src/server/rest-routes.js';
import { BosunError, ERROR_CODES } from '../src/shared/errors.js';
import type { BackgroundBosun } from './helpers/cli.js';
import { runBosun, startBosun, tempDir } from './helpers/cli.js';

const ALLOWED = 'https://tools.example';
const OWN = 'http://127.0.0.1:7433';

let cwd: string;
let token: string;
let runtime: Runtime;
let server: ServerApp;

interface Answer {
  readonly status: number;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly headers: Headers;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await server.app.request(path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // the metrics text
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

const post = (path: string, body?: unknown, headers?: Record<string, string>) =>
  call('POST', path, body, headers);
const get = (path: string, headers?: Record<string, string>) =>
  call('GET', path, undefined, headers);

const mockWorkflow = (name: string, approval = false) => ({
  name,
  steps: [
    {
      id: 'first',
      runner: 'mock',
      ...(approval ? { approval: 'before' } : {}),
      with: {
        output: { said: 'hi' },
        latency: '20ms',
        usage: { input_tokens: 12, output_tokens: 4, cost_usd: 0.001 },
      },
    },
    { id: 'second', runner: 'mock', needs: 'first', with: { output: 'done', latency: '10ms' } },
  ],
});

beforeAll(async () => {
  cwd = tempDir('bosun-api-');
  expect((await runBosun(['init'], { cwd })).status).toBe(0);
  token = readFileSync(join(cwd, '.bosun', 'token'), 'utf8').trim();
  runtime = await openRuntime({ cwd, env: { ...process.env, BOSUN_ACTOR: 'owner' } });
  server = createServerApp(runtime, {
    guard: { token, allowedOrigins: new Set([OWN, ALLOWED]), allowedHosts: null },
    mcp: { profile: 'core' },
    dashboard: false,
    corsOrigins: new Set([ALLOWED]),
  });
  expect((await post('/api/project.create', { key: 'HOME', name: 'Home lab' })).status).toBe(200);
  for (const title of ['Rotate keys', 'Patch NAS', 'Label cables']) {
    expect((await post('/api/task.create', { project: 'HOME', title })).status).toBe(200);
  }
});

afterAll(async () => {
  await server.close();
  await runtime.close();
});

describe('the guard and CORS', () => {
  it('answers 401 without the token or with a wrong one, on /api and /metrics alike', async () => {
    for (const path of ['/api/task.list', '/api/projects', '/api/openapi.json', '/metrics']) {
      const none = await server.app.request(path);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="bosun"');
      expect(await none.json()).toMatchObject({ error: { code: 'unauthorized' } });
      const wrong = await get(path, { authorization: `Bearer ${token}x` });
      expect(wrong.status).toBe(401);
    }
  });

  it('refuses a foreign origin with 403, token or not', async () => {
    const answer = await post('/api/task.list', {}, { origin: 'https://evil.example' });
    expect(answer.status).toBe(403);
    expect(answer.body.error).toMatchObject({ code: 'forbidden' });
    expect(answer.body.error.message).toMatch(/^origin: https:\/\/evil\.example/);
  });

  it('sends no CORS headers unless the origin was allowed with --allow-origin', async () => {
    expect((await get('/api/projects')).headers.get('access-control-allow-origin')).toBeNull();
    const own = await get('/api/projects', { origin: OWN });
    expect(own.status).toBe(200);
    expect(own.headers.get('access-control-allow-origin')).toBeNull();
    const allowed = await get('/api/projects', { origin: ALLOWED });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  it('answers a preflight from an allowed origin without a token, and refuses others', async () => {
    const preflight = (origin: string) =>
      server.app.request('/api/task.next', {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
    const allowed = await preflight(ALLOWED);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/X-Bosun-Actor/);
    expect(allowed.headers.get('access-control-allow-methods')).toMatch(/PATCH/);
    for (const origin of ['https://evil.example', OWN]) {
      const refused = await preflight(origin);
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    }
  });

  it('leaves /healthz open', async () => {
    const health = await server.app.request('/healthz');
    expect(health.status).toBe(200);
  });
});

describe('POST /api/<operation>', () => {
  it('runs an operation with its JSON input and answers its output', async () => {
    const next = await post('/api/task.next', { project: 'HOME' });
    expect(next.status).toBe(200);
    expect(next.body.tasks[0]).toMatchObject({ ref: 'HOME-1', title: 'Rotate keys' });
    expect(next.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('takes an empty body as {}', async () => {
    const list = await server.app.request('/api/project.list', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { key: string }[]).map((p) => p.key)).toEqual(['HOME']);
  });

  it('refuses an invalid input with 400 naming the field and the rule', async () => {
    const missing = await post('/api/task.create', { project: 'HOME' });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({
      code: 'invalid_input',
      details: { field: 'title', rule: 'is required' },
    });
    expect(missing.body.error.message).toMatch(/^title: is required/);
    const wrongType = await post('/api/task.list', { project: 'HOME', limit: 'many' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.details.field).toBe('limit');
    const unknown = await post('/api/task.list', { project: 'HOME', colour: 'red' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('invalid_input');
  });

  it('refuses a body that is not JSON, or not an object, with 400 naming body', async () => {
    const broken = await post('/api/task.list', '{"project": ');
    expect(broken.status).toBe(400);
    expect(broken.body.error).toMatchObject({ code: 'invalid_json', details: { field: 'body' } });
    expect(broken.body.error.message).toMatch(/^body: not valid JSON/);
    const array = await post('/api/task.list', '[1, 2]');
    expect(array.status).toBe(400);
    expect(array.body.error).toMatchObject({ code: 'invalid_input', details: { field: 'body' } });
  });

  it('refuses a body over the limit with 413, as JSON', async () => {
    const api = createApi(runtime, { maxBodyBytes: 1_000 });
    const answer = await api.request('/task.create', {
      method: 'POST',
      body: JSON.stringify({ project: 'HOME', title: 'x'.repeat(2_000) }),
    });
    expect(answer.status).toBe(413);
    expect(await answer.json()).toMatchObject({
      error: { code: 'invalid_input', details: { field: 'body', rule: 'too large' } },
    });
  });

  it('answers 404 naming an unknown operation, and an unknown route', async () => {
    const unknown = await post('/api/task.teleport', {});
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({
      code: 'not_found',
      details: { field: 'operation', key: 'task.teleport' },
    });
    expect(unknown.body.error.message).toMatch(/'task\.teleport'/);
    const route = await post('/api/teleport', {});
    expect(route.status).toBe(404);
    expect(route.body.error.message).toMatch(/POST \/api\/teleport: no such route/);
  });

  it('answers a read operation on GET with its input from the query, and refuses a write', async () => {
    const list = await get('/api/task.list?project=HOME&limit=2&status=todo');
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(2);
    const write = await get('/api/task.next?project=HOME');
    expect(write.status).toBe(400);
    expect(write.body.error.details.field).toBe('method');
  });

  it('maps refusals of the store to their statuses: not_found, invalid_transition, cycle', async () => {
    const missing = await post('/api/task.show', { task: 'HOME-999' });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
    const illegal = await post('/api/task.status', { task: 'HOME-3', status: 'done' });
    expect(illegal.status).toBe(409);
    expect(illegal.body.error.code).toBe('invalid_transition');
    expect((await post('/api/dep.add', { task: 'HOME-2', on: ['HOME-3'] })).status).toBe(200);
    const cycle = await post('/api/dep.add', { task: 'HOME-3', on: ['HOME-2'] });
    expect(cycle.status).toBe(409);
    expect(cycle.body.error.code).toBe('cycle');
    expect((await post('/api/dep.remove', { task: 'HOME-2', on: ['HOME-3'] })).status).toBe(200);
  });
});

describe('error codes', () => {
  const expected: Record<string, number> = {
    invalid_input: 400,
    invalid_json: 400,
    unauthorized: 401,
    forbidden: 403,
    policy_denied: 403,
    not_found: 404,
    conflict: 409,
    invalid_transition: 409,
    cycle: 409,
    budget_exceeded: 409,
    internal: 500,
    unavailable: 503,
  };

  it('maps every code to its status, and nothing else', () => {
    for (const code of ERROR_CODES) expect(HTTP_STATUS[code], code).toBe(expected[code]);
    expect(HTTP_STATUS).toEqual(expected);
  });

  it('answers each code thrown by a handler with its status and the error body', async () => {
    const app = new Hono();
    app.get('/:code', (c) => {
      const code = c.req.param('code');
      if (code === 'plain') throw new Error('disk on fire');
      throw new BosunError(code as (typeof ERROR_CODES)[number], `thing: broke ${code}`, {
        details: { field: 'thing' },
        retryable: code === 'unavailable',
      });
    });
    app.onError((error, c) => errorResponse(c, error));
    for (const code of ERROR_CODES) {
      const answer = await app.request(`/${code}`);
      expect(answer.status, code).toBe(expected[code]);
      expect(await answer.json()).toEqual({
        error: { code, message: `thing: broke ${code}`, details: { field: 'thing' } },
      });
      expect(answer.headers.get('retry-after')).toBe(code === 'unavailable' ? '1' : null);
    }
    const plain = await app.request('/plain');
    expect(plain.status).toBe(500);
    expect(await plain.json()).toEqual({
      error: { code: 'internal', message: 'disk on fire', details: {} },
    });
  });
});

describe('the actor of writes', () => {
  const auditOf = async (ref: string) =>
    ((await post('/api/audit.list', { target: ref })).body as { actor: string }[]).map(
      (entry) => entry.actor,
    );

  it('is the X-Bosun-Actor header, else web', async () => {
    const byAlice = await post(
      '/api/task.create',
      { project: 'HOME', title: 'Audited' },
      { 'x-bosun-actor': 'alice' },
    );
    expect(byAlice.status).toBe(200);
    expect(await auditOf(byAlice.body.ref)).toContain('alice');
    const byNobody = await post('/api/task.create', { project: 'HOME', title: 'Anonymous' });
    expect(await auditOf(byNobody.body.ref)).toContain('web');
  });

  it('refuses an empty or overlong actor, naming the header', async () => {
    for (const actor of ['   ', 'a'.repeat(101)]) {
      const answer = await post('/api/task.list', {}, { 'x-bosun-actor': actor });
      expect(answer.status).toBe(400);
      expect(answer.body.error.details.field).toBe('X-Bosun-Actor');
    }
  });
});

describe('REST routes', () => {
  it('lists and shows projects and their tasks, with filters from the query', async () => {
    const projects = await get('/api/projects');
    expect(projects.status).toBe(200);
    expect(projects.body.map((p: { key: string }) => p.key)).toEqual(['HOME']);
    const project = await get('/api/projects/HOME');
    expect(project.status).toBe(200);
    expect(project.body.project ?? project.body).toMatchObject({ key: 'HOME' });
    const tasks = await get('/api/projects/HOME/tasks?status=todo&limit=2');
    expect(tasks.status).toBe(200);
    expect(tasks.body).toHaveLength(2);
    expect(tasks.body.every((t: { status: string }) => t.status === 'todo')).toBe(true);
    const badFilter = await get('/api/projects/HOME/tasks?status=someday');
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.error.details.field).toBe('status');
    expect((await get('/api/projects/NOPE')).status).toBe(404);
  });

  it('creates, shows and patches tasks: status alone, or fields', async () => {
    const created = await post('/api/tasks', { project: 'HOME', title: 'Over REST' });
    expect(created.status).toBe(200);
    const ref = created.body.ref as string;
    expect((await get(`/api/tasks/${ref}`)).body.task).toMatchObject({ ref, title: 'Over REST' });
    const nested = await post('/api/projects/HOME/tasks', { title: 'Nested' });
    expect(nested.status).toBe(200);

    const moved = await call('PATCH', `/api/tasks/${ref}`, {
      status: 'in_progress',
      note: 'started',
    });
    expect(moved.status).toBe(200);
    expect((await get(`/api/tasks/${ref}`)).body.task.status).toBe('in_progress');
    const edited = await call('PATCH', `/api/tasks/${ref}`, { title: 'Over REST, renamed' });
    expect(edited.status).toBe(200);
    expect((await get(`/api/tasks/${ref}`)).body.task.title).toBe('Over REST, renamed');
    const mixed = await call('PATCH', `/api/tasks/${ref}`, { status: 'review', title: 'x' });
    expect(mixed.status).toBe(400);
    expect(mixed.body.error.details.field).toBe('title');
    expect((await call('PATCH', `/api/tasks/${ref}`, { status: 'review' })).status).toBe(200);
    const illegal = await call('PATCH', `/api/tasks/${ref}`, { status: 'blocked' });
    expect(illegal.status).toBe(409);
    expect(illegal.body.error.code).toBe('invalid_transition');
  });

  it('starts, lists, shows, pauses, resumes, forks and cancels runs', async () => {
    const started = await post('/api/runs', { workflow: mockWorkflow('rest-run') });
    expect(started.status).toBe(200);
    const id = started.body.id as string;
    expect((await get('/api/runs')).body.map((r: { id: string }) => r.id)).toContain(id);
    expect((await get('/api/runs?status=running')).body.length).toBeGreaterThan(0);
    const shown = await get(`/api/runs/${id}`);
    expect(shown.status).toBe(200);
    expect(JSON.stringify(shown.body)).toContain('first');
    expect((await get(`/api/runs/${id}/graph`)).status).toBe(200);
    expect((await get(`/api/runs/${id}/steps/first`)).body.step).toMatchObject({ key: 'first' });
    expect((await post(`/api/runs/${id}/pause`)).body.status).toBe('paused');
    expect((await post(`/api/runs/${id}/resume`)).body.status).toBe('running');
    const fork = await post(`/api/runs/${id}/fork`, { from: 'first', name: 'forked' });
    expect(fork.status).toBe(200);
    expect(fork.body.id).not.toBe(id);
    const cancelled = await post(`/api/runs/${id}/cancel`, { reason: 'enough' });
    expect(cancelled.body.status).toBe('cancelled');
    await post(`/api/runs/${fork.body.id}/cancel`);
    expect((await post('/api/runs/NOPE/pause')).status).toBe(404);
  });

  it('lists approvals, agents, costs, status and health', async () => {
    expect((await get('/api/approvals?status=pending')).status).toBe(200);
    expect((await post('/api/approvals/NOPE/approve', { comment: 'ok' })).status).toBe(404);
    expect((await get('/api/agents')).status).toBe(200);
    const costs = await get('/api/costs?by=model');
    expect(costs.status).toBe(200);
    expect((await get('/api/costs?by=planet')).body.error.details.field).toBe('by');
    expect((await get('/api/status')).body.projects[0]).toMatchObject({ key: 'HOME' });
    expect((await get('/api/health')).body).toHaveProperty('store');
  });
});

/** Every schema keyword the document uses must be a JSON Schema 2020-12 one. */
const KEYWORDS = new Set([
  '$ref',
  '$id',
  '$anchor',
  '$dynamicRef',
  '$comment',
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'patternProperties',
  'propertyNames',
  'items',
  'prefixItems',
  'minItems',
  'maxItems',
  'uniqueItems',
  'contains',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
  'description',
  'title',
  'default',
  'examples',
  'readOnly',
  'deprecated',
  'minProperties',
  'maxProperties',
  'unevaluatedProperties',
  'contentEncoding',
  'contentMediaType',
]);
const TYPES = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']);

function checkSchema(schema: unknown, where: string, refs: string[]): void {
  if (typeof schema === 'boolean') return;
  expect(schema, where).toBeTypeOf('object');
  for (const [key, value] of Object.entries(schema as Record<string, unknown>)) {
    expect(KEYWORDS.has(key), `${where}: keyword ${key}`).toBe(true);
    if (key === '$ref') refs.push(value as string);
    if (key === 'type') {
      for (const type of [value].flat()) expect(TYPES.has(type as string), where).toBe(true);
    }
    if (['properties', 'patternProperties'].includes(key)) {
      for (const [name, inner] of Object.entries(value as object)) {
        checkSchema(inner, `${where}.${name}`, refs);
      }
    }
    if (['items', 'additionalProperties', 'propertyNames', 'not', 'contains'].includes(key)) {
      checkSchema(value, `${where}/${key}`, refs);
    }
    if (['anyOf', 'oneOf', 'allOf', 'prefixItems'].includes(key)) {
      (value as unknown[]).forEach((inner, i) => checkSchema(inner, `${where}/${key}/${i}`, refs));
    }
  }
}

describe('GET /api/openapi.json', () => {
  it('describes every operation with its request and response schemas', async () => {
    const answer = await get('/api/openapi.json');
    expect(answer.status).toBe(200);
    const doc = answer.body;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.jsonSchemaDialect).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(doc.components.securitySchemes.bearer).toEqual(
      expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    );
    expect(doc.security).toEqual([{ bearer: [] }]);
    const ids = new Set<string>();
    for (const operation of OPERATIONS) {
      const path = doc.paths[`/api/${operation.name}`];
      expect(path, operation.name).toBeDefined();
      const post = path.post;
      expect(post.operationId).toBe(operation.name.replace(/\./g, '_'));
      ids.add(post.operationId);
      expect(post.summary).toBe(operation.summary);
      expect(post.requestBody.content['application/json'].schema.$ref).toBeTypeOf('string');
      expect(post.responses['200'].content['application/json'].schema.$ref).toBeTypeOf('string');
      expect(post.responses['400']).toBeDefined();
    }
    expect(ids.size).toBe(OPERATIONS.length);
    const restPaths = new Set(REST_ROUTES.map((route) => route.path));
    expect(Object.keys(doc.paths)).toHaveLength(OPERATIONS.length + restPaths.size);
  });

  it('describes every REST route: its method, path and query parameters, and the operation', async () => {
    const doc = buildOpenApiDocument();
    const ids = new Set<string>();
    for (const route of REST_ROUTES) {
      const path = route.path.replace(/:(\w+)/g, '{$1}');
      const described = doc.paths[path]?.[route.method] as
        | {
            operationId: string;
            description: string;
            parameters: { name: string; in: string; required: boolean }[];
            requestBody?: unknown;
          }
        | undefined;
      expect(described, `${route.method} ${path}`).toBeDefined();
      ids.add(described!.operationId);
      const named = typeof route.operation === 'string' ? [route.operation] : route.choices!;
      for (const name of named) expect(described!.description).toContain(name);
      for (const param of Object.keys(route.params ?? {})) {
        expect(described!.parameters).toContainEqual(
          expect.objectContaining({ name: param, in: 'path', required: true }),
        );
      }
      expect(described!.requestBody === undefined).toBe(route.method === 'get');
    }
    expect(ids.size).toBe(REST_ROUTES.length);
    const tasks = doc.paths['/api/projects/{key}/tasks']!['get'] as {
      parameters: { name: string; in: string }[];
    };
    expect(tasks.parameters.filter((p) => p.in === 'query').map((p) => p.name)).toContain('status');
    expect(tasks.parameters.map((p) => p.name)).not.toContain('project');
  });

  it('holds JSON Schema 2020-12 component schemas whose references all resolve', async () => {
    const doc = buildOpenApiDocument();
    const refs: string[] = [];
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      expect(schema, name).not.toHaveProperty('$schema');
      expect(schema, name).not.toHaveProperty('definitions');
      checkSchema(schema, name, refs);
    }
    const pathRefs = JSON.stringify(doc.paths).match(/"\$ref":"[^"]+"/g) ?? [];
    refs.push(...pathRefs.map((ref) => ref.slice('"$ref":"'.length, -1)));
    expect(refs.length).toBeGreaterThan(OPERATIONS.length * 2);
    for (const ref of refs) {
      expect(ref, ref).toMatch(/^#\/components\/schemas\//);
      const name = ref.slice('#/components/schemas/'.length);
      expect(doc.components.schemas, ref).toHaveProperty([name]);
    }
  });

  it('is built once per process, and sent gzipped to a client that accepts it', async () => {
    expect(openApiBytes()).toBe(openApiBytes());
    const fetchWith = (encoding: string) =>
      server.app.request('/api/openapi.json', {
        headers: { authorization: `Bearer ${token}`, 'accept-encoding': encoding },
      });
    const zipped = await fetchWith('br, gzip;q=0.8');
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    expect(zipped.headers.get('vary')).toBe('accept-encoding');
    const bytes = Buffer.from(await zipped.arrayBuffer());
    expect(bytes.length).toBeLessThan(openApiBytes().length / 5);
    expect(gunzipSync(bytes).equals(openApiBytes())).toBe(true);
    // Compressed once: the next client gets the same bytes from what was kept.
    const again = Buffer.from(await (await fetchWith('gzip')).arrayBuffer());
    expect(again.equals(bytes)).toBe(true);
    for (const refused of ['identity', 'gzip;q=0', '']) {
      const plain = await fetchWith(refused);
      expect(plain.headers.get('content-encoding'), refused).toBeNull();
      expect(Buffer.from(await plain.arrayBuffer()).equals(openApiBytes())).toBe(true);
    }
  });
});

/** The Prometheus text format, line by line: HELP and TYPE comments, then samples. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const typed = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (comment) {
      if (comment[1] === 'TYPE') {
        expect(['counter', 'gauge', 'histogram'], line).toContain(comment[3]);
        typed.add(comment[2]!);
      }
      continue;
    }
    const sample =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(
        line,
      );
    expect(sample, `not an exposition line: ${line}`).not.toBeNull();
    const family = sample![1]!.replace(/_(bucket|sum|count)$/, '');
    expect(typed.has(sample![1]!) || typed.has(family), `untyped sample: ${line}`).toBe(true);
    samples.set(`${sample![1]}${sample![2] ?? ''}`, Number(sample![3]));
  }
  return samples;
}

describe('GET /metrics', () => {
  it('publishes every metric in the exposition format, and follows the store', async () => {
    const before = await get('/metrics');
    expect(before.status).toBe(200);
    expect(before.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const first = parseExposition(before.body as string);
    for (const name of [
      'bosun_runs',
      'bosun_steps',
      'bosun_queue_depth',
      'bosun_step_duration_seconds',
      'bosun_tokens_total',
      'bosun_cost_usd_total',
      'bosun_budget_headroom',
    ]) {
      expect(before.body as string).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    }
    expect(first.get('bosun_step_duration_seconds_bucket{le="+Inf"}')).toBe(
      first.get('bosun_step_duration_seconds_count'),
    );
    const running = first.get('bosun_runs{status="running"}') ?? 0;
    const ready = first.get('bosun_queue_depth') ?? 0;

    expect((await post('/api/run.start', { workflow: mockWorkflow('metered') })).status).toBe(200);
    const after = parseExposition((await get('/metrics')).body as string);
    expect(after.get('bosun_runs{status="running"}')).toBe(running + 1);
    expect(after.get('bosun_queue_depth')).toBe(ready + 1);
    expect(after.get('bosun_steps{status="waiting"}')).toBeGreaterThanOrEqual(1);
  });
});

describe('bosun serve over a real socket', () => {
  let serving: BackgroundBosun;
  let url: string;
  let dir: string;
  let secret: string;

  beforeAll(async () => {
    dir = tempDir('bosun-api-serve-');
    expect((await runBosun(['init'], { cwd: dir })).status).toBe(0);
    secret = readFileSync(join(dir, '.bosun', 'token'), 'utf8').trim();
    serving = startBosun(['serve', '--port', '0', '--json'], { cwd: dir });
    const [line] = await serving.waitForOutput(/\{.*"url".*\}/, 15_000);
    url = (JSON.parse(line) as { url: string }).url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  afterAll(async () => {
    serving.kill('SIGTERM');
    await serving.exited;
  });

  const send = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(new URL(path, url), {
      method,
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, text, json: () => JSON.parse(text) };
  };

  async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const found = await probe();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const runStatus = async (id: string) =>
    ((await send('GET', `/api/runs/${id}`)).json() as { run: { status: string } }).run.status;

  it('runs workflows through the API, with approvals approved and rejected over REST, and /metrics follows', async () => {
    expect((await send('GET', '/api/projects')).status).toBe(200);
    expect((await fetch(new URL('/api/projects', url))).status).toBe(401);

    const approved = (
      await send('POST', '/api/runs', { workflow: mockWorkflow('gated', true) })
    ).json() as { id: string };
    const rejected = (
      await send('POST', '/api/runs', { workflow: mockWorkflow('refused', true) })
    ).json() as { id: string };
    const pending = await until(async () => {
      const list = (await send('GET', '/api/approvals?status=pending')).json() as {
        id: string;
        runId: string;
      }[];
      return list.length >= 2 ? list : undefined;
    }, 'two pending approvals');
    const of = (run: string) => pending.find((a) => a.runId === run)!.id;
    const yes = await send('POST', `/api/approvals/${of(approved.id)}/approve`, { comment: 'go' });
    expect(yes.status).toBe(200);
    expect(yes.json()).toMatchObject({ status: 'approved' });
    const no = await send('POST', `/api/approvals/${of(rejected.id)}/reject`, { comment: 'no' });
    expect(no.status).toBe(200);

    await until(
      async () => ((await runStatus(approved.id)) === 'succeeded' ? true : undefined),
      'the approved run to succeed',
    );
    await until(
      async () =>
        ['failed', 'cancelled'].includes(await runStatus(rejected.id)) ? true : undefined,
      'the rejected run to end',
    );

    const metrics = await send('GET', '/metrics');
    expect(metrics.status).toBe(200);
    const samples = parseExposition(metrics.text);
    expect(samples.get('bosun_runs{status="succeeded"}')).toBe(1);
    expect(samples.get('bosun_steps{status="succeeded"}')).toBeGreaterThanOrEqual(2);
    expect(samples.get('bosun_step_duration_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(samples.get('bosun_step_duration_seconds_sum')).toBeGreaterThan(0);
    expect(samples.get('bosun_step_duration_seconds_bucket{le="0.05"}')).toBeLessThanOrEqual(
      samples.get('bosun_step_duration_seconds_count')!,
    );
    const tokens = [...samples].filter(([key]) => key.startsWith('bosun_tokens_total{'));
    expect(tokens.some(([key, value]) => key.includes('kind="input"') && value === 12)).toBe(true);
    expect([...samples].some(([key]) => key.startsWith('bosun_cost_usd_total{'))).toBe(true);
    expect((await send('GET', '/api/costs?by=model')).status).toBe(200);
  });

  it('reads headers and bodies from the socket: the actor, bad JSON, a body over the limit', async () => {
    const created = await fetch(new URL('/api/project.create', url), {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'x-bosun-actor': 'carol' },
      body: JSON.stringify({ key: 'LIVE', name: 'Live' }),
    });
    expect(created.status).toBe(200);
    const audit = (await send('POST', '/api/audit.list', { operation: 'project.create' })).json();
    expect(audit.map((entry: { actor: string }) => entry.actor)).toContain('carol');

    const empty = await send('POST', '/api/task.list', undefined);
    expect(empty.status).toBe(200);
    expect(empty.json()).toEqual([]);
    const bad = await fetch(new URL('/api/task.list', url), {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}` },
      body: '{"project":',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: { code: 'invalid_json', details: { field: 'body' } },
    });

    // A declared length over the limit is refused before the body is read.
    const target = new URL('/api/task.create', url);
    const tooLarge = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: {
            authorization: `Bearer ${secret}`,
            'content-type': 'application/json',
            'content-length': String(64 * 1024 * 1024),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body: text });
            req.destroy();
          });
        },
      );
      req.on('error', reject);
      req.write('{"project":"LIVE","title":"');
    });
    expect(tooLarge.status).toBe(413);
    expect(JSON.parse(tooLarge.body)).toMatchObject({
      error: { code: 'invalid_input', details: { field: 'body', rule: 'too large' } },
    });
  });
});
