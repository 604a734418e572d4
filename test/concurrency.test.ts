/**
 * Several processes sharing one workspace at once — on SQLite (one file, WAL) and on a real
 * PostgreSQL cluster: no write is lost, every task gets its own ref, and concurrent claims hand
 * each caller a different task.
 */

import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globsOverlap } from '../src/domain/scope-overlap.js';
import type { PostgresCluster } from '../src/testing/postgres-cluster.js';
import { startPostgresCluster } from '../src/testing/postgres-cluster.js';
import { bosunJson, runBosun, tempDir } from './helpers/cli.js';

const execFileAsync = promisify(execFile);
const WORKER = resolve(import.meta.dirname, 'fixtures/create-tasks.ts');
const PROCESSES = 8;

interface TaskJson {
  id: string;
  ref: string;
  status: string;
  assignee: string | null;
  scope: string[];
}

interface Backend {
  readonly name: string;
  /** A fresh empty store: a SQLite file path or a postgres:// URL. */
  newStore(): Promise<string>;
}

let cluster: PostgresCluster | undefined;

const backends: Backend[] = [
  { name: 'sqlite', newStore: async () => join(tempDir(), 'bosun.db') },
  {
    name: 'postgres',
    newStore: async () => {
      cluster ??= await startPostgresCluster();
      return cluster.createDatabase();
    },
  },
];

afterAll(async () => {
  await cluster?.stop();
});

describe('a workspace whose store is PostgreSQL', () => {
  it('is created by `bosun init --db postgres://…` and used by every later command', async () => {
    cluster ??= await startPostgresCluster();
    const url = await cluster.createDatabase();
    const dir = tempDir();
    const init = await runBosun(['init', '--db', url], { cwd: dir });
    expect(init.status, init.stderr).toBe(0);
    await bosunJson(['project', 'create', 'SHARED', 'Shared'], { cwd: dir });
    // Another machine pointing at the same database sees the same plan.
    const elsewhere = await bosunJson<{ key: string }[]>(['project', 'list', '--db', url], {
      cwd: tempDir(),
    });
    expect(elsewhere.map((p) => p.key)).toEqual(['SHARED']);
  });
});

for (const backend of backends) {
  describe(`${PROCESSES} processes on one ${backend.name} store`, () => {
    let db: string;
    let cwd: string;
    const bosun = <T>(args: string[]) => bosunJson<T>([...args, '--db', db], { cwd });

    beforeAll(async () => {
      db = await backend.newStore();
      cwd = tempDir();
      await bosun(['project', 'create', 'HOME', 'Home lab']);
    });

    it('each creating 100 tasks concurrently leaves 800 tasks with 800 distinct refs', async () => {
      const runs = Array.from({ length: PROCESSES }, (_, i) =>
        execFileAsync(
          process.execPath,
          ['--import', 'tsx', WORKER, db, 'HOME', '100', `agent-${i}`],
          {
            cwd: resolve(import.meta.dirname, '..'),
          },
        ),
      );
      const outputs = await Promise.all(runs);
      const refs = outputs.flatMap((o) => JSON.parse(o.stdout) as string[]);
      expect(refs).toHaveLength(800);
      expect(new Set(refs).size).toBe(800);
      const stored = await bosun<TaskJson[]>(['task', 'list', 'HOME', '--limit', '10000']);
      expect(stored).toHaveLength(800);
      const numbers = stored.map((t) => Number(t.ref.split('-')[1])).sort((a, b) => a - b);
      expect(numbers).toEqual(Array.from({ length: 800 }, (_, i) => i + 1));
    });

    it('hands 8 concurrent `task next --claim` callers 8 different tasks', async () => {
      await bosun(['project', 'create', 'CLAIM', 'Claims']);
      for (let i = 0; i < 10; i++) await bosun(['task', 'add', 'CLAIM', `Ready ${i}`]);
      const claims = await Promise.all(
        Array.from({ length: PROCESSES }, (_, i) =>
          bosun<{ tasks: TaskJson[] }>([
            'task',
            'next',
            'CLAIM',
            '--claim',
            '--agent',
            `agent-${i}`,
          ]),
        ),
      );
      const claimed = claims.map((c) => c.tasks[0]!);
      expect(new Set(claimed.map((t) => t.id)).size).toBe(PROCESSES);
      for (const [i, task] of claimed.entries()) {
        expect(task).toMatchObject({ status: 'in_progress', assignee: `agent-${i}` });
      }
      const left = await bosun<{ tasks: TaskJson[] }>([
        'task',
        'next',
        'CLAIM',
        '--parallel',
        '10',
      ]);
      expect(left.tasks).toHaveLength(2);
    });

    it('lets another agent reclaim a task whose lease expired', async () => {
      await bosun(['project', 'create', 'LEASE', 'Leases']);
      const task = await bosun<TaskJson>(['task', 'add', 'LEASE', 'Short lease']);
      const first = await bosun<{ tasks: TaskJson[] }>([
        'task',
        'next',
        'LEASE',
        '--claim',
        '--agent',
        'slow',
        '--lease',
        '1ms',
      ]);
      expect(first.tasks[0]!.id).toBe(task.id);
      // The lease is one millisecond; the next process starts long after it ran out.
      const second = await bosun<{ tasks: TaskJson[]; expired: string[] }>([
        'task',
        'next',
        'LEASE',
        '--claim',
        '--agent',
        'fast',
      ]);
      expect(second.expired).toEqual([task.ref]);
      expect(second.tasks[0]).toMatchObject({ id: task.id, assignee: 'fast' });
      const heartbeat = await runBosun(
        ['task', 'heartbeat', task.ref, '--agent', 'slow', '--db', db],
        { cwd },
      );
      expect(heartbeat.status).toBe(5);
      expect(heartbeat.stderr).toContain('is not held by slow (held by fast)');
    });

    it('never returns overlapping scopes from --parallel, even across concurrent claimers', async () => {
      await bosun(['project', 'create', 'SCOPE', 'Scopes']);
      const areas = [
        'src/a/**',
        'src/a/x.ts',
        'src/b/**',
        'src/b/y/*.ts',
        'docs/**',
        'docs/readme.md',
        'web/**',
        'src/**/*.css',
      ];
      for (let i = 0; i < 16; i++)
        await bosun(['task', 'add', 'SCOPE', `Scoped ${i}`, '--scope', areas[i % areas.length]!]);
      const claims = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          bosun<{ tasks: TaskJson[] }>([
            'task',
            'next',
            'SCOPE',
            '--parallel',
            '3',
            '--claim',
            '--agent',
            `p-${i}`,
          ]),
        ),
      );
      const held = claims.flatMap((c) => c.tasks);
      expect(held.length).toBeGreaterThan(0);
      expect(new Set(held.map((t) => t.id)).size).toBe(held.length);
      for (let i = 0; i < held.length; i++) {
        for (let j = i + 1; j < held.length; j++) {
          const overlap = held[i]!.scope.some((a) =>
            held[j]!.scope.some((b) => globsOverlap(a, b)),
          );
          expect(overlap, `${held[i]!.scope} vs ${held[j]!.scope}`).toBe(false);
        }
      }
    });
  });
}
