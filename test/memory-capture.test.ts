/**
 * Automatic memory capture and the reasoning bank, end to end through the built `bosun` bin on
 * SQLite workspaces: a mock run leaves every step's output, a handoff, task summaries marked
 * extractive and a project roll-up; `memory patterns` shows each agent's outcomes; a failing
 * step records failures; an agent playing `summarizer` (on the fake OpenAI server) rewrites the
 * extractive summaries, on demand and at the end of a foreground run, with its spend in the
 * ledger. The store-level pieces (patterns, the new memory reads, the summary rewrite's checks)
 * run on SQLite and PostgreSQL alike.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../src/adapters/storage/postgres/index.js';
import { createSqliteStore } from '../src/adapters/storage/sqlite/index.js';
import type { MemoryItem } from '../src/domain/memory.js';
import type { PatternRecord } from '../src/domain/pattern.js';
import { captureTaskDone, provenPatterns } from '../src/core/services/memory-capture.js';
import type { Summarizer } from '../src/core/services/service-context.js';
import { applySummaryDraft, draftSummaries } from '../src/core/services/memory-summaries.js';
import { createOperationRunner, findOperation } from '../src/operations/catalog.js';
import type { Store } from '../src/ports/store.js';
import { createManualClock } from '../src/shared/clock.js';
import { createUlidGenerator } from '../src/shared/ids.js';
import { startFakeOpenAIServer } from '../src/testing/fake-openai-server.js';
import type { PostgresCluster } from '../src/testing/postgres-cluster.js';
import { startPostgresCluster } from '../src/testing/postgres-cluster.js';
import { bosunJson, runBosun, tempDir } from './helpers/cli.js';

interface MemoryRow {
  id: string;
  kind: string;
  scope: string;
  scope_ref: string | null;
  author: string;
  run_id: string | null;
  metadata: Record<string, unknown>;
  text: string;
  forget_reason: string | null;
  forgotten: boolean;
}

interface PatternJson {
  role: string | null;
  tags: string[];
  size: string;
  agent: string;
  model: string | null;
  runner: string;
  tries: number;
  successes: number;
  failures: number;
  successRate: number;
  meanCostUsd: number;
  meanDurationMs: number | null;
  proven: boolean;
}

/** Every memory item, oldest first, read through the read-only SQL of `db.query`. */
async function memoryRows(cwd: string): Promise<MemoryRow[]> {
  const result = await bosunJson<{ rows: Record<string, unknown>[] }>(
    [
      'call',
      'db.query',
      '--input',
      JSON.stringify({
        sql: 'select id, kind, scope, scope_ref, author, run_id, metadata, text, forget_reason, forgotten_at is not null as forgotten from memory_items order by seq',
      }),
    ],
    { cwd },
  );
  return result.rows.map((row) => ({
    ...(row as unknown as MemoryRow),
    metadata: JSON.parse(row['metadata'] as string) as Record<string, unknown>,
    forgotten: Boolean(row['forgotten']),
  }));
}

const live = (rows: readonly MemoryRow[], kind: string) =>
  rows.filter((row) => row.kind === kind && !row.forgotten);

async function workspace(extraConfig = ''): Promise<string> {
  const cwd = tempDir('bosun-capture-');
  const init = await runBosun(['init'], { cwd });
  expect(init.status, init.stderr).toBe(0);
  appendFileSync(join(cwd, '.bosun', 'bosun.yaml'), extraConfig);
  return cwd;
}

const WORKER = ['agents:', '  worker:', '    role: worker', '    runner: mock', ''].join('\n');

