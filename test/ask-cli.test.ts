/**
 * `bosun ask` end to end through the built bin on SQLite workspaces: without a model it gives the
 * best passages with refs a person can follow (`memory show`, `task show`); with an analyst agent
 * on a fake OpenAI-compatible server it answers from numbered passages, its citations are mapped
 * to refs and a citation of a passage that does not exist is dropped; a failing model falls back
 * to the passages unless a model was asked for by name; bad input is refused naming the field.
 */

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAIServer } from '../src/testing/fake-openai-server.js';
import type { FakeOpenAIServer } from '../src/testing/fake-openai-server.js';
import { BIN, bosunJson, runBosun, tempDir } from './helpers/cli.js';

interface PassageJson {
  n: number;
  ref: string;
  source: 'task' | 'memory' | 'run' | 'project';
  id: string;
  title: string;
  status: string;
  snippet: string;
  text: string;
  named: boolean;
}

interface AskJson {
  question: string;
  answer: string | null;
  citations: { n: number; ref: string; title: string; snippet: string }[];
  answeredBy: 'passages' | { agent: string | null; model: string };
  passages: PassageJson[];
  note?: string;
  report: string;
}

const QUESTION = 'How did we fix the flaky backup test?';

/** A workspace with two projects, a few tasks and memories; bosun.yaml gets `agents` appended. */
async function workspace(agents = ''): Promise<{ cwd: string; lesson: string; cookie: string }> {
  const cwd = tempDir('bosun-ask-');
  const init = await runBosun(['init'], { cwd });
  expect(init.status, init.stderr).toBe(0);
  if (agents !== '') {
    const config = join(cwd, '.bosun', 'bosun.yaml');
    writeFileSync(config, `${readFileSync(config, 'utf8')}\n${agents}\n`);
  }
  const run = (args: string[]) => bosunJson<{ id: string }>(args, { cwd });
  await run(['project', 'create', 'HOME', 'Home lab']);
  await run(['project', 'create', 'SHOP', 'Web shop']);
  await run([
    'task',
    'add',
    'HOME',
    'Fix the flaky backup test',
    '-d',
    'The nightly backup test fails when the NAS is mounted read-only.',
  ]);
  await run(['task', 'add', 'HOME', 'Write the release notes']);
  await run(['task', 'add', 'SHOP', 'Add a login page', '-d', 'Sessions use a signed cookie.']);
  const lesson = await run([
    'memory',
    'store',
    'The flaky backup test was fixed by mounting the NAS read-write before the restore step.',
    '-k',
    'lesson',
    '-s',
    'task:HOME-1',
  ]);
  const cookie = await run([
    'memory',
    'store',
    'The login page keeps the session in a signed cookie, rotated daily.',
    '-k',
    'design_doc',
    '-s',
    'project:SHOP',
  ]);
  return { cwd, lesson: lesson.id, cookie: cookie.id };
}

const refOf = (passages: readonly PassageJson[], source: string, id: string): string =>
  passages.find((passage) => passage.source === source && passage.id === id)?.ref ?? '(none)';

