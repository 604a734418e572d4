import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentConfigSchema } from '../../../domain/agent.js';
import type { AgentProfile, PreviousAttempt } from '../../../ports/runner.js';
import { StepFailure } from '../../../shared/step-failure.js';
import { composeAgentPrompt } from '../agent-cli/agent-prompt.js';
import {
  describeRunnerConformance,
  waitUntilProcessesExit,
} from '../../../testing/runner-conformance.js';
import { createStepContext } from '../../../testing/step-context.js';
import type { TestStepContext } from '../../../testing/step-context.js';
import { createProcessRunner } from './index.js';
import type { PseudoTerminal, PseudoTerminalSpawnFunction } from './index.js';
import { MAX_COMMAND_BYTES, MAX_TRANSCRIPT_BYTES, TerminalLines } from './process-runner.js';

/** The pids a command wrote, one a line, into `file` in its folder; none when it never ran. */
async function readPids(file: string): Promise<number[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split(/\s+/).filter(Boolean).map(Number);
}

interface ProcessOutput {
  readonly exitCode: number;
  readonly transcript: string;
  readonly lines: number;
}

describeRunnerConformance('process', () => createProcessRunner(), {
  succeeds: {
    settings: { command: `printf 'one\\ntwo\\n'` },
    input: { ignored: true },
    output: { exitCode: 0, transcript: 'one\ntwo', lines: 2 },
  },
  fails: {
    settings: { command: 'echo working; echo oops >&2; exit 3' },
    message: 'command exited with status 3',
    retryable: true,
    outputTail: 'oops',
  },
  invalidSettings: { settings: { command: 'true', timeout: '5s' }, key: 'timeout' },
  runsUntilAborted: {
    // The shell and a background grandchild, both of which must be gone after an abort.
    settings: { command: 'echo $$ > pids; sleep 300 & echo $! >> pids; echo started; wait' },
    processIds: (workdir) => readPids(join(workdir, 'pids')),
  },
  emits: {
    // A terminal has one screen: stderr shows up among stdout, in order.
    settings: { command: 'echo one; echo two >&2; echo three' },
    lines: [
      { stream: 'stdout', text: 'one' },
      { stream: 'stdout', text: 'two' },
      { stream: 'stdout', text: 'three' },
    ],
  },
  echoes: {
    settings: { command: `printf '%s\\n' "$BOSUN_IDEMPOTENCY_KEY" {{prompt}}` },
    read: (output) => {
      const lines = (output as unknown as ProcessOutput).transcript.split('\n');
      return {
        idempotencyKey: lines[0],
        previousErrors: lines.flatMap((line) => {
          const match = /^- Attempt \d+ \(\w+\): (.*)$/.exec(line);
          return match ? [match[1]] : [];
        }),
      };
    },
  },
});

async function failureOf(promise: Promise<unknown>): Promise<StepFailure> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(StepFailure);
    return error as StepFailure;
  }
  throw new Error('expected the attempt to fail');
}

function agentProfile(command: string, instructions = ''): AgentProfile {
  return {
    name: 'aider',
    config: AgentConfigSchema.parse({ runner: 'process', command }),
    instructions,
    model: null,
  };
}

/** A terminal that prints `chunks` one event-loop turn apart, then exits with `exitCode`. */
function scriptedTerminal(chunks: readonly string[], exitCode = 0): PseudoTerminalSpawnFunction {
  return () => {
    let onData: (data: string) => void = () => undefined;
    let onExit: (exit: { exitCode: number }) => void = () => undefined;
    const terminal: PseudoTerminal = {
      pid: 2 ** 22 + 1, // above Linux's pid_max: signalling it finds no one
      onData: (listener) => (onData = listener),
      onExit: (listener) => (onExit = listener),
    };
    void (async () => {
      for (const chunk of chunks) {
        await new Promise((resolve) => setImmediate(resolve));
        onData(chunk);
      }
      await new Promise((resolve) => setImmediate(resolve));
      onExit({ exitCode });
    })();
    return terminal;
  };
}

