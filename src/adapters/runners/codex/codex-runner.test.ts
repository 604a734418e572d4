// The codex runner against the fake `codex` of test/fixtures/bin, which parses the real CLI's
// flags and replays recorded `exec --json` transcripts.
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
import { createCodexRunner } from './index.js';
import type { CodexRunnerSettings } from './index.js';

const STREAMS = AGENT_STREAMS;
/** Outlives each conformance case's workdir, which the suite removes itself. */
const SCRATCH = mkdtempSync(join(tmpdir(), 'bosun-codex-test-'));
const ECHO_LOG = join(SCRATCH, 'echo.jsonl');

afterAll(() => {
  rmSync(SCRATCH, { recursive: true, force: true });
});

const conformanceSpawns: SpawnedAgent[] = [];

describeRunnerConformance(
  'codex',
  () =>
    createCodexRunner({ env: fakeAgentEnvironment(), spawn: recordingSpawn(conformanceSpawns) }),
  {
    succeeds: {
      settings: {},
      input: 'Where does the API listen?',
      output: {
        text: 'The API listens on port 8080 unless `PORT` is set (`src/server.ts:12`).',
        session: '019a4f3c-2b7e-7d21-9c4a-6f0e8b1d3a57',
        turns: 1,
        costKnown: false,
        cumulative: false,
      },
    },
    fails: {
      // The fake refuses an unknown flag as clap does: a usage message on stderr and exit 2.
      settings: { args: ['--no-such-flag'] },
      message: 'Codex exited with status 2 before it finished',
      retryable: true,
      outputTail: "error: unexpected argument '--no-such-flag' found",
    },
    invalidSettings: { settings: { args: '--full-auto' }, key: 'args' },
    runsUntilAborted: {
      settings: {
        env: {
          BOSUN_FAKE_AGENT_SCRIPT: join(STREAMS, 'codex-plain-lines.jsonl'),
          BOSUN_FAKE_AGENT_DELAY_MS: '60000',
        },
      },
      processIds: async (workdir) => readAgentPids(workdir),
    },
    emits: {
      settings: { env: { BOSUN_FAKE_AGENT_SCRIPT: join(STREAMS, 'codex-plain-lines.jsonl') } },
      lines: [
        { stream: 'stdout', text: '[wrapper] using codex-cli 0.46.0 from /opt/codex/bin' },
        // Without `report`, the agent's messages go to the text stream, one line a call.
        { stream: 'text', text: 'The changelog is up to date.' },
        { stream: 'text', text: 'Nothing to add for 1.4.2.' },
        { stream: 'stdout', text: '[wrapper] codex finished' },
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

const gpt5Codex = {
  ...ModelConfigSchema.parse({
    provider: 'openai',
    model: 'gpt-5-codex',
    price: { input: 1.25, output: 10, cached_input: 0.125 },
  }),
  name: 'codex-large',
};

function fixer(overrides: Partial<AgentProfile> = {}): AgentProfile {
  return {
    name: 'fixer',
    config: AgentConfigSchema.parse({
      runner: 'codex',
      model: 'codex-large',
      args: ['--sandbox', 'workspace-write'],
    }),
    instructions: 'Keep changes small.',
    model: gpt5Codex,
    ...overrides,
  };
}

describe('codex runner', () => {
  let workdir = '';
  let log = '';
  let spawned: SpawnedAgent[] = [];
  beforeEach(async () => {
    workdir = await realpath(await mkdtemp(join(tmpdir(), 'bosun-codex-')));
    log = join(workdir, 'calls.jsonl');
    spawned = [];
  });
  afterEach(async () => {
    await rm(workdir, { recursive: true, force: true });
  });

  const runner = (settings: CodexRunnerSettings = {}) =>
    createCodexRunner({ env: fakeAgentEnvironment(), spawn: recordingSpawn(spawned), ...settings });

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
    it('reports the thread, tool calls, results and messages in the order they came', async () => {
      const run = attempt({ script: 'codex-command-and-file-change.jsonl' });
      await runner().execute(run.context);
      const command = "bash -lc 'npm test -- --run src/totals.test.ts'";
      expect(run.activity).toEqual([
        { kind: 'agent-session', session: '019a4f51-8c3d-7a64-b2e1-0d9f7c5a3e18', model: null },
        { kind: 'agent-tool-call', id: 'item_3', tool: 'command_execution', input: { command } },
        {
          kind: 'agent-tool-result',
          id: 'item_3',
          ok: false,
          text: ' FAIL  src/totals.test.ts > sums line items\nAssertionError: expected 10.01 to be 10\n',
        },
        {
          kind: 'agent-tool-call',
          id: 'item_4',
          tool: 'mcp__github__get_issue',
          input: { owner: 'acme', repo: 'invoice-api', issue_number: 42 },
        },
        {
          kind: 'agent-tool-result',
          id: 'item_4',
          ok: true,
          text: '#42 Totals are off by one cent',
        },
        expect.objectContaining({ kind: 'agent-tool-call', id: 'item_5', tool: 'file_change' }),
        expect.objectContaining({ kind: 'agent-tool-result', id: 'item_5', ok: true }),
        expect.objectContaining({ kind: 'agent-tool-call', id: 'item_6', tool: 'file_change' }),
        expect.objectContaining({ kind: 'agent-tool-result', id: 'item_6', ok: true }),
        { kind: 'agent-tool-call', id: 'item_7', tool: 'command_execution', input: { command } },
        expect.objectContaining({ kind: 'agent-tool-result', id: 'item_7', ok: true }),
        {
          kind: 'agent-message-delta',
          text: 'Fixed #42: `sumLineItems` rounds once after adding the lines. I added a regression test with a cents fixture; the totals tests pass.',
        },
      ]);
      // Codex's warning item is a diagnostic, shown on stderr.
      expect(run.emitted).toEqual([
        {
          stream: 'stderr',
          text: 'Model metadata for `gpt-5-codex` not found. Defaulting to fallback metadata; this can degrade performance and cause issues.',
        },
      ]);
    });

    it('reports the thread’s tokens at no cost, saying the cost is unknown, for a bare model id', async () => {
      const run = attempt({ script: 'codex-command-and-file-change.jsonl' });
      const outcome = await runner().execute(run.context);
      const usage = {
        inputTokens: 187420,
        outputTokens: 3184,
        cachedInputTokens: 161792,
        costUsd: 0,
      };
      expect(outcome).toEqual({
        output: {
          text: 'Fixed #42: `sumLineItems` rounds once after adding the lines. I added a regression test with a cents fixture; the totals tests pass.',
          session: '019a4f51-8c3d-7a64-b2e1-0d9f7c5a3e18',
          turns: 1,
          costKnown: false,
          cumulative: false,
        },
        usage,
        calls: [{ model: 'codex', ...usage, latencyMs: expect.any(Number) }],
        session: '019a4f51-8c3d-7a64-b2e1-0d9f7c5a3e18',
      });
    });

    it('prices the tokens at the configured model’s prices', async () => {
      const run = attempt({ agent: fixer() });
      const outcome = await runner().execute(run.context);
      // 315 uncached input tokens at $1.25, 24448 cached at $0.125, 122 output at $10 per million.
      const costUsd = (315 * 1.25 + 24448 * 0.125 + 122 * 10) / 1_000_000;
      expect(outcome.usage?.costUsd).toBeCloseTo(costUsd, 12);
      expect(outcome.calls?.[0]).toMatchObject({ model: 'codex-large', inputTokens: 24763 });
      expect(outcome.output).toMatchObject({ costKnown: true });
    });

    it('runs codex exec in the workdir with the agent’s model, args and instructions', async () => {
      const run = attempt({ agent: fixer(), settings: { args: ['-c', 'web_search="disabled"'] } });
      await runner().execute(run.context);
      const [call] = readAgentLog(log);
      expect(call?.argv).toEqual([
        'exec',
        '--json',
        '--model',
        'gpt-5-codex',
        '--skip-git-repo-check',
        '--cd',
        workdir,
        '--sandbox',
        'workspace-write',
        '-c',
        'web_search="disabled"',
        '--',
        'Keep changes small.\n\nFix issue #42',
      ]);
      expect(call?.cwd).toBe(workdir);
      expect(call?.prompt).toBe('Keep changes small.\n\nFix issue #42');
      expect(call?.resume).toBeNull();
    });

    it('hands the agent the attempt as BOSUN_* variables', async () => {
      await runner().execute(attempt().context);
      expect(spawned[0]?.env).toMatchObject({
        BOSUN_RUN_ID: 'run_test',
        BOSUN_STEP: 'build',
        BOSUN_STEP_ID: 'step_test',
        BOSUN_ATTEMPT: '1',
        BOSUN_IDEMPOTENCY_KEY: 'run_test:step_test:1',
      });
    });

    it('passes a prompt too long for an argument through stdin', async () => {
      const input = `Summarize this log:\n${'line of log\n'.repeat(12_000)}`;
      await runner().execute(attempt({ input }).context);
      const [call] = readAgentLog(log);
      expect(call?.argv.slice(-2)).toEqual(['--', '-']);
      // The fake trims what it reads from stdin, as Codex does.
      expect(call?.prompt).toBe(input.trim());
    });
  });

  describe('retries', () => {
    it('resumes the thread the last attempt left, says what failed, and flags the tokens', async () => {
      const thread = '019a5111-2222-7333-8444-555566667777';
      const run = attempt({
        agent: fixer(),
        previousAttempts: [
          {
            attempt: 1,
            kind: 'rejected',
            error: 'approval rejected',
            outputTail: '',
            comment: 'Add a regression test.',
            session: thread,
          },
        ],
      });
      const outcome = await runner().execute(run.context);
      const [call] = readAgentLog(log);
      expect(call?.resume).toBe(thread);
      expect(call?.argv.slice(-4)).toEqual([
        'resume',
        thread,
        '--',
        [
          'Your last attempt at this task failed (attempt 1, rejected): approval rejected',
          "Reviewer's comment: Add a regression test.",
          'Continue from where you stopped and finish the task.',
        ].join('\n'),
      ]);
      expect(outcome.session).toBe(thread);
      expect(outcome.output).toMatchObject({ session: thread, cumulative: true });
    });
  });

  describe('failures', () => {
    it('fails retryably when the turn failed, keeping the thread', async () => {
      const run = attempt({ script: 'codex-turn-failed.jsonl' });
      const failure = await failureOf(runner().execute(run.context));
      expect(failure.message).toBe(
        'stream disconnected before completion: Transport error: error decoding response body',
      );
      expect(failure.retryable).toBe(true);
      expect(failure.details).toEqual({ errorType: 'turn_failed', exitCode: 1, cumulative: false });
      expect(failure.spent).toEqual({
        inputTokens: 0,
        outputTokens: 0,
        cachedInputTokens: 0,
        costUsd: 0,
        calls: [],
        session: '019a4f66-1e9b-7c03-a5d2-8b4f6e0c2d71',
      });
      // The reconnect attempts were shown as they happened and are in the tail.
      expect(run.emitted.map((line) => line.stream)).toEqual(['stderr', 'stderr', 'stderr']);
      expect(failure.outputTail).toContain('Reconnecting... 2/5');
    });

    it('fails retryably when the stream is cut off mid-run, keeping the thread', async () => {
      const run = attempt({ script: 'codex-crash-mid-stream.jsonl' });
      const failure = await failureOf(runner().execute(run.context));
      expect(failure.message).toBe('Codex exited with status 1 before it finished');
      expect(failure.retryable).toBe(true);
      expect(failure.details).toEqual({ exitCode: 1, signal: null, errorType: 'no_result' });
      expect(failure.spent?.session).toBe('019a4f7a-5d2c-7e10-b3f4-9a1c6e8d0b25');
      expect(run.activity.map((event) => event.kind)).toEqual(['agent-session', 'agent-tool-call']);
      expect(run.emitted.at(-1)?.stream).toBe('stdout');
      expect(failure.outputTail).toContain('"aggregated_output":" ✓ src/export/csv.test.ts (3 te');
    });

    it('fails retryably with the tail of stderr when codex exits without finishing a turn', async () => {
      const run = attempt({ settings: { args: ['--no-such-flag'] } });
      const failure = await failureOf(runner().execute(run.context));
      expect(failure.message).toBe('Codex exited with status 2 before it finished');
      expect(failure.retryable).toBe(true);
      expect(failure.outputTail).toContain("error: unexpected argument '--no-such-flag' found\n");
      expect(failure.spent).toBeUndefined();
      expect(run.emitted[0]).toEqual({
        stream: 'stderr',
        text: "error: unexpected argument '--no-such-flag' found",
      });
    });

    it('fails without retrying when codex is not on PATH', async () => {
      const failure = await failureOf(
        runner({ env: { PATH: join(workdir, 'no-bin') } }).execute(attempt().context),
      );
      expect(failure.message).toBe('codex not found on PATH (install Codex or set command)');
      expect(failure.retryable).toBe(false);
    });

    it('refuses an empty input without starting codex', async () => {
      const failure = await failureOf(runner().execute(attempt({ input: '' }).context));
      expect(failure.message).toBe("codex runner: the step's input is empty, and it is the prompt");
      expect(failure.retryable).toBe(false);
      expect(spawned).toEqual([]);
    });
  });

  describe('cancel', () => {
    it('stops codex mid-run and rejects at once with the abort reason', async () => {
      const run = attempt({ env: { BOSUN_FAKE_AGENT_DELAY_MS: '60000' } });
      const execution = runner().execute(run.context);
      execution.catch(() => undefined);
      // thread.started comes at once; the fake then sleeps a minute before the next line.
      await run.firstActivity();
      const pid = spawned[0]?.pid;
      expect(pid).toBeDefined();
      expect(isProcessRunning(pid!)).toBe(true);
      const reason = new StepFailure({
        kind: 'timeout',
        message: 'step attempt timed out',
        retryable: true,
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
