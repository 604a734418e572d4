/**
 * The workflow engine end to end through the CLI: the built `bosun` bin in child processes against
 * a real SQLite workspace. Runs are started, approved, rejected, retried, forked, paused and
 * cancelled from separate processes, as a person at two terminals would, and every test checks
 * what the store and the journal say afterwards — run and step statuses, outputs, events, exit
 * codes. Suites that only talk to their own workspace run concurrently; the ones that drive a run
 * from several processes at once run alone, and their background processes are always killed at
 * the end of each test.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isProcessRunning, waitUntilProcessesExit } from '../src/testing/runner-conformance.js';
import type { BackgroundBosun, CliResult } from './helpers/cli.js';
import { bosunJson, runBosun, startBosun, tempDir } from './helpers/cli.js';

interface RunJson {
  id: string;
  name: string;
  status: string;
  source: string;
  parentRunId: string | null;
  forkStep: string | null;
  input: Record<string, unknown>;
  error: string | null;
}

interface StepSummaryJson {
  key: string;
  status: string;
  attempts: number;
  needs: string[];
  error: string | null;
  reused: boolean;
}

interface ApprovalJson {
  id: string;
  runId: string;
  stepKey: string;
  phase: string;
  status: string;
  comment: string | null;
  decidedBy: string | null;
}

interface RunDetailJson {
  run: RunJson;
  steps: StepSummaryJson[];
  approvals: ApprovalJson[];
}

interface EventJson {
  seq: number;
  kind: string;
  runId: string | null;
  stepId: string | null;
  data: Record<string, unknown>;
}

interface AttemptJson {
  number: number;
  status: string;
  idempotencyKey: string;
  output: unknown;
  error: { kind: string; message: string } | null;
}

interface StepDetailJson {
  step: { key: string; status: string; output: unknown; attempts: number };
  attempts: AttemptJson[];
}

/** What `echo_context: true` makes a mock step output: the attempt it was handed. */
interface EchoedAttempt {
  attempt: number;
  idempotency_key: string;
  previous_attempts: { attempt: number; kind: string; error: string; comment: string | null }[];
}

const background: BackgroundBosun[] = [];
const strayPids: number[] = [];

afterEach(async () => {
  for (const started of background.splice(0)) {
    started.kill('SIGKILL');
    await started.exited;
  }
  for (const pid of strayPids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone, as it should be.
    }
  }
});

/** Starts bosun in the background; afterEach kills it if the test has not waited for it. */
function inBackground(args: readonly string[], cwd: string): BackgroundBosun {
  const started = startBosun(args, { cwd });
  background.push(started);
  return started;
}

async function newWorkspace(): Promise<string> {
  const dir = tempDir('bosun-run-cli-');
  const init = await runBosun(['init'], { cwd: dir });
  expect(init.status, init.stderr).toBe(0);
  return dir;
}

function writeWorkflow(dir: string, name: string, yaml: string): string {
  writeFileSync(join(dir, name), yaml);
  return name;
}

async function bosun(dir: string, ...args: string[]): Promise<CliResult> {
  return runBosun(args, { cwd: dir });
}

function showRun(dir: string, run = 'last'): Promise<RunDetailJson> {
  return bosunJson<RunDetailJson>(['run', 'show', run], { cwd: dir });
}

function showStep(dir: string, step: string, run = 'last'): Promise<StepDetailJson> {
  return bosunJson<StepDetailJson>(['step', 'show', run, step], { cwd: dir });
}

async function eventsOf(dir: string, run = 'last'): Promise<EventJson[]> {
  return (await bosunJson<{ events: EventJson[] }>(['run', 'events', run], { cwd: dir })).events;
}

function stepStatuses(detail: RunDetailJson): Record<string, string> {
  return Object.fromEntries(detail.steps.map((step) => [step.key, step.status]));
}

function stepOf(detail: RunDetailJson, key: string): StepSummaryJson {
  const step = detail.steps.find((candidate) => candidate.key === key);
  expect(step, `step ${key}`).toBeDefined();
  return step!;
}

