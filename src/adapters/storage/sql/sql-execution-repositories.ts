/**
 * Repositories of the execution journal (runs, steps, attempts, approvals, events, workers) in
 * plain SQL that both dialects accept, run through a SqlExecutor. The statements are fixed texts
 * (patches pick from a cached text per column set), so SQLite prepares each one once.
 */

import type {
  Approval,
  Attempt,
  JournalEvent,
  Run,
  RunStatus,
  Step,
  StepStatus,
} from '../../../domain/run.js';
import type { StepDefinition, WorkflowDefinition } from '../../../domain/workflow.js';
import type {
  ApprovalRepository,
  BudgetRepository,
  CostGrouping,
  LedgerRepository,
  SpendAmount,
  AttemptRepository,
  EventRepository,
  RunFilter,
  RunRepository,
  StepPatch,
  StepRepository,
  StoreDialect,
  WorkerRecord,
  WorkerRepository,
} from '../../../ports/store.js';
import type { SqlExecutor, SqlParameter } from './sql-executor.js';

// Stored JSON columns were written by these repositories; they are trusted like any other column.
const parseStored = <T>(text: string | null): T | null =>
  text === null ? null : (JSON.parse(text) as T);
const json = (value: unknown): string | null =>
  value === null || value === undefined ? null : JSON.stringify(value);
const bool = (value: boolean): number => (value ? 1 : 0);

/** Rows per multi-row INSERT (parameters stay under SQLite's limit of 32,766). */
const INSERT_BATCH = 500;
const ID_CHUNK = 500;

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const placeholders = (count: number): string => Array.from({ length: count }, () => '?').join(', ');

function hashKey(text: string): number {
  let hash = 0x62736e;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}

const patchTexts = new Map<string, string>();

/**
 * `update <table> set a = ?, b = ? where <identity><condition>`, built once per table, column set and
 * condition: the same text each time is what lets SQLite reuse its prepared statement.
 */
function patchStatement(
  table: string,
  columns: readonly string[],
  condition = '',
  identity = 'id = ?',
): string {
  const key = `${table}|${condition}|${columns.join(',')}`;
  let text = patchTexts.get(key);
  if (text === undefined) {
    text = `update ${table} set ${columns.map((c) => `${c} = ?`).join(', ')} where ${identity}${condition}`;
    patchTexts.set(key, text);
  }
  return text;
}

const insertTexts = new Map<string, string>();

/** `insert into <table> (<columns>) values (?, …), …` for `rows` rows, built once per shape. */
function insertText(table: string, columns: readonly string[], rows = 1): string {
  const key = `${table}|${rows}`;
  let text = insertTexts.get(key);
  if (text === undefined) {
    const row = `(${placeholders(columns.length)})`;
    text = `insert into ${table} (${columns.join(', ')}) values ${Array.from({ length: rows }, () => row).join(', ')}`;
    insertTexts.set(key, text);
  }
  return text;
}

export interface ExecutionRepositories {
  readonly runs: RunRepository;
  readonly steps: StepRepository;
  readonly attempts: AttemptRepository;
  readonly approvals: ApprovalRepository;
  readonly events: EventRepository;
  readonly workers: WorkerRepository;
  readonly ledger: LedgerRepository;
  readonly budgets: BudgetRepository;
}

/**
 * Parsed workflow definitions by run id, shared by every transaction of a store. A step's
 * definition is read from its run's (which never changes once the run exists), so a step row
 * carries no copy of it and a claim parses no JSON for it (decision 0008).
 */
export interface DefinitionCache {
  get(runId: string): WorkflowDefinition | undefined;
  set(runId: string, definition: WorkflowDefinition): void;
}

export function createDefinitionCache(capacity = 64): DefinitionCache {
  const entries = new Map<string, WorkflowDefinition>();
  return {
    get(runId) {
      const definition = entries.get(runId);
      if (definition !== undefined && entries.size > 1) {
        // Most recently used last.
        entries.delete(runId);
        entries.set(runId, definition);
      }
      return definition;
    },
    set(runId, definition) {
      entries.set(runId, definition);
      if (entries.size > capacity) entries.delete(entries.keys().next().value!);
    },
  };
}

export function createExecutionRepositories(
  sql: SqlExecutor,
  dialect: StoreDialect,
  definitions: DefinitionCache,
): ExecutionRepositories {
  const forUpdate = dialect === 'postgres' ? ' for update' : '';
  const loadDefinition = async (runId: string): Promise<WorkflowDefinition | undefined> => {
    let definition = definitions.get(runId);
    if (definition === undefined) {
      const rows = await sql.all<{ definition: string }>(
        'select definition from run_definitions where run_id = ?',
        [runId],
      );
      if (rows[0] === undefined) return undefined;
      definition = JSON.parse(rows[0].definition) as WorkflowDefinition;
      definitions.set(runId, definition);
    }
    return definition;
  };
  return {
    runs: runRepository(sql, forUpdate, definitions, loadDefinition),
    steps: stepRepository(sql, dialect, forUpdate, loadDefinition),
    attempts: attemptRepository(sql, dialect),
    approvals: approvalRepository(sql, forUpdate),
    events: eventRepository(sql, dialect),
    workers: workerRepository(sql),
    ledger: ledgerRepository(sql),
    budgets: budgetRepository(sql),
  };
}

