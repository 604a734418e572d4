/**
 * `bosun serve` end to end: the built bin listening on 127.0.0.1, the official MCP SDK client
 * over Streamable HTTP with the bearer token, and plain HTTP requests for what the guard refuses
 * (no token, a wrong one, a foreign Origin or Host). Runs submitted through MCP are executed by
 * the server's own worker.
 */

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BackgroundBosun } from './helpers/cli.js';
import { bosunJson, runBosun, startBosun, tempDir } from './helpers/cli.js';

interface Serving {
  readonly process: BackgroundBosun;
  readonly url: string;
}

const servers: BackgroundBosun[] = [];
const clients: Client[] = [];

async function serve(cwd: string, args: string[] = []): Promise<Serving> {
  const process = startBosun(['serve', '--port', '0', '--json', ...args], { cwd });
  servers.push(process);
  const [line] = await process.waitForOutput(/\{.*"url".*\}/, 15_000);
  return { process, url: (JSON.parse(line) as { url: string }).url };
}

async function connect(url: string, token: string, name: string): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL('/mcp', url), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  clients.push(client);
  return client;
}

/** A raw request, so the test sets exactly the headers (Host included) it means to. */
function raw(
  url: string,
  headers: Record<string, string>,
  body = '{}',
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const target = new URL('/mcp', url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const textOf = (result: object): string =>
  (((result as { content?: unknown }).content ?? []) as { text: string }[])
    .map((part) => part.text)
    .join('\n');

let cwd: string;
let token: string;
let server: Serving;

beforeAll(async () => {
  cwd = tempDir('bosun-serve-');
  expect((await runBosun(['init'], { cwd })).status).toBe(0);
  expect((await runBosun(['project', 'create', 'HOME', 'Home lab'], { cwd })).status).toBe(0);
  for (let i = 1; i <= 4; i++) {
    expect((await runBosun(['task', 'add', 'HOME', `Task ${i}`], { cwd })).status).toBe(0);
  }
  token = readFileSync(join(cwd, '.bosun', 'token'), 'utf8').trim();
  server = await serve(cwd);
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close().catch(() => undefined);
});

afterAll(async () => {
  for (const process of servers) {
    process.kill('SIGTERM');
    await process.exited;
  }
});

describe('bosun serve: MCP over Streamable HTTP', () => {
  it('keeps the token private: made at init, 0600, git-ignored', () => {
    const file = join(cwd, '.bosun', 'token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(token.length).toBeGreaterThanOrEqual(40);
    expect(readFileSync(join(cwd, '.bosun', '.gitignore'), 'utf8')).toMatch(/^token$/m);
  });

  it('answers 401 without the token or with a wrong one, as JSON naming the header', async () => {
    const none = await raw(server.url, {});
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="bosun"');
    expect(JSON.parse(none.body)).toMatchObject({
      error: { code: 'unauthorized', message: expect.stringMatching(/^authorization: /) },
    });
    const wrong = await raw(server.url, { authorization: `Bearer ${token.slice(1)}x` });
    expect(wrong.status).toBe(401);
    const health = await fetch(new URL('/healthz', server.url));
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true });
  });

  it('answers 403 to a foreign Origin or Host, even with the token (DNS rebinding)', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const origin = await raw(server.url, { ...auth, origin: 'http://evil.example' });
    expect(origin.status).toBe(403);
    expect(JSON.parse(origin.body)).toMatchObject({
      error: {
        code: 'forbidden',
        message: expect.stringMatching(/^origin: http:\/\/evil.example/),
      },
    });
    const port = new URL(server.url).port;
    const host = await raw(server.url, { ...auth, host: `rebound.example:${port}` });
    expect(host.status).toBe(403);
    expect(JSON.parse(host.body).error.message).toMatch(/^host: /);
    // The server's own origin is fine (and without a session, the request must initialize).
    const own = await raw(server.url, { ...auth, origin: `http://localhost:${port}` });
    expect(own.status).toBe(400);
  });

  it('serves the core profile and the agent loop, audited under the client name', async () => {
    const client = await connect(server.url, token, 'http-agent');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['task_next', 'task', 'status']),
    );
    expect(tools.length).toBeLessThanOrEqual(15);
    const claimed = await client.callTool({
      name: 'task_next',
      arguments: { project: 'HOME', claim: true, agent: 'http-agent' },
    });
    expect(claimed.isError, textOf(claimed)).toBeFalsy();
    const ref = /HOME-\d+/.exec(JSON.stringify(claimed.structuredContent))![0];
    const noted = await client.callTool({
      name: 'note_add',
      arguments: { task: ref, body: 'via HTTP' },
    });
    expect(noted.isError).toBeFalsy();
    const audit = await bosunJson<{ actor: string; operation: string }[]>(['audit', 'list', ref], {
      cwd,
    });
    expect(audit.map((e) => [e.operation, e.actor])).toContainEqual(['task.claim', 'http-agent']);
    const notes = await bosunJson<{ author: string; body: string }[]>(['note', 'list', ref], {
      cwd,
    });
    expect(notes).toContainEqual(
      expect.objectContaining({ author: 'http-agent', body: 'via HTTP' }),
    );
    const page = await client.callTool({
      name: 'task_list',
      arguments: { project: 'HOME', page_size: 2 },
    });
    const content = page.structuredContent as {
      items: unknown[];
      total: number;
      nextCursor?: string;
    };
    expect(content.items).toHaveLength(2);
    expect(content.nextCursor).toBe('2');
    const bad = await client
      .callTool({ name: 'task_next', arguments: { claim: 'yes' } })
      .then((result) => textOf(result))
      .catch((error: Error) => error.message);
    expect(bad).toMatch(/claim/);
  });

  it('executes a submitted task on its worker, notifying a subscriber as pages change', async () => {
    const client = await connect(server.url, token, 'http-coordinator');
    const updates: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updates.push(n.params.uri);
    });
    // The worker may finish the run before a subscription to its page could be made: follow the
    // project page, which changes as the task is created and done.
    await client.subscribeResource({ uri: 'bosun://project/HOME' });
    const submitted = await client.callTool({
      name: 'task',
      arguments: { project: 'HOME', title: 'Done by the server', runner: 'mock' },
    });
    expect(submitted.isError, textOf(submitted)).toBeFalsy();
    const { run, task } = submitted.structuredContent as {
      run: { id: string };
      task: { ref: string };
    };
    const uri = `bosun://run/${run.id}`;
    await expect
      .poll(
        async () => ((await client.readResource({ uri })).contents[0] as { text: string }).text,
        {
          timeout: 10_000,
        },
      )
      .toContain('- **status**: succeeded');
    await expect.poll(() => updates, { timeout: 5_000 }).toContain('bosun://project/HOME');
    const shown = await bosunJson<{ task: { status: string } }>(['task', 'show', task.ref], {
      cwd,
    });
    expect(shown.task.status).toBe('done');
  });

  it('keeps sessions apart and ends one on DELETE', async () => {
    const first = await connect(server.url, token, 'one');
    const second = await connect(server.url, token, 'two');
    const transport = first.transport as StreamableHTTPClientTransport;
    const id = transport.sessionId!;
    expect(id).not.toBe((second.transport as StreamableHTTPClientTransport).sessionId);
    await transport.terminateSession();
    const gone = await fetch(new URL('/mcp', server.url), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': id,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(gone.status).toBe(404);
    expect((await second.listTools()).tools.length).toBeGreaterThan(0);
  });
});

