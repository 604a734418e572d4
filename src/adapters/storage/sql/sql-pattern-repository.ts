/**
 * The reasoning bank's outcomes in plain SQL through a SqlExecutor, the same on both dialects:
 * one row per attempt outcome, inserted by the engine in the step's transaction (one prepared
 * statement, no read), and grouped by situation and strategy when read.
 */

import type { PatternOutcome, PatternRecord, SizeBucket } from '../../../domain/pattern.js';
import type { PatternRepository, StoreDialect } from '../../../ports/store.js';
import type { SqlExecutor, SqlParameter } from './sql-executor.js';

const COLUMNS = [
  'id',
  'at',
  'run_id',
  'step_id',
  'step_key',
  'attempt',
  'project_id',
  'task_id',
  'role',
  'tags',
  'size',
  'agent',
  'model',
  'runner',
  'outcome',
  'failure_kind',
  'cost_usd',
  'input_tokens',
  'output_tokens',
  'duration_ms',
] as const;

const INSERT = `insert into patterns (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')})`;

const toParameters = (record: PatternRecord): SqlParameter[] => [
  record.id,
  record.at,
  record.runId,
  record.stepId,
  record.stepKey,
  record.attempt,
  record.projectId,
  record.taskId,
  record.role,
  JSON.stringify(record.tags),
  record.size,
  record.agent,
  record.model,
  record.runner,
  record.outcome,
  record.failureKind,
  record.costUsd,
  record.inputTokens,
  record.outputTokens,
  record.durationMs,
];

interface StatsRow {
  role: string | null;
  tags: string;
  size: string;
  agent: string;
  model: string | null;
  runner: string;
  tries: number | string;
  successes: number | string;
  mean_cost: number | string | null;
  mean_duration: number | string | null;
  last_seen: string;
}

const SUCCEEDED: PatternOutcome = 'succeeded';
const GROUP = 'role, tags, size, agent, model, runner';

export function patternRepository(sql: SqlExecutor, dialect: StoreDialect): PatternRepository {
  // A tag is found as its JSON string ("tag") inside the stored array: exact, and no LIKE
  // wildcard (tags may hold `_`) can widen it.
  const containsTag = dialect === 'postgres' ? 'strpos(tags, ?) > 0' : 'instr(tags, ?) > 0';
  return {
    async insert(record) {
      await sql.run(INSERT, toParameters(record));
    },
    async stats(filter) {
      const where: string[] = [];
      const params: SqlParameter[] = [];
      for (const [column, value] of [
        ['role', filter.role],
        ['agent', filter.agent],
        ['model', filter.model],
      ] as const) {
        if (value === undefined) continue;
        where.push(`${column} = ?`);
        params.push(value);
      }
      if (filter.tag !== undefined) {
        where.push(containsTag);
        params.push(JSON.stringify(filter.tag));
      }
      const successes = `sum(case when outcome = '${SUCCEEDED}' then 1 else 0 end)`;
      const having = filter.minSuccesses === undefined ? '' : ` having ${successes} >= ?`;
      if (filter.minSuccesses !== undefined) params.push(filter.minSuccesses);
      const rows = await sql.all<StatsRow>(
        `select ${GROUP}, count(*) as tries, ${successes} as successes, avg(cost_usd) as mean_cost, avg(duration_ms) as mean_duration, max(at) as last_seen
        from patterns${where.length > 0 ? ` where ${where.join(' and ')}` : ''}
        group by ${GROUP}${having}
        order by max(at) desc, coalesce(role, ''), tags, size, agent, coalesce(model, ''), runner
        limit ?`,
        [...params, filter.limit],
      );
      return rows.map((row) => {
        const tries = Number(row.tries);
        const wins = Number(row.successes);
        return {
          role: row.role,
          // Written by this repository: trusted like any other column.
          tags: JSON.parse(row.tags) as string[],
          size: row.size as SizeBucket,
          agent: row.agent,
          model: row.model,
          runner: row.runner,
          tries,
          successes: wins,
          failures: tries - wins,
          successRate: tries === 0 ? 0 : Math.round((wins / tries) * 1000) / 1000,
          meanCostUsd: row.mean_cost === null ? 0 : Number(row.mean_cost),
          meanDurationMs: row.mean_duration === null ? null : Math.round(Number(row.mean_duration)),
          lastSeen: row.last_seen,
        };
      });
    },
    async count() {
      const [row] = await sql.all<{ n: number | string }>('select count(*) as n from patterns');
      return Number(row?.n ?? 0);
    },
  };
}