// ── runs

interface RunRow {
  id: string;
  name: string;
  source: string;
  status: string;
  project_id: string | null;
  parent_run_id: string | null;
  fork_step: string | null;
  file: string | null;
  input: string;
  steps_total: number;
  cost_usd: number;
  input_tokens: number;
  output_tokens: number;
  error: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  ended_at: string | null;
}

const RUN_COLUMN_LIST = [
  'id',
  'name',
  'source',
  'status',
  'project_id',
  'parent_run_id',
  'fork_step',
  'file',
  'input',
  'steps_total',
  'sinks_open',
  'cost_usd',
  'input_tokens',
  'output_tokens',
  'error',
  'created_by',
  'created_at',
  'updated_at',
  'ended_at',
] as const;
const RUN_COLUMNS = RUN_COLUMN_LIST.join(', ');

function toRun(row: RunRow): Run {
  return {
    id: row.id,
    name: row.name,
    source: row.source as Run['source'],
    status: row.status as Run['status'],
    projectId: row.project_id,
    parentRunId: row.parent_run_id,
    forkStep: row.fork_step,
    file: row.file,
    input: parseStored<Run['input']>(row.input) ?? {},
    stepsTotal: Number(row.steps_total),
    costUsd: Number(row.cost_usd),
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    error: row.error,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    endedAt: row.ended_at,
  };
}

const RUN_PATCH_COLUMNS: Readonly<Record<string, string>> = {
  status: 'status',
  error: 'error',
  updatedAt: 'updated_at',
  endedAt: 'ended_at',
};

/** A run filter's where clause (with its leading ` where `, or empty) and parameters. */
function runWhere(filter: Omit<RunFilter, 'limit'>): { where: string; params: SqlParameter[] } {
  const where: string[] = [];
  const params: SqlParameter[] = [];
  if (filter.status && filter.status.length > 0) {
    where.push(`status in (${placeholders(filter.status.length)})`);
    params.push(...filter.status);
  }
  if (filter.projectId) {
    where.push('project_id = ?');
    params.push(filter.projectId);
  }
  return { where: where.length > 0 ? ` where ${where.join(' and ')}` : '', params };
}

function runRepository(
  sql: SqlExecutor,
  forUpdate: string,
  definitions: DefinitionCache,
  loadDefinition: (runId: string) => Promise<WorkflowDefinition | undefined>,
): RunRepository {
  return {
    async insert(run, definition, sinksOpen) {
      await sql.run(insertText('runs', RUN_COLUMN_LIST), [
        run.id,
        run.name,
        run.source,
        run.status,
        run.projectId,
        run.parentRunId,
        run.forkStep,
        run.file,
        JSON.stringify(run.input),
        run.stepsTotal,
        sinksOpen,
        run.costUsd,
        run.inputTokens,
        run.outputTokens,
        run.error,
        run.createdBy,
        run.createdAt,
        run.updatedAt,
        run.endedAt,
      ]);
      await sql.run('insert into run_definitions (run_id, definition) values (?, ?)', [
        run.id,
        JSON.stringify(definition),
      ]);
      definitions.set(run.id, definition);
    },
    async findById(id, options) {
      const rows = await sql.all<RunRow>(
        `select ${RUN_COLUMNS} from runs where id = ?${options?.lock ? forUpdate : ''}`,
        [id],
      );
      return rows[0] ? toRun(rows[0]) : undefined;
    },
    async findByIdPrefix(prefix, limit) {
      const rows = await sql.all<RunRow>(
        `select ${RUN_COLUMNS} from runs where id >= ? and id < ? order by id limit ?`,
        [prefix, `${prefix}\uffff`, limit],
      );
      return rows.map(toRun);
    },
    async family(id) {
      // Up to the root, then down every fork of it (runs_parent indexes the way down).
      const rows = await sql.all<{ id: string; parent_run_id: string | null; created_at: string }>(
        `with recursive up(id, parent_run_id) as (
          select id, parent_run_id from runs where id = ?
          union all select r.id, r.parent_run_id from runs r join up on r.id = up.parent_run_id
        ), down(id, parent_run_id, created_at) as (
          select id, parent_run_id, created_at from runs where id in (select id from up where parent_run_id is null)
          union all select r.id, r.parent_run_id, r.created_at from runs r join down d on r.parent_run_id = d.id
        ) select id, parent_run_id, created_at from down`,
        [id],
      );
      return rows.map((row) => ({
        id: row.id,
        parentRunId: row.parent_run_id,
        createdAt: row.created_at,
      }));
    },
    async definition(id) {
      return (await loadDefinition(id))!;
    },
    async list(filter) {
      const { where, params } = runWhere(filter);
      const rows = await sql.all<RunRow>(
        `select ${RUN_COLUMNS} from runs${where} order by created_at desc, id desc limit ?`,
        [...params, filter.limit ?? 100],
      );
      return rows.map(toRun);
    },
    async count(filter) {
      const { where, params } = runWhere(filter);
      const [row] = await sql.all<{ n: number }>(`select count(*) as n from runs${where}`, params);
      return Number(row?.n ?? 0);
    },
    async update(id, patch) {
      const keys = Object.keys(patch).filter(
        (key) => patch[key as keyof typeof patch] !== undefined,
      );
      if (keys.length === 0) return;
      await sql.run(
        patchStatement(
          'runs',
          keys.map((key) => RUN_PATCH_COLUMNS[key]!),
        ),
        [...keys.map((key) => patch[key as keyof typeof patch] as SqlParameter), id],
      );
    },
    async addCounters(id, delta, updatedAt) {
      const rows = await sql.all<{ status: Run['status']; sinks_open: number }>(
        'update runs set sinks_open = sinks_open + ?, cost_usd = cost_usd + ?, input_tokens = input_tokens + ?, output_tokens = output_tokens + ?, updated_at = ? where id = ? returning status, sinks_open',
        [
          delta.sinksOpen ?? 0,
          delta.costUsd ?? 0,
          delta.inputTokens ?? 0,
          delta.outputTokens ?? 0,
          updatedAt,
          id,
        ],
      );
      return { status: rows[0]!.status, sinksOpen: Number(rows[0]!.sinks_open) };
    },
  };
}

