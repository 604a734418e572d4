// The claude-code runner against the fake `claude` of test/fixtures/bin, which parses the real
// CLI's flags and replays recorded stream-json transcripts.
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentConfigSchema, ModelConfigSchema } from '../../../domain/agent.js';
import type { JsonValue } from '../../../domain/workflow.js';
import type { AgentActivity, AgentProfile, PreviousAttempt } from '../../../ports/runner.js';
import { StepFailure } from '../../../shared/step-failure.js';
import {
  describeRunnerConformance,
  isProcessRunning,
  waitUntilProcessesExit,
} from '../../../testing/runner-conformance.js';
import {
  AGENT_STREAMS,
  fakeAgentEnvironment,
  readAgentLog,
  readAgentPids,
  recordingSpawn,
} from '../../../testing/fake-agent-cli.js';
import type { SpawnedAgent } from '../../../testing/fake-agent-cli.js';
import { createStepContext } from '../../../testing/step-context.js';
import { createClaudeCodeRunner } from './index.js';
import type { ClaudeCodeRunnerSettings } from './index.js';

const STREAMS = AGENT_STREAMS;
/** Outlives each conformance case's workdir, which the suite removes itself. */
const SCRATCH = mkdtempSync(join(tmpdir(), 'bosun-claude-code-test-'));
const ECHO_LOG = join(SCRATCH, 'echo.jsonl');

afterAll(() => {
  rmSync(SCRATCH, { recursive: true, force: true });
});

const conformanceSpawns: SpawnedAgent[] = [];

describeRunnerConformance(
  'claude-code',
  () =>
    createClaudeCodeRunner({
      env: fakeAgentEnvironment(),
      spawn: recordingSpawn(conformanceSpawns),
    }),
  {
    succeeds: {
      settings: {},
      input: 'Where does the API listen?',
      output: {
        text: 'The API listens on port 8080 by default; set `PORT` to change it (see `src/server.ts`, line 12).',
        session: '3f7c2a9e-8b41-4d6a-9e2f-5c1b7d8a0e64',
        model: 'claude-sonnet-4-5-20250929',
        turns: 1,
        durationMs: 4213,
        cumulative: false,
      },
    },
    fails: {
      // The fake refuses an unknown flag as Commander does: a line on stderr and exit 1.
      settings: { args: ['--no-such-flag'] },
      message: 'Claude Code exited with status 1 before it finished',
      retryable: true,
      outputTail: "error: unknown option '--no-such-flag'",
    },
    invalidSettings: { settings: { max_turns: 0 }, key: 'max_turns' },
    runsUntilAborted: {
      settings: {
        env: {
          BOSUN_FAKE_AGENT_SCRIPT: join(STREAMS, 'claude-code-plain-lines.jsonl'),
          BOSUN_FAKE_AGENT_DELAY_MS: '60000',
        },
      },
      processIds: async (workdir) => readAgentPids(workdir),
    },
    emits: {
      settings: {
        env: { BOSUN_FAKE_AGENT_SCRIPT: join(STREAMS, 'claude-code-plain-lines.jsonl') },
      },
      lines: [
        { stream: 'stdout', text: '[wrapper] using claude 2.0.28 from /opt/claude/bin' },
        // Without `report`, the agent's messages go to the text stream, one line a call.
        { stream: 'text', text: 'The changelog is up to date.' },
        { stream: 'text', text: 'Nothing to add for 1.4.2.' },
        { stream: 'stdout', text: '[wrapper] claude finished' },
      ],
    },
    echoes: {
      settings: { env: { BOSUN_FAKE_AGENT_LOG: ECHO_LOG } },
      // What the agent was handed: the idempotency key in its environment, the earlier failures
      // in its prompt (as the fake logged it).
      read: () => {
        const prompt = readAgentLog(ECHO_LOG).at(-1)?.prompt ?? '';
        return {
          idempotencyKey: conformanceSpawns.at(-1)?.env?.['BOSUN_IDEMPOTENCY_KEY'],
          previousErrors: [...prompt.matchAll(/^- Attempt \d+ \(\w+\): (.*)$/gm)].map(
            (match) => match[1],
          ),
        };
      },
    },
  },
);

