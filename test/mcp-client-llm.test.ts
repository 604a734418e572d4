/**
 * External MCP tools in an llm agent's hands, end to end over real sockets and processes: the
 * fake OpenAI-compatible server plays the model and calls tools; real MCP servers (the SDK-based
 * test server over Streamable HTTP and over stdio, and bosun itself as `bosun mcp`) receive the
 * calls; the answers go back to the model. First through the llm runner with the app's MCP tools,
 * then through `bosun run start` with bosun.yaml.
 */

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { createLlmRunner } from '../src/adapters/runners/llm/index.js';
import { createMcpTools } from '../src/app/agent-tools.js';
import type { LazyMcpClients } from '../src/app/mcp-clients.js';
import { lazyMcpClients } from '../src/app/mcp-clients.js';
import { AgentConfigSchema, ModelConfigSchema } from '../src/domain/agent.js';
import type { McpServers } from '../src/domain/mcp-server.js';
import { McpServerConfigSchema } from '../src/domain/mcp-server.js';
import type { AgentActivity, AgentProfile, ResolvedModel } from '../src/ports/runner.js';
import { StepFailure } from '../src/shared/step-failure.js';
import type { FakeOpenAIServer } from '../src/testing/fake-openai-server.js';
import { startFakeOpenAIServer } from '../src/testing/fake-openai-server.js';
import type { McpHttpTestServer } from '../src/testing/mcp-test-server.js';
import {
  isProcessRunning,
  startMcpHttpTestServer,
  stdioTestServerCommand,
} from '../src/testing/mcp-test-server.js';
import { createStepContext } from '../src/testing/step-context.js';
import { BIN, bosunJson, runBosun, tempDir } from './helpers/cli.js';

const TOKEN = 's3cret-token';

const isAlive = isProcessRunning;

let openai: FakeOpenAIServer;
let web: McpHttpTestServer;
beforeEach(async () => {
  openai = await startFakeOpenAIServer({ apiKey: 'sk-test' });
  web = await startMcpHttpTestServer({ requiredHeaders: { authorization: `Bearer ${TOKEN}` } });
});
afterEach(async () => {
  await openai.close();
  await web.close();
});