describe('bosun serve: refusals at start', () => {
  it('refuses a non-loopback address without a token, and a short BOSUN_TOKEN', async () => {
    const open = await runBosun(['serve', '--host', '0.0.0.0', '--no-auth', '--port', '0'], {
      cwd,
    });
    expect(open.status).toBe(2);
    expect(open.stderr).toMatch(
      /^error\[invalid_input\]: --host: 0\.0\.0\.0 is not a loopback address/,
    );
    const short = await runBosun(['serve', '--port', '0'], { cwd, env: { BOSUN_TOKEN: 'abc' } });
    expect(short.status).toBe(2);
    expect(short.stderr).toMatch(/BOSUN_TOKEN: must be at least 16 characters/);
    const flag = await runBosun(['serve', '--port', 'eighty'], { cwd });
    expect(flag.status).toBe(2);
    expect(flag.stderr).toMatch(/port: must be a whole number/);
  });

  it('takes BOSUN_TOKEN over the file', async () => {
    const envToken = 'a-token-from-the-environment-0123456789';
    const other = startBosun(['serve', '--port', '0', '--json', '--no-worker'], {
      cwd,
      env: { BOSUN_TOKEN: envToken },
    });
    servers.push(other);
    const [line] = await other.waitForOutput(/\{.*"url".*\}/, 15_000);
    const url = (JSON.parse(line) as { url: string }).url;
    expect((await raw(url, { authorization: `Bearer ${token}` })).status).toBe(401);
    const client = await connect(url, envToken, 'env-client');
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
  });
});