describe('process runner', () => {
  let workdir = '';
  beforeEach(async () => {
    workdir = await realpath(await mkdtemp(join(tmpdir(), 'bosun-process-')));
  });
  afterEach(async () => {
    await rm(workdir, { recursive: true, force: true });
  });
  const contextFor = (
    command: string | undefined,
    overrides: Parameters<typeof createStepContext>[0] = {},
  ): TestStepContext => {
    const { agent, env, ...rest } = overrides;
    const context = createStepContext({
      workdir,
      ...(command === undefined ? {} : { settings: { command } }),
      ...rest,
    });
    // createStepContext leaves out the agent and the environment.
    return { ...context, agent, env };
  };
  const run = async (
    command: string | undefined,
    overrides: Parameters<typeof createStepContext>[0] = {},
    runner = createProcessRunner(),
  ): Promise<ProcessOutput> =>
    (await runner.execute(contextFor(command, overrides))).output as unknown as ProcessOutput;

  describe('the transcript', () => {
    it('emits each line as it completes, in order, and returns them as the output', async () => {
      const context = contextFor(
        `printf 'first\\n'; node -e "console.log('second'); console.log('third')"; printf 'last'`,
      );
      const outcome = await createProcessRunner().execute(context);
      expect(context.emitted).toEqual(
        ['first', 'second', 'third', 'last'].map((text) => ({ stream: 'stdout', text })),
      );
      expect(outcome).toEqual({
        output: { exitCode: 0, transcript: 'first\nsecond\nthird\nlast', lines: 4 },
      });
    });

    it('removes colours, titles and other escape sequences', async () => {
      const context = contextFor(
        `printf '\\033[1;31mred\\033[0m and \\033]0;a title\\007plain\\033[?25l\\n'`,
      );
      await createProcessRunner().execute(context);
      expect(context.linesOf('stdout')).toEqual(['red and plain']);
    });

    it('collapses carriage-return redraws to what the line finally shows', async () => {
      const context = contextFor(
        `printf 'progress 10%%\\rprogress 50%%\\rprogress 100%%\\n'; ` +
          `printf 'Downloading the model\\r\\033[2KDone\\n'; ` +
          `printf 'abcdef\\rXY\\n'; printf 'typo\\b\\b\\b\\bfixed\\n'`,
      );
      const output = (await createProcessRunner().execute(context)).output as unknown;
      expect(context.linesOf('stdout')).toEqual(['progress 100%', 'Done', 'XYcdef', 'fixed']);
      expect(output).toMatchObject({ transcript: 'progress 100%\nDone\nXYcdef\nfixed', lines: 4 });
    });

    it('reads an escape sequence that arrives split across chunks', async () => {
      const runner = createProcessRunner({
        spawn: scriptedTerminal([
          'a\x1b',
          '[3',
          '1mred\x1b[0',
          'm\r',
          '\n\x1b]0;ti',
          'tle\x07b\r\n',
        ]),
      });
      const context = contextFor('ignored');
      await runner.execute(context);
      expect(context.linesOf('stdout')).toEqual(['ared', 'b']);
    });

    it('passes on the last line even without a newline, but no empty one', async () => {
      const context = contextFor(`printf 'a\\n\\nno newline'`);
      const output = await createProcessRunner()
        .execute(context)
        .then((outcome) => outcome.output as unknown as ProcessOutput);
      expect(context.linesOf('stdout')).toEqual(['a', '', 'no newline']);
      expect(output.lines).toBe(3);
      const ending = contextFor(`printf 'a\\n\\033[0m'`);
      await createProcessRunner().execute(ending);
      expect(ending.linesOf('stdout')).toEqual(['a']);
    });

    it('reads everything a command printed just before it exited, however slow emit is', async () => {
      // libuv can take the terminal's hang-up for the end of its output while a few kilobytes
      // are still unread; a slow reader makes that likely.
      const context = contextFor('seq 1 20000');
      const slowContext = {
        ...context,
        emit: (stream: 'stdout' | 'stderr' | 'text', text: string) => {
          context.emit(stream, text);
          const start = performance.now();
          while (performance.now() - start < 0.02);
        },
      };
      await createProcessRunner().execute(slowContext);
      const lines = context.linesOf('stdout');
      expect(lines.length).toBe(20_000);
      expect(lines.at(-1)).toBe('20000');
    });

    it('returns at most the last 64 KB of the transcript, in whole lines, and counts all', async () => {
      const output = await run('seq 1 20000');
      expect(output.lines).toBe(20_000);
      expect(Buffer.byteLength(output.transcript)).toBeLessThanOrEqual(MAX_TRANSCRIPT_BYTES);
      expect(output.transcript.endsWith('\n19999\n20000')).toBe(true);
      const first = Number(output.transcript.split('\n')[0]);
      expect(output.transcript).toBe(
        Array.from({ length: 20_000 - first + 1 }, (_, index) => first + index).join('\n'),
      );
    });
  });

  describe('what the command is handed', () => {
    it('passes the prompt as one argument, verbatim, whatever characters it holds', async () => {
      const prompt =
        `it's "quoted" \\ and $(touch pwned) and \`touch pwned\` and $HOME and $& and $'\n` +
        `a second line\n\n  indented; rm -rf / # not a comment\n`;
      await run(`printf '%s' {{prompt}} > argument`, {
        input: prompt,
      });
      expect(await readFile(join(workdir, 'argument'), 'utf8')).toBe(prompt);
      await expect(readFile(join(workdir, 'pwned'))).rejects.toThrow();
    });

    it('replaces every {{prompt}}, and gives an input that is not a string as JSON', async () => {
      await run(`printf '%s|%s' {{prompt}} {{prompt}} > argument`, { input: { n: [1, 'a'] } });
      const json = JSON.stringify({ n: [1, 'a'] }, null, 2);
      expect(await readFile(join(workdir, 'argument'), 'utf8')).toBe(`${json}|${json}`);
    });

    it('puts the agent’s instructions first and how earlier attempts failed last', async () => {
      const previousAttempts: PreviousAttempt[] = [
        {
          attempt: 1,
          kind: 'error',
          error: 'tests failed',
          outputTail: 'FAIL src/a.test.ts\n',
          comment: null,
          session: null,
        },
        {
          attempt: 2,
          kind: 'rejected',
          error: 'approval rejected',
          outputTail: '',
          comment: 'use the helper',
          // Left by another runner: a CLI in a terminal has no conversation to resume.
          session: 'session_1',
        },
      ];
      await run(undefined, {
        agent: agentProfile(`printf '%s' {{prompt}} > prompt`, 'You are careful.\n'),
        input: 'Fix the bug.',
        previousAttempts,
      });
      const prompt = await readFile(join(workdir, 'prompt'), 'utf8');
      expect(prompt.startsWith('You are careful.\n\nFix the bug.\n\n')).toBe(true);
      expect(prompt).toContain('Attempt 1 (error): tests failed');
      expect(prompt).toContain(
        "Attempt 2 (rejected): approval rejected\n  Reviewer's comment: use the helper",
      );
      // The same words every CLI agent gets.
      expect(prompt).toBe(
        composeAgentPrompt(
          {
            input: 'Fix the bug.',
            previousAttempts: previousAttempts.map((previous) => ({ ...previous, session: null })),
          },
          { preamble: 'You are careful.\n' },
        ).text,
      );
    });

    it('runs in the workdir, in a 120×40 xterm-256color terminal, with the BOSUN_* variables', async () => {
      const runner = createProcessRunner({
        env: { PATH: process.env['PATH'], FROM_PARENT: 'yes', COLUMNS: '80', BOSUN_RUN_ID: 'x' },
      });
      const output = await run(
        'pwd; stty size; [ -t 0 ] && [ -t 1 ] && echo tty; ' +
          'printf "%s|" "$TERM" "$FROM_PARENT" "$FROM_ATTEMPT" "${COLUMNS-unset}" ' +
          '"$BOSUN_RUN_ID" "$BOSUN_STEP" "$BOSUN_STEP_ID" "$BOSUN_ATTEMPT" "$BOSUN_IDEMPOTENCY_KEY"',
        {
          runId: 'run_1',
          stepKey: 'build',
          stepId: 'step_1',
          attempt: 2,
          idempotencyKey: 'run_1:step_1:1',
          env: { FROM_ATTEMPT: 'also' },
        },
        runner,
      );
      expect(output.transcript.split('\n')).toEqual([
        workdir,
        '40 120',
        'tty',
        'xterm-256color|yes|also|unset|run_1|build|step_1|2|run_1:step_1:1|',
      ]);
    });

    it('writes nothing to the terminal’s input', async () => {
      // Nothing announces that no input came, so the reader gives it 200 ms, in raw mode so that
      // even a prompt without a newline would show.
      const output = await run(
        `node -e "process.stdin.setRawMode(true); ` +
          `process.stdin.once('data', (d) => { console.log('got ' + d); process.exit(0); }); ` +
          `setTimeout(() => { console.log('nothing'); process.exit(0); }, 200)"`,
        { input: 'hello' },
      );
      expect(output.transcript).toBe('nothing');
    });
  });

  describe('settings', () => {
    it.each<[string, Parameters<typeof createStepContext>[0], string]>([
      [
        'a step without a command',
        { settings: {} },
        'process runner: with.command: is required (or give the step an agent with a command)',
      ],
      ['an empty command', { settings: { command: '  ' } }, 'with.command: must not be empty'],
      ['a command that is not text', { settings: { command: 42 } }, 'with.command:'],
      [
        'an unknown key',
        { settings: { command: 'true', comand: 'x' } },
        'with.comand: is not a process runner setting (known: command)',
      ],
      [
        'a command on both the step and its agent',
        { settings: { command: 'true' }, agent: agentProfile('aider {{prompt}}') },
        "with.command: is not allowed when the step's agent (aider) has a command",
      ],
      [
        '{{prompt}} inside double quotes',
        { settings: { command: 'aider --message "{{prompt}}"' } },
        'with.command: {{prompt}} must stand outside quotes',
      ],
      [
        '{{prompt}} inside single quotes',
        { settings: { command: `echo 'say: {{prompt}}'` } },
        'with.command: {{prompt}} must stand outside quotes',
      ],
      [
        '{{prompt}} after a backslash',
        { settings: { command: 'echo \\{{prompt}}' } },
        'not after a backslash',
      ],
      [
        '{{prompt}} after a $',
        { settings: { command: 'echo ${{prompt}}' } },
        'not after a backslash or $',
      ],
      [
        "{{prompt}} inside quotes in the agent's command",
        { agent: agentProfile(`gemini -p "{{prompt}}"`) },
        'process runner: agents.aider.command: {{prompt}} must stand outside quotes',
      ],
    ])('refuses %s, for good', async (_case, overrides, message) => {
      let spawned = false;
      const runner = createProcessRunner({
        spawn: () => {
          spawned = true;
          throw new Error('must not start');
        },
      });
      const failure = await failureOf(runner.execute(contextFor(undefined, overrides)));
      expect(failure.message).toContain(message);
      expect({ kind: failure.kind, retryable: failure.retryable }).toEqual({
        kind: 'error',
        retryable: false,
      });
      expect(spawned).toBe(false);
    });

    it('accepts {{prompt}} next to quoted words and after an escaped backslash', async () => {
      await run(`printf '%s' "--message="{{prompt}}'!' \\\\{{prompt}} > argument`, {
        input: 'hi',
      });
      expect(await readFile(join(workdir, 'argument'), 'utf8')).toBe('--message=hi!\\hi');
    });

    it('refuses a prompt too long for a command line, before starting anything', async () => {
      const failure = await failureOf(
        createProcessRunner().execute(
          contextFor('echo {{prompt}}', { input: 'x'.repeat(MAX_COMMAND_BYTES) }),
        ),
      );
      expect(failure.message).toContain('more than the 131071 one argument may have');
      expect(failure.retryable).toBe(false);
    });

    it('refuses a workdir that is not there', async () => {
      const failure = await failureOf(
        createProcessRunner().execute(
          createStepContext({ workdir: join(workdir, 'gone'), settings: { command: 'true' } }),
        ),
      );
      expect(failure.message).toBe(
        `process runner: workdir: '${join(workdir, 'gone')}' is not an existing folder`,
      );
      expect(failure.retryable).toBe(false);
    });
  });

  describe('failures', () => {
    it('fails retryably with the exit status and the tail of the transcript', async () => {
      const failure = await failureOf(
        run(`echo progress; printf '\\033[31mbad thing\\033[0m\\n' >&2; exit 7`),
      );
      expect(failure.toJSON()).toEqual({
        kind: 'error',
        message: 'command exited with status 7',
        retryable: true,
        outputTail: 'progress\nbad thing',
        details: { exitCode: 7, signal: null },
      });
    });

    it('keeps only the last 4 KB of a long transcript in the failure', async () => {
      const failure = await failureOf(run('seq 1 5000; exit 1'));
      expect(failure.outputTail.length).toBeLessThanOrEqual(4096);
      expect(failure.outputTail.endsWith('4999\n5000')).toBe(true);
    });

    it('fails retryably when the command is killed by a signal', async () => {
      const failure = await failureOf(run('echo before; kill -KILL $$'));
      expect(failure.toJSON()).toMatchObject({
        kind: 'error',
        message: 'killed by SIGKILL',
        retryable: true,
        outputTail: 'before',
        details: { exitCode: null, signal: 'SIGKILL' },
      });
    });

    it('reports a missing program with what the shell said', async () => {
      const failure = await failureOf(run('no-such-agent-cli --version'));
      expect(failure.message).toBe('command exited with status 127');
      expect(failure.outputTail).toMatch(/no-such-agent-cli.*not found/);
    });

    it('fails retryably when the terminal cannot be opened', async () => {
      const runner = createProcessRunner({
        spawn: () => {
          throw new Error('forkpty(3) failed.');
        },
      });
      const failure = await failureOf(runner.execute(contextFor('true')));
      expect(failure.message).toBe('process runner: cannot open a terminal: forkpty(3) failed.');
      expect(failure.retryable).toBe(true);
    });

    it('fails, and stops the command, when emit throws', async () => {
      const context = contextFor('echo $$ > pids; echo started; sleep 300');
      const failing = {
        ...context,
        emit: () => {
          throw new Error('journal is closed');
        },
      };
      const failure = await failureOf(createProcessRunner().execute(failing));
      expect(failure.message).toBe('journal is closed');
      const pids = await readPids(join(workdir, 'pids'));
      expect(pids.length).toBe(1);
      expect(await waitUntilProcessesExit(pids, 5000)).toEqual([]);
    });
  });

  describe('abort', () => {
    it('kills what ignores SIGTERM after the grace period and rejects promptly', async () => {
      const context = contextFor(
        'echo $$ > pids; ' +
          `sh -c 'trap "" TERM HUP; echo $$ >> pids; exec sleep 300' & ` +
          'while [ "$(wc -l < pids)" -lt 2 ]; do :; done; echo started; wait',
      );
      const execution = createProcessRunner({ killGraceMs: 300 })
        .execute(context)
        .then(
          () => 'resolved',
          (failure: unknown) => failure,
        );
      expect(await context.firstEmit()).toEqual({ stream: 'stdout', text: 'started' });
      const pids = await readPids(join(workdir, 'pids'));
      expect(pids.length).toBe(2);
      const abortedAt = performance.now();
      context.abort();
      const failure = await execution;
      expect(performance.now() - abortedAt).toBeLessThan(2000);
      expect(failure).toBeInstanceOf(StepFailure);
      expect((failure as StepFailure).kind).toBe('cancelled');
      // The stubborn sleep gets SIGKILL when the 300 ms grace period ends.
      expect(await waitUntilProcessesExit(pids, 3000)).toEqual([]);
    });

    it('stops background jobs a successful command left running', async () => {
      const output = await run(
        `sh -c 'trap "" HUP; echo $$ > pids; exec sleep 300' & ` +
          'while [ ! -s pids ]; do :; done; echo done',
        {},
        createProcessRunner({ killGraceMs: 300 }),
      );
      expect(output.transcript).toBe('done');
      const pids = await readPids(join(workdir, 'pids'));
      expect(pids.length).toBe(1);
      expect(await waitUntilProcessesExit(pids, 3000)).toEqual([]);
    });
  });
});