describe('an llm agent with external MCP tools', () => {
  let clients: LazyMcpClients;
  let dir: string;
  beforeEach(() => {
    dir = tempDir('bosun-mcp-llm-');
    clients = lazyMcpClients({ cwd: dir });
  });
  afterEach(async () => {
    await clients.close();
  });

  const servers = (): McpServers => ({
    web: McpServerConfigSchema.parse({
      url: web.url,
      headers: { Authorization: 'Bearer ${WEB_TOKEN}' },
      tool_timeout: '300ms',
    }),
    local: McpServerConfigSchema.parse({
      ...stdioTestServerCommand(),
      env: { MCP_TEST_PID: join(dir, 'local.pid'), MCP_TEST_LOG: join(dir, 'local.jsonl') },
    }),
  });

  const model: () => ResolvedModel = () => ({
    name: 'local',
    ...ModelConfigSchema.parse({
      provider: 'openai-compatible',
      model: 'qwen',
      base_url: openai.url,
      api_key_env: 'OPENAI_KEY',
    }),
  });

  const agent = (config: Partial<z.input<typeof AgentConfigSchema>>): AgentProfile => ({
    name: 'worker',
    config: AgentConfigSchema.parse({ runner: 'llm', model: 'local', ...config }),
    instructions: 'Use your tools.',
    model: model(),
  });

  async function attempt(
    profile: AgentProfile,
    env: Record<string, string> = { WEB_TOKEN: TOKEN },
    wrap: (tools: ReturnType<typeof createMcpTools>) => ReturnType<typeof createMcpTools> = (t) =>
      t,
  ) {
    const reports: AgentActivity[] = [];
    const runner = createLlmRunner({
      externalTools: wrap(createMcpTools({ clients, servers, env: {} })),
      maxRetries: 0,
    });
    const outcome = await runner.execute({
      ...createStepContext({ input: 'Go.' }),
      agent: profile,
      env: { OPENAI_KEY: 'sk-test', ...env },
      report: (event) => reports.push(event),
    });
    return { outcome, reports: reports.filter((event) => event.kind !== 'agent-message-delta') };
  }

  it('calls an allowed tool on the HTTP server with its headers, and the model reads the answer', async () => {
    openai.enqueue(
      { type: 'tool-calls', calls: [{ id: 'c1', name: 'web__echo', arguments: { text: 'ping' } }] },
      { type: 'text', text: 'The server said ping.' },
    );
    const { outcome, reports } = await attempt(agent({ mcp: ['web/echo', 'web/add'] }));

    // Only what the allowlist gives is offered: no fail, slow or secret_delete.
    expect(openai.requests[0]?.toolNames).toEqual(['web__echo', 'web__add']);
    expect(web.calls).toEqual([{ tool: 'echo', arguments: { text: 'ping' } }]);
    expect(web.requests.every((r) => r.headers['authorization'] === `Bearer ${TOKEN}`)).toBe(true);
    expect(openai.requests[1]?.messages.at(-1)).toMatchObject({
      role: 'tool',
      tool_call_id: 'c1',
      content: 'echo: ping',
    });
    expect(reports).toEqual([
      { kind: 'agent-tool-call', id: 'c1', tool: 'web/echo', input: { text: 'ping' } },
      { kind: 'agent-tool-result', id: 'c1', ok: true, text: 'echo: ping' },
    ]);
    expect(outcome.output).toMatchObject({ text: 'The server said ping.', steps: 2 });
  });

  it('never runs a tool the allowlist leaves out, even when the model asks for it', async () => {
    openai.enqueue(
      { type: 'tool-calls', calls: [{ id: 'c1', name: 'web__secret_delete', arguments: {} }] },
      { type: 'text', text: 'I could not.' },
    );
    const { reports } = await attempt(agent({ mcp: ['web/echo'] }));
    expect(openai.requests[0]?.toolNames).toEqual(['web__echo']);
    expect(web.calls).toEqual([]);
    expect(reports).toContainEqual(
      expect.objectContaining({ kind: 'agent-tool-result', id: 'c1', ok: false }),
    );
  });

  it('gives the model a tool’s own error and a transport failure as tool errors; the step goes on', async () => {
    openai.enqueue(
      {
        type: 'tool-calls',
        calls: [
          { id: 'c1', name: 'web__fail', arguments: {} },
          { id: 'c2', name: 'web__slow', arguments: { ms: 5000 } },
        ],
      },
      { type: 'text', text: 'Both failed.' },
    );
    const { outcome, reports } = await attempt(agent({ mcp: ['web/fail', 'web/slow'] }));
    expect(reports).toContainEqual({
      kind: 'agent-tool-result',
      id: 'c1',
      ok: false,
      text: 'the tool failed on purpose',
    });
    expect(reports).toContainEqual({
      kind: 'agent-tool-result',
      id: 'c2',
      ok: false,
      text: `mcp server 'web': timeout: no answer to tools/call slow within 300ms (${web.url})`,
    });
    const toolMessages = (openai.requests[1]?.messages ?? []).filter((m) => m.role === 'tool');
    expect(JSON.stringify(toolMessages)).toContain('the tool failed on purpose');
    expect(JSON.stringify(toolMessages)).toContain('timeout: no answer to tools/call slow');
    expect(outcome.output).toMatchObject({ text: 'Both failed.' });
  });

  it('gives the model the failure of a server that went away after listing its tools', async () => {
    openai.enqueue(
      { type: 'tool-calls', calls: [{ id: 'c1', name: 'web__echo', arguments: { text: 'x' } }] },
      { type: 'text', text: 'The server is gone.' },
    );
    const { reports } = await attempt(
      agent({ mcp: ['web/echo'] }),
      undefined,
      (tools) => async (allowlist, context) => {
        const set = await tools(allowlist, context);
        await web.close();
        return set;
      },
    );
    expect(reports).toContainEqual({
      kind: 'agent-tool-result',
      id: 'c1',
      ok: false,
      text: expect.stringMatching(/^mcp server 'web': unreachable: .*ECONNREFUSED/) as string,
    });
  });

  it('runs the tools of a stdio server, started once for every attempt and stopped on close', async () => {
    for (const text of ['one', 'two']) {
      openai.enqueue(
        { type: 'tool-calls', calls: [{ name: 'local__echo', arguments: { text } }] },
        { type: 'text', text: 'ok' },
      );
      await attempt(agent({ mcp: ['local/e*'] }));
    }
    expect(openai.requests[0]?.toolNames).toEqual(['local__echo']);
    const calls = readFileSync(join(dir, 'local.jsonl'), 'utf8').trim().split('\n');
    expect(calls.map((line) => JSON.parse(line) as unknown)).toEqual([
      { tool: 'echo', arguments: { text: 'one' } },
      { tool: 'echo', arguments: { text: 'two' } },
    ]);
    const pid = Number(readFileSync(join(dir, 'local.pid'), 'utf8'));
    expect(isAlive(pid)).toBe(true);
    await clients.close();
    expect(isAlive(pid)).toBe(false);
  });

  it('fails the attempt before the model is called when a variable is not set', async () => {
    const failure = await attempt(agent({ mcp: ['web'] }), {}).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StepFailure);
    expect(failure).toMatchObject({
      retryable: false,
      message:
        "agent 'worker': mcp server 'web': headers.Authorization: ${WEB_TOKEN} is not set (set WEB_TOKEN in the environment bosun runs in)",
    });
    expect(openai.requests).toHaveLength(0);
    expect(web.requests).toHaveLength(0);
  });

  it('fails the attempt when an entry matches none of the server’s tools, naming them', async () => {
    const failure = await attempt(agent({ mcp: ['web/serch_*'] })).catch((e: unknown) => e);
    expect(failure).toMatchObject({
      retryable: false,
      message:
        "agent 'worker': mcp: 'web/serch_*' matches no tool of server 'web' (its tools: echo, add, fail, slow, secret_delete)",
    });
    expect(openai.requests).toHaveLength(0);
  });
});