async function failureOf(promise: Promise<unknown>): Promise<StepFailure> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(StepFailure);
    return error as StepFailure;
  }
  throw new Error('expected the attempt to fail');
}

const sonnet = {
  ...ModelConfigSchema.parse({
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    price: { input: 3, output: 15, cached_input: 0.3 },
  }),
  name: 'sonnet',
};

function fixer(overrides: Partial<AgentProfile> = {}): AgentProfile {
  return {
    name: 'fixer',
    config: AgentConfigSchema.parse({
      runner: 'claude-code',
      model: 'sonnet',
      max_steps: 20,
      args: ['--permission-mode', 'acceptEdits'],
    }),
    instructions: 'Keep changes small.',
    model: sonnet,
    ...overrides,
  };
}

describe('claude-code runner', () => {
  let workdir = '';
  let log = '';
  let spawned: SpawnedAgent[] = [];
  beforeEach(async () => {
    workdir = await realpath(await mkdtemp(join(tmpdir(), 'bosun-claude-code-')));
    log = join(workdir, 'calls.jsonl');
    spawned = [];
  });
  afterEach(async () => {
    await rm(workdir, { recursive: true, force: true });
  });

  const runner = (settings: ClaudeCodeRunnerSettings = {}) =>
    createClaudeCodeRunner({
      env: fakeAgentEnvironment(),
      spawn: recordingSpawn(spawned),
      ...settings,
    });

  /** A context whose `report` collects activity; `env` is the fake's knobs for this attempt. */
  function attempt(
    options: {
      readonly script?: string;
      readonly env?: Record<string, string>;
      readonly input?: JsonValue;
      readonly settings?: Record<string, JsonValue>;
      readonly previousAttempts?: PreviousAttempt[];
      readonly agent?: AgentProfile;
    } = {},
  ) {
    const activity: AgentActivity[] = [];
    const waiting: (() => void)[] = [];
    const context = createStepContext({
      workdir,
      input: options.input ?? 'Fix issue #42',
      previousAttempts: options.previousAttempts ?? [],
      settings: {
        ...options.settings,
        env: {
          BOSUN_FAKE_AGENT_LOG: log,
          ...(options.script ? { BOSUN_FAKE_AGENT_SCRIPT: join(STREAMS, options.script) } : {}),
          ...options.env,
        },
      },
    });
    return {
      context: {
        ...context,
        // createStepContext leaves the agent out; an attempt given to an agent carries it.
        agent: options.agent,
        report(event: AgentActivity) {
          activity.push(event);
          for (const resolve of waiting.splice(0)) resolve();
        },
      },
      abort: context.abort,
      emitted: context.emitted,
      activity,
      /** Resolves once something was reported. */
      firstActivity: () =>
        activity.length > 0 ? Promise.resolve() : new Promise<void>((r) => waiting.push(r)),
    };
  }

  describe('a run that succeeds', () => {
    it('reports the session, messages, tool calls and results in the order they came', async () => {
      const run = attempt({ script: 'claude-code-tool-use.jsonl' });
      await runner().execute(run.context);
      expect(run.activity).toEqual([
        {
          kind: 'agent-session',
          session: '8a1d5e3f-2c7b-4e9a-b6d4-1f0e9c8b7a65',
          model: 'claude-sonnet-4-5-20250929',
        },
        { kind: 'agent-message-delta', text: "I'll read issue #42 first." },
        {
          kind: 'agent-tool-call',
          id: 'toolu_01Kx7sVb3nQ9wE2rT5yU8iO1',
          tool: 'mcp__github__get_issue',
          input: { owner: 'acme', repo: 'invoice-api', issue_number: 42 },
        },
        {
          kind: 'agent-tool-result',
          id: 'toolu_01Kx7sVb3nQ9wE2rT5yU8iO1',
          ok: true,
          text: '#42 Totals are off by one cent\nsumLineItems() rounds each line before adding; round once at the end.',
        },
        {
          kind: 'agent-tool-call',
          id: 'toolu_01Pq2wE4rT6yU8iO0pA3sD5f',
          tool: 'Bash',
          input: {
            command: 'npm test -- --run src/totals.test.ts',
            description: 'Run the totals tests',
          },
        },
        {
          kind: 'agent-tool-result',
          id: 'toolu_01Pq2wE4rT6yU8iO0pA3sD5f',
          ok: false,
          text: 'Error: Exit code 1\n FAIL  src/totals.test.ts > sums line items\nAssertionError: expected 10.01 to be 10',
        },
        expect.objectContaining({ kind: 'agent-tool-call', tool: 'Read' }),
        expect.objectContaining({ kind: 'agent-tool-result', ok: true }),
        expect.objectContaining({ kind: 'agent-tool-call', tool: 'Edit' }),
        expect.objectContaining({ kind: 'agent-tool-result', ok: true }),
        expect.objectContaining({ kind: 'agent-tool-call', tool: 'Bash' }),
        expect.objectContaining({ kind: 'agent-tool-result', ok: true }),
        {
          kind: 'agent-message-delta',
          text: 'Fixed #42: `sumLineItems` now rounds once, after adding the lines, so totals no longer drift by a cent. The totals tests pass.',
        },
      ]);
      // With `report`, messages are not also emitted; nothing else was printed.
      expect(run.emitted).toEqual([]);
    });

    it('returns the result line’s text, usage and cost, as one model call', async () => {
      const run = attempt({ script: 'claude-code-tool-use.jsonl' });
      const outcome = await runner().execute(run.context);
      const usage = {
        inputTokens: 38 + 4408 + 89680,
        outputTokens: 1239,
        cachedInputTokens: 89680,
        costUsd: 0.062133,
      };
      expect(outcome).toEqual({
        output: {
          text: 'Fixed #42: `sumLineItems` now rounds once, after adding the lines, so totals no longer drift by a cent. The totals tests pass.',
          session: '8a1d5e3f-2c7b-4e9a-b6d4-1f0e9c8b7a65',
          model: 'claude-sonnet-4-5-20250929',
          turns: 6,
          durationMs: 38214,
          cumulative: false,
        },
        usage,
        calls: [{ model: 'claude-sonnet-4-5-20250929', ...usage, latencyMs: 38214 }],
        session: '8a1d5e3f-2c7b-4e9a-b6d4-1f0e9c8b7a65',
      });
    });

    it('runs claude in the workdir with the agent’s model, turns, instructions and args', async () => {
      const run = attempt({ agent: fixer(), settings: { args: ['--allowedTools', 'Read'] } });
      const outcome = await runner().execute(run.context);
      const [call] = readAgentLog(log);
      expect(call?.argv).toEqual([
        '-p',
        'Fix issue #42',
        '--output-format',
        'stream-json',
        '--verbose',
        '--model',
        'claude-sonnet-4-5',
        '--max-turns',
        '20',
        '--append-system-prompt=Keep changes small.',
        '--permission-mode',
        'acceptEdits',
        '--allowedTools',
        'Read',
      ]);
      expect(call?.cwd).toBe(workdir);
      expect(call?.prompt).toBe('Fix issue #42');
      // The ledger names the configured model; the output, the model Claude Code ran.
      expect(outcome.calls?.[0]?.model).toBe('sonnet');
      expect(outcome.output).toMatchObject({ model: 'claude-sonnet-4-5' });
    });

    it('hands the agent the attempt as BOSUN_* variables', async () => {
      const run = attempt();
      await runner().execute(run.context);
      expect(spawned[0]?.env).toMatchObject({
        BOSUN_RUN_ID: 'run_test',
        BOSUN_STEP: 'build',
        BOSUN_STEP_ID: 'step_test',
        BOSUN_ATTEMPT: '1',
        BOSUN_IDEMPOTENCY_KEY: 'run_test:step_test:1',
      });
    });

    it('passes a prompt that starts with a dash through stdin', async () => {
      const run = attempt({ input: '- fix the totals\n- add a test' });
      await runner().execute(run.context);
      const [call] = readAgentLog(log);
      expect(call?.argv).toEqual(['-p', '--output-format', 'stream-json', '--verbose']);
      expect(call?.prompt).toBe('- fix the totals\n- add a test');
    });

    it('trusts the result line over the exit status', async () => {
      const run = attempt({ env: { BOSUN_FAKE_AGENT_EXIT: '3' } });
      await expect(runner().execute(run.context)).resolves.toMatchObject({
        session: '3f7c2a9e-8b41-4d6a-9e2f-5c1b7d8a0e64',
      });
    });
  });

  describe('retries', () => {
    it('sends the task again with the earlier failures when no session was left', async () => {
      const run = attempt({
        previousAttempts: [
          {
            attempt: 1,
            kind: 'timeout',
            error: 'step attempt timed out',
            outputTail: '',
            comment: null,
            session: null,
          },
        ],
      });
      await runner().execute(run.context);
      const [call] = readAgentLog(log);
      expect(call?.argv).not.toContain('--resume');
      expect(call?.prompt).toBe(
        [
          'Fix issue #42',
          '',
          'Earlier attempts at this task failed:',
          '- Attempt 1 (timeout): step attempt timed out',
          'Do not repeat what made them fail.',
        ].join('\n'),
      );
    });

    it('resumes the session the last attempt left, says what failed, and flags the cost', async () => {
      const session = '5d6e7f80-9a1b-4c2d-8e3f-405162738495';
      const run = attempt({
        previousAttempts: [
          {
            attempt: 1,
            kind: 'error',
            error: 'Reached maximum number of turns (2)',
            outputTail: '',
            comment: null,
            session,
          },
        ],
      });
      const outcome = await runner().execute(run.context);
      const [call] = readAgentLog(log);
      const at = call?.argv.indexOf('--resume') ?? -1;
      expect(call?.argv.slice(at, at + 2)).toEqual(['--resume', session]);
      expect(call?.prompt).toBe(
        'Your last attempt at this task failed (attempt 1, error): Reached maximum number of turns (2)\n' +
          'Continue from where you stopped and finish the task.',
      );
      expect(outcome.session).toBe(session);
      expect(outcome.output).toMatchObject({ session, cumulative: true });
    });
  });

  describe('failures', () => {
    it('fails retryably at the turn limit, keeping what the attempt spent and its session', async () => {
      const run = attempt({ script: 'claude-code-error-max-turns.jsonl' });
      const failure = await failureOf(runner().execute(run.context));
      const usage = {
        inputTokens: 12 + 3120 + 26410,
        outputTokens: 402,
        cachedInputTokens: 26410,
        costUsd: 0.025689,
      };
      expect(failure.toJSON()).toEqual({
        kind: 'error',
        message: 'Reached maximum number of turns (2)',
        retryable: true,
        outputTail: "I'll start by finding where invoices are exported.\n",
        details: { errorType: 'error_max_turns', exitCode: 1, turns: 3, cumulative: false },
        spent: {
          ...usage,
          calls: [{ model: 'claude-sonnet-4-5-20250929', ...usage, latencyMs: 15322 }],
          session: 'c4b9e2d7-6a3f-4f18-9d5c-2e7a1b8f0c93',
        },
      });
    });

    it('fails without retrying at the spending limit', async () => {
      const run = attempt({ script: 'claude-code-error-max-budget.jsonl' });
      const failure = await failureOf(runner().execute(run.context));
      expect(failure.message).toBe('Claude Code stopped at its spending limit (--max-budget-usd)');
      expect(failure.retryable).toBe(false);
      expect(failure.spent?.costUsd).toBe(0.0112902);
    });

    it('fails retryably when the stream is cut off mid-run, keeping the session', async () => {
      const run = attempt({ script: 'claude-code-crash-mid-stream.jsonl' });
      const failure = await failureOf(runner().execute(run.context));
      expect(failure.message).toBe('Claude Code exited with status 1 before it finished');
      expect(failure.retryable).toBe(true);
      expect(failure.details).toEqual({ exitCode: 1, signal: null, errorType: 'no_result' });
      expect(failure.spent).toEqual({
        inputTokens: 0,
        outputTokens: 0,
        cachedInputTokens: 0,
        costUsd: 0,
        calls: [],
        session: '6b2e9f41-7c3a-4d85-a1f0-3e8d5c2b9a70',
      });
      // What came before the cut was reported; the cut line is kept as plain output.
      expect(run.activity.map((event) => event.kind)).toEqual([
        'agent-session',
        'agent-message-delta',
        'agent-tool-call',
        'agent-tool-result',
      ]);
      const cut = run.emitted.at(-1);
      expect(cut?.stream).toBe('stdout');
      expect(cut?.text.endsWith('"text":"Both export suites pa')).toBe(true);
      expect(failure.outputTail).toContain('Running the export tests first.\n');
      expect(failure.outputTail).toContain('"text":"Both export suites pa');
    });

    it('fails retryably with the tail of stderr when claude exits without a result', async () => {
      const run = attempt({ settings: { args: ['--no-such-flag'] } });
      const failure = await failureOf(runner().execute(run.context));
      expect(failure.toJSON()).toEqual({
        kind: 'error',
        message: 'Claude Code exited with status 1 before it finished',
        retryable: true,
        outputTail: "error: unknown option '--no-such-flag'\n",
        details: { exitCode: 1, signal: null, errorType: 'no_result' },
      });
      expect(run.emitted).toEqual([
        { stream: 'stderr', text: "error: unknown option '--no-such-flag'" },
      ]);
    });

    it('fails without retrying when claude is not on PATH', async () => {
      const run = attempt();
      const failure = await failureOf(
        runner({ env: { PATH: join(workdir, 'no-bin') } }).execute(run.context),
      );
      expect(failure.message).toBe('claude not found on PATH (install Claude Code or set command)');
      expect(failure.retryable).toBe(false);
    });

    it('names the command it was given when that is a path that does not exist', async () => {
      const command = join(workdir, 'bin', 'claude');
      const failure = await failureOf(runner({ command }).execute(attempt().context));
      expect(failure.message).toBe(`${command} not found (install Claude Code or set command)`);
    });

    it('refuses an empty input without starting claude', async () => {
      const failure = await failureOf(runner().execute(attempt({ input: '  ' }).context));
      expect(failure.message).toBe(
        "claude-code runner: the step's input is empty, and it is the prompt",
      );
      expect(failure.retryable).toBe(false);
      expect(spawned).toEqual([]);
    });

    it('refuses a workdir that does not exist without starting claude', async () => {
      const run = attempt();
      const context = { ...run.context, workdir: join(workdir, 'missing') };
      const failure = await failureOf(runner().execute(context));
      expect(failure.message).toBe(
        `claude-code runner: workdir '${join(workdir, 'missing')}' is not an existing folder`,
      );
      expect(failure.retryable).toBe(false);
      expect(spawned).toEqual([]);
    });
  });

  describe('cancel', () => {
    it('stops claude mid-run and rejects at once with the abort reason', async () => {
      const run = attempt({ env: { BOSUN_FAKE_AGENT_DELAY_MS: '60000' } });
      const execution = runner().execute(run.context);
      execution.catch(() => undefined);
      // The init line comes at once; the fake then sleeps a minute before the next one.
      await run.firstActivity();
      const pid = spawned[0]?.pid;
      expect(pid).toBeDefined();
      expect(isProcessRunning(pid!)).toBe(true);
      const reason = new StepFailure({
        kind: 'cancelled',
        message: 'cancelled by a person',
        retryable: false,
        outputTail: '',
      });
      const started = Date.now();
      run.abort(reason);
      await expect(execution).rejects.toBe(reason);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(await waitUntilProcessesExit([pid!], 2000)).toEqual([]);
    });
  });
});