/** The one pending approval of the workspace. */
async function pendingApproval(dir: string): Promise<ApprovalJson> {
  const pending = await bosunJson<ApprovalJson[]>(['approval', 'list'], { cwd: dir });
  expect(pending).toHaveLength(1);
  return pending[0]!;
}

const expectExit = (result: CliResult, status: number) =>
  expect(result.status, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBe(status);

describe.concurrent('approval gates', () => {
  const gated = (onReject: string) => `name: gated
steps:
  - id: build
    runner: mock
    with: { output: built }
  - id: publish
    runner: mock
    needs: build
    approval: before
    on_reject: ${onReject}
    with: { output: 'published {{ steps.build.output }}' }
  - id: announce
    runner: mock
    needs: publish
    with: { output: announced }
`;

  it('stops before a gated step, and runs it once a person approves and resumes', async () => {
    const dir = await newWorkspace();
    writeWorkflow(dir, 'gated.yaml', gated('fail'));
    const start = await bosun(dir, 'run', 'start', 'gated.yaml');
    expectExit(start, 0);
    const approval = await pendingApproval(dir);
    expect(approval).toMatchObject({ stepKey: 'publish', phase: 'before', status: 'pending' });
    expect(start.stdout).toContain(
      `publish waits for approval (before): bosun approval approve ${approval.id}`,
    );
    const blocked = await showRun(dir);
    expect(blocked.run.id).toBe(approval.runId);
    expect(blocked.run.status).toBe('running');
    expect(stepStatuses(blocked)).toEqual({
      build: 'succeeded',
      publish: 'approval',
      announce: 'waiting',
    });
    expect(stepOf(blocked, 'publish').attempts).toBe(0);

    const approved = await bosunJson<ApprovalJson>(
      ['approval', 'approve', approval.id, '--comment', 'ship it', '--as', 'ana'],
      { cwd: dir },
    );
    expect(approved).toMatchObject({ status: 'approved', comment: 'ship it', decidedBy: 'ana' });
    const resume = await bosun(dir, 'run', 'resume', 'last');
    expectExit(resume, 0);
    expect(resume.stdout).toContain(`run ${approval.runId} succeeded`);

    const done = await showRun(dir);
    expect(done.run.status).toBe('succeeded');
    expect(stepStatuses(done)).toEqual({
      build: 'succeeded',
      publish: 'succeeded',
      announce: 'succeeded',
    });
    expect((await showStep(dir, 'publish')).step.output).toBe('published built');
    const decided = (await eventsOf(dir)).filter((event) => event.kind === 'approval-decide');
    expect(decided).toHaveLength(1);
    expect(decided[0]!.data).toMatchObject({
      step: 'publish',
      approval: approval.id,
      status: 'approved',
      by: 'ana',
      comment: 'ship it',
    });
  });

  it('fails the run when a gate with on_reject: fail is rejected, naming reviewer and comment', async () => {
    const dir = await newWorkspace();
    writeWorkflow(dir, 'gated.yaml', gated('fail'));
    expectExit(await bosun(dir, 'run', 'start', 'gated.yaml'), 0);
    const approval = await pendingApproval(dir);
    const rejected = await bosunJson<ApprovalJson>(
      ['approval', 'reject', approval.id, '--comment', 'not on a Friday', '--as', 'ana'],
      { cwd: dir },
    );
    expect(rejected).toMatchObject({ status: 'rejected', decidedBy: 'ana' });

    const resume = await bosun(dir, 'run', 'resume', 'last');
    expectExit(resume, 11);
    expect(resume.stdout).toContain('step publish failed: rejected by ana: not on a Friday');
    const failed = await showRun(dir);
    expect(failed.run.status).toBe('failed');
    expect(stepStatuses(failed)).toEqual({
      build: 'succeeded',
      publish: 'failed',
      announce: 'cancelled',
    });
    expect(stepOf(failed, 'publish')).toMatchObject({
      attempts: 0,
      error: 'rejected by ana: not on a Friday',
    });
    expect(failed.run.error).toContain('rejected by ana: not on a Friday');
  });

  it('skips a step whose gate with on_reject: skip is rejected, and runs its dependents', async () => {
    const dir = await newWorkspace();
    writeWorkflow(dir, 'gated.yaml', gated('skip'));
    expectExit(await bosun(dir, 'run', 'start', 'gated.yaml'), 0);
    const approval = await pendingApproval(dir);
    await bosunJson(['approval', 'reject', approval.id, '--comment', 'not needed'], { cwd: dir });

    const resume = await bosun(dir, 'run', 'resume', 'last');
    expectExit(resume, 0);
    const done = await showRun(dir);
    expect(done.run.status).toBe('succeeded');
    expect(stepStatuses(done)).toEqual({
      build: 'succeeded',
      publish: 'skipped',
      announce: 'succeeded',
    });
    expect(stepOf(done, 'publish').attempts).toBe(0);
    expect((await showStep(dir, 'announce')).step.output).toBe('announced');
  });

  it('runs a step again after its output is rejected, handing the comment to the new attempt', async () => {
    const dir = await newWorkspace();
    writeWorkflow(
      dir,
      'review.yaml',
      `name: review
steps:
  - id: draft
    runner: mock
    approval: after
    on_reject: retry
    with: { echo_context: true }
  - id: send
    runner: mock
    needs: draft
    with: { output: sent }
`,
    );
    expectExit(await bosun(dir, 'run', 'start', 'review.yaml'), 0);
    const runId = (await showRun(dir)).run.id;
    const first = await pendingApproval(dir);
    expect(first).toMatchObject({ stepKey: 'draft', phase: 'after' });
    expect((await showStep(dir, 'draft')).step).toMatchObject({ status: 'approval', attempts: 1 });
    await bosunJson(
      ['approval', 'reject', first.id, '--comment', 'too long, cut it in half', '--as', 'ana'],
      { cwd: dir },
    );

    const again = await bosun(dir, 'run', 'resume', 'last');
    expectExit(again, 0);
    const second = await pendingApproval(dir);
    expect(second.id).not.toBe(first.id);
    const draft = await showStep(dir, 'draft');
    expect(draft.step).toMatchObject({ status: 'approval', attempts: 2 });
    const echoed = draft.step.output as EchoedAttempt;
    expect(echoed.attempt).toBe(2);
    expect(echoed.idempotency_key).toBe(`${runId}:draft:2`);
    expect(echoed.previous_attempts).toEqual([
      {
        attempt: 1,
        kind: 'rejected',
        error: 'rejected by ana: too long, cut it in half',
        comment: 'too long, cut it in half',
        output_tail: expect.any(String) as unknown,
      },
    ]);

    await bosunJson(['approval', 'approve', second.id], { cwd: dir });
    const resume = await bosun(dir, 'run', 'resume', 'last');
    expectExit(resume, 0);
    const done = await showRun(dir);
    expect(done.run.status).toBe('succeeded');
    expect(stepStatuses(done)).toEqual({ draft: 'succeeded', send: 'succeeded' });
    expect(stepOf(done, 'draft').attempts).toBe(2);
  });
});

describe.concurrent('retries', () => {
  it('retries a failing step with backoff, telling each try what went wrong before', async () => {
    const dir = await newWorkspace();
    writeWorkflow(
      dir,
      'flaky.yaml',
      `name: flaky
steps:
  - id: fetch
    runner: mock
    retry: { attempts: 3, backoff: 100ms }
    with: { fail_attempts: 2, echo_context: true }
  - id: use
    runner: mock
    needs: fetch
    input: '{{ steps.fetch.output.attempt }}'
`,
    );
    const start = await bosun(dir, 'run', 'start', 'flaky.yaml');
    expectExit(start, 0);
    const detail = await showRun(dir);
    const runId = detail.run.id;
    expect(detail.run.status).toBe('succeeded');
    expect(stepOf(detail, 'fetch')).toMatchObject({ status: 'succeeded', attempts: 3 });

    const fetch = await showStep(dir, 'fetch');
    expect(fetch.attempts.map((attempt) => [attempt.status, attempt.idempotencyKey])).toEqual([
      ['failed', `${runId}:fetch:1`],
      ['failed', `${runId}:fetch:2`],
      ['succeeded', `${runId}:fetch:3`],
    ]);
    const echoed = fetch.step.output as EchoedAttempt;
    expect(echoed.attempt).toBe(3);
    expect(echoed.idempotency_key).toBe(`${runId}:fetch:3`);
    expect(
      echoed.previous_attempts.map(({ attempt, kind, error }) => [attempt, kind, error]),
    ).toEqual([
      [1, 'error', 'mock failure on attempt 1'],
      [2, 'error', 'mock failure on attempt 2'],
    ]);
    expect((await showStep(dir, 'use')).step.output).toEqual({ step: 'use', input: 3 });

    const retries = (await eventsOf(dir)).filter((event) => event.kind === 'step-retry');
    expect(retries.map((event) => [event.data.nextTry, event.data.error])).toEqual([
      [2, 'mock failure on attempt 1'],
      [3, 'mock failure on attempt 2'],
    ]);
  });
});

describe.concurrent('forks', () => {
  it('re-runs a chain from a step with new input, reusing the outputs upstream of it', async () => {
    const dir = await newWorkspace();
    writeWorkflow(
      dir,
      'chain.yaml',
      `name: chain
input:
  x: one
steps:
  - id: a
    runner: mock
    with: { output: 'a({{ input.x }})' }
  - id: b
    runner: mock
    needs: a
    with: { output: '{{ steps.a.output }} b' }
  - id: c
    runner: mock
    needs: b
    with: { output: '{{ steps.b.output }} c({{ input.x }})' }
  - id: d
    runner: mock
    needs: c
    with: { output: '{{ steps.c.output }} d' }
`,
    );
    expectExit(await bosun(dir, 'run', 'start', 'chain.yaml'), 0);
    const original = await showRun(dir);
    expect(original.run.status).toBe('succeeded');
    expect((await showStep(dir, 'd', original.run.id)).step.output).toBe('a(one) b c(one) d');

    const fork = await bosun(
      dir,
      'run',
      'fork',
      original.run.id,
      '--from',
      'c',
      '--input',
      'x=two',
    );
    expectExit(fork, 0);
    const forked = await showRun(dir, 'last');
    expect(forked.run.id).not.toBe(original.run.id);
    expect(forked.run).toMatchObject({
      status: 'succeeded',
      source: 'fork',
      parentRunId: original.run.id,
      forkStep: 'c',
      input: { x: 'two' },
    });
    expect(
      forked.steps.map(({ key, status, reused, attempts }) => [key, status, reused, attempts]),
    ).toEqual([
      ['a', 'succeeded', true, 0],
      ['b', 'succeeded', true, 0],
      ['c', 'succeeded', false, 1],
      ['d', 'succeeded', false, 1],
    ]);
    expect((await showStep(dir, 'b', forked.run.id)).step.output).toBe('a(one) b');
    expect((await showStep(dir, 'd', forked.run.id)).step.output).toBe('a(one) b c(two) d');
    const started = (await eventsOf(dir, forked.run.id))
      .filter((event) => event.kind === 'step-start')
      .map((event) => event.data.step);
    expect(started).toEqual(['c', 'd']);

    expect(await showRun(dir, original.run.id)).toEqual(original);
    expect((await showStep(dir, 'd', original.run.id)).step.output).toBe('a(one) b c(one) d');
  });
});

describe.concurrent('workflow files that are refused before anything runs', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await newWorkspace();
  });

  it.each([
    {
      problem: 'a need that is not a step',
      code: 'invalid_input',
      status: 2,
      line: 7,
      message: "steps[1] (deploy).needs[0]: unknown step 'biuld'; did you mean 'build'?",
      yaml: `name: bad
steps:
  - id: build
    runner: mock
  - id: deploy
    runner: mock
    needs: [biuld]
`,
    },
    {
      problem: 'needs that form a cycle',
      code: 'cycle',
      status: 7,
      line: 5,
      message: 'steps[0] (build).needs[0]: needs form a cycle: build → test → build',
      yaml: `name: bad
steps:
  - id: build
    runner: mock
    needs: test
  - id: test
    runner: mock
    needs: build
`,
    },
    {
      problem: 'a template naming a step that is not upstream',
      code: 'invalid_input',
      status: 2,
      line: 8,
      message:
        "steps[1] (deploy).with.output: references steps.lint, which is not among this step's needs (add it to needs)",
      yaml: `name: bad
steps:
  - id: lint
    runner: mock
  - id: deploy
    runner: mock
    with:
      output: '{{ steps.lint.output }}'
`,
    },
    {
      problem: 'an unknown runner',
      code: 'invalid_input',
      status: 2,
      line: 4,
      message:
        "steps[0] (build).runner: unknown runner 'bash' (known runners: mock, shell, process, claude-code, codex, llm)",
      yaml: `name: bad
steps:
  - id: build
    runner: bash
    with: { command: make }
`,
    },
  ])('refuses $problem with one line naming file, line and step', async (refusal) => {
    const file = writeWorkflow(dir, `bad-${refusal.code}-${refusal.line}.yaml`, refusal.yaml);
    const result = await bosun(dir, 'run', 'start', file);
    expectExit(result, refusal.status);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `error[${refusal.code}]: ${join(dir, file)}:${refusal.line}: ${refusal.message}\n`,
    );
    expect(await bosunJson<unknown[]>(['run', 'list'], { cwd: dir })).toEqual([]);
    expect(await bosunJson(['run', 'events'], { cwd: dir })).toEqual({ events: [], last: 0 });
  });
});

