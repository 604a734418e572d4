// The fake `claude` and `codex` binaries in test/fixtures/bin, started with the flags a runner
// will pass and read the way a runner will read them: stdout through splitter, parser and
// accumulator as it arrives.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJsonLineSplitter, parseJsonLine } from './agent-event.js';
import type { AgentEvent, AgentResult, AgentStreamAccumulator } from './agent-event.js';
import { createClaudeCodeAccumulator } from './map-claude-code-event.js';
import { createCodexAccumulator } from './map-codex-event.js';

const BIN = fileURLToPath(new URL('../../../../test/fixtures/bin/', import.meta.url));
const STREAMS = fileURLToPath(new URL('../../../../test/fixtures/agent-streams/', import.meta.url));

interface FakeRun {
  readonly code: number | null;
  readonly stderr: string;
  readonly stdoutChunks: number;
  readonly events: AgentEvent[];
  readonly plain: string[];
  readonly result: AgentResult;
}

let workdir: string;

beforeEach(async () => {
  // A folder outside any git work tree, as Codex's trust check needs for one test.
  workdir = await mkdtemp(join(tmpdir(), 'bosun-fake-agent-'));
});

afterEach(async () => {
  await rm(workdir, { recursive: true, force: true });
});

function runFake(
  binary: 'claude' | 'codex',
  args: readonly string[],
  options: { readonly env?: Record<string, string>; readonly stdin?: string } = {},
): Promise<FakeRun> {
  const accumulator: AgentStreamAccumulator =
    binary === 'claude' ? createClaudeCodeAccumulator() : createCodexAccumulator();
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  for (const key of ['SCRIPT', 'DELAY_MS', 'EXIT', 'LOG']) {
    if (options.env?.[`BOSUN_FAKE_AGENT_${key}`] === undefined) {
      delete env[`BOSUN_FAKE_AGENT_${key}`];
    }
  }
  const child = spawn(join(BIN, binary), args, { cwd: workdir, env });
  const splitter = createJsonLineSplitter();
  const events: AgentEvent[] = [];
  const plain: string[] = [];
  let stderr = '';
  let stdoutChunks = 0;
  const take = (lines: string[]): void => {
    for (const line of lines) {
      const parsed = parseJsonLine(line);
      if (parsed.kind === 'json') events.push(...accumulator.push(parsed.value));
      else plain.push(parsed.text);
    }
  };
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdoutChunks += 1;
    take(splitter.push(chunk));
  });
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.end(options.stdin ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      take(splitter.end());
      resolve({ code, stderr, stdoutChunks, events, plain, result: accumulator.finish() });
    });
  });
}

