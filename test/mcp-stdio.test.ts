/**
 * `bosun mcp` end to end with the official MCP SDK client over stdio: the built bin as a child
 * process against a real SQLite workspace, as Claude Code or Cursor would start it.
 */

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateWorkspace } from '../bench/generate-workspace.js';
import { BIN, bosunJson, runBosun, tempDir } from './helpers/cli.js';

interface TextContent {
  type: string;
  text: string;
}

const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

async function connect(cwd: string, name: string, args: string[] = []): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'mcp', ...args],
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stderr: 'pipe',
  });
  await client.connect(transport);
  clients.push(client);
  return client;
}

const textOf = (result: object): string =>
  (((result as { content?: unknown }).content ?? []) as TextContent[])
    .map((part) => part.text)
    .join('\n');

let cwd: string;
beforeAll(async () => {
  cwd = tempDir('bosun-mcp-');
  expect((await runBosun(['init'], { cwd })).status).toBe(0);
  expect((await runBosun(['project', 'create', 'HOME', 'Home lab'], { cwd })).status).toBe(0);
  for (let i = 1; i <= 6; i++) {
    expect((await runBosun(['task', 'add', 'HOME', `Task ${i}`], { cwd })).status).toBe(0);
  }
});

describe('bosun mcp over stdio', () => {
  it('lists the core profile: the agent loop in at most 15 tools and 10 KB', async () => {
    const client = await connect(cwd, 'lister');
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name).sort();
    expect(names).toEqual(
      [
        'activity',
        'approval_approve',
        'memory',
        'note_add',
        'run_start',
        'status',
        'task',
        'task_heartbeat',
        'task_list',
        'task_next',
        'task_release',
        'task_show',
        'task_status',
        'tools_describe',
        'tools_discover',
      ].sort(),
    );
    expect(tools.length).toBeLessThanOrEqual(15);
    expect(JSON.stringify(tools).length).toBeLessThanOrEqual(10_000);
    // Lean: no output schemas (tools_describe gives them), no repeated $schema or execution.
    expect(tools.filter((tool) => tool.outputSchema !== undefined)).toEqual([]);
    expect(JSON.stringify(tools)).not.toContain('$schema');
    expect(JSON.stringify(tools)).not.toContain('taskSupport');
    const next = tools.find((tool) => tool.name === 'task_next')!;
    expect(next.annotations).toMatchObject({ readOnlyHint: false });
    expect(tools.find((tool) => tool.name === 'task_list')!.annotations).toEqual({
      readOnlyHint: true,
      openWorldHint: false,
    });
    expect(tools.find((tool) => tool.name === 'task_release')!.annotations).toMatchObject({
      destructiveHint: true,
    });
  });

  it('lists every operation with --profile full, or exactly --tools', async () => {
    const operations = await bosunJson<{ name: string }[]>(['operations'], { cwd });
    const full = await connect(cwd, 'full', ['--profile', 'full']);
    const { tools } = await full.listTools();
    expect(tools).toHaveLength(operations.length);
    // Every tool of the full profile declares its output; the client checks answers against it.
    expect(tools.filter((tool) => tool.outputSchema === undefined).map((t) => t.name)).toEqual([]);
    const shown = await full.callTool({ name: 'task_show', arguments: { task: 'HOME-1' } });
    expect(shown.isError).toBeFalsy();
    expect((shown.structuredContent as { task: { ref: string } }).task.ref).toBe('HOME-1');
    const listed = await full.callTool({ name: 'project_list', arguments: {} });
    expect((listed.structuredContent as { total: number }).total).toBeGreaterThanOrEqual(1);
    const two = await connect(cwd, 'two', ['--tools', 'task.next,note.add']);
    expect((await two.listTools()).tools.map((tool) => tool.name).sort()).toEqual([
      'note_add',
      'task_next',
      'tools_describe',
      'tools_discover',
    ]);
  });

  it('runs the agent loop: create, claim, note, done — audited under the client name', async () => {
    const client = await connect(cwd, 'loop-agent');
    const created = await client.callTool({
      name: 'task',
      arguments: { project: 'HOME', title: 'From MCP', priority: 'p0', start: false },
    });
    expect(created.isError).toBeFalsy();
    expect((created.structuredContent as { run: unknown }).run).toBeNull();
    const ref = (created.structuredContent as { task: { ref: string } }).task.ref;
    expect(textOf(created)).toContain(ref);
    const claimed = await client.callTool({
      name: 'task_next',
      arguments: { project: 'HOME', claim: true, agent: 'loop-agent' },
    });
    expect(claimed.isError).toBeFalsy();
    expect(JSON.stringify(claimed.structuredContent)).toContain(ref);
    const noted = await client.callTool({
      name: 'note_add',
      arguments: { task: ref, body: 'done through MCP' },
    });
    expect(noted.isError).toBeFalsy();
    const audit = await bosunJson<{ actor: string; operation: string }[]>(['audit', 'list', ref], {
      cwd,
    });
    expect(audit.map((entry) => [entry.operation, entry.actor])).toEqual(
      expect.arrayContaining([
        ['task.submit', 'loop-agent'],
        ['task.claim', 'loop-agent'],
      ]),
    );
  });

  it('answers bad arguments with an error naming the field, and refusals as tool errors', async () => {
    const client = await connect(cwd, 'careless');
    const missing = await client
      .callTool({ name: 'task', arguments: { project: 'HOME' } })
      .then((result) => textOf(result))
      .catch((error: Error) => error.message);
    expect(missing).toMatch(/title/);
    const unknown = await client.callTool({
      name: 'task',
      arguments: { project: 'NOPE', title: 'Lost', start: false },
    });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toMatch(/^error\[not_found\]: .*NOPE/);
    // The server is still there.
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
  });

  it('refuses bad arguments to every tool of the full profile naming the field, and lives on', async () => {
    const client = await connect(cwd, 'fuzzer', ['--profile', 'full']);
    const { tools } = await client.listTools();
    for (const tool of tools) {
      const answer = await client
        .callTool({ name: tool.name, arguments: { no_such_field: 1 } })
        .then((result) => ({ error: result.isError === true, text: textOf(result) }))
        .catch((error: Error) => ({ error: true, text: error.message }));
      expect(answer.error, `${tool.name} accepted an unknown field`).toBe(true);
      const required = (tool.inputSchema as { required?: string[] }).required ?? [];
      expect(answer.text, tool.name).toMatch(new RegExp(['no_such_field', ...required].join('|')));
    }
    expect((await client.listTools()).tools).toHaveLength(tools.length);
  });

  it('offers the command-center tools: task submits work, status, activity', async () => {
    const client = await connect(cwd, 'coordinator-client');
    const submitted = await client.callTool({
      name: 'task',
      arguments: { project: 'HOME', title: 'Submitted work', runner: 'mock' },
    });
    expect(submitted.isError, textOf(submitted)).toBeFalsy();
    const { task, run } = submitted.structuredContent as {
      task: { ref: string };
      run: { id: string; name: string; stepsTotal: number };
    };
    expect(run.stepsTotal).toBe(1);
    expect(run.name).toContain(task.ref);
    const status = await client.callTool({ name: 'status', arguments: { run: run.id } });
    expect(status.isError).toBeFalsy();
    expect(textOf(status)).toContain(run.id);
    expect((status.structuredContent as { runs: { id: string }[] }).runs[0]!.id).toBe(run.id);
    const activity = await client.callTool({
      name: 'activity',
      arguments: { actor: 'coordinator-client', fields: ['*'] },
    });
    const entries = (activity.structuredContent as { items: { kind: string; target: string }[] })
      .items;
    expect(entries[0]).toMatchObject({ kind: 'task.submit', target: task.ref });
    const budgets = await client.callTool({ name: 'status', arguments: {} });
    expect(textOf(budgets)).toMatch(/Spend {2}today \$/);
  });

  it('notifies a subscriber of a run page as the run progresses', async () => {
    const client = await connect(cwd, 'watcher');
    const { run } = await bosunJson<{ run: { id: string } }>(
      ['task', 'submit', 'HOME', 'Watched', '--runner', 'mock', '--detach'],
      { cwd },
    );
    const uri = `bosun://run/${run.id}`;
    const updates: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
      updates.push(notification.params.uri);
    });
    await client.subscribeResource({ uri });
    const before = (await client.readResource({ uri })).contents[0] as { text: string };
    expect(before.text).toContain('running');
    const resumed = await runBosun(['run', 'resume', run.id], { cwd });
    expect(resumed.status, resumed.stderr).toBe(0);
    await expect.poll(() => updates, { timeout: 10_000 }).toContain(uri);
    const after = (await client.readResource({ uri })).contents[0] as { text: string };
    expect(after.text).toContain('succeeded');
    await client.unsubscribeResource({ uri });
    const refused = await client
      .subscribeResource({ uri: 'bosun://nothing/1' })
      .catch((e: Error) => e);
    expect(String(refused)).toMatch(/bosun:\/\/task/);
  });

  it('loads any other operation on demand with tools_describe, announcing the new tool list', async () => {
    const client = await connect(cwd, 'explorer');
    const found = await client.callTool({
      name: 'tools_discover',
      arguments: { query: 'dependency' },
    });
    expect(textOf(found)).toContain('dep_add');
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
    });
    const described = await client.callTool({
      name: 'tools_describe',
      arguments: { name: 'dep_add' },
    });
    expect(described.isError).toBeFalsy();
    expect((described.structuredContent as { name: string }).name).toBe('dep_add');
    await expect.poll(() => changed, { timeout: 5_000 }).toBeGreaterThan(0);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('dep_add');
  });

  it('hands four clients claiming at once four different tasks', async () => {
    const agents = await Promise.all([1, 2, 3, 4].map((i) => connect(cwd, `claimer-${i}`)));
    const results = await Promise.all(
      agents.map((client, i) =>
        client.callTool({
          name: 'task_next',
          arguments: { project: 'HOME', claim: true, agent: `claimer-${i + 1}` },
        }),
      ),
    );
    const refs = results.map((result) => {
      expect(result.isError).toBeFalsy();
      const match = /HOME-\d+/.exec(JSON.stringify(result.structuredContent));
      return match?.[0];
    });
    expect(refs.every((ref) => ref !== undefined)).toBe(true);
    expect(new Set(refs).size).toBe(4);
  });

  it('pages a 500-task list: a compact first page under 8 KB, every task once across pages', async () => {
    const big = tempDir('bosun-mcp-big-');
    expect((await runBosun(['init'], { cwd: big })).status).toBe(0);
    const plan = join(big, 'plan.json');
    writeFileSync(plan, JSON.stringify(generateWorkspace({ tasks: 500, doneShare: 0 })));
    const imported = await runBosun(['import', plan], { cwd: big });
    expect(imported.status, imported.stderr).toBe(0);
    const client = await connect(big, 'pager');
    const first = await client.callTool({ name: 'task_list', arguments: { project: 'BENCH' } });
    expect(first.isError).toBeFalsy();
    expect(JSON.stringify(first).length).toBeLessThanOrEqual(8_000);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const result = await client.callTool({
        name: 'task_list',
        arguments: {
          project: 'BENCH',
          fields: ['ref'],
          page_size: 200,
          ...(cursor ? { cursor } : {}),
        },
      });
      const content = result.structuredContent as {
        items: { ref: string }[];
        total: number;
        nextCursor?: string;
      };
      expect(content.total).toBe(500);
      seen.push(...content.items.map((item) => item.ref));
      cursor = content.nextCursor;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(500);
    const whole = await client.callTool({
      name: 'task_list',
      arguments: { project: 'BENCH', fields: ['*'], page_size: 1 },
    });
    expect(Object.keys((whole.structuredContent as { items: object[] }).items[0]!)).toContain(
      'createdAt',
    );
  });

  it('reads a task, a project and a run as markdown, and offers the work-next-task prompt', async () => {
    const client = await connect(cwd, 'reader');
    const task = await client.readResource({ uri: 'bosun://task/HOME-2' });
    const text = (task.contents[0] as { text: string }).text;
    expect(text).toMatch(/^# HOME-2 — Task 2\n/);
    expect(text).toContain('- **status**: ');
    const project = await client.readResource({ uri: 'bosun://project/HOME' });
    expect((project.contents[0] as { text: string }).text).toMatch(/^# HOME — Home lab/);
    expect((project.contents[0] as { text: string }).text).toMatch(/- \*\*tasks\*\*: \d+ todo/);
    const run = await runBosun(['run', 'start', '--project', 'HOME', '--detach', '--json'], {
      cwd,
    });
    const runId = (JSON.parse(run.stdout) as { id: string }).id;
    const page = await client.readResource({ uri: `bosun://run/${runId}` });
    expect((page.contents[0] as { text: string }).text).toContain(
      '| step | status | attempts | error |',
    );
    const missing = await client
      .readResource({ uri: 'bosun://task/HOME-999' })
      .catch((e: Error) => e);
    expect(String(missing)).toMatch(/HOME-999/);
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['work-next-task']);
    const prompt = await client.getPrompt({
      name: 'work-next-task',
      arguments: { project: 'HOME' },
    });
    const message = (prompt.messages[0]!.content as { text: string }).text;
    expect(message).toContain('task_next with project "HOME", claim: true and agent "reader"');
  });
});