describe('TerminalLines', () => {
  const render = (...chunks: string[]): string[] => {
    const lines: string[] = [];
    const screen = new TerminalLines((line) => lines.push(line));
    for (const chunk of chunks) screen.write(chunk);
    screen.end();
    return lines;
  };

  it.each<[string, string[], string[]]>([
    ['CRLF line ends', ['a\r\nb\r\n'], ['a', 'b']],
    ['erase to the end of the line', ['abcdef\r\x1b[Kxy\n'], ['xy']],
    ['erase to the cursor', ['abcdef\x1b[3D\x1b[1Kz\n'], ['   zef']],
    ['a move to a column', ['abcdef\x1b[3GZ\n'], ['abZdef']],
    ['a move right past the end', ['ab\x1b[3Cz\n'], ['ab   z']],
    ['trailing blanks', ['padded   \x1b[0m   \n'], ['padded']],
    ['a tab', ['a\tb\n'], ['a\tb']],
    ['a bell and a charset switch', ['\x07\x1b(Bok\x1b>\n'], ['ok']],
    ['a malformed escape', ['a\x1b\x01b\n'], ['ab']],
    ['a hyperlink', ['\x1b]8;;https://x.dev\x1b\\link\x1b]8;;\x1b\\\n'], ['link']],
    ['a line split inside a CRLF', ['one\r', '\ntwo'], ['one', 'two']],
  ])('applies %s', (_case, chunks, lines) => {
    expect(render(...chunks)).toEqual(lines);
  });

  it('passes on an endless line in pieces', () => {
    const lines = render('x'.repeat(40_000));
    expect(lines.map((line) => line.length)).toEqual([16_384, 16_384, 40_000 - 32_768]);
  });

  it('keeps an unfinished escape sequence for the next chunk, and drops it at the end', () => {
    expect(render('a\x1b[', '')).toEqual(['a']);
    expect(render('a\x1b]0;title')).toEqual(['a']);
  });
});