describe('bosun run start with an llm agent and mcp_servers in bosun.yaml', () => {
  it('lets the agent call bosun itself over stdio and the HTTP server, journaling every call', async () => {
    // The external bosun: another workspace, served by `bosun mcp` as a stdio child.
    const other = tempDir('bosun-mcp-other-');
    expect((await runBosun(['init'], { cwd: other })).status).toBe(0);
    expect((await runBosun(['project', 'create', 'EXT', 'External'], { cwd: other })).status).toBe(
      0,
    );

    const cwd = tempDir('bosun-mcp-run-');
    expect((await runBosun(['init'], { cwd })).status).toBe(0);
    const pidFile = join(cwd, 'ext.pid');
    // sh writes its pid and some stderr noise, then becomes `bosun mcp` (exec keeps the pid).
    const script = `echo $$ > "$0"; echo "ext server starting" >&2; exec "$1" "$2" mcp --tools task.create,task.list --workspace "$3"`;
    const config = join(cwd, '.bosun', 'bosun.yaml');
    writeFileSync(
      config,
      readFileSync(config, 'utf8') +
        [
          'models:',
          `  local: { provider: openai-compatible, base_url: "${openai.url}", model: qwen, api_key_env: OPENAI_KEY }`,
          'mcp_servers:',
          '  ext:',
          '    command: sh',
          `    args: [-c, ${JSON.stringify(script)}, ${JSON.stringify(pidFile)}, ${JSON.stringify(process.execPath)}, ${JSON.stringify(BIN)}, ${JSON.stringify(other)}]`,
          '  web:',
          `    url: ${web.url}`,
          '    headers: { Authorization: "Bearer ${WEB_TOKEN}" }',
          'agents:',
          '  worker:',
          '    runner: llm',
          '    model: local',
          '    mcp: [ext/task_create, web/echo]',
          '',
        ].join('\n'),
    );
    writeFileSync(
      join(cwd, 'flow.yaml'),
      ['name: external', 'steps:', '  - id: work', '    agent: worker', '    input: Go.'].join(
        '\n',
      ),
    );
    openai.enqueue(
      {
        type: 'tool-calls',
        calls: [
          {
            id: 'c1',
            name: 'ext__task_create',
            arguments: { project: 'EXT', title: 'Made by an agent' },
          },
          { id: 'c2', name: 'web__echo', arguments: { text: 'hello' } },
        ],
      },
      { type: 'text', text: 'Created EXT-1.' },
    );

    const run = await runBosun(['run', 'start', 'flow.yaml'], {
      cwd,
      env: { OPENAI_KEY: 'sk-test', WEB_TOKEN: TOKEN },
    });

    expect(run.status, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).not.toContain('ext server starting');
    expect(openai.requests[0]?.toolNames).toEqual(['ext__task_create', 'web__echo']);
    // The external workspace has the task; the HTTP server got the call with the header.
    const tasks = await bosunJson<{ ref: string; title: string }[]>(['task', 'list', 'EXT'], {
      cwd: other,
    });
    expect(tasks.map((task) => [task.ref, task.title])).toEqual([['EXT-1', 'Made by an agent']]);
    expect(web.calls).toEqual([{ tool: 'echo', arguments: { text: 'hello' } }]);
    expect(web.requests.every((r) => r.headers['authorization'] === `Bearer ${TOKEN}`)).toBe(true);
    // Both answers went back to the model.
    const toolMessages = (openai.requests[1]?.messages ?? []).filter((m) => m.role === 'tool');
    expect(toolMessages.map((m) => m.tool_call_id)).toEqual(['c1', 'c2']);
    expect(String(toolMessages[0]?.content)).toContain('EXT-1');
    expect(toolMessages[1]?.content).toBe('echo: hello');
    // Every call is in the journal, named server/tool.
    const events = (
      await bosunJson<{ events: { kind: string; data: Record<string, unknown> }[] }>(
        ['run', 'events', 'last'],
        { cwd },
      )
    ).events;
    const calls = events.filter((e) => e.kind === 'agent-tool-call').map((e) => e.data['tool']);
    expect(calls).toEqual(['ext/task_create', 'web/echo']);
    const results = events.filter((e) => e.kind === 'agent-tool-result').map((e) => e.data['ok']);
    expect(results).toEqual([true, true]);
    // The stdio server did not outlive the command.
    expect(existsSync(pidFile)).toBe(true);
    expect(isAlive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
  });
});