describe('automatic capture through a run', () => {
  it('Summaries and handoffs appear after a mock run', async () => {
    const cwd = await workspace(WORKER);
    await bosunJson(['project', 'create', 'SHIP', 'Shipping'], { cwd });
    await bosunJson(
      [
        'task',
        'add',
        'SHIP',
        'Write the CSV exporter',
        '-d',
        'Export the orders as CSV to out/orders.csv',
        '--acceptance',
        'out/orders.csv has a header row',
        '-t',
        'backend',
        '--estimate',
        '2',
      ],
      { cwd },
    );
    await bosunJson(
      ['task', 'add', 'SHIP', 'Review the exporter', '--depends-on', 'SHIP-1', '-t', 'backend'],
      { cwd },
    );
    const run = await runBosun(['run', 'start', '--project', 'SHIP'], { cwd });
    expect(run.status, run.stderr + run.stdout).toBe(0);
    const runId = /run (\w{26})/.exec(run.stdout)![1]!;

    const rows = await memoryRows(cwd);
    // Every step's output, scoped to its task, in its run's lineage, by the agent that did it.
    const raw = live(rows, 'raw_interaction');
    expect(raw.map((row) => [row.scope, row.scope_ref, row.run_id, row.author])).toEqual([
      ['task', 'SHIP-1', runId, 'agent:worker'],
      ['task', 'SHIP-2', runId, 'agent:worker'],
    ]);
    expect(raw[0]!.metadata).toEqual({
      step: 'SHIP-1',
      attempt: 1,
      agent: 'worker',
      model: null,
      runner: 'mock',
      outcome: 'succeeded',
    });
    expect(raw[0]!.text).toContain('title: Write the CSV exporter');

    // A handoff from the step that feeds another, for the agent downstream.
    const handoffs = live(rows, 'handoff');
    expect(handoffs).toHaveLength(1);
    expect(handoffs[0]).toMatchObject({
      scope: 'task',
      scope_ref: 'SHIP-1',
      run_id: runId,
      metadata: { from: 'SHIP-1', to: ['SHIP-2'], agent: 'worker' },
    });
    expect(handoffs[0]!.text).toMatch(
      /^Handoff from step SHIP-1 \(attempt 1, agent worker\) to SHIP-2:\n/,
    );

    // Each task done has an extractive summary, clearly marked as such.
    const summaries = live(rows, 'task_summary');
    expect(summaries.map((row) => [row.scope_ref, row.author, row.metadata['method']])).toEqual([
      ['SHIP-1', 'bosun', 'extractive'],
      ['SHIP-2', 'bosun', 'extractive'],
    ]);
    for (const summary of summaries) {
      expect(summary.text).toContain('(Extractive summary: assembled by bosun');
    }
    expect(summaries[0]!.text).toContain('Asked: Export the orders as CSV to out/orders.csv');
    expect(summaries[0]!.text).toContain('- out/orders.csv has a header row');

    // The project's summary rolls both up; the one written after the first task is superseded.
    const projects = rows.filter((row) => row.kind === 'project_summary');
    expect(projects.map((row) => [row.forgotten, row.forget_reason])).toEqual([
      [true, 'superseded'],
      [false, null],
    ]);
    const rollUp = projects[1]!;
    expect(rollUp).toMatchObject({ scope: 'project', scope_ref: 'SHIP', author: 'bosun' });
    expect(rollUp.metadata).toMatchObject({ method: 'extractive', tasksDone: 2 });
    expect((rollUp.metadata['tasks'] as { ref: string }[]).map((task) => task.ref)).toEqual([
      'SHIP-2',
      'SHIP-1',
    ]);
    expect(rollUp.text).toContain('SHIP Shipping — 2 tasks done');
    expect(rollUp.text).toContain('- SHIP-1 Write the CSV exporter (done ');

    // Captured items are found like any other, and are not audited one by one.
    const hits = await bosunJson<{ kind: string; scopeRef: string }[]>(
      ['memory', 'exporter', '-k', 'task_summary', '-k', 'handoff'],
      { cwd },
    );
    expect(hits.map((hit) => `${hit.kind} ${hit.scopeRef}`).sort()).toEqual([
      'handoff SHIP-1',
      'task_summary SHIP-1',
      'task_summary SHIP-2',
    ]);
    const audit = await bosunJson<{ targetKind: string }[]>(['audit', 'list', '--limit', '1000'], {
      cwd,
    });
    expect(audit.length).toBeGreaterThan(0);
    expect(audit.filter((entry) => entry.targetKind === 'memory')).toEqual([]);

    // The reasoning bank: one outcome per attempt, grouped by situation and strategy.
    const patterns = await bosunJson<PatternJson[]>(['memory', 'patterns'], { cwd });
    expect(
      patterns.map((p) => [p.role, p.tags, p.size, p.agent, p.runner, p.tries, p.successRate]),
    ).toEqual([
      ['worker', ['backend'], 'medium', 'worker', 'mock', 1, 1],
      ['worker', ['backend'], 'small', 'worker', 'mock', 1, 1],
    ]);
    expect(patterns[0]).toMatchObject({ successes: 1, failures: 0, model: null, proven: false });
    expect(patterns[0]!.meanDurationMs).toBeGreaterThanOrEqual(0);
    expect(
      await bosunJson<PatternJson[]>(['memory', 'patterns', '--tag', 'frontend'], { cwd }),
    ).toEqual([]);
    const table = await runBosun(['memory', 'patterns'], { cwd });
    expect(table.stdout).toMatch(/^ROLE\s+TAGS\s+SIZE\s+AGENT/);

    // Done again later: a fresh summary supersedes the old one, and the roll-up still counts 2.
    await bosunJson(['task', 'status', 'SHIP-1', 'todo'], { cwd });
    await bosunJson(['task', 'status', 'SHIP-1', 'in_progress'], { cwd });
    await bosunJson(['task', 'status', 'SHIP-1', 'done'], { cwd });
    const again = await memoryRows(cwd);
    const ship1 = again.filter((row) => row.kind === 'task_summary' && row.scope_ref === 'SHIP-1');
    expect(ship1.map((row) => [row.forgotten, row.forget_reason])).toEqual([
      [true, 'superseded'],
      [false, null],
    ]);
    const [latest] = live(again, 'project_summary');
    expect(latest!.metadata['tasksDone']).toBe(2);
    expect((latest!.metadata['tasks'] as { ref: string }[]).map((task) => task.ref)).toEqual([
      'SHIP-1',
      'SHIP-2',
    ]);

    // Without an agent playing summarizer, `memory summarize` says what to configure.
    const summarize = await runBosun(['memory', 'summarize'], { cwd });
    expect(summarize.status).toBe(10);
    expect(summarize.stderr).toContain('no agent plays summarizer');
  });

  it('records failures and retried attempts in the reasoning bank', async () => {
    const cwd = await workspace(WORKER);
    writeFileSync(
      join(cwd, 'flaky.yaml'),
      [
        'name: flaky',
        'steps:',
        '  - id: build',
        '    role: worker',
        '    with: { fail_attempts: 1, output: "built dist/app.js" }',
        '    retry: { attempts: 2, backoff: 10ms }',
        '  - id: ship',
        '    role: worker',
        '    needs: [build]',
        '    with: { fail: true, error: "deploy refused: disk full" }',
        '',
      ].join('\n'),
    );
    const run = await runBosun(['run', 'start', 'flaky.yaml'], { cwd });
    expect(run.status, run.stderr + run.stdout).toBe(11);
    const runId = /run (\w{26})/.exec(run.stdout)![1]!;

    const patterns = await bosunJson<PatternJson[]>(['memory', 'patterns', '--agent', 'worker'], {
      cwd,
    });
    expect(patterns).toHaveLength(1);
    // One situation (role worker, no tags, small input), one strategy: three attempts.
    expect(patterns[0]).toMatchObject({
      role: 'worker',
      tags: [],
      size: 'small',
      agent: 'worker',
      runner: 'mock',
      tries: 3,
      successes: 1,
      failures: 2,
      successRate: 0.333,
      proven: false,
    });

    const rows = await memoryRows(cwd);
    // Steps without a task are scoped to their run; a retried failure leaves no raw output.
    expect(
      live(rows, 'raw_interaction').map((row) => [
        row.scope,
        row.scope_ref,
        row.metadata['step'],
        row.text,
      ]),
    ).toEqual([
      ['run', runId, 'build', 'built dist/app.js'],
      ['run', runId, 'ship', 'Failed (error): deploy refused: disk full'],
    ]);
    expect(live(rows, 'raw_interaction')[1]!.metadata['outcome']).toBe('failed');
    expect(live(rows, 'handoff').map((row) => row.metadata)).toEqual([
      { from: 'build', to: ['ship'], agent: 'worker' },
    ]);
  });

  it('keeps the output of steps meant for agents, and hands off only to agents', async () => {
    const cwd = await workspace();
    writeFileSync(
      join(cwd, 'plain.yaml'),
      [
        'name: plain',
        'steps:',
        '  - id: probe',
        '    runner: mock',
        '    with: { output: "ERROR E_EXPORT_17 in fixtures/latin1.csv" }',
        '  - id: fix',
        '    role: fixer',
        '    needs: [probe]',
        '    with: { output: fixed }',
        '  - id: report',
        '    runner: mock',
        '    needs: [fix]',
        '    with: { output: reported }',
        '',
      ].join('\n'),
    );
    const run = await runBosun(['run', 'start', 'plain.yaml'], { cwd });
    expect(run.status, run.stderr).toBe(0);
    const rows = await memoryRows(cwd);
    // The plain probe hands its output to the fixer (a role: with no agents configured it runs
    // on mock, nobody in particular); the fixer's output is kept; the plain report leaves nothing,
    // and no agent means no pattern.
    expect(
      rows.map((row) => [row.kind, row.author, row.metadata['step'] ?? row.metadata['from']]),
    ).toEqual([
      ['handoff', 'runner:mock', 'probe'],
      ['raw_interaction', 'runner:mock', 'fix'],
    ]);
    expect(rows[0]!.text).toBe(
      'Handoff from step probe (attempt 1) to fix:\nERROR E_EXPORT_17 in fixtures/latin1.csv',
    );
    expect(rows[1]!.text).toBe('fixed');
    expect(await bosunJson<PatternJson[]>(['memory', 'patterns'], { cwd })).toEqual([]);
  });
});