describe.concurrent('watching a run', () => {
  let dir: string;
  let followed: CliResult;
  let events: EventJson[];
  beforeAll(async () => {
    dir = await newWorkspace();
    writeWorkflow(
      dir,
      'hello.yaml',
      `name: hello
input:
  who: world
steps:
  - id: greet
    runner: mock
    with: { output: 'hello, {{ input.who }}' }
  - id: shout
    runner: mock
    needs: greet
    with: { output: '{{ steps.greet.output }}!' }
  - id: wrap-up
    runner: mock
    needs: shout
`,
    );
    followed = await bosun(dir, 'run', 'start', 'hello.yaml', '--follow');
    events = await eventsOf(dir);
  });

  it('prints one line per event with --follow when the output is not a terminal', () => {
    expectExit(followed, 0);
    const lines = followed.stdout.trimEnd().split('\n');
    const eventLines = lines.slice(0, -1);
    expect(eventLines.map((line) => /^\d\d:\d\d:\d\d\.\d{3} {2}(\S+)/.exec(line)?.[1])).toEqual(
      events.map((event) => event.kind),
    );
    expect(events.map((event) => event.kind)).toEqual([
      'run-start',
      'step-start',
      'step-end',
      'step-start',
      'step-end',
      'step-start',
      'step-end',
      'run-end',
    ]);
    expect(lines.at(-1)).toBe(`run ${events[0]!.runId} succeeded: 3 succeeded`);
  });

  it('lists only the events after a sequence number', async () => {
    const after = events[2]!.seq;
    const page = await bosunJson<{ events: EventJson[]; last: number }>(
      ['run', 'events', 'last', '--after', String(after)],
      { cwd: dir },
    );
    expect(page.events).toEqual(events.slice(3));
    expect(page.last).toBe(events.at(-1)!.seq);
  });

  it('prints every event of a finished run as JSON lines with --follow, and exits', async () => {
    const result = await bosun(dir, 'run', 'events', 'last', '--follow', '--json');
    expectExit(result, 0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line) as EventJson)).toEqual(events);
  });

  it('draws the run as a Mermaid flowchart with each step’s status', async () => {
    const result = await bosun(dir, 'run', 'graph', 'last', '--format', 'mermaid');
    expectExit(result, 0);
    expect(result.stdout).toContain('flowchart TD');
    for (const step of ['greet', 'shout', 'wrap-up']) {
      expect(result.stdout).toContain(`["${step}<br/>succeeded"]:::succeeded`);
    }
    expect(result.stdout).toMatch(/s0 --> s1/);
    expect(result.stdout).toMatch(/s1 --> s2/);
  });
});