describe('bosun ask without a model', () => {
  let cwd: string;
  let lesson: string;
  let cookie: string;
  beforeAll(async () => {
    ({ cwd, lesson, cookie } = await workspace());
  });

  it('gives the best passages, citing the task and the memory that answer the question', async () => {
    const asked = await bosunJson<AskJson>(['ask', QUESTION], { cwd });
    expect(asked).toMatchObject({
      question: QUESTION,
      answer: null,
      citations: [],
      answeredBy: 'passages',
    });
    expect(asked.note).toMatch(
      /^no model configured \(no agent plays role 'analyst'.*\): the best passages, best first$/,
    );
    const refs = asked.passages.map((passage) => passage.ref);
    const lessonRef = refOf(asked.passages, 'memory', lesson);
    expect(refs.slice(0, 2)).toEqual(['task:HOME-1', lessonRef]);
    // Nothing about the shop's cookie: it holds none of the question's words.
    expect(refs).not.toContain(refOf(asked.passages, 'memory', cookie));
    expect(refs).not.toContain('task:SHOP-1');
    expect(asked.passages.map((passage) => passage.n)).toEqual(refs.map((_, index) => index + 1));

    const [task, memory] = asked.passages;
    expect(task).toMatchObject({
      source: 'task',
      title: 'Fix the flaky backup test',
      status: 'todo',
      named: false,
      snippet: 'The nightly backup test fails when the NAS is mounted read-only.',
    });
    expect(task!.text).toContain('HOME-1: Fix the flaky backup test (status todo;');
    expect(memory).toMatchObject({ source: 'memory', id: lesson, title: 'lesson (task:HOME-1)' });
    expect(memory!.text).toContain('mounting the NAS read-write');

    // A memory ref is a short id that `bosun memory show` takes.
    expect(lessonRef).toMatch(/^memory:[0-9A-Z]{8,}$/);
    const shown = await bosunJson<{ id: string }>(['memory', 'show', lessonRef.slice(7)], {
      cwd,
    });
    expect(shown.id).toBe(lesson);
  });

  it('prints the passages with their refs, clearly labelled as no answer', async () => {
    const printed = await runBosun(['ask', QUESTION], { cwd });
    expect(printed.status, printed.stderr).toBe(0);
    const lines = printed.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^No answer: no model configured .*: the best passages, best first\.$/,
    );
    expect(lines[1]).toBe('');
    expect(lines[2]).toBe('[1] task:HOME-1  Fix the flaky backup test  (todo)');
    expect(lines[3]).toBe('    The nightly backup test fails when the NAS is mounted read-only.');
    expect(lines[4]).toMatch(/^\[2\] memory:[0-9A-Z]{8,} {2}lesson \(task:HOME-1\)$/);
  });

  it('puts what the question names first, and keeps to one project with --project', async () => {
    const named = await bosunJson<AskJson>(['ask', 'What is left on HOME-2 and SHOP?'], { cwd });
    expect(named.passages.slice(0, 2).map((passage) => [passage.ref, passage.named])).toEqual([
      ['task:HOME-2', true],
      ['project:SHOP', true],
    ]);
    expect(named.passages[1]!.text).toContain('Project SHOP: Web shop (status active');

    const shop = await bosunJson<AskJson>(['ask', 'login session cookie', '-p', 'SHOP'], { cwd });
    expect(shop.passages.map((passage) => passage.ref).sort()).toEqual(
      [refOf(shop.passages, 'memory', cookie), 'task:SHOP-1'].sort(),
    );
    const home = await bosunJson<AskJson>(['ask', 'login session cookie', '-p', 'HOME'], { cwd });
    expect(home.passages).toEqual([]);
    expect(home.note).toBe(
      "no model configured (no agent plays role 'analyst'; add one to bosun.yaml, or pass --agent or --model)",
    );

    const limited = await bosunJson<AskJson>(['ask', QUESTION, '-n', '1'], { cwd });
    expect(limited.passages.map((passage) => passage.ref)).toEqual(['task:HOME-1']);
  });

  it('says when nothing matches', async () => {
    const printed = await runBosun(['ask', 'quantum entanglement'], { cwd });
    expect(printed.status, printed.stderr).toBe(0);
    expect(printed.stdout).toMatch(
      /^Nothing in this workspace's memory or plans matches the question\.\nNote: no model configured/,
    );
  });

  it('refuses bad input naming the field', async () => {
    const refusals: [string[], number, string][] = [
      [['ask', ''], 2, 'error[invalid_input]: question: must not be empty'],
      [['ask', '   '], 2, 'error[invalid_input]: question: must not be empty'],
      [['ask'], 2, 'error[invalid_input]: question: is required'],
      [
        ['ask', 'x'.repeat(1_001)],
        2,
        'error[invalid_input]: question: must be at most 1000 characters',
      ],
      [['ask', QUESTION, '-n', '0'], 2, 'error[invalid_input]: limit: must be at least 1'],
      [['ask', QUESTION, '-n', '21'], 2, 'error[invalid_input]: limit: must be at most 20'],
      [['ask', QUESTION, '--project', 'NOPE'], 4, "error[not_found]: project: no project 'NOPE'"],
      [
        ['ask', QUESTION, '--no-model', '--agent', 'analyst'],
        2,
        'error[invalid_input]: model: must not be null (--no-model) when an agent is named',
      ],
      [
        ['ask', QUESTION, '--agent', 'nobody'],
        4,
        "error[not_found]: agent: unknown agent 'nobody'",
      ],
      [['ask', QUESTION, '--model', 'huge'], 4, "error[not_found]: model: no model 'huge'"],
    ];
    for (const [args, status, message] of refusals) {
      const refused = await runBosun(args, { cwd });
      expect(refused.status, `${args.join(' ')}: ${refused.stderr}`).toBe(status);
      expect(refused.stderr.startsWith(message), refused.stderr).toBe(true);
      expect(refused.stdout).toBe('');
    }
  });

  it('is the operation workspace.ask, callable with JSON', async () => {
    const called = await runBosun(
      [
        'call',
        'workspace.ask',
        '--input',
        JSON.stringify({ question: 'flaky backup', model: null }),
      ],
      { cwd },
    );
    expect(called.status, called.stderr).toBe(0);
    const asked = JSON.parse(called.stdout) as AskJson;
    expect(asked.answeredBy).toBe('passages');
    expect(asked.note).toBe('no model asked (--no-model): the best passages, best first');
    expect(asked.passages[0]!.ref).toBe('task:HOME-1');
    expect(asked.report).toContain('[1] task:HOME-1');
  });

  it('is the MCP tool workspace_ask of the full profile, its answer checked against its schema', async () => {
    const client = new Client({ name: 'asker', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [BIN, 'mcp', '--profile', 'full'],
        cwd,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
        stderr: 'pipe',
      }),
    );
    try {
      const result = await client.callTool({
        name: 'workspace_ask',
        arguments: { question: QUESTION, limit: 1 },
      });
      expect(result.isError).toBeFalsy();
      const asked = result.structuredContent as unknown as AskJson;
      expect(asked.answeredBy).toBe('passages');
      expect(asked.passages.map((passage) => passage.ref)).toEqual(['task:HOME-1']);
    } finally {
      await client.close();
    }
  });

  it("matches a task's words from their start, by their first five letters", async () => {
    await bosunJson(
      ['task', 'add', 'HOME', 'Ship the latest installer', '-d', 'It restores old snapshots.'],
      { cwd },
    );
    const tasksFor = async (question: string) =>
      (await bosunJson<AskJson>(['ask', question, '--no-model'], { cwd })).passages
        .filter((passage) => passage.source === 'task')
        .map((passage) => passage.ref);
    expect(await tasksFor('restoring')).toEqual(['task:HOME-3']);
    expect(await tasksFor('test')).toEqual(['task:HOME-1']);
  });
});