// ── steps

const STEP_COLUMN_LIST = [
  'id',
  'run_id',
  'key',
  'position',
  'status',
  'runner',
  'group_name',
  'dependents',
  'open_deps',
  'tries',
  'attempts',
  'available_at',
  'lease_owner',
  'lease_expires_at',
  'attempt_id',
  'approved',
  'output',
  'error',
  'reused_from',
  'task_id',
  'started_at',
  'ended_at',
  'updated_at',
] as const;
const STEP_COLUMNS = STEP_COLUMN_LIST.join(', ');
// A step that becomes ready is available from now: the queue is served in the order steps
// became ready, so a long chain does not keep jumping ahead of runs started after it.
const RELEASE_STEP = `update steps set open_deps = open_deps - 1, status = case when open_deps = 1 and status = 'waiting' then 'ready' else status end, available_at = case when open_deps = 1 and status = 'waiting' then ? else available_at end, updated_at = ? where id = ? returning ${STEP_COLUMNS}, (select r.status from runs r where r.id = steps.run_id)`;
const STEP_COLUMNS_S = STEP_COLUMN_LIST.map((c) => `s.${c}`).join(', ');

/** A step row as `STEP_COLUMN_LIST` orders it (read as a tuple: see SqlExecutor.tuples). */
type StepTuple = unknown[];

function toStep(row: StepTuple, spec: StepDefinition): Step {
  const [
    id,
    runId,
    key,
    position,
    status,
    runner,
    group,
    dependents,
    openDeps,
    tries,
    attempts,
    availableAt,
    leaseOwner,
    leaseExpiresAt,
    attemptId,
    approved,
    output,
    error,
    reusedFrom,
    taskId,
    startedAt,
    endedAt,
    updatedAt,
  ] = row as [
    string,
    string,
    string,
    number,
    StepStatus,
    string,
    string | null,
    string,
    number,
    number,
    number,
    string,
    string | null,
    string | null,
    string | null,
    number,
    string | null,
    string | null,
    string | null,
    string | null,
    string | null,
    string | null,
    string,
  ];
  return {
    id,
    runId,
    key,
    position: Number(position),
    status,
    runner,
    group,
    spec,
    dependents: JSON.parse(dependents) as string[],
    openDeps: Number(openDeps),
    tries: Number(tries),
    attempts: Number(attempts),
    availableAt,
    leaseOwner,
    leaseExpiresAt,
    attemptId,
    approved: Number(approved) === 1,
    output: parseStored<Step['output']>(output),
    error: parseStored<NonNullable<Step['error']>>(error),
    reusedFrom,
    taskId,
    startedAt,
    endedAt,
    updatedAt,
  };
}

function stepValues(step: Step): SqlParameter[] {
  return [
    step.id,
    step.runId,
    step.key,
    step.position,
    step.status,
    step.runner,
    step.group,
    JSON.stringify(step.dependents),
    step.openDeps,
    step.tries,
    step.attempts,
    step.availableAt,
    step.leaseOwner,
    step.leaseExpiresAt,
    step.attemptId,
    bool(step.approved),
    json(step.output),
    json(step.error),
    step.reusedFrom,
    step.taskId,
    step.startedAt,
    step.endedAt,
    step.updatedAt,
  ];
}