describe.concurrent('project runs', () => {
  it('runs a project’s tasks in dependency order and moves each to done with a note', async () => {
    const dir = await newWorkspace();
    await bosunJson(['project', 'create', 'SHIP', 'Shipping'], { cwd: dir });
    await bosunJson(['task', 'add', 'SHIP', 'Write the code'], { cwd: dir });
    await bosunJson(['task', 'add', 'SHIP', 'Review it', '--depends-on', 'SHIP-1'], { cwd: dir });
    await bosunJson(['task', 'add', 'SHIP', 'Update the docs'], { cwd: dir });

    const start = await bosun(dir, 'run', 'start', '--project', 'SHIP', '--runner', 'mock');
    expectExit(start, 0);
    const detail = await showRun(dir);
    expect(detail.run).toMatchObject({ status: 'succeeded', source: 'project' });
    expect(
      Object.fromEntries(detail.steps.map(({ key, status, needs }) => [key, [status, needs]])),
    ).toEqual({
      'SHIP-1': ['succeeded', []],
      'SHIP-2': ['succeeded', ['SHIP-1']],
      'SHIP-3': ['succeeded', []],
    });
    const order = (await eventsOf(dir))
      .filter((event) => event.kind === 'step-start' || event.kind === 'step-end')
      .map((event) => `${event.kind} ${String(event.data.step)}`);
    expect(order.indexOf('step-start SHIP-2')).toBeGreaterThan(order.indexOf('step-end SHIP-1'));

    for (const ref of ['SHIP-1', 'SHIP-2', 'SHIP-3']) {
      const shown = await bosunJson<{ task: { status: string }; notes: { body: string }[] }>(
        ['task', 'show', ref],
        { cwd: dir },
      );
      expect(shown.task.status, ref).toBe('done');
      expect(shown.notes.map((note) => note.body)).toEqual([
        expect.stringContaining(`Run ${detail.run.id} step ${ref} succeeded`),
      ]);
    }
  });
});