describe('summaries written by the summarizer agent’s model', () => {
  it('replaces extractive summaries on demand and after a foreground run, with the spend in the ledger', async () => {
    const server = await startFakeOpenAIServer({ apiKey: 'test-key' });
    const env = { FAKE_OPENAI_KEY: 'test-key' };
    try {
      const cwd = await workspace(
        [
          'models:',
          '  local:',
          '    provider: openai-compatible',
          `    base_url: ${server.url}`,
          '    model: qwen2.5:7b',
          '    api_key_env: FAKE_OPENAI_KEY',
          '    price: { input: 1, output: 2 }',
          'agents:',
          '  worker:',
          '    role: worker',
          '    runner: mock',
          '  scribe:',
          '    role: summarizer',
          '    runner: llm',
          '    model: local',
          '    instructions: Write for the on-call engineer.',
          '',
        ].join('\n'),
      );
      await bosunJson(['project', 'create', 'SHIP', 'Shipping'], { cwd, env });
      await bosunJson(
        ['task', 'add', 'SHIP', 'Rotate the API keys', '-d', 'Rotate keys in vault/prod'],
        {
          cwd,
          env,
        },
      );
      await bosunJson(['task', 'status', 'SHIP-1', 'in_progress'], { cwd, env });
      await bosunJson(
        [
          'task',
          'status',
          'SHIP-1',
          'done',
          '--note',
          'Rotated 4 keys; updated deploy/secrets.yaml',
        ],
        { cwd, env },
      );
      const extractive = live(await memoryRows(cwd), 'task_summary')[0]!;
      expect(extractive.metadata['method']).toBe('extractive');

      // A failing model leaves the extractive summaries as they are.
      server.enqueue({ type: 'http-error', status: 400, message: 'model not loaded' });
      const failed = await runBosun(['memory', 'summarize'], { cwd, env });
      expect(failed.status, failed.stderr).toBe(10);
      expect(failed.stderr).toContain('memory summarize: summarizer:');
      expect(live(await memoryRows(cwd), 'task_summary')[0]!.id).toBe(extractive.id);

      server.enqueue(
        {
          type: 'text',
          text: 'Rotated the four production API keys in vault/prod; deploy/secrets.yaml points at them.',
          usage: { promptTokens: 1_000, completionTokens: 100 },
        },
        {
          type: 'text',
          text: 'SHIP has rotated its production API keys (SHIP-1).',
          usage: { promptTokens: 500, completionTokens: 50 },
        },
      );
      const report = await bosunJson(['memory', 'summarize'], { cwd, env });
      expect(report).toEqual({
        agent: 'scribe',
        model: 'local',
        summarized: 2,
        skipped: 0,
        problem: null,
      });
      const taskRequest = server.requests.at(-2)!;
      const system = taskRequest.messages.find((message) => message.role === 'system');
      expect(JSON.stringify(system?.content)).toContain('Write for the on-call engineer.');
      const taskPrompt = JSON.stringify(taskRequest.messages.at(-1)?.content);
      expect(taskPrompt).toContain('Task SHIP-1: Rotate the API keys');
      expect(taskPrompt).toContain('Rotated 4 keys; updated deploy/secrets.yaml');
      // The project's rewrite reads its task's new summary.
      expect(JSON.stringify(server.requests.at(-1)!.messages.at(-1)?.content)).toContain(
        'Rotated the four production API keys',
      );

      const rows = await memoryRows(cwd);
      const [task] = live(rows, 'task_summary');
      expect(task!.metadata).toMatchObject({
        method: 'model',
        model: 'local',
        agent: 'scribe',
        replaces: extractive.id,
        task: 'SHIP-1',
      });
      expect(task!.author).toBe('agent:scribe');
      expect(task!.text).toMatch(
        /^SHIP-1 Rotate the API keys — done \d{4}-\d{2}-\d{2}\n\nRotated the four/,
      );
      expect(rows.find((row) => row.id === extractive.id)).toMatchObject({
        forgotten: true,
        forget_reason: 'superseded',
      });
      const [project] = live(rows, 'project_summary');
      expect(project!.metadata).toMatchObject({ method: 'model', tasksDone: 1 });
      expect(project!.text).toContain('SHIP has rotated its production API keys');

      const cost = await bosunJson<{ rows: { key: string; calls: number; costUsd: number }[] }>(
        ['cost', 'report', '--by', 'agent'],
        { cwd, env },
      );
      // 1,500 input tokens at $1/M and 150 output tokens at $2/M; the failed call cost nothing.
      expect(cost.rows.map((row) => [row.key, row.calls])).toEqual([['scribe', 2]]);
      expect(cost.rows[0]!.costUsd).toBeCloseTo(0.0018, 8);

      // Nothing left to rewrite: no model call.
      const requests = server.requests.length;
      expect(await bosunJson(['memory', 'summarize'], { cwd, env })).toMatchObject({
        summarized: 0,
      });
      expect(server.requests.length).toBe(requests);

      // A foreground run makes one pass when it is over.
      await bosunJson(['task', 'add', 'SHIP', 'Announce the rotation'], { cwd, env });
      server.enqueue(
        { type: 'text', text: 'Announced the key rotation in #ops.' },
        { type: 'text', text: 'SHIP rotated its keys and announced it (SHIP-1, SHIP-2).' },
      );
      const run = await runBosun(['run', 'start', '--task', 'SHIP-2'], { cwd, env });
      expect(run.status, run.stderr + run.stdout).toBe(0);
      const after = await memoryRows(cwd);
      expect(
        live(after, 'task_summary').map((row) => [row.scope_ref, row.metadata['method']]),
      ).toEqual([
        ['SHIP-1', 'model'],
        ['SHIP-2', 'model'],
      ]);
      const [rolled] = live(after, 'project_summary');
      expect(rolled!.metadata).toMatchObject({ method: 'model', tasksDone: 2 });
      expect(rolled!.text).toContain('SHIP rotated its keys and announced it');
    } finally {
      await server.close();
    }
  });
});