const STEP_PATCH: Readonly<Record<keyof StepPatch, [string, (value: never) => SqlParameter]>> = {
  status: ['status', (v: string) => v],
  tries: ['tries', (v: number) => v],
  attempts: ['attempts', (v: number) => v],
  availableAt: ['available_at', (v: string) => v],
  leaseOwner: ['lease_owner', (v: string | null) => v],
  leaseExpiresAt: ['lease_expires_at', (v: string | null) => v],
  attemptId: ['attempt_id', (v: string | null) => v],
  approved: ['approved', (v: boolean) => bool(v)],
  output: ['output', (v: unknown) => json(v)],
  error: ['error', (v: unknown) => json(v)],
  startedAt: ['started_at', (v: string | null) => v],
  endedAt: ['ended_at', (v: string | null) => v],
  updatedAt: ['updated_at', (v: string) => v],
};

function stepRepository(
  sql: SqlExecutor,
  dialect: StoreDialect,
  forUpdate: string,
  loadDefinition: (runId: string) => Promise<WorkflowDefinition | undefined>,
): StepRepository {
  const toSteps = async (rows: readonly StepTuple[]): Promise<Step[]> => {
    const steps: Step[] = [];
    for (const row of rows) {
      // run_id and position are the 2nd and 4th columns of STEP_COLUMN_LIST.
      const definition = await loadDefinition(row[1] as string);
      steps.push(toStep(row, definition!.steps[Number(row[3])]!));
    }
    return steps;
  };
  const skipLocked = dialect === 'postgres' ? ' for update of s skip locked' : '';
  // Lease sweeps take only rows nobody holds: a row locked by a worker completing it is alive.
  const skipLockedRows = dialect === 'postgres' ? ' for update skip locked' : '';
  const claimTexts = new Map<number, string>();
  return {
    async insertMany(steps) {
      for (const batch of chunk(steps, INSERT_BATCH)) {
        await sql.run(
          insertText('steps', STEP_COLUMN_LIST, batch.length),
          batch.flatMap(stepValues),
        );
      }
    },
    async findById(id, options) {
      const rows = await sql.tuples(
        `select ${STEP_COLUMNS} from steps where id = ?${options?.lock ? forUpdate : ''}`,
        [id],
      );
      return (await toSteps(rows.slice(0, 1)))[0];
    },
    async findByKey(runId, key) {
      const rows = await sql.tuples(
        `select ${STEP_COLUMNS} from steps where run_id = ? and key = ?`,
        [runId, key],
      );
      return (await toSteps(rows.slice(0, 1)))[0];
    },
    async listForRun(runId) {
      const rows = await sql.tuples(
        `select ${STEP_COLUMNS} from steps where run_id = ? order by position`,
        [runId],
      );
      return toSteps(rows);
    },
    async outputs(runId, keys) {
      const result = new Map<string, Step['output']>();
      for (const key of keys) {
        const rows = await sql.all<{ output: string | null }>(
          'select output from steps where run_id = ? and key = ?',
          [runId, key],
        );
        if (rows[0]) result.set(key, parseStored<Step['output']>(rows[0].output));
      }
      return result;
    },
    async claimable(query) {
      // `run_id` is filtered, not searched: the ready index stays the access path either way. The
      // limit is written into the text: a bound LIMIT makes SQLite (with STAT4) re-plan the
      // statement on every call, ~20 µs on a path taken once per step.
      const limit = Math.max(1, Math.floor(query.limit));
      let text = claimTexts.get(limit);
      if (text === undefined) {
        text = `select ${STEP_COLUMNS_S} from steps s join runs r on r.id = s.run_id where s.status = 'ready' and s.available_at <= ? and (cast(? as text) is null or s.run_id = ?) and r.status = 'running' order by s.available_at, s.id limit ${limit}${skipLocked}`;
        claimTexts.set(limit, text);
      }
      const rows = await sql.tuples(text, [query.now, query.runId ?? null, query.runId ?? null]);
      return toSteps(rows);
    },
    async nextAvailableAt(now, runId) {
      const rows = await sql.all<{ at: string | null }>(
        "select min(available_at) as at from steps where status = 'ready' and available_at > ? and (cast(? as text) is null or run_id = ?)",
        [now, runId ?? null, runId ?? null],
      );
      return rows[0]?.at ?? null;
    },
    async update(id, patch, guard) {
      const keys = (Object.keys(patch) as (keyof StepPatch)[]).filter(
        (key) => patch[key] !== undefined,
      );
      if (keys.length === 0) return false;
      const columns = keys.map((key) => STEP_PATCH[key][0]);
      const params: SqlParameter[] = keys.map((key) =>
        (STEP_PATCH[key][1] as (value: unknown) => SqlParameter)(patch[key]),
      );
      params.push(id);
      if (!guard) return (await sql.run(patchStatement('steps', columns), params)) > 0;
      params.push(guard.attemptId, guard.owner);
      const text = patchStatement(
        'steps',
        columns,
        " and attempt_id = ? and lease_owner = ? and status = 'running'",
      );
      return (await sql.run(text, params)) > 0;
    },
    async release(ids, updatedAt) {
      const ready: StepTuple[] = [];
      for (const id of ids) {
        const rows = await sql.tuples(RELEASE_STEP, [updatedAt, updatedAt, id]);
        // status and open_deps are the 5th and 9th columns of STEP_COLUMN_LIST.
        if (rows[0]?.[4] === 'ready' && Number(rows[0][8]) === 0) ready.push(rows[0]);
      }
      const steps = await toSteps(ready);
      // The run's status follows the step's columns.
      return steps.map((step, i) => ({
        step,
        runStatus: ready[i]![STEP_COLUMN_LIST.length] as RunStatus,
      }));
    },
    async listHeld(runId) {
      // `run_id || ''` keeps SQLite off the run's index: the queue index holds only the few held
      // steps, while the run's index would read every step of a 10,000-step run.
      const rows = await sql.tuples(
        `select ${STEP_COLUMNS} from steps where status = 'held' and run_id || '' = ?`,
        [runId],
      );
      return (await toSteps(rows)).sort((a, b) => a.position - b.position);
    },
    async countByStatus(runId) {
      const rows = await sql.all<{ status: StepStatus; n: number }>(
        'select status, count(*) as n from steps where run_id = ? group by status',
        [runId],
      );
      return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
    },
    async countAllByStatus() {
      const rows = await sql.all<{ status: StepStatus; n: number }>(
        'select status, count(*) as n from steps group by status',
        [],
      );
      return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
    },
    async countRunningInGroup(group) {
      const rows = await sql.all<{ n: number }>(
        "select count(*) as n from steps where status = 'running' and group_name = ?",
        [group],
      );
      return Number(rows[0]?.n ?? 0);
    },
    async findExpiredLeases(now, limit) {
      const rows = await sql.tuples(
        `select ${STEP_COLUMNS} from steps where status = 'running' and lease_expires_at < ? order by lease_expires_at limit ?${skipLockedRows}`,
        [now, limit],
      );
      return toSteps(rows);
    },
    async findRunningByOwnerPrefix(ownerPrefix) {
      const rows = await sql.tuples(
        `select ${STEP_COLUMNS} from steps where status = 'running' and lease_owner >= ? and lease_owner < ?${skipLockedRows}`,
        [ownerPrefix, `${ownerPrefix}\uffff`],
      );
      return toSteps(rows);
    },
    async stillHeld(held, owner) {
      const kept = new Set<string>();
      for (const part of chunk(held, ID_CHUNK)) {
        const rows = await sql.all<{ id: string; attempt_id: string | null }>(
          `select id, attempt_id from steps where id in (${placeholders(part.length)}) and status = 'running' and lease_owner = ?`,
          [...part.map((h) => h.stepId), owner],
        );
        const attemptOf = new Map(part.map((h) => [h.stepId, h.attemptId]));
        for (const row of rows) if (attemptOf.get(row.id) === row.attempt_id) kept.add(row.id);
      }
      return kept;
    },
    async extendLeases(stepIds, owner, until) {
      for (const part of chunk(stepIds, ID_CHUNK)) {
        await sql.run(
          `update steps set lease_expires_at = ? where id in (${placeholders(part.length)}) and status = 'running' and lease_owner = ?`,
          [until, ...part, owner],
        );
      }
    },
    async lockGroup(group) {
      if (dialect === 'postgres') {
        await sql.all('select pg_advisory_xact_lock(?, ?)', [0x626f73, hashKey(group)]);
      }
    },
  };
}