describe('bosun ask with an analyst agent', () => {
  let server: FakeOpenAIServer;
  let cwd: string;
  let lesson: string;
  beforeAll(async () => {
    server = await startFakeOpenAIServer();
    ({ cwd, lesson } = await workspace(
      [
        'models:',
        `  local: { provider: openai-compatible, base_url: "${server.url}", model: qwen-analyst, price: { input: 1, output: 2 } }`,
        'agents:',
        '  analyst: { role: analyst, runner: llm, model: local, instructions: Answer in one sentence. }',
      ].join('\n'),
    ));
  });
  afterAll(async () => {
    await server.close();
  });

  /** The passages the model will be given: the same question finds the same ones. */
  const passagesFor = async (question: string) =>
    (await bosunJson<AskJson>(['ask', question, '--no-model'], { cwd })).passages;

  it('answers from numbered passages, maps its citations to refs and drops one that does not exist', async () => {
    const passages = await passagesFor(QUESTION);
    expect(server.requests).toHaveLength(0); // --no-model asks no model
    const task = passages.find((passage) => passage.ref === 'task:HOME-1')!;
    const memory = passages.find((passage) => passage.id === lesson)!;
    server.enqueue({
      type: 'text',
      text: `It failed while the NAS was mounted read-only; mounting it read-write fixed it [${memory.n}][${task.n}]. It was retried twice [9].`,
      usage: { promptTokens: 400, completionTokens: 30 },
    });

    const asked = await bosunJson<AskJson>(['ask', QUESTION], { cwd });
    expect(asked.answer).toBe(
      `It failed while the NAS was mounted read-only; mounting it read-write fixed it [${memory.n}][${task.n}]. It was retried twice.`,
    );
    expect(asked.citations).toEqual([
      { n: memory.n, ref: memory.ref, title: 'lesson (task:HOME-1)', snippet: memory.snippet },
      { n: task.n, ref: 'task:HOME-1', title: 'Fix the flaky backup test', snippet: task.snippet },
    ]);
    expect(asked.answeredBy).toEqual({ agent: 'analyst', model: 'local' });
    expect(asked.note).toBe('dropped citations of passages that do not exist: [9]');
    expect(asked.passages).toEqual(passages);

    // The model was told to answer from the passages only, and given each with its number.
    const request = server.requests.at(-1)!;
    expect(request.model).toBe('qwen-analyst');
    const [system, user] = request.messages;
    expect(system!.role).toBe('system');
    expect(String(system!.content)).toContain('using only the numbered passages');
    expect(String(system!.content)).toContain('Answer in one sentence.');
    expect(String(user!.content)).toContain(`Question: ${QUESTION}`);
    expect(String(user!.content)).toContain(
      `[${task.n}] task:HOME-1 (task: Fix the flaky backup test)\nHOME-1: Fix the flaky backup test`,
    );
    expect(String(user!.content)).toContain(`[${memory.n}] ${memory.ref} (memory:`);

    // The call is in the cost ledger, under the analyst.
    const spend = await bosunJson<{ rows: { key: string; calls: number }[] }>(
      ['cost', 'report', '--by', 'agent'],
      { cwd },
    );
    expect(spend.rows).toEqual([expect.objectContaining({ key: 'analyst', calls: 1 })]);
  });

  it('prints the answer with its sources', async () => {
    const passages = await passagesFor(QUESTION);
    const memory = passages.find((passage) => passage.id === lesson)!;
    server.enqueue({
      type: 'text',
      text: `Mounting the NAS read-write fixed it [${memory.ref}] [task:HOME-1][memory:ZZZZZZZZ].`,
    });
    const printed = await runBosun(['ask', QUESTION], { cwd });
    expect(printed.status, printed.stderr).toBe(0);
    const [first, ...rest] = printed.stdout.split('\n');
    expect(first).toBe(`Mounting the NAS read-write fixed it [${memory.n}] [1].`);
    expect(rest.join('\n')).toContain(
      [
        'Sources:',
        `  [${memory.n}] ${memory.ref.padEnd(Math.max(memory.ref.length, 11))}  lesson (task:HOME-1)`,
        `  [1] ${'task:HOME-1'.padEnd(Math.max(memory.ref.length, 11))}  Fix the flaky backup test`,
      ].join('\n'),
    );
    expect(printed.stdout).toContain(
      `Answered by analyst (model local) from ${passages.length} passages (--json shows them).`,
    );
    expect(printed.stdout).toContain(
      'Note: dropped citations of passages that do not exist: [memory:ZZZZZZZZ].',
    );
  });

  it('falls back to the passages when the model fails, unless the agent was named', async () => {
    server.enqueue({ type: 'http-error', status: 400, message: 'context length exceeded' });
    const fallback = await bosunJson<AskJson>(['ask', QUESTION], { cwd });
    expect(fallback).toMatchObject({ answer: null, answeredBy: 'passages', citations: [] });
    expect(fallback.note).toMatch(
      /^the model failed \(ask: model 'local': request refused by .*context length exceeded.*\): the best passages, best first$/,
    );
    expect(fallback.passages[0]!.ref).toBe('task:HOME-1');

    server.enqueue({ type: 'http-error', status: 400, message: 'context length exceeded' });
    const forced = await runBosun(['ask', QUESTION, '--agent', 'analyst'], { cwd });
    expect(forced.status).toBe(10);
    expect(forced.stderr).toMatch(/^error\[unavailable\]: ask: model 'local': request refused by/);
    expect(forced.stdout).toBe('');
  });

  it('asks no model when nothing matches the question', async () => {
    const before = server.requests.length;
    const asked = await bosunJson<AskJson>(['ask', 'quantum entanglement'], { cwd });
    expect(asked).toMatchObject({ answer: null, answeredBy: 'passages', passages: [] });
    expect(asked.note).toBe('no model was asked: there is nothing to answer from');
    expect(server.requests).toHaveLength(before);
  });
});