async function readLog(file: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(file, 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('fake claude', () => {
  it('replays the success stream for a headless run with the real flags, and logs the call', async () => {
    const log = join(workdir, 'calls.jsonl');
    const args = [
      '-p',
      'Fix issue #42',
      '--output-format',
      'stream-json',
      '--verbose',
      '--model',
      'claude-opus-4-1',
      '--max-turns',
      '8',
      '--allowedTools',
      'Read',
      'Edit',
      'Bash(npm test:*)',
      '--append-system-prompt',
      'Reply briefly.',
      '--permission-mode',
      'acceptEdits',
    ];
    const run = await runFake('claude', args, { env: { BOSUN_FAKE_AGENT_LOG: log } });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.plain).toEqual([]);
    expect(run.events[0]).toEqual({
      kind: 'session',
      sessionId: '3f7c2a9e-8b41-4d6a-9e2f-5c1b7d8a0e64',
      model: 'claude-opus-4-1',
    });
    expect(run.result).toMatchObject({
      ok: true,
      sessionId: '3f7c2a9e-8b41-4d6a-9e2f-5c1b7d8a0e64',
      costUsd: 0.0118233,
    });
    const [call] = await readLog(log);
    expect(call).toMatchObject({
      agent: 'claude',
      argv: args,
      prompt: 'Fix issue #42',
      options: {
        model: 'claude-opus-4-1',
        maxTurns: '8',
        allowedTools: ['Read', 'Edit', 'Bash(npm test:*)'],
        appendSystemPrompt: 'Reply briefly.',
        permissionMode: 'acceptEdits',
      },
    });
    expect(await realpath(String(call?.cwd))).toBe(await realpath(workdir));
  });

  it('answers with the resumed session id on --resume', async () => {
    const session = '5d6e7f80-9a1b-4c2d-8e3f-405162738495';
    const run = await runFake('claude', [
      '-p',
      'Now add a test',
      '--resume',
      session,
      '--output-format',
      'stream-json',
      '--verbose',
    ]);
    expect(run.events[0]).toMatchObject({ kind: 'session', sessionId: session });
    expect(run.result.sessionId).toBe(session);
  });

  it('reads the prompt from stdin when none is given', async () => {
    const log = join(workdir, 'calls.jsonl');
    const run = await runFake('claude', ['-p', '--output-format=stream-json', '--verbose'], {
      env: { BOSUN_FAKE_AGENT_LOG: log },
      stdin: 'Summarize the README\n',
    });
    expect(run.code).toBe(0);
    expect((await readLog(log))[0]?.prompt).toBe('Summarize the README');
  });

  it('replays a turn-limit stream and exits 1, as the real CLI does after error_max_turns', async () => {
    const run = await runFake(
      'claude',
      ['-p', 'Export invoices', '--output-format', 'stream-json', '--verbose', '--max-turns', '2'],
      { env: { BOSUN_FAKE_AGENT_SCRIPT: join(STREAMS, 'claude-code-error-max-turns.jsonl') } },
    );
    expect(run.code).toBe(1);
    expect(run.result).toMatchObject({
      ok: false,
      errorType: 'error_max_turns',
      error: 'Reached maximum number of turns (2)',
    });
  });

  it('refuses an unknown flag as Commander does: a message on stderr and exit 1', async () => {
    const run = await runFake('claude', ['-p', 'hi', '--yolo']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("error: unknown option '--yolo'\n");
    expect(run.events).toEqual([]);
  });

  it('refuses stream-json in print mode without --verbose, as Claude Code does', async () => {
    const run = await runFake('claude', ['-p', 'hi', '--output-format', 'stream-json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'Error: When using --print, --output-format=stream-json requires --verbose\n',
    );
  });

  it('refuses a permission mode the CLI does not have', async () => {
    const run = await runFake('claude', ['-p', 'hi', '--permission-mode', 'yolo']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("argument 'yolo' is invalid");
  });

  it('exits with BOSUN_FAKE_AGENT_EXIT when it is set', async () => {
    const run = await runFake(
      'claude',
      ['-p', 'hi', '--output-format', 'stream-json', '--verbose'],
      {
        env: { BOSUN_FAKE_AGENT_EXIT: '3' },
      },
    );
    expect(run.code).toBe(3);
    expect(run.result.ok).toBe(true);
  });
});

describe('fake codex', () => {
  it('replays the success stream for `exec --json` with the real flags, and logs the call', async () => {
    const log = join(workdir, 'calls.jsonl');
    const args = [
      'exec',
      '--json',
      '--skip-git-repo-check',
      '-C',
      workdir,
      '--model',
      'gpt-5-codex',
      '--sandbox',
      'workspace-write',
      'Fix issue #42',
    ];
    const run = await runFake('codex', args, { env: { BOSUN_FAKE_AGENT_LOG: log } });
    expect(run.code).toBe(0);
    expect(run.plain).toEqual([]);
    expect(run.result).toMatchObject({
      ok: true,
      text: 'The API listens on port 8080 unless `PORT` is set (`src/server.ts:12`).',
      sessionId: '019a4f3c-2b7e-7d21-9c4a-6f0e8b1d3a57',
      usage: { inputTokens: 24763, cachedInputTokens: 24448, outputTokens: 122 },
    });
    expect((await readLog(log))[0]).toMatchObject({
      agent: 'codex',
      argv: args,
      prompt: 'Fix issue #42',
      resume: null,
      options: { json: true, model: 'gpt-5-codex', sandbox: 'workspace-write', cd: workdir },
    });
  });

  it('names the resumed thread on `exec resume ID`, with options on both sides of it', async () => {
    const thread = '019a5111-2222-7333-8444-555566667777';
    const log = join(workdir, 'calls.jsonl');
    const run = await runFake(
      'codex',
      ['exec', '--json', 'resume', '--skip-git-repo-check', thread, 'Now add a test'],
      { env: { BOSUN_FAKE_AGENT_LOG: log } },
    );
    expect(run.code).toBe(0);
    expect(run.events[0]).toEqual({ kind: 'session', sessionId: thread, model: null });
    expect(run.result.sessionId).toBe(thread);
    expect((await readLog(log))[0]).toMatchObject({ resume: thread, prompt: 'Now add a test' });
  });

  it('reads the prompt from stdin when it is `-`', async () => {
    const log = join(workdir, 'calls.jsonl');
    const run = await runFake('codex', ['exec', '--json', '--skip-git-repo-check', '-'], {
      env: { BOSUN_FAKE_AGENT_LOG: log },
      stdin: 'Explain the build\n',
    });
    expect(run.code).toBe(0);
    expect((await readLog(log))[0]?.prompt).toBe('Explain the build');
  });

  it('replays a failed turn and exits 1, as `codex exec` does after turn.failed', async () => {
    const run = await runFake('codex', ['exec', '--json', '--skip-git-repo-check', 'Export'], {
      env: { BOSUN_FAKE_AGENT_SCRIPT: join(STREAMS, 'codex-turn-failed.jsonl') },
    });
    expect(run.code).toBe(1);
    expect(run.result).toMatchObject({ ok: false, errorType: 'turn_failed' });
  });

  it('refuses an unknown flag as clap does: a usage message on stderr and exit 2', async () => {
    const run = await runFake('codex', ['exec', '--json', '--yolo', 'hi']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: unexpected argument '--yolo' found\n/);
    expect(run.stderr).toContain('Usage: codex exec [OPTIONS] [PROMPT]');
  });

  it('refuses a sandbox mode Codex does not have, with exit 2', async () => {
    const run = await runFake('codex', ['exec', '--sandbox', 'none', 'hi']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("invalid value 'none' for '--sandbox <SANDBOX_MODE>'");
  });

  it('refuses to run outside a git work tree without --skip-git-repo-check', async () => {
    const run = await runFake('codex', ['exec', '--json', 'hi']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'Not inside a trusted directory and --skip-git-repo-check was not specified.\n',
    );
    expect(run.events).toEqual([]);
  });

  it('writes its lines apart when asked to pause between them', async () => {
    const run = await runFake('codex', ['exec', '--json', '--skip-git-repo-check', 'hi'], {
      env: { BOSUN_FAKE_AGENT_DELAY_MS: '15' },
    });
    expect(run.code).toBe(0);
    expect(run.stdoutChunks).toBeGreaterThan(1);
    expect(run.result.ok).toBe(true);
  });
});