// ── attempts

interface AttemptRow {
  id: string;
  run_id: string;
  step_id: string;
  number: number;
  try: number;
  idempotency_key: string;
  status: string;
  owner: string;
  input: string | null;
  output: string | null;
  error: string | null;
  usage: string | null;
  started_at: string;
  ended_at: string | null;
}

const ATTEMPT_COLUMN_LIST = [
  'id',
  'run_id',
  'step_id',
  'number',
  'try',
  'idempotency_key',
  'status',
  'owner',
  'input',
  'output',
  'error',
  'usage',
  'started_at',
  'ended_at',
] as const;
const ATTEMPT_COLUMNS = ATTEMPT_COLUMN_LIST.join(', ');

function toAttempt(row: AttemptRow): Attempt {
  return {
    id: row.id,
    runId: row.run_id,
    stepId: row.step_id,
    number: Number(row.number),
    try: Number(row.try),
    idempotencyKey: row.idempotency_key,
    status: row.status as Attempt['status'],
    owner: row.owner,
    input: parseStored<Attempt['input']>(row.input),
    output: parseStored<Attempt['output']>(row.output),
    error: parseStored<NonNullable<Attempt['error']>>(row.error),
    usage: parseStored<NonNullable<Attempt['usage']>>(row.usage),
    startedAt: row.started_at,
    endedAt: row.ended_at,
  };
}