// ── the store pieces on both dialects

let cluster: PostgresCluster | undefined;
let dir: string | undefined;
let opened = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bosun-capture-store-'));
  cluster = await startPostgresCluster();
});

afterAll(async () => {
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const stores: [string, () => Promise<Store>][] = [
  ['sqlite', async () => createSqliteStore({ path: join(dir!, `store-${++opened}.db`) })],
  [
    'postgres',
    async () => {
      if (!cluster) throw new Error('the PostgreSQL cluster did not start');
      return createPostgresStore({ url: await cluster.createDatabase() });
    },
  ],
];

describe.each(stores)('memory capture on %s', (_name, openStore) => {
  const START = '2026-02-01T00:00:00.000Z';

  async function setup() {
    const store = await openStore();
    const clock = createManualClock(START);
    const newId = createUlidGenerator(clock);
    const runner = createOperationRunner({ store, clock, newId, validateOutput: true });
    const run = (name: string, input: Record<string, unknown>) =>
      runner.run(findOperation(name)!, input, 'ana');
    return { store, clock, newId, run };
  }

  it('groups pattern outcomes by situation and strategy, with filters, and finds proven ones', async () => {
    const { store, clock, newId, run } = await setup();
    try {
      await run('project.create', { key: 'HOME', name: 'Home' });
      const runId = newId();
      await store.transaction('write', (repos) =>
        repos.runs.insert(
          {
            id: runId,
            name: 'r',
            source: 'workflow',
            status: 'running',
            projectId: null,
            parentRunId: null,
            forkStep: null,
            file: null,
            input: {},
            stepsTotal: 0,
            costUsd: 0,
            inputTokens: 0,
            outputTokens: 0,
            error: null,
            createdBy: 'ana',
            createdAt: START,
            updatedAt: START,
            endedAt: null,
          },
          { name: 'r', description: '', inputs: {}, steps: [] },
          0,
        ),
      );
      const outcome = (extra: Partial<PatternRecord>): PatternRecord => {
        clock.advance(1_000);
        return {
          id: newId(),
          at: clock.now().toISOString(),
          runId,
          stepId: newId(),
          stepKey: 'build',
          attempt: 1,
          projectId: null,
          taskId: null,
          role: 'coder',
          tags: ['api', 'snake_case'],
          size: 'small',
          agent: 'coder',
          model: 'local',
          runner: 'llm',
          outcome: 'succeeded',
          failureKind: null,
          costUsd: 0.01,
          inputTokens: 100,
          outputTokens: 10,
          durationMs: 1_000,
          ...extra,
        };
      };
      const records = [
        outcome({}),
        outcome({ durationMs: 3_000, costUsd: 0.03 }),
        outcome({ outcome: 'failed', failureKind: 'error', durationMs: null }),
        outcome({ agent: 'senior', model: 'big', tags: ['api'] }),
        outcome({ agent: 'senior', model: 'big', tags: ['api'] }),
        outcome({ agent: 'cheap', model: null, role: null, tags: [], size: 'large' }),
      ];
      await store.transaction('write', async (repos) => {
        for (const record of records) await repos.patterns.insert(record);
      });
      const stats = await store.transaction('read', (repos) => repos.patterns.stats({ limit: 10 }));
      // The most recently seen first.
      expect(stats.map((s) => [s.agent, s.tries, s.successes, s.successRate])).toEqual([
        ['cheap', 1, 1, 1],
        ['senior', 2, 2, 1],
        ['coder', 3, 2, 0.667],
      ]);
      expect(stats[2]).toMatchObject({
        role: 'coder',
        tags: ['api', 'snake_case'],
        size: 'small',
        model: 'local',
        runner: 'llm',
        failures: 1,
        meanDurationMs: 2_000,
        lastSeen: records[2]!.at,
      });
      expect(stats[2]!.meanCostUsd).toBeCloseTo(0.0167, 4);
      expect(stats[0]).toMatchObject({ role: null, model: null, meanDurationMs: 1_000 });
      const filtered = (filter: Record<string, unknown>) =>
        store.transaction('read', async (repos) =>
          (await repos.patterns.stats({ limit: 10, ...filter })).map((s) => s.agent),
        );
      expect(await filtered({ tag: 'snake_case' })).toEqual(['coder']);
      // A tag is matched whole: `snake` is not `snake_case`, `_` is no wildcard.
      expect(await filtered({ tag: 'snake' })).toEqual([]);
      expect(await filtered({ tag: 'api' })).toEqual(['senior', 'coder']);
      expect(await filtered({ role: 'coder', model: 'big' })).toEqual(['senior']);
      expect(await filtered({ agent: 'cheap' })).toEqual(['cheap']);
      expect(await filtered({ minSuccesses: 2 })).toEqual(['senior', 'coder']);
      expect(await filtered({ limit: 1 })).toEqual(['cheap']);

      const proven = await store.transaction('read', (repos) =>
        provenPatterns(repos, { role: 'coder', tags: ['api', 'snake_case'], size: 'small' }, 5),
      );
      expect(proven.map((p) => [p.agent, p.featuresInCommon])).toEqual([
        ['coder', 4],
        ['senior', 3],
      ]);
      const listed = (await run('memory.patterns', { role: 'coder' })) as { agent: string }[];
      // Each kind of work together (here, two), the best strategy first within each.
      expect(listed.map((p) => p.agent)).toEqual(['senior', 'coder']);
    } finally {
      await store.close();
    }
  });

  it('rolls task summaries up into the project and rewrites them only while they are current', async () => {
    const { store, clock, newId, run } = await setup();
    try {
      await run('project.create', { key: 'HOME', name: 'Home' });
      await run('task.create', { project: 'HOME', title: 'Back up the NAS', tags: ['backup'] });
      await run('task.create', { project: 'HOME', title: 'Restore a file' });
      for (const ref of ['HOME-1', 'HOME-2']) {
        await run('task.status', { task: ref, status: 'in_progress' });
        clock.advance(1_000);
        await run('task.status', { task: ref, status: 'done', note: `Finished ${ref} in 42 ms` });
      }
      const latest = (kind: 'task_summary' | 'project_summary', scopeId: string) =>
        store.transaction('read', (repos) =>
          repos.memory.latestLive({
            kind,
            scope: kind === 'task_summary' ? 'task' : 'project',
            scopeId,
            limit: 5,
          }),
        );
      const home1 = (await run('task.show', { task: 'HOME-1' })) as { task: { id: string } };
      const [summary] = await latest('task_summary', home1.task.id);
      expect(summary).toMatchObject({ scopeRef: 'HOME-1', tags: ['backup'], author: 'bosun' });
      expect(summary!.metadata['method']).toBe('extractive');
      // The extractive ones wait for a model: task summaries first, oldest first.
      const pending = await store.transaction('read', (repos) =>
        repos.memory.extractiveSummaries(10),
      );
      expect(pending.map((item) => `${item.kind} ${item.scopeRef}`)).toEqual([
        'task_summary HOME-1',
        'task_summary HOME-2',
        'project_summary HOME',
      ]);

      const calls: string[] = [];
      const summarizer: Summarizer = {
        choose: () => ({
          agent: 'scribe',
          instructions: '',
          model: {
            name: 'local',
            provider: 'mock',
            model: 'm',
            max_output_tokens: 100,
            price: { input: 0, output: 0 },
          },
        }),
        summarize: async (_choice, prompt) => {
          calls.push(prompt.prompt);
          return {
            text: `Model summary ${calls.length}`,
            calls: [
              {
                model: 'local',
                inputTokens: 10,
                outputTokens: 5,
                cachedInputTokens: 0,
                costUsd: 0.001,
                latencyMs: 1,
              },
            ],
          };
        },
      };
      const pass = await draftSummaries((work) => store.transaction('read', work), summarizer, {
        limit: 10,
      });
      expect(pass.drafts.map((draft) => draft.replaces.scopeRef)).toEqual([
        'HOME-1',
        'HOME-2',
        'HOME',
      ]);
      // Meanwhile HOME-2 is done again: its draft no longer applies.
      await run('task.status', { task: 'HOME-2', status: 'todo' });
      await run('task.status', { task: 'HOME-2', status: 'in_progress' });
      await run('task.status', { task: 'HOME-2', status: 'done' });
      const applied: boolean[] = [];
      for (const draft of pass.drafts) {
        applied.push(
          await store.transaction('write', (repos) =>
            applySummaryDraft({ repos, now: clock.now().toISOString(), newId }, draft),
          ),
        );
      }
      // HOME-2's summary and the project's roll-up were superseded meanwhile.
      expect(applied).toEqual([true, false, false]);
      const [rewritten] = await latest('task_summary', home1.task.id);
      expect(rewritten).toMatchObject({ author: 'agent:scribe', tags: ['backup'] });
      expect(rewritten!.metadata).toMatchObject({ method: 'model', replaces: summary!.id });
      expect(rewritten!.text).toMatch(
        /^HOME-1 Back up the NAS — done 2026-02-01\n\nModel summary 1$/,
      );
      // Every call is in the ledger, applied or not.
      const cost = (await run('cost.report', { by: 'agent' })) as { rows: { calls: number }[] };
      expect(cost.rows[0]!.calls).toBe(3);
      const left = await store.transaction('read', (repos) => repos.memory.extractiveSummaries(10));
      expect(left.map((item) => `${item.kind} ${item.scopeRef}`)).toEqual([
        'task_summary HOME-2',
        'project_summary HOME',
      ]);
    } finally {
      await store.close();
    }
  });

  it('summarizes a task handed to it in the caller’s transaction, with its project’s roll-up', async () => {
    const { store, clock, newId, run } = await setup();
    try {
      await run('project.create', { key: 'HOME', name: 'Home' });
      const task = (await run('task.create', { project: 'HOME', title: 'Label cables' })) as {
        id: string;
      };
      const item: MemoryItem = await store.transaction('write', async (repos) =>
        captureTaskDone(
          { repos, now: clock.now().toISOString(), newId },
          (await repos.tasks.findById(task.id))!,
        ),
      );
      expect(item).toMatchObject({ kind: 'task_summary', scope: 'task', scopeRef: 'HOME-1' });
      const project = (await run('project.show', { project: 'HOME' })) as {
        project: { id: string };
      };
      const [rollUp] = await store.transaction('read', (repos) =>
        repos.memory.latestLive({
          kind: 'project_summary',
          scope: 'project',
          scopeId: project.project.id,
          limit: 5,
        }),
      );
      expect(rollUp!.metadata).toMatchObject({ method: 'extractive', tasksDone: 1 });
      expect(rollUp!.text).toContain('- HOME-1 Label cables (done 2026-02-01)');
    } finally {
      await store.close();
    }
  });
});