describe('a run driven from several processes', () => {
  it('pauses a run in the foreground: the running step finishes and nothing new starts', async () => {
    const dir = await newWorkspace();
    // The first step runs until the test lets it finish, so the pause surely arrives meanwhile.
    writeWorkflow(
      dir,
      'slow.yaml',
      `name: slow
steps:
  - id: one
    runner: shell
    with: { command: 'until [ -e go ]; do sleep 0.02; done; echo first' }
  - id: two
    runner: mock
    needs: one
    with: { output: second }
`,
    );
    const foreground = inBackground(['run', 'start', 'slow.yaml', '--follow'], dir);
    await foreground.waitForOutput(/step-start\s+one {2}attempt 1/);
    const pause = await bosunJson<RunJson>(['run', 'pause', 'last'], { cwd: dir });
    expect(pause.status).toBe('paused');
    expect(stepStatuses(await showRun(dir))).toEqual({ one: 'running', two: 'waiting' });
    writeFileSync(join(dir, 'go'), '');

    const exited = await foreground.exited;
    expectExit(exited, 0);
    expect(exited.stdout).toContain(`paused; continue with: bosun run resume ${pause.id}`);
    const paused = await showRun(dir);
    expect(paused.run.status).toBe('paused');
    expect(stepStatuses(paused)).toEqual({ one: 'succeeded', two: 'ready' });
    expect(stepOf(paused, 'two').attempts).toBe(0);
    expect((await showStep(dir, 'one')).step.output).toBe('first');
    const kinds = (await eventsOf(dir))
      .filter((event) => event.kind !== 'step-output')
      .map((event) =>
        event.kind.startsWith('step-') ? `${event.kind} ${String(event.data.step)}` : event.kind,
      );
    expect(kinds).toEqual(['run-start', 'step-start one', 'run-pause', 'step-end one']);

    const resume = await bosun(dir, 'run', 'resume', 'last');
    expectExit(resume, 0);
    const done = await showRun(dir);
    expect(done.run.status).toBe('succeeded');
    expect(stepStatuses(done)).toEqual({ one: 'succeeded', two: 'succeeded' });
    expect(stepOf(done, 'one').attempts).toBe(1);
  });

  it('cancels a running shell step: the foreground exits 11 and the step leaves no process', async () => {
    const dir = await newWorkspace();
    writeWorkflow(
      dir,
      'stuck.yaml',
      `name: stuck
steps:
  - id: hang
    runner: shell
    with:
      command: 'sleep 30 & echo "child $!"; wait'
  - id: after
    runner: mock
    needs: hang
`,
    );
    const foreground = inBackground(['run', 'start', 'stuck.yaml', '--follow'], dir);
    const printed = await foreground.waitForOutput(/hang │ child (\d+)/);
    const child = Number(printed[1]);
    strayPids.push(child);
    expect(isProcessRunning(child)).toBe(true);

    const cancel = await bosunJson<RunJson>(['run', 'cancel', 'last'], { cwd: dir });
    expect(cancel.status).toBe('cancelled');
    const cancelledAt = Date.now();
    const exited = await foreground.exited;
    expect(Date.now() - cancelledAt).toBeLessThan(5_000);
    expectExit(exited, 11);
    expect(exited.stdout).toContain(`run ${cancel.id} cancelled`);

    const detail = await showRun(dir);
    expect(detail.run.status).toBe('cancelled');
    expect(stepStatuses(detail)).toEqual({ hang: 'cancelled', after: 'cancelled' });
    expect((await showStep(dir, 'hang')).attempts.map((attempt) => attempt.status)).toEqual([
      'cancelled',
    ]);
    expect(await waitUntilProcessesExit([child], 2_000)).toEqual([]);
  });

  it('serves detached runs from one worker, refuses a second on SQLite, and stops on SIGTERM', async () => {
    const dir = await newWorkspace();
    writeWorkflow(
      dir,
      'quick.yaml',
      `name: quick
steps:
  - id: only
    runner: mock
    with: { output: done by the worker }
`,
    );
    const first = inBackground(['worker', '--json'], dir);
    await first.waitForOutput(/serving sqlite workspace/);
    const recorded = await bosunJson<RunJson>(['run', 'start', 'quick.yaml', '--detach'], {
      cwd: dir,
    });
    expect(recorded.status).toBe('running');
    // Streams until the run ends, which only the worker can make happen.
    const watched = await bosun(dir, 'run', 'events', recorded.id, '--follow', '--json');
    expectExit(watched, 0);
    expect(watched.stdout).toContain('"kind":"run-end"');
    expect((await showRun(dir, recorded.id)).run.status).toBe('succeeded');
    expect((await showStep(dir, 'only', recorded.id)).step.output).toBe('done by the worker');

    const second = await bosun(dir, 'worker', '--until-idle');
    expectExit(second, 5);
    expect(second.stderr).toMatch(
      new RegExp(
        `^error\\[conflict\\]: worker: another worker \\(pid ${first.pid} on .*\\) already serves this SQLite workspace`,
      ),
    );

    first.kill('SIGTERM');
    const stopped = await first.exited;
    expectExit(stopped, 0);
    expect(stopped.stdout).toContain(`"worker":"worker ${first.pid} stopped"`);
  });
});