const ATTEMPT_PATCH: Readonly<Record<string, [string, (value: unknown) => SqlParameter]>> = {
  status: ['status', (v) => v as string],
  output: ['output', json],
  error: ['error', json],
  usage: ['usage', json],
  endedAt: ['ended_at', (v) => v as string | null],
};

/** Seconds between two ISO 8601 text columns, in each dialect's date arithmetic. */
const secondsBetween = (dialect: StoreDialect, from: string, to: string): string =>
  dialect === 'postgres'
    ? `extract(epoch from (${to}::timestamptz - ${from}::timestamptz))`
    : `(julianday(${to}) - julianday(${from})) * 86400.0`;

function attemptRepository(sql: SqlExecutor, dialect: StoreDialect): AttemptRepository {
  return {
    async insert(attempt) {
      await sql.run(insertText('attempts', ATTEMPT_COLUMN_LIST), [
        attempt.id,
        attempt.runId,
        attempt.stepId,
        attempt.number,
        attempt.try,
        attempt.idempotencyKey,
        attempt.status,
        attempt.owner,
        json(attempt.input),
        json(attempt.output),
        json(attempt.error),
        json(attempt.usage),
        attempt.startedAt,
        attempt.endedAt,
      ]);
    },
    async update(stepId, number, patch) {
      const keys = Object.keys(patch).filter(
        (key) => patch[key as keyof typeof patch] !== undefined,
      );
      if (keys.length === 0) return;
      await sql.run(
        patchStatement(
          'attempts',
          keys.map((key) => ATTEMPT_PATCH[key]![0]),
          '',
          'step_id = ? and number = ?',
        ),
        [
          ...keys.map((key) => ATTEMPT_PATCH[key]![1](patch[key as keyof typeof patch])),
          stepId,
          number,
        ],
      );
    },
    async listForStep(stepId) {
      const rows = await sql.all<AttemptRow>(
        `select ${ATTEMPT_COLUMNS} from attempts where step_id = ? order by number`,
        [stepId],
      );
      return rows.map(toAttempt);
    },
    async durationHistogram(boundsSeconds) {
      // One pass over the finished attempts; the buckets are sums of comparisons.
      const buckets = boundsSeconds.map(
        (_, i) => `sum(case when d <= ? then 1 else 0 end) as b${i}`,
      );
      const rows = await sql.all<Record<string, number | string | null>>(
        `select count(*) as n, sum(d) as total${buckets.map((b) => `, ${b}`).join('')} from (select ${secondsBetween(dialect, 'started_at', 'ended_at')} as d from attempts where ended_at is not null) finished`,
        [...boundsSeconds],
      );
      const row = rows[0] ?? {};
      return {
        buckets: boundsSeconds.map((_, i) => Number(row[`b${i}`] ?? 0)),
        count: Number(row['n'] ?? 0),
        sumSeconds: Number(row['total'] ?? 0),
      };
    },
  };
}

// ── approvals

interface ApprovalRow {
  id: string;
  run_id: string;
  step_id: string;
  step_key: string;
  phase: string;
  status: string;
  comment: string | null;
  requested_at: string;
  decided_by: string | null;
  decided_at: string | null;
}

const APPROVAL_COLUMN_LIST = [
  'id',
  'run_id',
  'step_id',
  'step_key',
  'phase',
  'status',
  'comment',
  'requested_at',
  'decided_by',
  'decided_at',
] as const;
const APPROVAL_COLUMNS = APPROVAL_COLUMN_LIST.join(', ');

function toApproval(row: ApprovalRow): Approval {
  return {
    id: row.id,
    runId: row.run_id,
    stepId: row.step_id,
    stepKey: row.step_key,
    phase: row.phase as Approval['phase'],
    status: row.status as Approval['status'],
    comment: row.comment,
    requestedAt: row.requested_at,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
  };
}

