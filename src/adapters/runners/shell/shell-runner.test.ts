import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StepAttemptContext } from '../../../ports/runner.js';
import { StepFailure } from '../../../shared/step-failure.js';
import {
  describeRunnerConformance,
  waitUntilProcessesExit,
} from '../../../testing/runner-conformance.js';
import { createStepContext } from '../../../testing/step-context.js';
import { createShellRunner } from './index.js';

/** The pids a command wrote, one a line, into `file` in its folder; none when it never ran. */
async function readPids(file: string): Promise<number[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split(/\s+/).filter(Boolean).map(Number);
}

describeRunnerConformance('shell', () => createShellRunner(), {
  succeeds: {
    settings: { command: `echo '{"ok": true, "items": [1, "two", null]}'` },
    input: { ignored: true },
    output: { ok: true, items: [1, 'two', null] },
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
    settings: { command: 'echo one; echo two >&2; echo three' },
    lines: [
      { stream: 'stdout', text: 'one' },
      { stream: 'stderr', text: 'two' },
      { stream: 'stdout', text: 'three' },
    ],
  },
  echoes: {
    settings: { command: 'cat' },
    read: (output) => {
      const document = output as {
        idempotency_key: string;
        previous_attempts: { error: string }[];
      };
      return {
        idempotencyKey: document.idempotency_key,
        previousErrors: document.previous_attempts.map((previous) => previous.error),
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

describe('shell runner', () => {
  let workdir = '';
  beforeEach(async () => {
    workdir = await realpath(await mkdtemp(join(tmpdir(), 'bosun-shell-')));
  });
  afterEach(async () => {
    await rm(workdir, { recursive: true, force: true });
  });
  const run = (
    command: string,
    overrides: Parameters<typeof createStepContext>[0] = {},
    runner = createShellRunner(),
  ): Promise<unknown> =>
    runner
      .execute(createStepContext({ workdir, ...overrides, settings: { command } }))
      .then((outcome) => outcome.output);

  describe('what the command is handed', () => {
    it('sets the BOSUN_* variables on top of the parent environment', async () => {
      const runner = createShellRunner({ env: { PATH: process.env['PATH'], FROM_PARENT: 'yes' } });
      const output = await run(
        'printf "%s|" "$FROM_PARENT" "$BOSUN_RUN_ID" "$BOSUN_STEP" "$BOSUN_STEP_ID" ' +
          '"$BOSUN_ATTEMPT" "$BOSUN_IDEMPOTENCY_KEY" "$BOSUN_INPUT" "$BOSUN_PREVIOUS_ERROR"',
        {
          runId: 'run_1',
          stepKey: 'build',
          stepId: 'step_1',
          attempt: 2,
          idempotencyKey: 'run_1:step_1:2',
          input: { n: 1 },
          previousAttempts: [
            {
              attempt: 1,
              kind: 'error',
              error: 'old',
              outputTail: '',
              comment: null,
              session: null,
            },
            {
              attempt: 2,
              kind: 'lost',
              error: 'worker died',
              outputTail: '',
              comment: null,
              session: null,
            },
          ],
        },
        runner,
      );
      expect(output).toBe('yes|run_1|build|step_1|2|run_1:step_1:2|{"n":1}|worker died|');
    });

    it('leaves BOSUN_PREVIOUS_ERROR empty on a first attempt', async () => {
      expect(await run('printf "<%s>" "$BOSUN_PREVIOUS_ERROR"')).toBe('<>');
    });

    it('adds the step’s env last, so it may override anything', async () => {
      const runner = createShellRunner();
      const context = createStepContext({
        workdir,
        settings: {
          command: 'printf "%s %s"  "$GREETING" "$BOSUN_STEP"',
          env: { GREETING: 'hi', BOSUN_STEP: 'mine' },
        },
      });
      expect((await runner.execute(context)).output).toBe('hi mine');
    });

    it('leaves BOSUN_INPUT empty when the input is too large for the environment', async () => {
      const input = { text: 'x'.repeat(100_000) };
      const output = await run('printf "%s " "${#BOSUN_INPUT}"; wc -c', { input });
      const [envLength, stdinBytes] = String(output).trim().split(/\s+/).map(Number);
      expect(envLength).toBe(0);
      expect(stdinBytes).toBeGreaterThan(100_000);
    });

    it('writes the attempt as one JSON document to stdin, then closes it', async () => {
      const output = await run('cat; echo', {
        runId: 'run_1',
        stepKey: 'build',
        attempt: 2,
        idempotencyKey: 'run_1:step_1:1',
        input: ['a', 1],
        previousAttempts: [
          {
            attempt: 1,
            kind: 'timeout',
            error: 'too slow',
            outputTail: 'zzz',
            comment: 'hurry',
            session: null,
          },
        ],
      });
      expect(output).toEqual({
        input: ['a', 1],
        previous_attempts: [
          {
            attempt: 1,
            kind: 'timeout',
            error: 'too slow',
            output_tail: 'zzz',
            comment: 'hurry',
          },
        ],
        run: 'run_1',
        step: 'build',
        attempt: 2,
        idempotency_key: 'run_1:step_1:1',
      });
    });

    it('succeeds when the command never reads a large stdin', async () => {
      expect(await run('echo fine', { input: 'y'.repeat(2_000_000) })).toBe('fine');
    });

    it('runs in the workdir, or in cwd taken relative to it', async () => {
      await mkdir(join(workdir, 'sub'));
      expect(await run('pwd')).toBe(workdir);
      const runner = createShellRunner();
      const context = createStepContext({ workdir, settings: { command: 'pwd', cwd: 'sub' } });
      expect((await runner.execute(context)).output).toBe(join(workdir, 'sub'));
    });
  });

  describe('output', () => {
    it.each<[string, string, unknown]>([
      ['a JSON object', `printf '{"a": [1, 2]}'`, { a: [1, 2] }],
      ['a JSON number', 'echo 42', 42],
      ['a JSON string', `echo '"quoted"'`, 'quoted'],
      ['text, without its one trailing newline', `printf 'hello\\nworld\\n\\n'`, 'hello\nworld\n'],
      ['text ending in CRLF', `printf 'dos\\r\\n'`, 'dos'],
      ['nothing', 'true', ''],
    ])('returns stdout that is %s as such', async (_case, command, expected) => {
      expect(await run(command)).toEqual(expected);
    });

    it('keeps the tail of an oversized stdout and says how many bytes it dropped', async () => {
      const runner = createShellRunner({ maxStdoutBytes: 1000 });
      const full = `${Array.from({ length: 2000 }, (_, index) => index + 1).join('\n')}\n`;
      const output = String(await run('seq 1 2000', {}, runner));
      const match = /^\[bosun: stdout truncated; the first (\d+) bytes were dropped\]\n/.exec(
        output,
      );
      expect(match).not.toBeNull();
      const dropped = Number(match![1]);
      const kept = output.slice(match![0].length);
      // Whole lines only, and exactly what followed the dropped bytes.
      expect(kept).toBe(full.slice(dropped, -1));
      expect(full[dropped - 1]).toBe('\n');
      expect(Buffer.byteLength(kept) + 1).toBeLessThanOrEqual(1000);
    });

    it('streams stdout and stderr lines while the command is still running', async () => {
      const context = createStepContext({
        workdir,
        settings: { command: 'echo first; while [ ! -f go ]; do sleep 0.02; done; echo second' },
      });
      let finished = false;
      const execution = createShellRunner()
        .execute(context)
        .finally(() => {
          finished = true;
        });
      expect(await context.firstEmit()).toEqual({ stream: 'stdout', text: 'first' });
      expect(finished).toBe(false);
      await writeFile(join(workdir, 'go'), '');
      await expect(execution).resolves.toEqual({ output: 'first\nsecond' });
      expect(context.linesOf('stdout')).toEqual(['first', 'second']);
    });

    it('passes on a last line without a newline and strips carriage returns', async () => {
      const context = createStepContext({
        workdir,
        settings: { command: `printf 'a\\r\\nb\\r\\n'; printf 'err' >&2; printf 'tail'` },
      });
      await createShellRunner().execute(context);
      expect(context.linesOf('stdout')).toEqual(['a', 'b', 'tail']);
      expect(context.linesOf('stderr')).toEqual(['err']);
    });
  });

  describe('failures', () => {
    it('fails retryably with the exit status and the tail of stdout and stderr', async () => {
      const failure = await failureOf(run('echo progress; echo "bad thing" >&2; exit 7'));
      expect(failure.toJSON()).toEqual({
        kind: 'error',
        message: 'command exited with status 7',
        retryable: true,
        outputTail: 'progress\nbad thing\n',
        details: { exitCode: 7, signal: null },
      });
    });

    it('keeps only the last 4 KB of a long output in the failure', async () => {
      const failure = await failureOf(run('seq 1 5000; exit 1'));
      expect(failure.outputTail.length).toBeLessThanOrEqual(4096);
      expect(failure.outputTail.endsWith('4999\n5000\n')).toBe(true);
    });

    it('names the signal that killed the command', async () => {
      const failure = await failureOf(run('kill -KILL $$'));
      expect(failure.message).toBe('killed by SIGKILL');
      expect(failure.details).toEqual({ exitCode: null, signal: 'SIGKILL' });
    });

    it('refuses a cwd that does not exist, naming it, without retrying', async () => {
      const context = createStepContext({ workdir, settings: { command: 'true', cwd: 'missing' } });
      const failure = await failureOf(createShellRunner().execute(context));
      expect(failure.retryable).toBe(false);
      expect(failure.message).toContain(`with.cwd: '${join(workdir, 'missing')}'`);
    });

    it('fails without retrying when the shell cannot be started', async () => {
      const runner = createShellRunner({ shell: join(workdir, 'no-such-shell') });
      const failure = await failureOf(run('true', {}, runner));
      expect(failure.retryable).toBe(false);
      expect(failure.message).toContain('cannot start');
      expect(failure.details['code']).toBe('ENOENT');
    });

    it.each<[string, StepAttemptContext['settings'], string]>([
      ['a missing command', {}, 'shell runner: with.command: is required'],
      ['an empty command', { command: '' }, 'with.command: must not be empty'],
      ['a non-string env value', { command: 'true', env: { A: 1 } }, 'with.env.A:'],
      ['a bad env name', { command: 'true', env: { 'A-B': 'x' } }, 'with.env.A-B:'],
      ['a misspelt key', { comand: 'true' }, 'with.comand: is not a shell runner setting'],
    ])('refuses %s, naming the key', async (_case, settings, message) => {
      const context = createStepContext({ workdir, settings });
      const failure = await failureOf(createShellRunner().execute(context));
      expect(failure.retryable).toBe(false);
      expect(failure.message).toContain(message);
    });
  });

  describe('process tree', () => {
    it('SIGKILLs a tree that ignores SIGTERM once the grace period is over', async () => {
      const runner = createShellRunner({ killGraceMs: 200 });
      const context = createStepContext({
        workdir,
        settings: {
          command: "trap '' TERM; echo $$ > pids; sleep 300 & echo $! >> pids; echo started; wait",
        },
      });
      const execution = runner.execute(context);
      await context.firstEmit();
      const reason = new StepFailure({
        kind: 'timeout',
        message: 'timed out',
        retryable: true,
        outputTail: '',
      });
      context.abort(reason);
      await expect(execution).rejects.toBe(reason);
      const pids = await readPids(join(workdir, 'pids'));
      expect(pids).toHaveLength(2);
      expect(await waitUntilProcessesExit(pids, 5000)).toEqual([]);
    });

    it('stops what the command left running when it exits, even if it holds stdout', async () => {
      // The background sleep inherits stdout: waiting for the pipe to close would take 300 s.
      const output = await run('sleep 300 & echo $!');
      expect(typeof output).toBe('number');
      expect(await waitUntilProcessesExit([output as number], 5000)).toEqual([]);
    });
  });
});