function approvalRepository(sql: SqlExecutor, forUpdate: string): ApprovalRepository {
  return {
    async insert(approval) {
      await sql.run(insertText('approvals', APPROVAL_COLUMN_LIST), [
        approval.id,
        approval.runId,
        approval.stepId,
        approval.stepKey,
        approval.phase,
        approval.status,
        approval.comment,
        approval.requestedAt,
        approval.decidedBy,
        approval.decidedAt,
      ]);
    },
    async findById(id, options) {
      const rows = await sql.all<ApprovalRow>(
        `select ${APPROVAL_COLUMNS} from approvals where id = ?${options?.lock ? forUpdate : ''}`,
        [id],
      );
      return rows[0] ? toApproval(rows[0]) : undefined;
    },
    async findPendingForStep(stepId) {
      const rows = await sql.all<ApprovalRow>(
        `select ${APPROVAL_COLUMNS} from approvals where step_id = ? and status = 'pending'`,
        [stepId],
      );
      return rows[0] ? toApproval(rows[0]) : undefined;
    },
    async list(filter) {
      const where: string[] = [];
      const params: SqlParameter[] = [];
      if (filter.status) {
        where.push('status = ?');
        params.push(filter.status);
      }
      if (filter.runId) {
        where.push('run_id = ?');
        params.push(filter.runId);
      }
      params.push(filter.limit ?? 100);
      const rows = await sql.all<ApprovalRow>(
        `select ${APPROVAL_COLUMNS} from approvals${where.length > 0 ? ` where ${where.join(' and ')}` : ''} order by requested_at, id limit ?`,
        params,
      );
      return rows.map(toApproval);
    },
    async update(id, patch) {
      await sql.run(
        'update approvals set status = ?, comment = ?, decided_by = ?, decided_at = ? where id = ?',
        [patch.status, patch.comment, patch.decidedBy, patch.decidedAt, id],
      );
    },
  };
}

// ── events

interface EventRow {
  seq: number;
  at: string;
  run_id: string | null;
  step_id: string | null;
  kind: string;
  data: string;
}

const EVENT_COLUMN_LIST = ['at', 'run_id', 'step_id', 'kind', 'data'] as const;

function toEvent(row: EventRow): JournalEvent {
  return {
    seq: Number(row.seq),
    at: row.at,
    runId: row.run_id,
    stepId: row.step_id,
    kind: row.kind,
    data: JSON.parse(row.data) as JournalEvent['data'],
  };
}

function eventRepository(sql: SqlExecutor, dialect: StoreDialect): EventRepository {
  return {
    async append(events) {
      for (const batch of chunk(events, INSERT_BATCH)) {
        await sql.run(
          insertText('events', EVENT_COLUMN_LIST, batch.length),
          batch.flatMap((e) => [e.at, e.runId, e.stepId, e.kind, JSON.stringify(e.data)]),
        );
      }
      // Delivered at commit, to every listening worker: wake up, the journal moved.
      if (dialect === 'postgres' && events.length > 0) {
        await sql.all("select pg_notify('bosun_journal', '')");
      }
    },
    async list(query) {
      const where = ['seq > ?'];
      const params: SqlParameter[] = [query.after];
      if (query.upTo !== undefined) {
        where.push('seq <= ?');
        params.push(query.upTo);
      }
      if (query.runId) {
        // No index per run (it would be one more page written with every event): a run's
        // events lie between its run-start and run-end, which a small index finds (decision
        // 0008), and the scan reads that stretch of the journal.
        where.push(
          "seq >= coalesce((select min(seq) from events where run_id = ? and kind = 'run-start'), 0)",
          "seq <= coalesce((select max(seq) from events where run_id = ? and kind = 'run-end'), 9007199254740991)",
          'run_id = ?',
        );
        params.push(query.runId, query.runId, query.runId);
      }
      if (query.kinds && query.kinds.length > 0) {
        where.push(`kind in (${placeholders(query.kinds.length)})`);
        params.push(...query.kinds);
      }
      params.push(query.limit);
      const rows = await sql.all<EventRow>(
        `select seq, at, run_id, step_id, kind, data from events where ${where.join(' and ')} order by seq${query.newestFirst ? ' desc' : ''} limit ?`,
        params,
      );
      return rows.map(toEvent);
    },
    async seqsAfter(after, limit) {
      const rows = await sql.all<{ seq: number }>(
        'select seq from events where seq > ? order by seq limit ?',
        [after, limit],
      );
      return rows.map((row) => Number(row.seq));
    },
    async maxSeq() {
      const rows = await sql.all<{ seq: number | null }>('select max(seq) as seq from events');
      return Number(rows[0]?.seq ?? 0);
    },
    async horizon() {
      if (dialect !== 'postgres') return null;
      const rows = await sql.all<{ xmin: string; xmax: string }>(
        'select pg_snapshot_xmin(pg_current_snapshot())::text as xmin, pg_snapshot_xmax(pg_current_snapshot())::text as xmax',
      );
      return rows[0] ?? null;
    },
  };
}

// ── workers

interface WorkerRow {
  id: string;
  host: string;
  pid: number;
  concurrency: number;
  started_at: string;
  heartbeat_at: string;
}

function workerRepository(sql: SqlExecutor): WorkerRepository {
  return {
    async upsert(worker: WorkerRecord) {
      await sql.run(
        'insert into workers (id, host, pid, concurrency, started_at, heartbeat_at) values (?, ?, ?, ?, ?, ?) on conflict (id) do update set heartbeat_at = excluded.heartbeat_at, concurrency = excluded.concurrency',
        [
          worker.id,
          worker.host,
          worker.pid,
          worker.concurrency,
          worker.startedAt,
          worker.heartbeatAt,
        ],
      );
    },
    async remove(id) {
      await sql.run('delete from workers where id = ?', [id]);
    },
    async list() {
      const rows = await sql.all<WorkerRow>(
        'select id, host, pid, concurrency, started_at, heartbeat_at from workers order by started_at',
      );
      return rows.map((row) => ({
        id: row.id,
        host: row.host,
        pid: Number(row.pid),
        concurrency: Number(row.concurrency),
        startedAt: row.started_at,
        heartbeatAt: row.heartbeat_at,
      }));
    },
  };
}

// ── cost ledger and budgets

const LEDGER_COLUMN_LIST = [
  'at',
  'run_id',
  'step_id',
  'attempt',
  'project_id',
  'agent',
  'model',
  'input_tokens',
  'output_tokens',
  'cached_input_tokens',
  'cost_usd',
  'latency_ms',
] as const;

const GROUP_EXPRESSION: Readonly<Record<CostGrouping, string>> = {
  project: "coalesce(project_id, '(none)')",
  run: "coalesce(run_id, '(none)')",
  agent: "coalesce(agent, '(none)')",
  model: 'model',
  day: 'substr(at, 1, 10)',
};

function ledgerRepository(sql: SqlExecutor): LedgerRepository {
  return {
    async append(entries) {
      for (const batch of chunk(entries, INSERT_BATCH)) {
        await sql.run(
          insertText('usage_ledger', LEDGER_COLUMN_LIST, batch.length),
          batch.flatMap((e) => [
            e.at,
            e.runId,
            e.stepId,
            e.attempt,
            e.projectId,
            e.agent,
            e.model,
            e.inputTokens,
            e.outputTokens,
            e.cachedInputTokens,
            e.costUsd,
            e.latencyMs,
          ]),
        );
      }
    },
    async report(filter) {
      const where: string[] = [];
      const params: SqlParameter[] = [];
      if (filter.since !== undefined) {
        where.push('at >= ?');
        params.push(filter.since);
      }
      if (filter.projectId !== undefined) {
        where.push('project_id = ?');
        params.push(filter.projectId);
      }
      if (filter.runId !== undefined) {
        where.push('run_id = ?');
        params.push(filter.runId);
      }
      const group = GROUP_EXPRESSION[filter.by];
      const rows = await sql.all<{
        key: string;
        calls: number;
        input_tokens: number;
        output_tokens: number;
        cached_input_tokens: number;
        cost_usd: number;
      }>(
        `select ${group} as key, count(*) as calls, sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens, sum(cached_input_tokens) as cached_input_tokens, sum(cost_usd) as cost_usd from usage_ledger${where.length > 0 ? ` where ${where.join(' and ')}` : ''} group by ${group} order by sum(cost_usd) desc, ${group}`,
        params,
      );
      return rows.map((row) => ({
        key: row.key,
        calls: Number(row.calls),
        inputTokens: Number(row.input_tokens),
        outputTokens: Number(row.output_tokens),
        cachedInputTokens: Number(row.cached_input_tokens),
        costUsd: Number(row.cost_usd),
      }));
    },
  };
}

function budgetRepository(sql: SqlExecutor): BudgetRepository {
  return {
    async usage(keys) {
      const used = new Map<string, SpendAmount>();
      if (keys.length === 0) return used;
      const list = placeholders(keys.length);
      const rows = await sql.all<{ key: string; usd: number; tokens: number }>(
        `select key, sum(usd) as usd, sum(tokens) as tokens from (select key, usd, tokens from spend_totals where key in (${list}) union all select key, usd, tokens from budget_reservations where key in (${list})) spend group by key`,
        [...keys, ...keys],
      );
      for (const row of rows)
        used.set(row.key, { usd: Number(row.usd), tokens: Number(row.tokens) });
      return used;
    },
    async reserve(stepId, attempt, keys, amount, at) {
      for (const key of keys) {
        await sql.run(
          'insert into budget_reservations (step_id, attempt, key, usd, tokens, at) values (?, ?, ?, ?, ?, ?)',
          [stepId, attempt, key, amount.usd, amount.tokens, at],
        );
      }
    },
    async release(stepId, attempt) {
      await sql.run('delete from budget_reservations where step_id = ? and attempt = ?', [
        stepId,
        attempt,
      ]);
    },
    async settle(keys, amount) {
      for (const key of keys) {
        await sql.run(
          'insert into spend_totals (key, usd, tokens) values (?, ?, ?) on conflict (key) do update set usd = spend_totals.usd + excluded.usd, tokens = spend_totals.tokens + excluded.tokens',
          [key, amount.usd, amount.tokens],
        );
      }
    },
  };
}
