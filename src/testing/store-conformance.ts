/**
 * The conformance suite every Store adapter must pass. It drives the store the way bosun does:
 * through the operation catalog and its runner (zod at the edge, one transaction per operation,
 * outputs checked against their schemas), with a manual clock so leases expire without sleeping.
 * The SQLite and PostgreSQL stores run the same suite, so behaviour cannot drift between dialects.
 */

import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { showProject } from '../core/services/project-service.js';
import { createProject } from '../core/services/project-service.js';
import type { ServiceContext } from '../core/services/service-context.js';
import type { NextResult, TaskDetail } from '../core/services/task-service.js';
import { nextTasks, setTaskStatus, updateTask } from '../core/services/task-service.js';
import type { ImportSummary, WorkspaceDocument } from '../core/services/workspace-service.js';
import type { MemoryHit } from '../core/services/memory-service.js';
import { forgetMemory, storeMemory } from '../core/services/memory-service.js';
import type { AuditEntry } from '../domain/audit.js';
import type { EmbedReport, MemoryVectors } from '../core/services/memory-embedding.js';
import { createMemoryVectors } from '../core/services/memory-embedding.js';
import type { SystemHealth, WorkspaceStatus } from '../core/services/status-service.js';
import type { EmbeddingSpace, MemoryItem } from '../domain/memory.js';
import { hashedEmbedding, memoryLineage, memoryScore } from '../domain/memory.js';
import type { Embedder } from '../ports/embedder.js';
import type { Project } from '../domain/project.js';
import type { ActionView } from '../domain/action.js';
import type { RiskView } from '../domain/risk.js';
import type {
  BudgetLineView,
  BudgetTransactionView,
  ProjectBudgetReport,
} from '../domain/project-budget.js';
import type { BriefingView } from '../domain/briefing.js';
import type { Stakeholder } from '../domain/stakeholder.js';
import type { DocAnalysis, Document } from '../domain/document.js';
import type {
  DocAnalyzeOutput,
  DocApplyOutput,
  DocDetail,
} from '../core/services/document-service.js';
import type { MilestoneDetail, MilestoneView } from '../domain/milestone.js';
import type { LessonDetail, LessonSuggestion, LessonView } from '../domain/lesson.js';
import type { Sprint } from '../domain/sprint.js';
import type { RuleDefinition } from '../domain/workflow-rule.js';
import type { Note, Task, TaskStatus, Todo } from '../domain/task.js';
import { Task as TaskRules, TASK_STATUSES } from '../domain/task.js';
import { findOperation, OPERATIONS, createOperationRunner } from '../operations/catalog.js';
import type { OperationRunner } from '../operations/catalog.js';
import type { Repositories, Store } from '../ports/store.js';
import { createManualClock } from '../shared/clock.js';
import type { ErrorCode } from '../shared/errors.js';
import { BosunError, invalidInput } from '../shared/errors.js';
import type { IdGenerator } from '../shared/ids.js';
import { createUlidGenerator } from '../shared/ids.js';

type ProjectOverview = Awaited<ReturnType<typeof showProject>>;

/** What each operation the suite drives returns; the runner itself only promises `unknown`. */
interface OperationOutputs {
  'project.create': Project;
  'project.update': Project;
  'project.list': Project[];
  'project.show': ProjectOverview;
  'sprint.create': Sprint;
  'sprint.update': Sprint;
  'sprint.list': Sprint[];
  'task.create': Task;
  'task.update': Task;
  'task.status': Task;
  'task.delete': Task;
  'task.show': TaskDetail;
  'task.list': Task[];
  'task.next': NextResult;
  'task.heartbeat': Task;
  'task.release': Task;
  'dep.add': TaskDetail;
  'dep.remove': TaskDetail;
  'todo.add': Todo;
  'todo.check': Todo;
  'todo.uncheck': Todo;
  'todo.remove': Todo;
  'todo.list': Todo[];
  'note.add': Note;
  'note.list': Note[];
  'risk.add': RiskView;
  'risk.list': RiskView[];
  'risk.show': RiskView;
  'risk.update': RiskView;
  'risk.archive': RiskView;
  'risk.restore': RiskView;
  'action.add': ActionView;
  'action.list': ActionView[];
  'action.show': ActionView;
  'action.update': ActionView;
  'action.archive': ActionView;
  'action.restore': ActionView;
  'stakeholder.add': Stakeholder;
  'stakeholder.list': Stakeholder[];
  'stakeholder.show': Stakeholder;
  'stakeholder.update': Stakeholder;
  'stakeholder.archive': Stakeholder;
  'stakeholder.restore': Stakeholder;
  'budget.add': BudgetLineView;
  'budget.list': BudgetLineView[];
  'budget.show': BudgetLineView;
  'budget.update': BudgetLineView;
  'budget.archive': BudgetLineView;
  'budget.restore': BudgetLineView;
  'budget.report': ProjectBudgetReport;
  'transaction.add': BudgetTransactionView;
  'transaction.list': BudgetTransactionView[];
  'transaction.show': BudgetTransactionView;
  'transaction.update': BudgetTransactionView;
  'transaction.archive': BudgetTransactionView;
  'transaction.restore': BudgetTransactionView;
  'workspace.status': WorkspaceStatus;
  'doc.add': Document;
  'doc.list': Document[];
  'doc.show': DocDetail;
  'doc.update': Document;
  'doc.archive': Document;
  'doc.restore': Document;
  'doc.analyze': DocAnalyzeOutput;
  'doc.analyses': DocAnalysis[];
  'doc.apply': DocApplyOutput;
  'milestone.add': MilestoneDetail;
  'milestone.list': MilestoneView[];
  'milestone.show': MilestoneDetail;
  'milestone.update': MilestoneDetail;
  'milestone.link': MilestoneDetail;
  'milestone.unlink': MilestoneDetail;
  'milestone.archive': MilestoneDetail;
  'milestone.restore': MilestoneDetail;
  'lesson.add': LessonDetail;
  'lesson.list': LessonView[];
  'lesson.show': LessonDetail;
  'lesson.update': LessonDetail;
  'lesson.validate': LessonDetail;
  'lesson.apply': LessonDetail;
  'lesson.outcome': LessonDetail;
  'lesson.suggest': LessonSuggestion[];
  'lesson.archive': LessonDetail;
  'lesson.restore': LessonDetail;
  'brief.create': BriefingView;
  'brief.list': BriefingView[];
  'brief.show': BriefingView;
  'brief.archive': BriefingView;
  'brief.restore': BriefingView;
  'audit.list': AuditEntry[];
  'workspace.export': WorkspaceDocument;
  'workspace.import': ImportSummary;
  'memory.store': MemoryItem;
  'memory.search': MemoryHit[];
  'memory.get': MemoryItem;
  'memory.forget': MemoryItem;
  'memory.embed': EmbedReport;
  'system.health': SystemHealth;
}

type OperationName = keyof OperationOutputs;
type OperationInput = Readonly<Record<string, unknown>>;
type ManualClock = ReturnType<typeof createManualClock>;

const DRIVEN_OPERATIONS: readonly OperationName[] = [
  'project.create',
  'project.update',
  'project.list',
  'project.show',
  'sprint.create',
  'sprint.update',
  'sprint.list',
  'task.create',
  'task.update',
  'task.status',
  'task.delete',
  'task.show',
  'task.list',
  'task.next',
  'task.heartbeat',
  'task.release',
  'dep.add',
  'dep.remove',
  'todo.add',
  'todo.check',
  'todo.uncheck',
  'todo.remove',
  'todo.list',
  'note.add',
  'note.list',
  'risk.add',
  'risk.list',
  'risk.show',
  'risk.update',
  'risk.archive',
  'risk.restore',
  'action.add',
  'action.list',
  'action.show',
  'action.update',
  'action.archive',
  'action.restore',
  'stakeholder.add',
  'stakeholder.list',
  'stakeholder.show',
  'stakeholder.update',
  'stakeholder.archive',
  'stakeholder.restore',
  'budget.add',
  'budget.list',
  'budget.show',
  'budget.update',
  'budget.archive',
  'budget.restore',
  'budget.report',
  'transaction.add',
  'transaction.list',
  'transaction.show',
  'transaction.update',
  'transaction.archive',
  'transaction.restore',
  'workspace.status',
  'doc.add',
  'doc.list',
  'doc.show',
  'doc.update',
  'doc.archive',
  'doc.restore',
  'doc.analyze',
  'doc.analyses',
  'doc.apply',
  'milestone.add',
  'milestone.list',
  'milestone.show',
  'milestone.update',
  'milestone.link',
  'milestone.unlink',
  'milestone.archive',
  'milestone.restore',
  'lesson.add',
  'lesson.list',
  'lesson.show',
  'lesson.update',
  'lesson.validate',
  'lesson.apply',
  'lesson.outcome',
  'lesson.suggest',
  'lesson.archive',
  'lesson.restore',
  'brief.create',
  'brief.list',
  'brief.show',
  'brief.archive',
  'brief.restore',
  'audit.list',
  'workspace.export',
  'workspace.import',
  'memory.store',
  'memory.search',
  'memory.get',
  'memory.forget',
  'memory.embed',
];

const START = '2026-01-01T00:00:00.000Z';
const ACTOR = 'ana';
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const SUCCEEDED = Symbol('succeeded');
/**
 * How long a paused writer waits for the other writer to commit. Stores that run writers one at a
 * time (SQLite) or that make the other writer wait on a row lock never let it commit first; the
 * paused writer then goes on after this long, and the two simply run in order.
 */
const OTHER_WRITER_PATIENCE_MS = 500;

const at = (ms: number): string => new Date(Date.parse(START) + ms).toISOString();
const refsOf = (items: readonly { readonly ref: string }[]): string[] =>
  items.map((item) => item.ref);

/** Awaits an operation that must fail and returns its BosunError after checking the code. */
async function fails(work: Promise<unknown>, code: ErrorCode): Promise<BosunError> {
  const outcome = await work.then(
    () => SUCCEEDED,
    (error: unknown) => error,
  );
  if (outcome === SUCCEEDED)
    throw new Error(`expected a BosunError '${code}', but the operation succeeded`);
  if (!(outcome instanceof BosunError)) {
    throw new Error(`expected a BosunError '${code}', got ${String(outcome)}`, { cause: outcome });
  }
  expect(outcome.code, outcome.message).toBe(code);
  return outcome;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/**
 * Runs two writers so that `other` commits while `paused` sits between reading and writing (where
 * the store allows that at all). `paused` receives the pause to await at the chosen point.
 */
async function interleave(
  paused: (pause: () => Promise<void>) => Promise<unknown>,
  other: () => Promise<unknown>,
): Promise<{ paused: PromiseSettledResult<unknown>; other: PromiseSettledResult<unknown> }> {
  const reached = deferred();
  const otherDone = deferred();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const patience = new Promise<void>((done) => {
    timer = setTimeout(done, OTHER_WRITER_PATIENCE_MS);
  });
  const first = paused(async () => {
    reached.resolve();
    await Promise.race([otherDone.promise, patience]);
  });
  await Promise.race([
    reached.promise,
    first.then(
      () => undefined,
      () => undefined,
    ),
  ]);
  const second = other().finally(() => otherDone.resolve());
  const [pausedResult, otherResult] = await Promise.allSettled([first, second]);
  clearTimeout(timer);
  return { paused: pausedResult, other: otherResult };
}

const pauseBeforeTaskUpdate = (repos: Repositories, pause: () => Promise<void>): Repositories => ({
  ...repos,
  tasks: {
    ...repos.tasks,
    async update(task, previous) {
      await pause();
      await repos.tasks.update(task, previous);
    },
  },
});

const pauseBeforeReadyQuery = (repos: Repositories, pause: () => Promise<void>): Repositories => ({
  ...repos,
  tasks: {
    ...repos.tasks,
    async findReady(query) {
      await pause();
      return repos.tasks.findReady(query);
    },
  },
});

const pauseBeforeGraphLock = (repos: Repositories, pause: () => Promise<void>): Repositories => ({
  ...repos,
  async lockGraph() {
    await pause();
    await repos.lockGraph();
  },
});

export function describeStoreConformance(name: string, openStore: () => Promise<Store>): void {
  describe(`Store conformance: ${name}`, () => {
    let opened: Store[] = [];
    let store: Store;
    let clock: ManualClock;
    let newId: IdGenerator;
    let runner: OperationRunner;

    const open = async (): Promise<Store> => {
      const fresh = await openStore();
      opened.push(fresh);
      return fresh;
    };

    /** Another, empty store sharing the test's clock (import targets). */
    const openRunner = async (): Promise<OperationRunner> =>
      createOperationRunner({ store: await open(), clock, newId, validateOutput: true });

    beforeEach(async () => {
      opened = [];
      store = await open();
      clock = createManualClock(START);
      newId = createUlidGenerator(clock);
      runner = createOperationRunner({ store, clock, newId, validateOutput: true });
    });

    afterEach(async () => {
      for (const each of opened) await each.close();
      opened = [];
    });

    function runOn<N extends OperationName>(
      target: OperationRunner,
      operationName: N,
      input: OperationInput,
      actor: string,
    ): Promise<OperationOutputs[N]> {
      const operation = findOperation(operationName);
      if (!operation) throw new Error(`the catalog has no operation '${operationName}'`);
      return target.run(operation, input, actor) as Promise<OperationOutputs[N]>;
    }

    const run = <N extends OperationName>(
      operationName: N,
      input: OperationInput = {},
      actor: string = ACTOR,
    ): Promise<OperationOutputs[N]> => runOn(runner, operationName, input, actor);

    /** Rule and quality operations: called by name, their outputs typed where they are read. */
    const call = <T = Record<string, unknown>>(
      operationName: string,
      input: OperationInput = {},
      actor: string = ACTOR,
      target: OperationRunner = runner,
    ): Promise<T> => {
      const operation = findOperation(operationName);
      if (!operation) throw new Error(`the catalog has no operation '${operationName}'`);
      return target.run(operation, input, actor) as Promise<T>;
    };

    const createProjectNamed = (key: string, extra: OperationInput = {}) =>
      run('project.create', { key, name: `${key} project`, ...extra });
    const createTask = (title: string, extra: OperationInput = {}, project = 'HOME') =>
      run('task.create', { project, title, ...extra });
    const taskOf = async (ref: string): Promise<Task> =>
      (await run('task.show', { task: ref })).task;
    const move = (ref: string, status: TaskStatus, actor: string = ACTOR) =>
      run('task.status', { task: ref, status }, actor);
    const finish = async (ref: string): Promise<Task> => {
      await move(ref, 'in_progress');
      return move(ref, 'done');
    };
    const snapshot = () => run('workspace.export');
    const auditLog = (filter: OperationInput = {}) =>
      run('audit.list', { limit: 100_000, ...filter });
    const ranked = async (filter: OperationInput = {}) =>
      refsOf((await run('task.next', { parallel: 100, ...filter })).tasks);
    const claim = (actor: string, extra: OperationInput = {}) =>
      run('task.next', { claim: true, ...extra }, actor);
    const depthsOf = async (refs: readonly string[]): Promise<Record<string, number>> => {
      const out: Record<string, number> = {};
      for (const ref of refs) out[ref] = (await taskOf(ref)).downstreamDepth;
      return out;
    };
    const openDepsOf = async (ref: string): Promise<number> => (await taskOf(ref)).openDeps;
    /** Reads a task straight from the store, bypassing the output schema (to see broken counters). */
    const storedTask = async (ref: string): Promise<Task> => {
      const found = await store.transaction('read', (repos) => repos.tasks.findByRef(ref));
      if (!found) throw new Error(`no task ${ref} in the store`);
      return found;
    };
    const contextFor = (repos: Repositories, operation: string): ServiceContext => ({
      repos,
      clock,
      newId,
      actor: ACTOR,
      operation,
    });

    describe('catalog', () => {
      it('has every operation this suite drives', () => {
        const names = new Set(OPERATIONS.map((operation) => operation.name));
        expect(DRIVEN_OPERATIONS.filter((operationName) => !names.has(operationName))).toEqual([]);
      });
    });

    describe('projects', () => {
      it('creates a project that is active, owned by the actor and stamped with the clock', async () => {
        const created = await run('project.create', { key: 'HOME', name: 'Home lab' });
        expect(created).toMatchObject({
          key: 'HOME',
          name: 'Home lab',
          description: '',
          status: 'active',
          owner: ACTOR,
          startDate: null,
          dueDate: null,
          budgetAmount: null,
          budgetCurrency: null,
          createdAt: START,
          updatedAt: START,
        });
        const overview = await run('project.show', { project: 'home' });
        expect(overview.project).toEqual(created);
        expect(overview.sprints).toEqual([]);
        expect(overview.tasks).toEqual({
          todo: 0,
          in_progress: 0,
          review: 0,
          done: 0,
          blocked: 0,
          cancelled: 0,
          ready: 0,
          total: 0,
        });
        expect((await run('project.show', { project: created.id })).project).toEqual(created);
      });

      it('counts tasks by status and readiness in project.show', async () => {
        await createProjectNamed('HOME');
        await createTask('one');
        await createTask('two', { dependsOn: ['HOME-1'] });
        await createTask('three');
        await move('HOME-3', 'in_progress');
        const { tasks } = await run('project.show', { project: 'HOME' });
        expect(tasks).toMatchObject({ todo: 2, in_progress: 1, done: 0, ready: 1, total: 3 });
      });

      it('lists projects in key order and filters them by status', async () => {
        await createProjectNamed('WORK');
        await createProjectNamed('HOME');
        expect((await run('project.list')).map((p) => p.key)).toEqual(['HOME', 'WORK']);
        await run('project.update', { project: 'WORK', status: 'paused' });
        expect((await run('project.list', { status: 'paused' })).map((p) => p.key)).toEqual([
          'WORK',
        ]);
        expect((await run('project.list', { status: 'active' })).map((p) => p.key)).toEqual([
          'HOME',
        ]);
      });

      it('updates the given fields, stamps updatedAt and keeps createdAt', async () => {
        await createProjectNamed('HOME');
        clock.advance(MINUTE);
        const updated = await run('project.update', {
          project: 'HOME',
          name: 'Home lab 2',
          description: 'racks and cables',
          owner: 'bob',
          startDate: '2026-01-01',
          dueDate: '2026-06-30',
        });
        expect(updated).toMatchObject({
          key: 'HOME',
          name: 'Home lab 2',
          description: 'racks and cables',
          owner: 'bob',
          startDate: '2026-01-01',
          dueDate: '2026-06-30',
          createdAt: START,
          updatedAt: at(MINUTE),
        });
        expect(await run('project.list')).toEqual([updated]);
        const renamedOnly = await run('project.update', { project: 'HOME', name: 'Home' });
        expect(renamedOnly).toMatchObject({ name: 'Home', owner: 'bob', dueDate: '2026-06-30' });
      });

      it('refuses a second project with the same key as a conflict naming the key', async () => {
        await createProjectNamed('HOME');
        const error = await fails(createProjectNamed('HOME'), 'conflict');
        expect(error.details['field']).toBe('key');
        expect(await run('project.list')).toHaveLength(1);
      });

      it('answers an unknown project with not_found naming the field', async () => {
        for (const attempt of [
          () => run('project.show', { project: 'NOPE' }),
          () => run('project.update', { project: 'NOPE', name: 'x' }),
          () => run('sprint.create', { project: 'NOPE', name: 'S1' }),
          () => run('sprint.list', { project: 'NOPE' }),
          () => run('task.create', { project: 'NOPE', title: 'x' }),
          () => run('task.list', { project: 'NOPE' }),
          () => run('task.next', { project: 'NOPE' }),
        ]) {
          const error = await fails(attempt(), 'not_found');
          expect(error.details).toMatchObject({ field: 'project', kind: 'project', key: 'NOPE' });
          expect(error.message).toContain("'NOPE'");
        }
      });

      it('refuses a due date before the start date, on create and on update', async () => {
        const onCreate = await fails(
          createProjectNamed('HOME', { startDate: '2026-03-01', dueDate: '2026-02-01' }),
          'invalid_input',
        );
        expect(onCreate.details['field']).toBe('dueDate');
        await createProjectNamed('HOME', { startDate: '2026-03-01', dueDate: '2026-03-31' });
        const before = await snapshot();
        const onUpdate = await fails(
          run('project.update', { project: 'HOME', dueDate: '2026-02-01' }),
          'invalid_input',
        );
        expect(onUpdate.details['field']).toBe('dueDate');
        await fails(
          run('project.update', { project: 'HOME', startDate: '2026-04-01' }),
          'invalid_input',
        );
        expect(await snapshot()).toEqual(before);
        await run('project.update', { project: 'HOME', dueDate: '2026-03-01' });
      });

      it('refuses an impossible calendar date such as February 30', async () => {
        const error = await fails(
          createProjectNamed('HOME', { dueDate: '2026-02-30' }),
          'invalid_input',
        );
        expect(error.details['field']).toBe('dueDate');
      });

      it('refuses malformed keys, dates, amounts and currencies at the edge, naming the field', async () => {
        const cases: [OperationInput, string][] = [
          [{ key: 'home' }, 'key'],
          [{ key: 'H' }, 'key'],
          [{ key: '1HOME' }, 'key'],
          [{ startDate: '2026-1-1' }, 'startDate'],
          [{ dueDate: 'tomorrow' }, 'dueDate'],
          [{ budgetAmount: -1, budgetCurrency: 'USD' }, 'budgetAmount'],
          [{ budgetAmount: 10, budgetCurrency: 'usd' }, 'budgetCurrency'],
          [{ budgetAmount: 10, budgetCurrency: 'EURO' }, 'budgetCurrency'],
        ];
        for (const [extra, field] of cases) {
          const error = await fails(
            run('project.create', { key: 'HOME', name: 'Home', ...extra }),
            'invalid_input',
          );
          expect(error.details['field'], JSON.stringify(extra)).toBe(field);
        }
        expect(await run('project.list')).toEqual([]);
      });

      it('refuses a budget amount without a currency on create, and keeps an explicit one', async () => {
        const error = await fails(
          run('project.create', { key: 'HOME', name: 'Home', budgetAmount: 5000 }),
          'invalid_input',
        );
        expect(error.details['field']).toBe('budgetCurrency');
        expect(
          await createProjectNamed('WORK', { budgetAmount: 1200.5, budgetCurrency: 'EUR' }),
        ).toMatchObject({
          budgetAmount: 1200.5,
          budgetCurrency: 'EUR',
        });
        expect((await run('project.show', { project: 'WORK' })).project.budgetAmount).toBe(1200.5);
      });

      it('refuses a budget amount on update while the project has no currency', async () => {
        await createProjectNamed('HOME');
        const error = await fails(
          run('project.update', { project: 'HOME', budgetAmount: 10 }),
          'invalid_input',
        );
        expect(error.details['field']).toBe('budgetCurrency');
        expect(
          await run('project.update', { project: 'HOME', budgetAmount: 10, budgetCurrency: 'GBP' }),
        ).toMatchObject({
          budgetAmount: 10,
          budgetCurrency: 'GBP',
        });
      });

      it('moves a project through its status machine and lists the allowed moves when refusing', async () => {
        await createProjectNamed('HOME');
        for (const status of ['paused', 'active', 'completed'] as const) {
          expect((await run('project.update', { project: 'HOME', status })).status).toBe(status);
        }
        const error = await fails(
          run('project.update', { project: 'HOME', status: 'paused' }),
          'invalid_transition',
        );
        expect(error.message).toContain('allowed from completed: active, archived');
        expect(error.details).toMatchObject({
          field: 'status',
          from: 'completed',
          to: 'paused',
          allowed: ['active', 'archived'],
        });
        expect((await run('project.show', { project: 'HOME' })).project.status).toBe('completed');
      });
    });

    describe('sprints', () => {
      beforeEach(async () => {
        await createProjectNamed('HOME');
      });

      it('creates planned sprints and lists them in creation order', async () => {
        const first = await run('sprint.create', {
          project: 'HOME',
          name: 'Sprint 1',
          goal: 'Backups work',
          startDate: '2026-01-05',
          endDate: '2026-01-16',
        });
        expect(first).toMatchObject({
          name: 'Sprint 1',
          goal: 'Backups work',
          status: 'planned',
          startDate: '2026-01-05',
          endDate: '2026-01-16',
          createdAt: START,
        });
        clock.advance(MINUTE);
        const second = await run('sprint.create', { project: 'home', name: 'Sprint 2' });
        expect(second).toMatchObject({
          goal: '',
          startDate: null,
          endDate: null,
          status: 'planned',
        });
        expect(await run('sprint.list', { project: 'HOME' })).toEqual([first, second]);
        expect((await run('project.show', { project: 'HOME' })).sprints).toEqual([first, second]);
      });

      it('refuses a duplicate sprint name within a project but allows it in another', async () => {
        await run('sprint.create', { project: 'HOME', name: 'S1' });
        const error = await fails(
          run('sprint.create', { project: 'HOME', name: 'S1' }),
          'conflict',
        );
        expect(error.details['field']).toBe('name');
        await createProjectNamed('WORK');
        await run('sprint.create', { project: 'WORK', name: 'S1' });
        expect(await run('sprint.list', { project: 'HOME' })).toHaveLength(1);
      });

      it('refuses a sprint that ends before it starts, on create and on update', async () => {
        const onCreate = await fails(
          run('sprint.create', {
            project: 'HOME',
            name: 'S1',
            startDate: '2026-02-01',
            endDate: '2026-01-31',
          }),
          'invalid_input',
        );
        expect(onCreate.details['field']).toBe('endDate');
        await run('sprint.create', { project: 'HOME', name: 'S1', startDate: '2026-02-01' });
        const onUpdate = await fails(
          run('sprint.update', { project: 'HOME', sprint: 'S1', endDate: '2026-01-01' }),
          'invalid_input',
        );
        expect(onUpdate.details['field']).toBe('endDate');
      });

      it('renames a sprint and changes its goal, refusing a name another sprint has', async () => {
        const s1 = await run('sprint.create', { project: 'HOME', name: 'S1' });
        await run('sprint.create', { project: 'HOME', name: 'S2' });
        clock.advance(MINUTE);
        const renamed = await run('sprint.update', {
          project: 'HOME',
          sprint: 'S1',
          name: 'Kickoff',
          goal: 'Plan',
        });
        expect(renamed).toMatchObject({
          id: s1.id,
          name: 'Kickoff',
          goal: 'Plan',
          createdAt: START,
          updatedAt: at(MINUTE),
        });
        const error = await fails(
          run('sprint.update', { project: 'HOME', sprint: 'Kickoff', name: 'S2' }),
          'conflict',
        );
        expect(error.details['field']).toBe('name');
        expect(
          (await run('sprint.update', { project: 'HOME', sprint: s1.id, goal: 'Ship' })).name,
        ).toBe('Kickoff');
      });

      it('moves a sprint planned → active → closed → active and refuses going back to planned', async () => {
        await run('sprint.create', { project: 'HOME', name: 'S1' });
        await run('sprint.create', { project: 'HOME', name: 'S2' });
        for (const status of ['active', 'closed', 'active'] as const) {
          expect(
            (await run('sprint.update', { project: 'HOME', sprint: 'S1', status })).status,
          ).toBe(status);
        }
        const error = await fails(
          run('sprint.update', { project: 'HOME', sprint: 'S1', status: 'planned' }),
          'invalid_transition',
        );
        expect(error.message).toContain('allowed from active: closed');
        expect(error.details).toMatchObject({ from: 'active', to: 'planned', allowed: ['closed'] });
        expect(
          (await run('sprint.update', { project: 'HOME', sprint: 'S2', status: 'closed' })).status,
        ).toBe('closed');
      });

      it('answers an unknown sprint with not_found naming the field', async () => {
        await createProjectNamed('WORK');
        await run('sprint.create', { project: 'WORK', name: 'Elsewhere' });
        for (const attempt of [
          () => run('sprint.update', { project: 'HOME', sprint: 'Nope', goal: 'x' }),
          () => run('sprint.update', { project: 'HOME', sprint: 'Elsewhere', goal: 'x' }),
          () => run('task.create', { project: 'HOME', title: 'x', sprint: 'Nope' }),
          () => run('task.list', { project: 'HOME', sprint: 'Nope' }),
        ]) {
          const error = await fails(attempt(), 'not_found');
          expect(error.details).toMatchObject({ field: 'sprint', kind: 'sprint' });
        }
      });
    });

    describe('tasks', () => {
      beforeEach(async () => {
        await createProjectNamed('HOME');
      });

      it('numbers refs per project: HOME-1, HOME-2, WORK-1, HOME-3', async () => {
        await createProjectNamed('WORK');
        expect((await createTask('a')).ref).toBe('HOME-1');
        expect((await createTask('b')).ref).toBe('HOME-2');
        expect((await createTask('c', {}, 'WORK')).ref).toBe('WORK-1');
        expect((await createTask('d', {}, 'home')).ref).toBe('HOME-3');
        expect(refsOf(await run('task.list', { project: 'HOME' }))).toEqual([
          'HOME-1',
          'HOME-2',
          'HOME-3',
        ]);
      });

      it('gives concurrent task.create calls distinct refs', async () => {
        const created = await Promise.all([1, 2, 3, 4, 5].map((n) => createTask(`parallel ${n}`)));
        expect(refsOf(created).sort()).toEqual(['HOME-1', 'HOME-2', 'HOME-3', 'HOME-4', 'HOME-5']);
      });

      it('fills defaults for a task given only a title', async () => {
        const project = (await run('project.show', { project: 'HOME' })).project;
        expect(await createTask('Just a title')).toMatchObject({
          ref: 'HOME-1',
          projectId: project.id,
          title: 'Just a title',
          description: '',
          details: '',
          acceptance: [],
          priority: 'p2',
          role: null,
          tags: [],
          estimate: null,
          parentId: null,
          sprintId: null,
          assignee: null,
          status: 'todo',
          scope: [],
          leaseExpiresAt: null,
          openDeps: 0,
          downstreamDepth: 0,
          createdAt: START,
          updatedAt: START,
          deletedAt: null,
        });
      });

      it('round-trips every field and stores tags sorted and without duplicates', async () => {
        const sprint = await run('sprint.create', { project: 'HOME', name: 'S1' });
        const parent = await createTask('Parent');
        const created = await createTask('Back up the NAS', {
          description: 'nightly',
          details: 'use restic\nkeep 7 dailies',
          acceptance: ['a restore of one file works', 'alerts fire on failure'],
          priority: 'p1',
          role: 'ops',
          tags: ['ops', 'backup', 'ops'],
          estimate: 2.5,
          parent: 'HOME-1',
          sprint: 'S1',
          assignee: 'bob',
          scope: ['infra/backup/**', 'docs/backup.md'],
        });
        expect(created).toMatchObject({
          ref: 'HOME-2',
          description: 'nightly',
          details: 'use restic\nkeep 7 dailies',
          acceptance: ['a restore of one file works', 'alerts fire on failure'],
          priority: 'p1',
          role: 'ops',
          tags: ['backup', 'ops'],
          estimate: 2.5,
          parentId: parent.id,
          sprintId: sprint.id,
          assignee: 'bob',
          scope: ['infra/backup/**', 'docs/backup.md'],
        });
        const detail = await run('task.show', { task: 'home-2' });
        expect(detail.task).toEqual(created);
        expect(detail.project).toBe('HOME');
        expect(detail.sprint).toBe('S1');
        expect(detail.parent).toEqual({
          id: parent.id,
          ref: 'HOME-1',
          title: 'Parent',
          status: 'todo',
        });
        expect((await run('task.show', { task: created.id })).task).toEqual(created);
        expect(await run('task.list', { project: 'HOME' })).toEqual([parent, created]);
      });

      it('updates the given fields only, stamps updatedAt and keeps the tag filter in step', async () => {
        await createTask('Old', { tags: ['alpha'], role: 'ops', estimate: 1, scope: ['src/**'] });
        clock.advance(MINUTE);
        const updated = await run('task.update', {
          task: 'HOME-1',
          title: 'New',
          tags: ['zeta', 'eta', 'zeta'],
          priority: 'p0',
        });
        expect(updated).toMatchObject({
          title: 'New',
          tags: ['eta', 'zeta'],
          priority: 'p0',
          role: 'ops',
          estimate: 1,
          scope: ['src/**'],
          createdAt: START,
          updatedAt: at(MINUTE),
        });
        expect(await taskOf('HOME-1')).toEqual(updated);
        expect(await run('task.list', { tag: 'alpha' })).toEqual([]);
        expect(refsOf(await run('task.list', { tag: 'zeta' }))).toEqual(['HOME-1']);
        expect(await ranked({ tag: 'alpha' })).toEqual([]);
        expect(await ranked({ tag: 'eta' })).toEqual(['HOME-1']);
      });

      it("lists a task's subtasks and filters the list by parent", async () => {
        await createTask('Parent');
        await createTask('Child one', { parent: 'HOME-1' });
        await createTask('Child two', { parent: 'HOME-1' });
        await createTask('Unrelated');
        const detail = await run('task.show', { task: 'HOME-1' });
        expect(refsOf(detail.subtasks)).toEqual(['HOME-2', 'HOME-3']);
        expect(refsOf(await run('task.list', { parent: 'HOME-1' }))).toEqual(['HOME-2', 'HOME-3']);
        await run('task.update', { task: 'HOME-3', parent: 'HOME-4' });
        expect(refsOf((await run('task.show', { task: 'HOME-1' })).subtasks)).toEqual(['HOME-2']);
      });

      it('refuses a parent from another project', async () => {
        await createProjectNamed('WORK');
        await createTask('Elsewhere', {}, 'WORK');
        await createTask('Here');
        const onCreate = await fails(createTask('Child', { parent: 'WORK-1' }), 'invalid_input');
        expect(onCreate.details['field']).toBe('parent');
        const onUpdate = await fails(
          run('task.update', { task: 'HOME-1', parent: 'WORK-1' }),
          'invalid_input',
        );
        expect(onUpdate.details['field']).toBe('parent');
        expect((await taskOf('HOME-1')).parentId).toBeNull();
      });

      it('refuses a parent that would make a task its own ancestor', async () => {
        await createTask('A');
        await createTask('B', { parent: 'HOME-1' });
        await createTask('C', { parent: 'HOME-2' });
        const viaGrandchild = await fails(
          run('task.update', { task: 'HOME-1', parent: 'HOME-3' }),
          'invalid_input',
        );
        expect(viaGrandchild.details['field']).toBe('parent');
        const itself = await fails(
          run('task.update', { task: 'HOME-1', parent: 'HOME-1' }),
          'invalid_input',
        );
        expect(itself.details['field']).toBe('parent');
        expect((await taskOf('HOME-1')).parentId).toBeNull();
        await run('task.update', { task: 'HOME-3', parent: 'HOME-1' });
      });

      it('deletes a task by stamping deletedAt: gone from lists and the queue, kept in show and export', async () => {
        await createTask('Doomed', { priority: 'p0' });
        await createTask('Kept');
        clock.advance(MINUTE);
        const deleted = await run('task.delete', { task: 'HOME-1' });
        expect(deleted).toMatchObject({ ref: 'HOME-1', deletedAt: at(MINUTE), status: 'todo' });
        expect(refsOf(await run('task.list'))).toEqual(['HOME-2']);
        expect(refsOf(await run('task.list', { includeDeleted: true }))).toEqual([
          'HOME-1',
          'HOME-2',
        ]);
        expect((await taskOf('HOME-1')).deletedAt).toBe(at(MINUTE));
        expect(refsOf((await snapshot()).tasks)).toContain('HOME-1');
        expect(await ranked()).toEqual(['HOME-2']);
        const update = await fails(run('task.update', { task: 'HOME-1', title: 'x' }), 'not_found');
        expect(update.message).toContain('was deleted');
        await fails(run('task.delete', { task: 'HOME-1' }), 'not_found');
        expect((await run('project.show', { project: 'HOME' })).tasks.total).toBe(1);
        expect((await createTask('Next')).ref).toBe('HOME-3');
      });

      it('detaches a deleted task from the dependency graph', async () => {
        await createTask('A');
        await createTask('B', { dependsOn: ['HOME-1'] });
        await createTask('C', { dependsOn: ['HOME-2'] });
        expect(await depthsOf(['HOME-1', 'HOME-2', 'HOME-3'])).toEqual({
          'HOME-1': 2,
          'HOME-2': 1,
          'HOME-3': 0,
        });
        await run('task.delete', { task: 'HOME-2' });
        expect(await openDepsOf('HOME-3')).toBe(0);
        expect((await taskOf('HOME-1')).downstreamDepth).toBe(0);
        expect((await run('task.show', { task: 'HOME-1' })).dependents).toEqual([]);
        expect((await run('task.show', { task: 'HOME-3' })).dependsOn).toEqual([]);
        expect((await run('task.show', { task: 'HOME-2' })).dependsOn).toEqual([]);
        expect((await snapshot()).dependencies).toEqual([]);
        expect(await ranked()).toEqual(['HOME-1', 'HOME-3']);
        const [entry] = await auditLog({ operation: 'task.delete' });
        expect(entry?.changes['dependsOn']).toEqual({ before: ['HOME-1'], after: [] });
        expect(entry?.changes['dependents']).toEqual({ before: ['HOME-3'], after: [] });
      });

      it('refuses to delete a task that has subtasks and names them', async () => {
        await createTask('Parent');
        await createTask('Child', { parent: 'HOME-1' });
        const error = await fails(run('task.delete', { task: 'HOME-1' }), 'conflict');
        expect(error.details['subtasks']).toEqual(['HOME-2']);
        expect(error.message).toContain('HOME-2');
        expect((await taskOf('HOME-1')).deletedAt).toBeNull();
        await run('task.delete', { task: 'HOME-2' });
        await run('task.delete', { task: 'HOME-1' });
      });

      it('filters the task list by status, role, tag, assignee, sprint and limit', async () => {
        await run('sprint.create', { project: 'HOME', name: 'S1' });
        await createTask('coder work', { role: 'coder', tags: ['api'], sprint: 'S1' });
        await createTask('ops work', { role: 'ops', tags: ['infra'], assignee: 'bob' });
        await createTask('more coder work', { role: 'coder', tags: ['api', 'infra'] });
        await move('HOME-3', 'in_progress');
        expect(refsOf(await run('task.list', { status: ['in_progress'] }))).toEqual(['HOME-3']);
        expect(refsOf(await run('task.list', { status: ['todo', 'in_progress'] }))).toEqual([
          'HOME-1',
          'HOME-2',
          'HOME-3',
        ]);
        expect(refsOf(await run('task.list', { role: 'coder' }))).toEqual(['HOME-1', 'HOME-3']);
        expect(refsOf(await run('task.list', { tag: 'infra' }))).toEqual(['HOME-2', 'HOME-3']);
        expect(refsOf(await run('task.list', { assignee: 'bob' }))).toEqual(['HOME-2']);
        expect(refsOf(await run('task.list', { project: 'HOME', sprint: 'S1' }))).toEqual([
          'HOME-1',
        ]);
        expect(refsOf(await run('task.list', { limit: 2 }))).toEqual(['HOME-1', 'HOME-2']);
        const error = await fails(run('task.list', { sprint: 'S1' }), 'invalid_input');
        expect(error.details['field']).toBe('sprint');
      });
    });

    describe('task text search', () => {
      beforeEach(async () => {
        await createProjectNamed('HOME');
      });

      /** The store's matches as `ref words/titleWords`, best first. */
      const search = async (
        words: readonly string[],
        extra: { projectId?: string; limit?: number } = {},
      ) => {
        const refs = new Map(
          (await run('task.list', { includeDeleted: true })).map((task) => [task.id, task.ref]),
        );
        const matches = await store.transaction('read', (repos) =>
          repos.tasks.search({ words, limit: 50, ...extra }),
        );
        return matches.map((match) => `${refs.get(match.id)} ${match.words}/${match.titleWords}`);
      };

      it('ranks by words held, then words in the title, then open before done, then the newest', async () => {
        await createTask('Back up the NAS', { description: 'Restore one file a week.' });
        clock.advance(MINUTE);
        await createTask('Nightly job', { description: 'backup and RESTORE the nas' });
        clock.advance(MINUTE);
        await createTask('Restore drill', { description: 'nothing else' });
        clock.advance(MINUTE);
        await createTask('Plain', { acceptance: ['a restore of one file works'] });
        clock.advance(MINUTE);
        await createTask('Plain too', { tags: ['backup'] });
        clock.advance(MINUTE);
        await createTask('Restores of old tapes');
        clock.advance(MINUTE);
        await createTask('Unrelated', { description: 'nothing to see' });
        clock.advance(MINUTE);
        await finish('HOME-6');
        expect(await search(['backup', 'Restore', 'NAS'])).toEqual([
          'HOME-2 3/0',
          'HOME-1 2/1',
          'HOME-3 1/1',
          'HOME-6 1/1',
          'HOME-5 1/0',
          'HOME-4 1/0',
        ]);
        expect(await search(['restore'], { limit: 2 })).toEqual(['HOME-3 1/1', 'HOME-6 1/1']);
        expect(await search(['nas', 'NAS', ' nas '])).toEqual(['HOME-1 1/1', 'HOME-2 1/0']);
      });

      it('ignores the case of ASCII letters only, as both stores compare text', async () => {
        await createTask('Café MENU', { description: 'Éclairs' });
        expect(await search(['menu', 'CAFé', 'éclairs'])).toEqual(['HOME-1 2/2']);
        expect(await search(['CAFÉ', 'Café', 'café'])).toEqual(['HOME-1 1/1']);
      });

      it("keeps to one project's tasks when given one", async () => {
        const work = await createProjectNamed('WORK');
        await createTask('Rotate the backup keys');
        clock.advance(MINUTE);
        await createTask('Backup the laptops', {}, 'WORK');
        expect(await search(['backup'])).toEqual(['WORK-1 1/1', 'HOME-1 1/1']);
        expect(await search(['backup'], { projectId: work.id })).toEqual(['WORK-1 1/1']);
      });

      it('leaves deleted tasks out', async () => {
        await createTask('Backup the router');
        await createTask('Backup the printer');
        await run('task.delete', { task: 'HOME-2' });
        expect(await search(['backup'])).toEqual(['HOME-1 1/1']);
      });

      it('takes %, _ and \\ in a word as the characters they are', async () => {
        await createTask('Disk at 100% again');
        await createTask('Disk at 1000 inodes');
        await createTask('Rename max_size');
        await createTask('Rename maxisize');
        await createTask('Clean C:\\temp', { description: 'and C:/tmp' });
        expect(await search(['100%'])).toEqual(['HOME-1 1/1']);
        expect(await search(['%'])).toEqual(['HOME-1 1/1']);
        expect(await search(['max_size'])).toEqual(['HOME-3 1/1']);
        expect(await search(['_'])).toEqual(['HOME-3 1/1']);
        expect(await search(['C:\\t'])).toEqual(['HOME-5 1/1']);
        expect(await search(["'", '"', ';'])).toEqual([]);
      });

      it('finds nothing when no task holds a word, or when there is no word', async () => {
        await createTask('Backup the router', { description: 'weekly', tags: ['ops'] });
        expect(await search(['restore'])).toEqual([]);
        expect(await search([])).toEqual([]);
        expect(await search(['', '  '])).toEqual([]);
        expect(await search(['backup'], { limit: 0 })).toEqual([]);
      });
    });

    describe('status machine', () => {
      beforeEach(async () => {
        await createProjectNamed('HOME');
      });

      const PATHS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
        todo: [],
        in_progress: ['in_progress'],
        review: ['in_progress', 'review'],
        done: ['in_progress', 'done'],
        blocked: ['blocked'],
        cancelled: ['cancelled'],
      };

      it('allows exactly the moves of the transition table and names the allowed ones when refusing', async () => {
        let n = 0;
        const taskIn = async (status: TaskStatus): Promise<string> => {
          const { ref } = await createTask(`task ${++n}`);
          for (const step of PATHS[status]) await move(ref, step);
          return ref;
        };
        for (const from of TASK_STATUSES) {
          const allowed = TaskRules.transitions[from];
          const refused = await taskIn(from);
          for (const to of TASK_STATUSES) {
            if (to === from) continue;
            if (allowed.includes(to)) {
              const ref = await taskIn(from);
              expect((await move(ref, to)).status, `${from} → ${to}`).toBe(to);
            } else {
              const error = await fails(move(refused, to), 'invalid_transition');
              expect(error.details, `${from} → ${to}`).toMatchObject({
                field: 'status',
                from,
                to,
                allowed,
              });
              expect(error.message).toContain(`allowed from ${from}: ${allowed.join(', ')}`);
              expect((await taskOf(refused)).status).toBe(from);
            }
          }
        }
      });

      it('refuses to start a task while a dependency is not done, naming what it waits for', async () => {
        await createTask('A');
        await createTask('B', { dependsOn: ['HOME-1'] });
        const error = await fails(move('HOME-2', 'in_progress'), 'invalid_transition');
        expect(error.details['waitingFor']).toEqual(['HOME-1']);
        expect(error.message).toContain('HOME-1 (todo)');
        await move('HOME-2', 'blocked');
        await fails(move('HOME-2', 'in_progress'), 'invalid_transition');
        await finish('HOME-1');
        expect((await move('HOME-2', 'in_progress')).status).toBe('in_progress');
      });

      it('treats a move to the current status as a no-op that writes nothing', async () => {
        const created = await createTask('A');
        const entries = (await auditLog()).length;
        clock.advance(MINUTE);
        expect(await move('HOME-1', 'todo')).toEqual(created);
        expect(await auditLog()).toHaveLength(entries);
      });

      it('drops the lease but keeps the assignee when a claimed task moves on to review', async () => {
        await createTask('A');
        await claim('coder-1');
        const reviewed = await move('HOME-1', 'review', 'coder-1');
        expect(reviewed).toMatchObject({
          status: 'review',
          assignee: 'coder-1',
          leaseExpiresAt: null,
        });
      });

      it('appends the note given with a status move, authored by the actor', async () => {
        await createTask('A');
        await run(
          'task.status',
          { task: 'HOME-1', status: 'blocked', note: 'waiting on the vendor' },
          'bob',
        );
        const notes = await run('note.list', { task: 'HOME-1' });
        expect(notes).toMatchObject([
          { author: 'bob', body: 'waiting on the vendor', createdAt: START },
        ]);
      });
    });

    describe('dependencies', () => {
      beforeEach(async () => {
        await createProjectNamed('HOME');
        for (const title of ['one', 'two', 'three', 'four']) await createTask(title);
      });

      it('adds and removes dependencies and shows them from both sides', async () => {
        const added = await run('dep.add', { task: 'HOME-3', on: ['HOME-2', 'HOME-1', 'HOME-2'] });
        expect(refsOf(added.dependsOn)).toEqual(['HOME-1', 'HOME-2']);
        expect(added.task.openDeps).toBe(2);
        expect(refsOf((await run('task.show', { task: 'HOME-1' })).dependents)).toEqual(['HOME-3']);
        const removed = await run('dep.remove', { task: 'HOME-3', on: ['HOME-1'] });
        expect(refsOf(removed.dependsOn)).toEqual(['HOME-2']);
        expect(removed.task.openDeps).toBe(1);
        expect((await run('task.show', { task: 'HOME-1' })).dependents).toEqual([]);
        const [task3, task2] = [await taskOf('HOME-3'), await taskOf('HOME-2')];
        expect((await snapshot()).dependencies).toEqual([
          { taskId: task3.id, dependsOnId: task2.id, createdAt: START },
        ]);
      });

      it('creates a task with dependencies in one step', async () => {
        const created = await createTask('five', { dependsOn: ['HOME-1', 'home-2'] });
        expect(created.openDeps).toBe(2);
        expect(refsOf((await run('task.show', { task: 'HOME-5' })).dependsOn)).toEqual([
          'HOME-1',
          'HOME-2',
        ]);
        expect(await depthsOf(['HOME-1', 'HOME-2'])).toEqual({ 'HOME-1': 1, 'HOME-2': 1 });
        const [entry] = await auditLog({ target: 'HOME-5' });
        expect(entry?.changes['dependsOn']).toEqual({ before: null, after: ['HOME-1', 'HOME-2'] });
      });

      it('refuses a dependency that would close a cycle and names the cycle path', async () => {
        await run('dep.add', { task: 'HOME-2', on: ['HOME-1'] });
        const error = await fails(run('dep.add', { task: 'HOME-1', on: ['HOME-2'] }), 'cycle');
        expect(error.details['cycle']).toEqual(['HOME-1', 'HOME-2', 'HOME-1']);
        expect(error.message).toContain('HOME-1 → HOME-2 → HOME-1');
        expect((await run('task.show', { task: 'HOME-1' })).dependsOn).toEqual([]);
      });

      it('refuses a transitive cycle and names every task on it', async () => {
        await run('dep.add', { task: 'HOME-1', on: ['HOME-2'] });
        await run('dep.add', { task: 'HOME-2', on: ['HOME-3'] });
        await run('dep.add', { task: 'HOME-3', on: ['HOME-4'] });
        const error = await fails(run('dep.add', { task: 'HOME-4', on: ['HOME-1'] }), 'cycle');
        expect(error.details['cycle']).toEqual(['HOME-4', 'HOME-1', 'HOME-2', 'HOME-3', 'HOME-4']);
      });

      it('refuses a task depending on itself as a cycle', async () => {
        const error = await fails(run('dep.add', { task: 'HOME-1', on: ['home-1'] }), 'cycle');
        expect(error.details['cycle']).toEqual(['HOME-1', 'HOME-1']);
      });

      it('ignores a dependency that already exists', async () => {
        await run('dep.add', { task: 'HOME-2', on: ['HOME-1'] });
        const entries = (await auditLog()).length;
        const again = await run('dep.add', { task: 'HOME-2', on: ['HOME-1'] });
        expect(again.task.openDeps).toBe(1);
        expect(refsOf(again.dependsOn)).toEqual(['HOME-1']);
        expect(await auditLog()).toHaveLength(entries);
      });

      it('refuses to remove a dependency that does not exist', async () => {
        const error = await fails(
          run('dep.remove', { task: 'HOME-2', on: ['HOME-1'] }),
          'not_found',
        );
        expect(error.details).toMatchObject({ field: 'on', task: 'HOME-2', on: 'HOME-1' });
      });

      it('refuses a dependency on a missing or deleted task, naming the field', async () => {
        await run('task.delete', { task: 'HOME-4' });
        for (const missing of ['HOME-99', 'HOME-4']) {
          const onAdd = await fails(run('dep.add', { task: 'HOME-1', on: [missing] }), 'not_found');
          expect(onAdd.details['field']).toBe('on');
          const onCreate = await fails(createTask('x', { dependsOn: [missing] }), 'not_found');
          expect(onCreate.details['field']).toBe('dependsOn');
        }
        const onTask = await fails(
          run('dep.add', { task: 'HOME-99', on: ['HOME-1'] }),
          'not_found',
        );
        expect(onTask.details['field']).toBe('task');
      });

      it('counts open dependencies as they are added, done, reopened and removed', async () => {
        await run('dep.add', { task: 'HOME-3', on: ['HOME-1', 'HOME-2'] });
        expect(await openDepsOf('HOME-3')).toBe(2);
        await finish('HOME-1');
        expect(await openDepsOf('HOME-3')).toBe(1);
        expect(await ranked()).not.toContain('HOME-3');
        await finish('HOME-2');
        expect(await openDepsOf('HOME-3')).toBe(0);
        expect(await ranked()).toContain('HOME-3');
        await move('HOME-1', 'todo');
        expect(await openDepsOf('HOME-3')).toBe(1);
        expect(await ranked()).not.toContain('HOME-3');
        await run('dep.remove', { task: 'HOME-3', on: ['HOME-1'] });
        expect(await openDepsOf('HOME-3')).toBe(0);
        await run('dep.add', { task: 'HOME-3', on: ['HOME-1'] });
        expect(await openDepsOf('HOME-3')).toBe(1);
        // Edges to a finished task never count as open, whether added or removed.
        await run('dep.remove', { task: 'HOME-3', on: ['HOME-2'] });
        expect(await openDepsOf('HOME-3')).toBe(1);
        await run('dep.add', { task: 'HOME-3', on: ['HOME-2'] });
        expect(await openDepsOf('HOME-3')).toBe(1);
        expect(await createTask('after done', { dependsOn: ['HOME-2'] })).toMatchObject({
          openDeps: 0,
        });
      });

      it('keeps downstreamDepth at the longest chain of live dependents, also on cancel', async () => {
        // HOME-1 ← HOME-2 ← HOME-3 ← HOME-4, and HOME-1 ← HOME-5
        await run('dep.add', { task: 'HOME-2', on: ['HOME-1'] });
        await run('dep.add', { task: 'HOME-3', on: ['HOME-2'] });
        await run('dep.add', { task: 'HOME-4', on: ['HOME-3'] });
        await createTask('five', { dependsOn: ['HOME-1'] });
        const refs = ['HOME-1', 'HOME-2', 'HOME-3', 'HOME-4', 'HOME-5'];
        expect(await depthsOf(refs)).toEqual({
          'HOME-1': 3,
          'HOME-2': 2,
          'HOME-3': 1,
          'HOME-4': 0,
          'HOME-5': 0,
        });
        await move('HOME-4', 'cancelled');
        expect(await depthsOf(refs)).toEqual({
          'HOME-1': 2,
          'HOME-2': 1,
          'HOME-3': 0,
          'HOME-4': 0,
          'HOME-5': 0,
        });
        await move('HOME-4', 'todo');
        expect(await depthsOf(refs)).toEqual({
          'HOME-1': 3,
          'HOME-2': 2,
          'HOME-3': 1,
          'HOME-4': 0,
          'HOME-5': 0,
        });
        await move('HOME-3', 'cancelled');
        // A cancelled task adds nothing upstream but still measures its own live dependents.
        expect(await depthsOf(refs)).toEqual({
          'HOME-1': 1,
          'HOME-2': 0,
          'HOME-3': 1,
          'HOME-4': 0,
          'HOME-5': 0,
        });
        await run('dep.remove', { task: 'HOME-5', on: ['HOME-1'] });
        expect(await depthsOf(['HOME-1'])).toEqual({ 'HOME-1': 1 });
        await run('dep.remove', { task: 'HOME-2', on: ['HOME-1'] });
        expect(await depthsOf(['HOME-1'])).toEqual({ 'HOME-1': 0 });
      });
    });

    describe('task.next', () => {
      beforeEach(async () => {
        await createProjectNamed('HOME');
      });

      it('offers nothing from an empty queue', async () => {
        expect(await run('task.next')).toEqual({ claimed: false, tasks: [], expired: [] });
        expect(await claim('coder-1')).toEqual({ claimed: true, tasks: [], expired: [] });
      });

      it('offers the highest priority ready task first', async () => {
        await createTask('low', { priority: 'p3' });
        await createTask('high', { priority: 'p0' });
        await createTask('mid', { priority: 'p1' });
        const next = await run('task.next');
        expect(next.claimed).toBe(false);
        expect(refsOf(next.tasks)).toEqual(['HOME-2']);
        expect((await taskOf('HOME-2')).status).toBe('todo');
        expect(await ranked()).toEqual(['HOME-2', 'HOME-3', 'HOME-1']);
      });

      it('breaks priority ties by downstream depth, then by age', async () => {
        await createTask('oldest p1', { priority: 'p1' });
        clock.advance(SECOND);
        await createTask('middle p1', { priority: 'p1' });
        clock.advance(SECOND);
        await createTask('newest p1', { priority: 'p1' });
        clock.advance(SECOND);
        await createTask('waits on newest', { priority: 'p3', dependsOn: ['HOME-3'] });
        expect(await ranked()).toEqual(['HOME-3', 'HOME-1', 'HOME-2']);
        await createTask('urgent', { priority: 'p0' });
        await createTask('waits on the waiter', { priority: 'p3', dependsOn: ['HOME-4'] });
        await createTask('waits on middle', { priority: 'p3', dependsOn: ['HOME-2'] });
        expect(await depthsOf(['HOME-2', 'HOME-3'])).toEqual({ 'HOME-2': 1, 'HOME-3': 2 });
        expect(await ranked()).toEqual(['HOME-5', 'HOME-3', 'HOME-2', 'HOME-1']);
        expect(refsOf((await run('task.next')).tasks)).toEqual(['HOME-5']);
      });

      it('offers only ready work: no open dependencies, not started, not cancelled, not deleted', async () => {
        await createTask('started');
        await createTask('cancelled');
        await createTask('deleted');
        await createTask('blocked');
        await createTask('in review');
        await createTask('ready');
        await createTask('waiting', { dependsOn: ['HOME-6'] });
        await move('HOME-1', 'in_progress');
        await move('HOME-2', 'cancelled');
        await run('task.delete', { task: 'HOME-3' });
        await move('HOME-4', 'blocked');
        await move('HOME-5', 'in_progress');
        await move('HOME-5', 'review');
        expect(await ranked()).toEqual(['HOME-6']);
        await finish('HOME-6');
        expect(await ranked()).toEqual(['HOME-7']);
      });

      it('filters the queue by project, sprint, role and tag', async () => {
        await createProjectNamed('WORK');
        await run('sprint.create', { project: 'HOME', name: 'S1' });
        await createTask('home coder', {
          role: 'coder',
          tags: ['api'],
          sprint: 'S1',
          priority: 'p3',
        });
        await createTask('home ops', { role: 'ops', tags: ['infra'] });
        await createTask('work coder', { role: 'coder', tags: ['api'], priority: 'p0' }, 'WORK');
        expect(await ranked({ project: 'HOME' })).toEqual(['HOME-2', 'HOME-1']);
        expect(await ranked({ project: 'HOME', sprint: 'S1' })).toEqual(['HOME-1']);
        expect(await ranked({ role: 'coder' })).toEqual(['WORK-1', 'HOME-1']);
        expect(await ranked({ tag: 'infra' })).toEqual(['HOME-2']);
        expect(await ranked({ project: 'WORK', role: 'coder', tag: 'api' })).toEqual(['WORK-1']);
        expect(await ranked({ project: 'WORK', role: 'ops' })).toEqual([]);
        const claimed = await claim('coder-1', { role: 'coder', project: 'HOME' });
        expect(refsOf(claimed.tasks)).toEqual(['HOME-1']);
        const error = await fails(run('task.next', { sprint: 'S1' }), 'invalid_input');
        expect(error.details['field']).toBe('sprint');
      });

      it('does not offer a task assigned to another agent', async () => {
        await createTask('for bob', { priority: 'p0', assignee: 'bob' });
        await createTask('for anyone', { priority: 'p3' });
        expect(refsOf((await run('task.next')).tasks)).toEqual(['HOME-2']);
        expect(refsOf((await run('task.next', { agent: 'carl' })).tasks)).toEqual(['HOME-2']);
        expect(refsOf((await run('task.next', { agent: 'bob' })).tasks)).toEqual(['HOME-1']);
        expect(refsOf((await claim('carl')).tasks)).toEqual(['HOME-2']);
        expect((await claim('carl')).tasks).toEqual([]);
        expect(refsOf((await claim('bob')).tasks)).toEqual(['HOME-1']);
      });

      it('claims a task: in_progress, assigned to the claimer, leased until now + lease', async () => {
        await createTask('A');
        clock.advance(5 * MINUTE);
        const result = await claim('coder-1', { lease: '30m' });
        expect(result.claimed).toBe(true);
        expect(result.expired).toEqual([]);
        expect(result.tasks).toHaveLength(1);
        expect(result.tasks[0]).toMatchObject({
          ref: 'HOME-1',
          status: 'in_progress',
          assignee: 'coder-1',
          leaseExpiresAt: at(35 * MINUTE),
          updatedAt: at(5 * MINUTE),
        });
        expect(await taskOf('HOME-1')).toEqual(result.tasks[0]);
        const [entry] = await auditLog({ operation: 'task.claim' });
        expect(entry).toMatchObject({ actor: 'coder-1', targetLabel: 'HOME-1' });
        expect(entry?.changes['status']).toEqual({ before: 'todo', after: 'in_progress' });
      });

      it('claims for the named agent with the default lease of 15 minutes', async () => {
        await createTask('A');
        const [claimed] = (await claim(ACTOR, { agent: 'coder-2' })).tasks;
        expect(claimed).toMatchObject({ assignee: 'coder-2', leaseExpiresAt: at(15 * MINUTE) });
      });

      it('hands successive claims different tasks until the queue is empty', async () => {
        await createTask('A');
        await createTask('B');
        const first = await claim('coder-1');
        const second = await claim('coder-2');
        expect(refsOf([...first.tasks, ...second.tasks])).toEqual(['HOME-1', 'HOME-2']);
        expect((await claim('coder-3')).tasks).toEqual([]);
        expect(
          refsOf(await run('task.list', { assignee: 'coder-2', status: ['in_progress'] })),
        ).toEqual(['HOME-2']);
      });

      it('hands concurrent claimers different tasks', async () => {
        for (const title of ['A', 'B', 'C', 'D']) await createTask(title);
        const results = await Promise.all(
          ['coder-1', 'coder-2', 'coder-3'].map((agent) => claim(agent)),
        );
        const claimed = results.flatMap((result) => result.tasks);
        expect(claimed).toHaveLength(3);
        expect(new Set(refsOf(claimed)).size).toBe(3);
        expect(new Set(claimed.map((t) => t.assignee)).size).toBe(3);
        expect(await ranked()).toHaveLength(1);
      });

      it('returns a task whose lease ran out to the queue, lists it as expired and audits bosun', async () => {
        await createTask('A');
        await claim('coder-1', { lease: '10m' });
        clock.advance(10 * MINUTE);
        expect(await claim('coder-2')).toEqual({ claimed: true, tasks: [], expired: [] });
        clock.advance(1);
        const again = await claim('coder-2');
        expect(again.expired).toEqual(['HOME-1']);
        expect(again.tasks).toHaveLength(1);
        expect(again.tasks[0]).toMatchObject({
          ref: 'HOME-1',
          assignee: 'coder-2',
          leaseExpiresAt: at(25 * MINUTE + 1),
        });
        const expiries = await auditLog({ operation: 'task.lease-expire' });
        expect(expiries).toHaveLength(1);
        expect(expiries[0]).toMatchObject({
          actor: 'bosun',
          operation: 'task.lease-expire',
          targetLabel: 'HOME-1',
        });
        expect(expiries[0]?.changes['status']).toEqual({ before: 'in_progress', after: 'todo' });
        expect(expiries[0]?.changes['assignee']).toEqual({ before: 'coder-1', after: null });
        expect((await auditLog({ actor: 'bosun' })).map((e) => e.operation)).toEqual([
          'task.lease-expire',
        ]);
        await fails(run('task.heartbeat', { task: 'HOME-1' }, 'coder-1'), 'conflict');
      });

      it('extends the lease on heartbeat for the holder only', async () => {
        await createTask('A');
        await claim('coder-1', { lease: '10m' });
        clock.advance(8 * MINUTE);
        const beat = await run('task.heartbeat', { task: 'HOME-1', lease: '10m' }, 'coder-1');
        expect(beat).toMatchObject({
          status: 'in_progress',
          assignee: 'coder-1',
          leaseExpiresAt: at(18 * MINUTE),
        });
        const onBehalf = await run('task.heartbeat', { task: 'HOME-1', agent: 'coder-1' }, ACTOR);
        expect(onBehalf.leaseExpiresAt).toBe(at(23 * MINUTE));
        const stranger = await fails(
          run('task.heartbeat', { task: 'HOME-1' }, 'coder-2'),
          'conflict',
        );
        expect(stranger.details).toMatchObject({
          field: 'task',
          agent: 'coder-2',
          holder: 'coder-1',
        });
        await fails(run('task.heartbeat', { task: 'HOME-1', agent: 'coder-2' }, ACTOR), 'conflict');
        clock.advance(14 * MINUTE);
        expect(await claim('coder-2')).toEqual({ claimed: true, tasks: [], expired: [] });
        await createTask('B');
        await fails(run('task.heartbeat', { task: 'HOME-2' }, 'coder-1'), 'conflict');
      });

      it('releases a held task back to the queue, refusing anyone but the holder', async () => {
        await createTask('A');
        await claim('coder-1');
        await fails(run('task.release', { task: 'HOME-1' }, 'coder-2'), 'conflict');
        const released = await run(
          'task.release',
          { task: 'HOME-1', note: 'handing over' },
          'coder-1',
        );
        expect(released).toMatchObject({ status: 'todo', assignee: null, leaseExpiresAt: null });
        expect(await run('note.list', { task: 'HOME-1' })).toMatchObject([
          { author: 'coder-1', body: 'handing over' },
        ]);
        await fails(run('task.release', { task: 'HOME-1' }, 'coder-1'), 'conflict');
        expect(refsOf((await claim('coder-2')).tasks)).toEqual(['HOME-1']);
      });

      const createScopedTasks = async (): Promise<void> => {
        await createTask('all of a', { priority: 'p0', scope: ['src/a/**'] });
        await createTask('one file of a', { priority: 'p1', scope: ['src/a/x.ts'] });
        await createTask('all of b', { priority: 'p1', scope: ['src/b/**'] });
        await createTask('no scope', { priority: 'p2' });
        await createTask('docs', { priority: 'p3', scope: ['docs/**'] });
      };

      it('picks up to N ready tasks whose scopes do not overlap each other', async () => {
        await createScopedTasks();
        expect(refsOf((await run('task.next', { parallel: 3 })).tasks)).toEqual([
          'HOME-1',
          'HOME-3',
          'HOME-4',
        ]);
        expect(refsOf((await run('task.next', { parallel: 10 })).tasks)).toEqual([
          'HOME-1',
          'HOME-3',
          'HOME-4',
          'HOME-5',
        ]);
        expect(refsOf((await run('task.next', { parallel: 1 })).tasks)).toEqual(['HOME-1']);
        expect(refsOf((await run('task.next', { parallel: 10, tag: 'none' })).tasks)).toEqual([]);
      });

      it('keeps parallel picks clear of scopes already in progress and claims them all', async () => {
        await createScopedTasks();
        expect(refsOf((await claim('coder-1')).tasks)).toEqual(['HOME-1']);
        expect(await ranked()).toEqual(['HOME-3', 'HOME-4', 'HOME-5']);
        const batch = await claim('coder-2', { parallel: 2 });
        expect(refsOf(batch.tasks)).toEqual(['HOME-3', 'HOME-4']);
        expect(batch.tasks.map((t) => [t.status, t.assignee])).toEqual([
          ['in_progress', 'coder-2'],
          ['in_progress', 'coder-2'],
        ]);
        expect(await ranked()).toEqual(['HOME-5']);
        await move('HOME-1', 'review', 'coder-1');
        expect(await ranked()).toEqual(['HOME-5']);
        await move('HOME-1', 'done', 'coder-1');
        expect(await ranked()).toEqual(['HOME-2', 'HOME-5']);
      });
    });

    describe('todos and notes', () => {
      beforeEach(async () => {
        await createProjectNamed('HOME');
        await createTask('A');
      });

      it('adds, checks, unchecks and removes checklist items by their 1-based number', async () => {
        for (const text of ['buy disk', 'install', 'test restore'])
          await run('todo.add', { task: 'HOME-1', text });
        const list = async () =>
          (await run('todo.list', { task: 'HOME-1' })).map((t) => [t.text, t.done]);
        expect(await list()).toEqual([
          ['buy disk', false],
          ['install', false],
          ['test restore', false],
        ]);
        expect(await run('todo.check', { task: 'HOME-1', item: 2 })).toMatchObject({
          text: 'install',
          done: true,
        });
        expect(await list()).toEqual([
          ['buy disk', false],
          ['install', true],
          ['test restore', false],
        ]);
        expect(await run('todo.uncheck', { task: 'HOME-1', item: 2 })).toMatchObject({
          text: 'install',
          done: false,
        });
        expect(await run('todo.remove', { task: 'HOME-1', item: 1 })).toMatchObject({
          text: 'buy disk',
        });
        expect(await list()).toEqual([
          ['install', false],
          ['test restore', false],
        ]);
        await run('todo.check', { task: 'HOME-1', item: 1 });
        expect(await list()).toEqual([
          ['install', true],
          ['test restore', false],
        ]);
        expect((await run('task.show', { task: 'HOME-1' })).todos).toEqual(
          await run('todo.list', { task: 'HOME-1' }),
        );
      });

      it('answers a checklist item that does not exist with not_found naming the item', async () => {
        await run('todo.add', { task: 'HOME-1', text: 'one' });
        await run('todo.add', { task: 'HOME-1', text: 'two' });
        for (const operationName of ['todo.check', 'todo.uncheck', 'todo.remove'] as const) {
          const error = await fails(run(operationName, { task: 'HOME-1', item: 3 }), 'not_found');
          expect(error.details).toMatchObject({ field: 'item', item: 3, count: 2 });
          const zero = await fails(
            run(operationName, { task: 'HOME-1', item: 0 }),
            'invalid_input',
          );
          expect(zero.details['field']).toBe('item');
        }
        const missingTask = await fails(
          run('todo.add', { task: 'HOME-9', text: 'x' }),
          'not_found',
        );
        expect(missingTask.details['field']).toBe('task');
      });

      it('appends notes authored by the actor, oldest first, and offers no operation to change them', async () => {
        const first = await run('note.add', { task: 'HOME-1', body: 'started on it' });
        clock.advance(MINUTE);
        const second = await run('note.add', { task: 'home-1', body: 'half done' }, 'bob');
        expect(first).toMatchObject({ author: ACTOR, body: 'started on it', createdAt: START });
        expect(second).toMatchObject({ author: 'bob', body: 'half done', createdAt: at(MINUTE) });
        expect(await run('note.list', { task: 'HOME-1' })).toEqual([first, second]);
        expect((await run('task.show', { task: 'HOME-1' })).notes).toEqual([first, second]);
        const noteOperations = OPERATIONS.map((operation) => operation.name).filter((n) =>
          n.startsWith('note.'),
        );
        expect(noteOperations.sort()).toEqual(['note.add', 'note.list']);
        const empty = await fails(run('note.add', { task: 'HOME-1', body: '  ' }), 'invalid_input');
        expect(empty.details['field']).toBe('body');
      });
    });

    describe('risks', () => {
      const addRisk = (title: string, extra: OperationInput = {}, project = 'HOME') =>
        run('risk.add', { project, title, likelihood: 1, impact: 1, ...extra });
      const registerOf = async (filter: OperationInput = {}) =>
        refsOf(await run('risk.list', filter));

      beforeEach(async () => {
        await createProjectNamed('HOME');
      });

      it('lists by value lists, where an empty list matches nothing and none filters nothing', async () => {
        await addRisk('NAS disk fails', { likelihood: 4, impact: 5 });
        await addRisk('Power cut', { status: 'accepted' });
        await run('action.add', { project: 'HOME', title: 'Buy a UPS' });
        const lists = await store.transaction('read', async (repos) => ({
          all: await repos.risks.list({}),
          open: await repos.risks.list({ status: ['open'] }),
          scored: await repos.risks.list({ scores: [1, 20], status: ['open', 'accepted'] }),
          noStatus: await repos.risks.list({ status: [] }),
          noScore: await repos.risks.list({ scores: [] }),
          actions: await repos.actions.list({ source: ['other', 'document'] }),
          noSource: await repos.actions.list({ source: [] }),
          noMilestone: await repos.milestones.list({ status: [] }),
        }));
        const refs = (rows: readonly { ref: string }[]) => rows.map((r) => r.ref);
        expect(refs(lists.all)).toEqual(['HOME-R1', 'HOME-R2']);
        expect(refs(lists.open)).toEqual(['HOME-R1']);
        expect(refs(lists.scored)).toEqual(['HOME-R1', 'HOME-R2']);
        expect(refs(lists.actions)).toEqual(['HOME-A1']);
        for (const none of [lists.noStatus, lists.noScore, lists.noSource, lists.noMilestone]) {
          expect(none).toEqual([]);
        }
      });

      it('adds a risk with a per-project ref, its score and level derived, and audits it', async () => {
        await createProjectNamed('WORK');
        const first = await addRisk('NAS disk fails', {
          likelihood: 4,
          impact: 5,
          description: 'both disks are the same batch',
          mitigation: 'weekly offsite copy',
          owner: 'bob',
          review: '2026-03-01',
        });
        expect(first).toMatchObject({
          ref: 'HOME-R1',
          title: 'NAS disk fails',
          likelihood: 4,
          impact: 5,
          score: 20,
          level: 'critical',
          mitigation: 'weekly offsite copy',
          owner: 'bob',
          status: 'open',
          reviewDate: '2026-03-01',
          createdAt: START,
          updatedAt: START,
          archivedAt: null,
          overdue: false,
        });
        expect((await addRisk('Power cut')).ref).toBe('HOME-R2');
        expect((await addRisk('Laptop stolen', {}, 'WORK')).ref).toBe('WORK-R1');
        // Risks count apart from tasks.
        expect((await createTask('Buy a UPS')).ref).toBe('HOME-1');
        const shown = await run('risk.show', { risk: 'home-r1' });
        expect(shown).toEqual(first);
        expect(await run('risk.show', { risk: first.id })).toEqual(first);
        const [entry] = await auditLog({ target: 'HOME-R1' });
        expect(entry).toMatchObject({
          actor: ACTOR,
          operation: 'risk.add',
          targetKind: 'risk',
          targetId: first.id,
          targetLabel: 'HOME-R1',
        });
        expect(entry?.changes['score']).toEqual({ before: null, after: 20 });
        expect(entry?.changes['level']).toEqual({ before: null, after: 'critical' });
      });

      it('gives concurrent adds distinct refs', async () => {
        const added = await Promise.all(Array.from({ length: 6 }, (_, i) => addRisk(`risk ${i}`)));
        expect(refsOf(added).sort()).toEqual(
          ['HOME-R1', 'HOME-R2', 'HOME-R3', 'HOME-R4', 'HOME-R5', 'HOME-R6'].sort(),
        );
      });

      it('lists by score, then the earliest review with undated last, and filters', async () => {
        await createProjectNamed('WORK');
        await addRisk('low, undated', { likelihood: 2, impact: 2 }); // R1: 4
        await addRisk('high, late review', { likelihood: 3, impact: 5, review: '2026-09-01' }); // R2: 15
        await addRisk('high, undated', { likelihood: 5, impact: 3 }); // R3: 15
        await addRisk('high, early review', { likelihood: 3, impact: 5, review: '2026-02-01' }); // R4: 15
        await addRisk('critical', { likelihood: 5, impact: 5, status: 'accepted' }); // R5: 25
        await addRisk('medium', { likelihood: 3, impact: 3 }, 'WORK'); // WORK-R1: 9
        expect(await registerOf()).toEqual([
          'HOME-R5',
          'HOME-R4',
          'HOME-R2',
          'HOME-R3',
          'WORK-R1',
          'HOME-R1',
        ]);
        expect(await registerOf({ project: 'WORK' })).toEqual(['WORK-R1']);
        expect(await registerOf({ level: ['high', 'critical'] })).toEqual([
          'HOME-R5',
          'HOME-R4',
          'HOME-R2',
          'HOME-R3',
        ]);
        expect(await registerOf({ level: ['medium'] })).toEqual(['WORK-R1']);
        expect(await registerOf({ status: ['accepted'] })).toEqual(['HOME-R5']);
        expect(await registerOf({ project: 'HOME', status: ['open'], level: ['low'] })).toEqual([
          'HOME-R1',
        ]);
      });

      it('derives the level at every boundary of the score', async () => {
        const cases: [number, number, number, string][] = [
          [1, 4, 4, 'low'],
          [1, 5, 5, 'medium'],
          [3, 3, 9, 'medium'],
          [2, 5, 10, 'high'],
          [3, 5, 15, 'high'],
          [4, 4, 16, 'critical'],
          [5, 5, 25, 'critical'],
        ];
        for (const [likelihood, impact, score, level] of cases) {
          const risk = await addRisk(`${likelihood}×${impact}`, { likelihood, impact });
          expect([risk.score, risk.level]).toEqual([score, level]);
          const [stored] = (await run('risk.list', {})).filter((r) => r.ref === risk.ref);
          expect([stored?.score, stored?.level]).toEqual([score, level]);
        }
      });

      it('recomputes score and level on update, clears with null, moves status freely, audits', async () => {
        const added = await addRisk('Ransomware', {
          likelihood: 3,
          impact: 5,
          owner: 'bob',
          review: '2026-06-01',
        });
        clock.advance(MINUTE);
        const updated = await run('risk.update', {
          risk: 'HOME-R1',
          likelihood: 1,
          title: 'Ransomware on the NAS',
          mitigation: 'snapshots',
          owner: null,
          review: null,
          status: 'mitigating',
        });
        expect(updated).toMatchObject({
          ref: 'HOME-R1',
          title: 'Ransomware on the NAS',
          likelihood: 1,
          impact: 5,
          score: 5,
          level: 'medium',
          mitigation: 'snapshots',
          owner: null,
          reviewDate: null,
          status: 'mitigating',
          createdAt: START,
          updatedAt: at(MINUTE),
        });
        for (const status of ['closed', 'accepted', 'open', 'mitigating', 'open'])
          expect((await run('risk.update', { risk: 'HOME-R1', status })).status).toBe(status);
        const impactOnly = await run('risk.update', { risk: added.id, impact: 4 });
        expect([impactOnly.score, impactOnly.level, impactOnly.title]).toEqual([
          4,
          'low',
          'Ransomware on the NAS',
        ]);
        const updates = await auditLog({ target: 'HOME-R1', operation: 'risk.update' });
        expect(updates[0]?.changes).toMatchObject({
          likelihood: { before: 3, after: 1 },
          score: { before: 15, after: 5 },
          level: { before: 'high', after: 'medium' },
          owner: { before: 'bob', after: null },
          reviewDate: { before: '2026-06-01', after: null },
          status: { before: 'open', after: 'mitigating' },
        });
        expect(updates).toHaveLength(7);
      });

      it('archives instead of deleting: out of the register, still shown, restorable, audited', async () => {
        await addRisk('Keep', { likelihood: 2 });
        await addRisk('Drop');
        clock.advance(MINUTE);
        const archived = await run('risk.archive', { risk: 'HOME-R2' });
        expect(archived.archivedAt).toBe(at(MINUTE));
        expect(await registerOf()).toEqual(['HOME-R1']);
        expect(await registerOf({ archived: true })).toEqual(['HOME-R1', 'HOME-R2']);
        expect(await run('risk.show', { risk: 'HOME-R2' })).toEqual(archived);
        const refused = await fails(run('risk.update', { risk: 'HOME-R2', impact: 5 }), 'conflict');
        expect(refused.details).toMatchObject({ field: 'risk', kind: 'risk' });
        expect(refused.message).toContain('risk restore HOME-R2');
        await fails(run('risk.archive', { risk: 'HOME-R2' }), 'conflict');
        await fails(run('risk.restore', { risk: 'HOME-R1' }), 'conflict');
        // The next risk does not reuse the archived one's number.
        expect((await addRisk('Next')).ref).toBe('HOME-R3');
        clock.advance(MINUTE);
        const restored = await run('risk.restore', { risk: 'HOME-R2' });
        expect(restored.archivedAt).toBeNull();
        expect(await registerOf()).toEqual(['HOME-R1', 'HOME-R2', 'HOME-R3']);
        const operations = (await auditLog({ target: 'HOME-R2' })).map((e) => [
          e.operation,
          Object.keys(e.changes).sort(),
        ]);
        expect(operations.slice(1)).toEqual([
          ['risk.archive', ['archivedAt', 'updatedAt']],
          ['risk.restore', ['archivedAt', 'updatedAt']],
        ]);
      });

      it('flags a review as overdue from the clock, only while open or mitigating', async () => {
        await addRisk('due today', { review: '2026-01-01' });
        await addRisk('due tomorrow', { review: '2026-01-02' });
        await addRisk('mitigating', { review: '2026-01-01', status: 'mitigating' });
        await addRisk('closed', { review: '2026-01-01', status: 'closed' });
        await addRisk('accepted', { review: '2026-01-01', status: 'accepted' });
        await addRisk('undated');
        expect(await registerOf({ overdue: true })).toEqual([]);
        clock.advance(DAY);
        expect(await registerOf({ overdue: true })).toEqual(['HOME-R1', 'HOME-R3']);
        expect((await run('risk.show', { risk: 'HOME-R1' })).overdue).toBe(true);
        expect((await run('risk.show', { risk: 'HOME-R4' })).overdue).toBe(false);
        expect((await run('risk.list', {})).filter((r) => r.overdue).map((r) => r.ref)).toEqual([
          'HOME-R1',
          'HOME-R3',
        ]);
        expect(await registerOf({ overdue: true, status: ['mitigating', 'closed'] })).toEqual([
          'HOME-R3',
        ]);
        clock.advance(DAY);
        // Same score: the earlier review first.
        expect(await registerOf({ overdue: true })).toEqual(['HOME-R1', 'HOME-R3', 'HOME-R2']);
        await run('risk.update', { risk: 'HOME-R2', review: '2026-02-01' });
        await run('risk.archive', { risk: 'HOME-R3' });
        expect(await registerOf({ overdue: true, archived: true })).toEqual(['HOME-R1']);
        expect((await run('risk.show', { risk: 'HOME-R3' })).overdue).toBe(false);
      });

      it('refuses bad input naming the field, and stores nothing', async () => {
        const attempts: [OperationName, OperationInput, string][] = [
          ['risk.add', { project: 'HOME', title: 'x', likelihood: 0, impact: 1 }, 'likelihood'],
          ['risk.add', { project: 'HOME', title: 'x', likelihood: 6, impact: 1 }, 'likelihood'],
          ['risk.add', { project: 'HOME', title: 'x', likelihood: 2.5, impact: 1 }, 'likelihood'],
          ['risk.add', { project: 'HOME', title: 'x', likelihood: '3', impact: 1 }, 'likelihood'],
          ['risk.add', { project: 'HOME', title: 'x', likelihood: 3 }, 'impact'],
          ['risk.add', { project: 'HOME', title: ' ', likelihood: 3, impact: 1 }, 'title'],
          [
            'risk.add',
            { project: 'HOME', title: 'x', likelihood: 3, impact: 1, review: '2026-02-30' },
            'review',
          ],
          [
            'risk.add',
            { project: 'HOME', title: 'x', likelihood: 3, impact: 1, status: 'gone' },
            'status',
          ],
          ['risk.list', { level: ['severe'] }, 'level.0'],
        ];
        for (const [operationName, input, field] of attempts) {
          const error = await fails(run(operationName, input), 'invalid_input');
          expect(error.details['field'], JSON.stringify(input)).toBe(field);
          expect(error.message).toMatch(new RegExp(`^${field.replace('.', '\\.')}: `));
        }
        const rating = await fails(
          run('risk.add', { project: 'HOME', title: 'x', likelihood: 9, impact: 1 }),
          'invalid_input',
        );
        expect(rating.message).toBe('likelihood: must be a whole number from 1 to 5');
        await addRisk('fine');
        const onUpdate = await fails(
          run('risk.update', { risk: 'HOME-R1', impact: 7 }),
          'invalid_input',
        );
        expect(onUpdate.details['field']).toBe('impact');
        expect(await run('risk.list', { archived: true })).toHaveLength(1);
        expect((await run('risk.show', { risk: 'HOME-R1' })).impact).toBe(1);
        expect(await auditLog({ operation: 'risk.update' })).toEqual([]);
      });

      it('answers an unknown risk or project with not_found naming the field', async () => {
        for (const operationName of [
          'risk.show',
          'risk.update',
          'risk.archive',
          'risk.restore',
        ] as const) {
          const error = await fails(run(operationName, { risk: 'HOME-R9' }), 'not_found');
          expect(error.details).toMatchObject({ field: 'risk', kind: 'risk', key: 'HOME-R9' });
          expect(error.message).toBe("risk: no risk 'HOME-R9'; see 'bosun risk list'");
        }
        for (const attempt of [
          () => addRisk('x', {}, 'NOPE'),
          () => run('risk.list', { project: 'NOPE' }),
        ]) {
          const error = await fails(attempt(), 'not_found');
          expect(error.details).toMatchObject({ field: 'project', kind: 'project', key: 'NOPE' });
        }
        expect(await run('risk.list', { archived: true })).toEqual([]);
      });
    });

    describe('actions', () => {
      const addAction = (title: string, extra: OperationInput = {}, project = 'HOME') =>
        run('action.add', { project, title, ...extra });
      const listOf = async (filter: OperationInput = {}) =>
        refsOf(await run('action.list', filter));

      beforeEach(async () => {
        await createProjectNamed('HOME');
      });

      it('adds an action with a per-project ref, resolves a risk source, and audits it', async () => {
        await createProjectNamed('WORK');
        await run('risk.add', {
          project: 'HOME',
          title: 'NAS disk fails',
          likelihood: 4,
          impact: 5,
        });
        const first = await addAction('Order a second disk', {
          description: 'same size, other batch',
          owner: 'bob',
          due: '2026-03-01',
          sourceRef: 'home-r1',
        });
        expect(first).toMatchObject({
          ref: 'HOME-A1',
          title: 'Order a second disk',
          description: 'same size, other batch',
          owner: 'bob',
          dueDate: '2026-03-01',
          status: 'open',
          source: 'risk',
          sourceRef: 'HOME-R1',
          createdAt: START,
          updatedAt: START,
          archivedAt: null,
          overdue: false,
        });
        const fromMeeting = await addAction('Write the runbook', {
          source: 'meeting',
          sourceRef: 'weekly 2026-01-05',
        });
        expect([fromMeeting.ref, fromMeeting.source, fromMeeting.sourceRef]).toEqual([
          'HOME-A2',
          'meeting',
          'weekly 2026-01-05',
        ]);
        expect((await addAction('Plain')).source).toBe('other');
        expect((await addAction('Elsewhere', {}, 'WORK')).ref).toBe('WORK-A1');
        // Actions count apart from risks and tasks.
        expect((await createTask('Buy a UPS')).ref).toBe('HOME-1');
        expect(await run('action.show', { action: 'home-a1' })).toEqual(first);
        expect(await run('action.show', { action: first.id })).toEqual(first);
        const [entry] = await auditLog({ target: 'HOME-A1' });
        expect(entry).toMatchObject({
          actor: ACTOR,
          operation: 'action.add',
          targetKind: 'action',
          targetId: first.id,
          targetLabel: 'HOME-A1',
        });
        expect(entry?.changes['sourceRef']).toEqual({ before: null, after: 'HOME-R1' });
      });

      it('refuses a risk source that is not a risk of the same project', async () => {
        await createProjectNamed('WORK');
        await run('risk.add', { project: 'WORK', title: 'x', likelihood: 1, impact: 1 });
        const missing = await fails(addAction('x', { sourceRef: 'HOME-R9' }), 'not_found');
        expect(missing.details).toMatchObject({ field: 'sourceRef', kind: 'risk' });
        const elsewhere = await fails(addAction('x', { sourceRef: 'WORK-R1' }), 'invalid_input');
        expect(elsewhere.message).toBe('sourceRef: risk WORK-R1 belongs to another project');
        const notARisk = await fails(
          addAction('x', { source: 'risk', sourceRef: 'a meeting' }),
          'invalid_input',
        );
        expect(notARisk.details['field']).toBe('sourceRef');
        expect(await run('action.list', { archived: true })).toEqual([]);
      });

      it('lists by due date with undated last, and filters', async () => {
        await createProjectNamed('WORK');
        await addAction('undated', { owner: 'bob' }); // A1
        await addAction('late', { due: '2026-09-01', source: 'document' }); // A2
        await addAction('early', { due: '2026-02-01', owner: 'bob', status: 'done' }); // A3
        await addAction('work', { due: '2026-05-01' }, 'WORK'); // WORK-A1
        expect(await listOf()).toEqual(['HOME-A3', 'WORK-A1', 'HOME-A2', 'HOME-A1']);
        expect(await listOf({ project: 'WORK' })).toEqual(['WORK-A1']);
        expect(await listOf({ owner: 'bob' })).toEqual(['HOME-A3', 'HOME-A1']);
        expect(await listOf({ status: ['done'] })).toEqual(['HOME-A3']);
        expect(await listOf({ source: ['document'] })).toEqual(['HOME-A2']);
        expect(await listOf({ project: 'HOME', status: ['open'], owner: 'bob' })).toEqual([
          'HOME-A1',
        ]);
      });

      it('updates any field, clears with null, re-checks the source, and audits', async () => {
        await run('risk.add', { project: 'HOME', title: 'r', likelihood: 1, impact: 1 });
        await addAction('Rotate keys', { owner: 'bob', due: '2026-06-01' });
        clock.advance(MINUTE);
        const updated = await run('action.update', {
          action: 'HOME-A1',
          title: 'Rotate the backup keys',
          owner: null,
          due: null,
          status: 'in_progress',
          source: 'risk',
          sourceRef: 'HOME-R1',
        });
        expect(updated).toMatchObject({
          title: 'Rotate the backup keys',
          owner: null,
          dueDate: null,
          status: 'in_progress',
          source: 'risk',
          sourceRef: 'HOME-R1',
          updatedAt: at(MINUTE),
        });
        for (const status of ['done', 'cancelled', 'open'])
          expect((await run('action.update', { action: 'HOME-A1', status })).status).toBe(status);
        const refused = await fails(
          run('action.update', { action: 'HOME-A1', sourceRef: 'HOME-R7' }),
          'not_found',
        );
        expect(refused.details['field']).toBe('sourceRef');
        const updates = await auditLog({ target: 'HOME-A1', operation: 'action.update' });
        expect(updates[0]?.changes).toMatchObject({
          owner: { before: 'bob', after: null },
          dueDate: { before: '2026-06-01', after: null },
          status: { before: 'open', after: 'in_progress' },
          source: { before: 'other', after: 'risk' },
        });
        expect(updates).toHaveLength(4);
      });

      it('archives instead of deleting: off the list, still shown, restorable, audited', async () => {
        await addAction('Keep');
        await addAction('Drop');
        clock.advance(MINUTE);
        const archived = await run('action.archive', { action: 'HOME-A2' });
        expect(archived.archivedAt).toBe(at(MINUTE));
        expect(await listOf()).toEqual(['HOME-A1']);
        expect(await listOf({ archived: true })).toEqual(['HOME-A1', 'HOME-A2']);
        expect(await run('action.show', { action: 'HOME-A2' })).toEqual(archived);
        const refused = await fails(
          run('action.update', { action: 'HOME-A2', status: 'done' }),
          'conflict',
        );
        expect(refused.message).toContain('action restore HOME-A2');
        await fails(run('action.archive', { action: 'HOME-A2' }), 'conflict');
        await fails(run('action.restore', { action: 'HOME-A1' }), 'conflict');
        expect((await addAction('Next')).ref).toBe('HOME-A3');
        const restored = await run('action.restore', { action: 'HOME-A2' });
        expect(restored.archivedAt).toBeNull();
        const operations = (await auditLog({ target: 'HOME-A2' })).map((e) => e.operation);
        expect(operations).toEqual(['action.add', 'action.archive', 'action.restore']);
      });

      it('flags an action as overdue from the clock, only while open or in progress', async () => {
        await addAction('due today', { due: '2026-01-01' });
        await addAction('due tomorrow', { due: '2026-01-02' });
        await addAction('in progress', { due: '2026-01-01', status: 'in_progress' });
        await addAction('done', { due: '2026-01-01', status: 'done' });
        await addAction('cancelled', { due: '2026-01-01', status: 'cancelled' });
        await addAction('undated');
        expect(await listOf({ overdue: true })).toEqual([]);
        clock.advance(DAY);
        expect(await listOf({ overdue: true })).toEqual(['HOME-A1', 'HOME-A3']);
        expect((await run('action.show', { action: 'HOME-A1' })).overdue).toBe(true);
        expect((await run('action.show', { action: 'HOME-A4' })).overdue).toBe(false);
        expect(await listOf({ overdue: true, status: ['in_progress', 'done'] })).toEqual([
          'HOME-A3',
        ]);
        await run('action.archive', { action: 'HOME-A3' });
        expect(await listOf({ overdue: true, archived: true })).toEqual(['HOME-A1']);
        expect((await run('action.show', { action: 'HOME-A3' })).overdue).toBe(false);
      });

      it('refuses bad input naming the field, and stores nothing', async () => {
        const attempts: [OperationName, OperationInput, string][] = [
          ['action.add', { project: 'HOME', title: ' ' }, 'title'],
          ['action.add', { project: 'HOME', title: 'x', due: '2026-02-30' }, 'due'],
          ['action.add', { project: 'HOME', title: 'x', status: 'gone' }, 'status'],
          ['action.add', { project: 'HOME', title: 'x', source: 'email' }, 'source'],
          ['action.add', { project: 'HOME', title: 'x', owner: ' ' }, 'owner'],
          ['action.list', { source: ['email'] }, 'source.0'],
        ];
        for (const [operationName, input, field] of attempts) {
          const error = await fails(run(operationName, input), 'invalid_input');
          expect(error.details['field'], JSON.stringify(input)).toBe(field);
          expect(error.message).toMatch(new RegExp(`^${field.replace('.', '\\.')}: `));
        }
        expect(await run('action.list', { archived: true })).toEqual([]);
        for (const operationName of [
          'action.show',
          'action.update',
          'action.archive',
          'action.restore',
        ] as const) {
          const error = await fails(run(operationName, { action: 'HOME-A9' }), 'not_found');
          expect(error.message).toBe("action: no action 'HOME-A9'; see 'bosun action list'");
        }
        expect(await auditLog({ operation: 'action.add' })).toEqual([]);
      });
    });

    describe('stakeholders', () => {
      const addStakeholder = (name: string, extra: OperationInput = {}, project = 'HOME') =>
        run('stakeholder.add', { project, name, influence: 1, interest: 1, ...extra });
      const listOf = async (filter: OperationInput = {}) =>
        refsOf(await run('stakeholder.list', filter));

      beforeEach(async () => {
        await createProjectNamed('HOME');
      });

      it('adds a stakeholder with a per-project ref and the quadrant derived, and audits it', async () => {
        await createProjectNamed('WORK');
        const first = await addStakeholder('Maria Costa', {
          influence: 5,
          interest: 4,
          role: 'landlord',
          organisation: 'Costa Lda',
          contact: 'maria@example.com',
          notes: 'prefers email',
        });
        expect(first).toMatchObject({
          ref: 'HOME-S1',
          name: 'Maria Costa',
          role: 'landlord',
          organisation: 'Costa Lda',
          influence: 5,
          interest: 4,
          quadrant: 'manage_closely',
          contact: 'maria@example.com',
          notes: 'prefers email',
          createdAt: START,
          archivedAt: null,
        });
        expect((await addStakeholder('Neighbour')).ref).toBe('HOME-S2');
        expect((await addStakeholder('Boss', {}, 'WORK')).ref).toBe('WORK-S1');
        expect(await run('stakeholder.show', { stakeholder: 'home-s1' })).toEqual(first);
        expect(await run('stakeholder.show', { stakeholder: first.id })).toEqual(first);
        const [entry] = await auditLog({ target: 'HOME-S1' });
        expect(entry).toMatchObject({
          operation: 'stakeholder.add',
          targetKind: 'stakeholder',
          targetLabel: 'HOME-S1',
        });
        expect(entry?.changes['quadrant']).toEqual({ before: null, after: 'manage_closely' });
      });

      it('derives the quadrant at every boundary and keeps it when read back', async () => {
        const cases: [number, number, string][] = [
          [4, 4, 'manage_closely'],
          [4, 3, 'keep_satisfied'],
          [3, 4, 'keep_informed'],
          [3, 3, 'monitor'],
        ];
        for (const [influence, interest, quadrant] of cases) {
          const added = await addStakeholder(`${influence}/${interest}`, { influence, interest });
          expect(added.quadrant).toBe(quadrant);
          const stored = await run('stakeholder.show', { stakeholder: added.ref });
          expect(stored.quadrant).toBe(quadrant);
        }
        expect(await listOf({ quadrant: ['keep_satisfied', 'keep_informed'] })).toEqual([
          'HOME-S2',
          'HOME-S3',
        ]);
      });

      it('lists by influence, then interest, then age', async () => {
        await createProjectNamed('WORK');
        await addStakeholder('low', { influence: 1, interest: 5 }); // S1
        await addStakeholder('high, less interested', { influence: 5, interest: 2 }); // S2
        await addStakeholder('high, interested', { influence: 5, interest: 4 }); // S3
        await addStakeholder('high, interested too', { influence: 5, interest: 4 }); // S4
        await addStakeholder('work', { influence: 3, interest: 3 }, 'WORK'); // WORK-S1
        expect(await listOf()).toEqual(['HOME-S3', 'HOME-S4', 'HOME-S2', 'WORK-S1', 'HOME-S1']);
        expect(await listOf({ project: 'WORK' })).toEqual(['WORK-S1']);
      });

      it('recomputes the quadrant on update, archives and restores, and audits', async () => {
        await addStakeholder('Maria', { influence: 5, interest: 5, role: 'landlord' });
        clock.advance(MINUTE);
        const updated = await run('stakeholder.update', {
          stakeholder: 'HOME-S1',
          interest: 2,
          contact: '+351 912 000 000',
        });
        expect(updated).toMatchObject({
          influence: 5,
          interest: 2,
          quadrant: 'keep_satisfied',
          role: 'landlord',
          contact: '+351 912 000 000',
          updatedAt: at(MINUTE),
        });
        const [update] = await auditLog({ target: 'HOME-S1', operation: 'stakeholder.update' });
        expect(update?.changes).toMatchObject({
          interest: { before: 5, after: 2 },
          quadrant: { before: 'manage_closely', after: 'keep_satisfied' },
        });
        await run('stakeholder.archive', { stakeholder: 'HOME-S1' });
        expect(await listOf()).toEqual([]);
        expect(await listOf({ archived: true })).toEqual(['HOME-S1']);
        const refused = await fails(
          run('stakeholder.update', { stakeholder: 'HOME-S1', interest: 3 }),
          'conflict',
        );
        expect(refused.message).toContain('stakeholder restore HOME-S1');
        await run('stakeholder.restore', { stakeholder: 'HOME-S1' });
        expect(await listOf()).toEqual(['HOME-S1']);
      });

      it('refuses bad input naming the field, and stores nothing', async () => {
        const attempts: [OperationName, OperationInput, string][] = [
          [
            'stakeholder.add',
            { project: 'HOME', name: 'x', influence: 0, interest: 1 },
            'influence',
          ],
          [
            'stakeholder.add',
            { project: 'HOME', name: 'x', influence: 1, interest: 6 },
            'interest',
          ],
          ['stakeholder.add', { project: 'HOME', name: 'x', influence: 1 }, 'interest'],
          ['stakeholder.add', { project: 'HOME', name: ' ', influence: 1, interest: 1 }, 'name'],
          ['stakeholder.list', { quadrant: ['ignore'] }, 'quadrant.0'],
        ];
        for (const [operationName, input, field] of attempts) {
          const error = await fails(run(operationName, input), 'invalid_input');
          expect(error.details['field'], JSON.stringify(input)).toBe(field);
          expect(error.message).toMatch(new RegExp(`^${field.replace('.', '\\.')}: `));
        }
        const error = await fails(run('stakeholder.show', { stakeholder: 'HOME-S9' }), 'not_found');
        expect(error.message).toBe(
          "stakeholder: no stakeholder 'HOME-S9'; see 'bosun stakeholder list'",
        );
        expect(await run('stakeholder.list', { archived: true })).toEqual([]);
        expect(await auditLog({ operation: 'stakeholder.add' })).toEqual([]);
      });
    });

    describe('briefings', () => {
      const brief = (input: OperationInput = {}) => run('brief.create', input);
      const idsOf = (items: readonly { readonly id: string }[]) => items.map((item) => item.id);
      /** Spend of one model call in the ledger, as a finished step would leave it. */
      const spend = (agent: string | null, costUsd: number, project: string | null) =>
        store.transaction('write', async (repos) => {
          const projectId = project === null ? null : (await repos.projects.findByKey(project))!.id;
          await repos.ledger.append([
            {
              at: clock.now().toISOString(),
              runId: null,
              stepId: null,
              attempt: null,
              projectId,
              agent,
              model: 'local',
              inputTokens: 100,
              outputTokens: 10,
              cachedInputTokens: 0,
              costUsd,
              latencyMs: 5,
            },
          ]);
        });

      beforeEach(async () => {
        await createProjectNamed('HOME');
        await createProjectNamed('WORK');
      });

      it('digests the last 24 hours of the workspace in every section, stores and audits it', async () => {
        await createTask('Buy a UPS'); // HOME-1: done
        await createTask('Wire the rack'); // HOME-2: blocked
        await createTask('Mount the NAS'); // HOME-3: waits on HOME-4
        await createTask('Order rails'); // HOME-4
        await createTask('Write the plan', {}, 'WORK'); // WORK-1
        await finish('HOME-1');
        await move('HOME-2', 'blocked');
        await run('dep.add', { task: 'HOME-3', on: ['HOME-4'] });
        await run('risk.add', {
          project: 'HOME',
          title: 'NAS disk fails',
          likelihood: 4,
          impact: 4,
          owner: 'bob',
          review: '2025-12-30',
        }); // HOME-R1: critical, review overdue
        await run('risk.add', {
          project: 'HOME',
          title: 'Power cut',
          likelihood: 2,
          impact: 2,
          review: '2026-01-03',
        }); // HOME-R2: low, review due
        await run('action.add', { project: 'HOME', title: 'Order a disk', due: '2026-01-07' }); // due (the 7th day)
        await run('action.add', { project: 'HOME', title: 'Call the ISP', due: '2025-12-31' }); // overdue
        await run('action.add', { project: 'WORK', title: 'Later', due: '2026-01-08' }); // neither
        await spend('coder', 0.1, 'HOME');
        await spend('coder', 0.2, 'WORK');
        await spend(null, 0.000_000_4, null); // rounds to 0 micro-dollars
        clock.advance(MINUTE);

        const first = await brief();
        expect(first).toMatchObject({
          projectId: null,
          project: null,
          since: at(MINUTE - DAY),
          until: at(MINUTE),
          method: 'digest',
          agent: null,
          model: null,
          narrative: null,
          note: 'no model configured (this store has no workspace folder, bosun.yaml): the digest alone',
          createdAt: at(MINUTE),
          createdBy: ACTOR,
          archivedAt: null,
        });
        const { digest } = first;
        expect(refsOf(digest.changed.tasksCreated)).toEqual([
          'HOME-1',
          'HOME-2',
          'HOME-3',
          'HOME-4',
          'WORK-1',
        ]);
        expect(digest.changed.tasksDone).toEqual([
          { ref: 'HOME-1', title: 'Buy a UPS', status: 'done' },
        ]);
        expect(digest.changed.statusChanges.map((c) => [c.ref, c.from, c.to])).toEqual([
          ['HOME-1', 'todo', 'in_progress'],
          ['HOME-1', 'in_progress', 'done'],
          ['HOME-2', 'todo', 'blocked'],
        ]);
        expect(digest.changed.records.map((r) => [r.operation, r.label])).toEqual([
          ['risk.add', 'HOME-R1'],
          ['risk.add', 'HOME-R2'],
          ['action.add', 'HOME-A1'],
          ['action.add', 'HOME-A2'],
          ['action.add', 'WORK-A1'],
        ]);
        expect(digest.changed.runsStarted).toEqual([]);
        expect(digest.due).toEqual({
          actions: [{ ref: 'HOME-A1', title: 'Order a disk', date: '2026-01-07', owner: null }],
          riskReviews: [{ ref: 'HOME-R2', title: 'Power cut', date: '2026-01-03', owner: null }],
          milestones: [],
        });
        expect(digest.overdue).toEqual({
          actions: [{ ref: 'HOME-A2', title: 'Call the ISP', date: '2025-12-31', owner: null }],
          riskReviews: [
            { ref: 'HOME-R1', title: 'NAS disk fails', date: '2025-12-30', owner: 'bob' },
          ],
          milestones: [],
        });
        expect(digest.blocked).toEqual({
          tasks: [
            {
              ref: 'HOME-2',
              title: 'Wire the rack',
              status: 'blocked',
              reason: 'blocked',
              openDeps: 0,
            },
            {
              ref: 'HOME-3',
              title: 'Mount the NAS',
              status: 'todo',
              reason: 'waiting',
              openDeps: 1,
            },
          ],
          runsAwaitingApproval: [],
          approvals: [],
        });
        expect(digest.atRisk.risks).toEqual([
          {
            ref: 'HOME-R1',
            title: 'NAS disk fails',
            level: 'critical',
            score: 16,
            status: 'open',
            owner: 'bob',
          },
        ]);
        expect(digest.overBudget).toEqual({ lines: [] });
        // Money in integer micro-dollars: 0.1 + 0.2 is exactly 300,000 of them.
        expect(digest.agents.rows.map((row) => [row.agent, row.calls, row.costMicroUsd])).toEqual([
          ['coder', 2, 300_000],
          ['(none)', 1, 0],
        ]);
        expect(digest.agents.totalCostMicroUsd).toBe(300_000);
        expect(first.report).toContain('Overdue\n  action HOME-A2 Call the ISP: due 2025-12-31');
        expect(first.report).toContain(
          'At risk\n  HOME-R1 NAS disk fails: critical (16), open (bob)',
        );

        // Stored as made, and audited with each section's size in place of the digest.
        expect(await run('brief.show', { briefing: first.id })).toEqual(first);
        const [entry] = await auditLog({ target: first.id });
        expect(entry).toMatchObject({
          actor: ACTOR,
          operation: 'brief.create',
          targetKind: 'briefing',
          targetId: first.id,
        });
        expect(entry?.changes['digest']?.after).toEqual({
          changed: 14,
          due: 2,
          overdue: 2,
          blocked: 2,
          atRisk: 1,
          overBudget: 0,
          agents: 2,
        });
      });

      it('briefs milestones due and overdue and budget lines over their threshold', async () => {
        // Other kinds' operations, driven by name: their outputs are theirs to check.
        const runNamed = (operationName: string, input: OperationInput) => {
          const operation = findOperation(operationName);
          if (!operation) throw new Error(`the catalog has no operation '${operationName}'`);
          return runner.run(operation, input, ACTOR);
        };
        await runNamed('milestone.add', {
          project: 'HOME',
          title: 'Backups verified',
          due: '2026-01-05',
          owner: 'ana',
        });
        await runNamed('milestone.add', {
          project: 'HOME',
          title: 'NAS migrated',
          due: '2025-12-20',
        });
        await runNamed('milestone.add', {
          project: 'HOME',
          title: 'Done already',
          due: '2025-12-01',
          status: 'done',
        });
        await runNamed('milestone.add', { project: 'WORK', title: 'Elsewhere', due: '2026-01-02' });
        await runNamed('budget.add', { project: 'HOME', category: 'Hardware', planned: '100.00' });
        await runNamed('budget.add', { project: 'HOME', category: 'Cloud', planned: '50.00' });
        await runNamed('transaction.add', {
          line: 'HOME-B1',
          amount: '150.00',
          date: '2026-01-01',
        });
        await runNamed('transaction.add', { line: 'HOME-B2', amount: '10.00', date: '2026-01-01' });

        const home = await brief({ project: 'HOME' });
        expect(home.digest.due.milestones).toEqual([
          { ref: 'HOME-M1', title: 'Backups verified', date: '2026-01-05', owner: 'ana' },
        ]);
        expect(home.digest.overdue.milestones).toEqual([
          { ref: 'HOME-M2', title: 'NAS migrated', date: '2025-12-20', owner: null },
        ]);
        expect(home.digest.overBudget.lines).toEqual([
          expect.objectContaining({
            project: 'HOME',
            ref: 'HOME-B1',
            category: 'Hardware',
            plannedMinor: 10_000,
            actualMinor: 15_000,
          }),
        ]);
        expect(home.report).toContain('milestone HOME-M2 NAS migrated: 2025-12-20');
        expect(home.report).toContain('Over budget\n  HOME-B1 Hardware: ');
        const workspace = await brief();
        expect(refsOf(workspace.digest.due.milestones)).toEqual(['WORK-M1', 'HOME-M1']);
        expect(refsOf(workspace.digest.overBudget.lines)).toEqual(['HOME-B1']);
      });

      it('briefs again from where the last briefing of the same scope ended', async () => {
        await createTask('Buy a UPS');
        clock.advance(MINUTE);
        const workspace = await brief();
        clock.advance(HOUR);
        await createTask('Wire the rack', {}, 'WORK');
        await move('HOME-1', 'in_progress');
        clock.advance(MINUTE);

        const second = await brief();
        expect(second.since).toBe(workspace.until);
        expect(refsOf(second.digest.changed.tasksCreated)).toEqual(['WORK-1']);
        expect(second.digest.changed.statusChanges.map((c) => [c.ref, c.to])).toEqual([
          ['HOME-1', 'in_progress'],
        ]);
        // A project's first briefing looks back a day, whatever the workspace's did.
        const home = await brief({ project: 'home' });
        expect(home).toMatchObject({ project: 'HOME', since: at(MINUTE + HOUR + MINUTE - DAY) });
        expect(refsOf(home.digest.changed.tasksCreated)).toEqual(['HOME-1']);
        clock.advance(MINUTE);
        const again = await brief({ project: 'HOME' });
        expect(again.since).toBe(home.until);
        expect(refsOf(again.digest.changed.tasksCreated)).toEqual([]);
        // --since overrides the last briefing.
        const week = await brief({ project: 'HOME', since: '7d' });
        expect(week.since).toBe(at(3 * MINUTE + HOUR - 7 * DAY));
        expect(refsOf(week.digest.changed.tasksCreated)).toEqual(['HOME-1']);
        const now = await brief({ since: at(3 * MINUTE + HOUR) });
        expect(now.since).toBe(now.until);
        expect(now.report).toContain('Nothing changed, nothing is due, blocked or at risk.');
      });

      it('lists the history newest first, shows by id, prefix or latest, archives and restores', async () => {
        const one = await brief();
        clock.advance(MINUTE);
        const two = await brief({ project: 'HOME' });
        clock.advance(MINUTE);
        const three = await brief();
        expect(idsOf(await run('brief.list'))).toEqual([three.id, two.id, one.id]);
        expect(idsOf(await run('brief.list', { project: 'HOME' }))).toEqual([two.id]);
        expect(idsOf(await run('brief.list', { workspaceOnly: true }))).toEqual([three.id, one.id]);
        expect(idsOf(await run('brief.list', { limit: 1 }))).toEqual([three.id]);
        expect((await run('brief.show', { briefing: 'latest' })).id).toBe(three.id);
        expect((await run('brief.show', { briefing: 'LATEST', project: 'HOME' })).id).toBe(two.id);
        expect((await run('brief.show', { briefing: two.id.slice(0, 12).toLowerCase() })).id).toBe(
          two.id,
        );

        clock.advance(MINUTE);
        const archived = await run('brief.archive', { briefing: three.id });
        expect(archived.archivedAt).toBe(at(3 * MINUTE));
        expect(idsOf(await run('brief.list'))).toEqual([two.id, one.id]);
        expect(idsOf(await run('brief.list', { archived: true }))).toEqual([
          three.id,
          two.id,
          one.id,
        ]);
        // An archived briefing is not the last one: the next starts where the one before ended.
        expect((await run('brief.show', { briefing: 'latest' })).id).toBe(one.id);
        expect((await brief({ model: null })).since).toBe(one.until);
        expect((await run('brief.show', { briefing: three.id })).archivedAt).toBe(at(3 * MINUTE));
        await fails(run('brief.archive', { briefing: three.id }), 'conflict');
        const restored = await run('brief.restore', { briefing: three.id });
        expect(restored.archivedAt).toBeNull();
        await fails(run('brief.restore', { briefing: three.id }), 'conflict');
        const trail = await auditLog({ target: three.id });
        expect(trail.map((e) => [e.operation, e.changes['archivedAt']?.after ?? null])).toEqual([
          ['brief.create', null],
          ['brief.archive', at(3 * MINUTE)],
          ['brief.restore', null],
        ]);
      });

      it('refuses bad input naming the field, and stores nothing', async () => {
        const attempts: [OperationName, OperationInput, string, ErrorCode][] = [
          ['brief.create', { since: 'yesterday' }, 'since', 'invalid_input'],
          ['brief.create', { since: '2027-01-01' }, 'since', 'invalid_input'],
          ['brief.create', { project: 'NOPE' }, 'project', 'not_found'],
          ['brief.create', { agent: 'briefer', model: null }, 'model', 'invalid_input'],
          [
            'brief.list',
            { project: 'HOME', workspaceOnly: true },
            'workspaceOnly',
            'invalid_input',
          ],
          ['brief.show', { briefing: 'nope' }, 'briefing', 'invalid_input'],
          ['brief.show', { briefing: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }, 'briefing', 'not_found'],
          ['brief.show', { briefing: 'latest' }, 'briefing', 'not_found'],
          [
            'brief.show',
            { briefing: '01ARZ3NDEKTSV4RRFFQ69G5FAV', project: 'HOME' },
            'project',
            'invalid_input',
          ],
        ];
        for (const [operationName, input, field, code] of attempts) {
          const error = await fails(run(operationName, input), code);
          expect(error.details['field'], JSON.stringify(input)).toBe(field);
          expect(error.message).toMatch(new RegExp(`^${field}: `));
        }
        // A model named where none can be found is an error, not a digest.
        const named = await fails(run('brief.create', { model: 'local' }), 'unavailable');
        expect(named.message).toContain('no workspace folder');
        expect(await run('brief.list', { archived: true })).toEqual([]);
        expect(await auditLog({ operation: 'brief.create' })).toEqual([]);
      });
    });

    describe('milestones', () => {
      const addMilestone = (title: string, extra: OperationInput = {}, project = 'HOME') =>
        run('milestone.add', { project, title, ...extra });
      const listOf = async (filter: OperationInput = {}) =>
        refsOf(await run('milestone.list', filter));
      const link = (milestone: string, tasks: string[]) =>
        run('milestone.link', { milestone, tasks });

      beforeEach(async () => {
        await createProjectNamed('HOME');
      });

      it('lists overdue milestones and actions in the status, oldest first, by project', async () => {
        await createProjectNamed('WORK');
        await addMilestone('Late', { due: '2025-12-01' });
        await addMilestone('Met', { due: '2025-11-01', status: 'done' });
        await addMilestone('Ahead', { due: '2026-02-01' });
        await run('action.add', {
          project: 'HOME',
          title: 'Call',
          due: '2025-11-15',
          owner: 'ana',
        });
        await run('action.add', { project: 'WORK', title: 'Mail', due: '2025-12-31' });
        await run('action.add', {
          project: 'WORK',
          title: 'Done',
          due: '2025-10-01',
          status: 'done',
        });
        const status = await run('workspace.status', {});
        expect(status.overdue).toEqual([
          { kind: 'action', ref: 'HOME-A1', title: 'Call', dueDate: '2025-11-15', owner: 'ana' },
          { kind: 'milestone', ref: 'HOME-M1', title: 'Late', dueDate: '2025-12-01', owner: null },
          { kind: 'action', ref: 'WORK-A1', title: 'Mail', dueDate: '2025-12-31', owner: null },
        ]);
        expect(status.report).toContain('HOME-M1  Late (milestone, due 2025-12-01)');
        const work = await run('workspace.status', { project: 'WORK' });
        expect(refsOf(work.overdue)).toEqual(['WORK-A1']);
      });

      it('adds a milestone with a per-project ref and no progress yet, and audits it', async () => {
        await createProjectNamed('WORK');
        const first = await addMilestone('Backups verified', {
          description: 'every share restored once',
          owner: 'bob',
          due: '2026-03-01',
        });
        expect(first).toMatchObject({
          ref: 'HOME-M1',
          title: 'Backups verified',
          description: 'every share restored once',
          owner: 'bob',
          dueDate: '2026-03-01',
          status: 'planned',
          createdAt: START,
          archivedAt: null,
          progress: null,
          overdue: false,
          tasks: [],
        });
        expect(first.taskCounts).toMatchObject({ total: 0, done: 0, todo: 0 });
        expect((await addMilestone('Second')).ref).toBe('HOME-M2');
        expect((await addMilestone('Elsewhere', {}, 'WORK')).ref).toBe('WORK-M1');
        // Milestones count apart from tasks.
        expect((await createTask('Buy a UPS')).ref).toBe('HOME-1');
        expect(await run('milestone.show', { milestone: 'home-m1' })).toEqual(first);
        expect(await run('milestone.show', { milestone: first.id })).toEqual(first);
        const [entry] = await auditLog({ target: 'HOME-M1' });
        expect(entry).toMatchObject({
          actor: ACTOR,
          operation: 'milestone.add',
          targetKind: 'milestone',
          targetId: first.id,
          targetLabel: 'HOME-M1',
        });
      });

      it('computes progress from the linked tasks: done over live tasks, rounded down', async () => {
        for (const title of ['a', 'b', 'c', 'd', 'e', 'f']) await createTask(title);
        await addMilestone('Rack built');
        await finish('HOME-1');
        await move('HOME-2', 'in_progress');
        await move('HOME-3', 'blocked');
        const linked = await link('HOME-M1', ['HOME-1', 'home-2', 'HOME-3']);
        expect(linked.progress).toBe(33);
        expect(linked.taskCounts).toMatchObject({
          total: 3,
          done: 1,
          in_progress: 1,
          blocked: 1,
          todo: 0,
        });
        expect(linked.tasks.map((task) => [task.ref, task.status])).toEqual([
          ['HOME-1', 'done'],
          ['HOME-2', 'in_progress'],
          ['HOME-3', 'blocked'],
        ]);
        // Linking twice changes nothing and writes no audit entry.
        const again = await link('HOME-M1', ['HOME-1']);
        expect(again.taskCounts.total).toBe(3);
        await finish('HOME-2');
        expect((await run('milestone.show', { milestone: 'HOME-M1' })).progress).toBe(66);
        // A deleted task leaves the count.
        await run('task.delete', { task: 'HOME-3' });
        const shown = await run('milestone.show', { milestone: 'HOME-M1' });
        expect([shown.progress, shown.taskCounts.total, refsOf(shown.tasks)]).toEqual([
          100,
          2,
          ['HOME-1', 'HOME-2'],
        ]);
        await link('HOME-M1', ['HOME-4', 'HOME-5', 'HOME-6']);
        const [listed] = await run('milestone.list', {});
        expect([listed?.progress, listed?.taskCounts.total, listed?.taskCounts.todo]).toEqual([
          40, 5, 3,
        ]);
        const unlinked = await run('milestone.unlink', {
          milestone: 'HOME-M1',
          tasks: ['HOME-4', 'HOME-5', 'HOME-6', 'HOME-6'],
        });
        expect([unlinked.progress, refsOf(unlinked.tasks)]).toEqual([100, ['HOME-1', 'HOME-2']]);
        const changes = (await auditLog({ target: 'HOME-M1' }))
          .filter((e) => e.operation !== 'milestone.add')
          .map((e) => [e.operation, e.changes['tasks']?.after]);
        expect(changes).toEqual([
          ['milestone.link', ['HOME-1', 'HOME-2', 'HOME-3']],
          ['milestone.link', ['HOME-1', 'HOME-2', 'HOME-4', 'HOME-5', 'HOME-6']],
          ['milestone.unlink', ['HOME-1', 'HOME-2']],
        ]);
      });

      it('refuses tasks of another project, unknown tasks, and archived milestones', async () => {
        await createProjectNamed('WORK');
        await createTask('home task');
        await createTask('work task', {}, 'WORK');
        await addMilestone('m');
        const elsewhere = await fails(link('HOME-M1', ['HOME-1', 'WORK-1']), 'invalid_input');
        expect(elsewhere.details['field']).toBe('tasks');
        expect(elsewhere.message).toBe(
          'tasks: task WORK-1 belongs to another project than HOME-M1',
        );
        const missing = await fails(link('HOME-M1', ['HOME-9']), 'not_found');
        expect(missing.details).toMatchObject({ field: 'tasks', kind: 'task' });
        const empty = await fails(link('HOME-M1', []), 'invalid_input');
        expect(empty.details['field']).toBe('tasks');
        // Nothing of the refused links was stored.
        expect((await run('milestone.show', { milestone: 'HOME-M1' })).tasks).toEqual([]);
        await run('milestone.archive', { milestone: 'HOME-M1' });
        const archived = await fails(link('HOME-M1', ['HOME-1']), 'conflict');
        expect(archived.message).toContain('milestone restore HOME-M1');
      });

      it('lists by due day with undated last, filters, and flags overdue from the clock', async () => {
        await createProjectNamed('WORK');
        await addMilestone('undated'); // M1
        await addMilestone('late', { due: '2026-09-01' }); // M2
        await addMilestone('due today', { due: '2026-01-01', owner: 'bob' }); // M3
        await addMilestone('done', { due: '2026-01-01', status: 'done' }); // M4
        await addMilestone('missed', { due: '2026-01-01', status: 'missed' }); // M5
        await addMilestone('work', { due: '2026-05-01', status: 'in_progress' }, 'WORK');
        expect(await listOf()).toEqual([
          'HOME-M3',
          'HOME-M4',
          'HOME-M5',
          'WORK-M1',
          'HOME-M2',
          'HOME-M1',
        ]);
        expect(await listOf({ project: 'WORK' })).toEqual(['WORK-M1']);
        expect(await listOf({ status: ['done', 'missed'] })).toEqual(['HOME-M4', 'HOME-M5']);
        expect(await listOf({ overdue: true })).toEqual([]);
        clock.advance(DAY);
        expect(await listOf({ overdue: true })).toEqual(['HOME-M3']);
        expect((await run('milestone.show', { milestone: 'HOME-M3' })).overdue).toBe(true);
        expect((await run('milestone.show', { milestone: 'HOME-M4' })).overdue).toBe(false);
        const updated = await run('milestone.update', {
          milestone: 'HOME-M3',
          status: 'done',
          owner: null,
          title: 'Due yesterday',
        });
        expect(updated).toMatchObject({ status: 'done', owner: null, overdue: false });
        expect(await listOf({ overdue: true })).toEqual([]);
        const [change] = await auditLog({ target: 'HOME-M3', operation: 'milestone.update' });
        expect(change?.changes).toMatchObject({
          status: { before: 'planned', after: 'done' },
          owner: { before: 'bob', after: null },
        });
      });

      it('archives instead of deleting: off the list, still shown, restorable, audited', async () => {
        await createTask('t');
        await addMilestone('Keep');
        await addMilestone('Drop');
        await link('HOME-M2', ['HOME-1']);
        clock.advance(MINUTE);
        const archived = await run('milestone.archive', { milestone: 'HOME-M2' });
        expect([archived.archivedAt, refsOf(archived.tasks)]).toEqual([at(MINUTE), ['HOME-1']]);
        expect(await listOf()).toEqual(['HOME-M1']);
        expect(await listOf({ archived: true })).toEqual(['HOME-M1', 'HOME-M2']);
        await fails(run('milestone.update', { milestone: 'HOME-M2', status: 'done' }), 'conflict');
        await fails(run('milestone.archive', { milestone: 'HOME-M2' }), 'conflict');
        await fails(run('milestone.restore', { milestone: 'HOME-M1' }), 'conflict');
        expect((await addMilestone('Next')).ref).toBe('HOME-M3');
        const restored = await run('milestone.restore', { milestone: 'HOME-M2' });
        expect([restored.archivedAt, restored.progress]).toEqual([null, 0]);
        expect((await auditLog({ target: 'HOME-M2' })).map((e) => e.operation)).toEqual([
          'milestone.add',
          'milestone.link',
          'milestone.archive',
          'milestone.restore',
        ]);
      });

      it('refuses bad input naming the field, and answers unknown milestones with not_found', async () => {
        const attempts: [OperationName, OperationInput, string][] = [
          ['milestone.add', { project: 'HOME', title: ' ' }, 'title'],
          ['milestone.add', { project: 'HOME', title: 'x', due: '2026-02-30' }, 'due'],
          ['milestone.add', { project: 'HOME', title: 'x', status: 'late' }, 'status'],
          ['milestone.list', { status: ['late'] }, 'status.0'],
        ];
        for (const [operationName, input, field] of attempts) {
          const error = await fails(run(operationName, input), 'invalid_input');
          expect(error.details['field'], JSON.stringify(input)).toBe(field);
        }
        for (const operationName of [
          'milestone.show',
          'milestone.update',
          'milestone.archive',
          'milestone.restore',
        ] as const) {
          const error = await fails(run(operationName, { milestone: 'HOME-M9' }), 'not_found');
          expect(error.message).toBe(
            "milestone: no milestone 'HOME-M9'; see 'bosun milestone list'",
          );
        }
        const project = await fails(addMilestone('x', {}, 'NOPE'), 'not_found');
        expect(project.details).toMatchObject({ field: 'project', key: 'NOPE' });
        expect(await run('milestone.list', { archived: true })).toEqual([]);
      });
    });

    describe('lessons', () => {
      const addLesson = (title: string, extra: OperationInput = {}, project = 'HOME') =>
        run('lesson.add', { project, title, ...extra });
      const listOf = async (filter: OperationInput = {}) =>
        refsOf(await run('lesson.list', filter));
      const suggested = async (input: OperationInput) => refsOf(await run('lesson.suggest', input));

      beforeEach(async () => {
        await createProjectNamed('HOME');
      });

      it('adds, shows, updates and archives a lesson, auditing each write', async () => {
        const first = await addLesson('Test restores, not only backups', {
          context: 'the March restore failed',
          insight: 'a backup is only as good as its last restore test',
          tags: ['backup', 'nas', 'backup'],
        });
        expect(first).toMatchObject({
          ref: 'HOME-L1',
          tags: ['backup', 'nas'],
          helped: 0,
          notHelped: 0,
          applied: 0,
          helpfulScore: 0,
          validations: [],
          applications: [],
          archivedAt: null,
        });
        expect(await run('lesson.show', { lesson: 'home-l1' })).toEqual(first);
        clock.advance(MINUTE);
        const updated = await run('lesson.update', { lesson: 'HOME-L1', tags: ['restore'] });
        expect([updated.tags, updated.insight, updated.updatedAt]).toEqual([
          ['restore'],
          first.insight,
          at(MINUTE),
        ]);
        await run('lesson.archive', { lesson: 'HOME-L1' });
        expect(await listOf()).toEqual([]);
        expect(await listOf({ archived: true })).toEqual(['HOME-L1']);
        await fails(run('lesson.validate', { lesson: 'HOME-L1', helped: true }), 'conflict');
        await run('lesson.restore', { lesson: 'HOME-L1' });
        expect(await listOf()).toEqual(['HOME-L1']);
        expect((await auditLog({ target: 'HOME-L1' })).map((e) => e.operation)).toEqual([
          'lesson.add',
          'lesson.update',
          'lesson.archive',
          'lesson.restore',
        ]);
      });

      it('tallies validations and outcomes, and lists the most helpful first, then the newest', async () => {
        await createTask('Restore the photos share'); // HOME-1
        await addLesson('one'); // L1
        clock.advance(MINUTE);
        await addLesson('two'); // L2
        clock.advance(MINUTE);
        await addLesson('three'); // L3
        expect(await listOf()).toEqual(['HOME-L3', 'HOME-L2', 'HOME-L1']);
        await run('lesson.validate', { lesson: 'HOME-L1', helped: true, task: 'HOME-1' });
        await run('lesson.validate', { lesson: 'HOME-L1', helped: true, note: 'again' }, 'bob');
        await run('lesson.validate', { lesson: 'HOME-L3', helped: false });
        const applied = await run('lesson.apply', {
          lesson: 'HOME-L2',
          task: 'home-1',
          note: 'added a restore test',
        });
        const [application] = applied.applications;
        expect(application).toMatchObject({
          taskRef: 'HOME-1',
          note: 'added a restore test',
          by: ACTOR,
          outcome: null,
        });
        const outcome = await run('lesson.outcome', {
          lesson: 'HOME-L2',
          task: 'HOME-1',
          outcome: 'failed',
          note: 'took too long',
        });
        expect(outcome.applications[0]).toMatchObject({
          outcome: 'failed',
          outcomeNote: 'took too long',
          outcomeBy: ACTOR,
        });
        expect([outcome.applied, outcome.failed, outcome.helpfulScore]).toEqual([1, 1, -1]);
        const byId = await run('lesson.outcome', {
          lesson: application!.id.toLowerCase(),
          outcome: 'succeeded',
        });
        expect([byId.succeeded, byId.failed, byId.helpfulScore]).toEqual([1, 0, 1]);
        expect(byId.applications[0]?.outcomeNote).toBe('took too long');
        const shown = await run('lesson.show', { lesson: 'HOME-L1' });
        expect([shown.helped, shown.notHelped, shown.helpfulScore]).toEqual([2, 0, 2]);
        expect(shown.validations.map((v) => [v.helped, v.taskRef, v.by, v.note])).toEqual([
          [true, 'HOME-1', ACTOR, ''],
          [true, null, 'bob', 'again'],
        ]);
        const listed = await run('lesson.list', {});
        expect(listed.map((l) => [l.ref, l.helpfulScore])).toEqual([
          ['HOME-L1', 2],
          ['HOME-L2', 1],
          ['HOME-L3', -1],
        ]);
        const operations = (await auditLog({ target: 'HOME-L2' })).map((e) => [
          e.operation,
          Object.keys(e.changes),
        ]);
        expect(operations).toEqual([
          ['lesson.add', expect.any(Array)],
          ['lesson.apply', ['application']],
          ['lesson.outcome', ['application']],
          ['lesson.outcome', ['application']],
        ]);
      });

      it('refuses an outcome for an application that does not exist', async () => {
        await createTask('t');
        await addLesson('l');
        const never = await fails(
          run('lesson.outcome', { lesson: 'HOME-L1', task: 'HOME-1', outcome: 'mixed' }),
          'not_found',
        );
        expect(never.details['field']).toBe('task');
        const noTask = await fails(
          run('lesson.outcome', { lesson: 'HOME-L1', outcome: 'mixed' }),
          'invalid_input',
        );
        expect(noTask.details['field']).toBe('task');
        const badOutcome = await fails(
          run('lesson.outcome', { lesson: 'HOME-L1', task: 'HOME-1', outcome: 'great' }),
          'invalid_input',
        );
        expect(badOutcome.details['field']).toBe('outcome');
        const missingHelped = await fails(
          run('lesson.validate', { lesson: 'HOME-L1' }),
          'invalid_input',
        );
        expect(missingHelped.details['field']).toBe('helped');
        const badTag = await fails(addLesson('x', { tags: ['has space'] }), 'invalid_input');
        expect(badTag.details['field']).toBe('tags.0');
        expect(await listOf({ archived: true })).toEqual(['HOME-L1']);
        expect(await auditLog({ operation: 'lesson.outcome' })).toEqual([]);
      });

      it('keeps one memory item that follows the lesson: replaced, forgotten when archived, stored on restore', async () => {
        const lessonItems = async (query: string) =>
          run('memory.search', { query, kind: ['lesson'] });
        await createTask('Restore the photos share'); // HOME-1
        await addLesson('Test restores', {
          insight: 'restore one share monthly',
          tags: ['backup'],
        });
        const [created, ...none] = await lessonItems('restore');
        expect(none).toEqual([]);
        expect(created).toMatchObject({
          kind: 'lesson',
          scope: 'project',
          scopeRef: 'HOME',
          tags: ['backup'],
        });
        expect(await run('memory.get', { id: created!.id })).toMatchObject({
          text: 'Test restores\n\nrestore one share monthly',
          metadata: { lesson: 'HOME-L1' },
        });
        await run('lesson.validate', { lesson: 'HOME-L1', helped: true });
        await run('lesson.apply', { lesson: 'HOME-L1', task: 'HOME-1' });
        expect((await lessonItems('restore')).map((hit) => hit.id)).toEqual([created!.id]);
        clock.advance(MINUTE);
        await run('lesson.update', { lesson: 'HOME-L1', insight: 'restore a file weekly' });
        const [replaced] = await lessonItems('weekly');
        expect(replaced!.id).not.toBe(created!.id);
        expect(await lessonItems('monthly')).toEqual([]);
        expect(await run('memory.get', { id: created!.id })).toMatchObject({
          forgottenAt: at(MINUTE),
          forgetReason: 'superseded',
        });
        await run('lesson.archive', { lesson: 'HOME-L1' });
        expect(await lessonItems('weekly')).toEqual([]);
        expect(await suggested({ text: 'restore weekly' })).toEqual([]);
        await run('lesson.restore', { lesson: 'HOME-L1' });
        const [restored, ...again] = await lessonItems('weekly');
        expect(again).toEqual([]);
        expect(restored!.id).not.toBe(replaced!.id);
        expect(await call('lesson.reindex')).toEqual({
          lessons: 1,
          stored: 0,
          forgotten: 0,
          unchanged: 1,
        });
        // Memory's full text stems `restoring` like `restore`; the ranking by words does not.
        const found = await run('lesson.suggest', { text: 'restoring drills' });
        expect(found.map((each) => [each.ref, each.matchedBy, each.relevance])).toEqual([
          ['HOME-L1', 'memory', 0],
        ]);
      });

      it('suggests the lessons relevant to a task, in its project unless asked for all', async () => {
        await createProjectNamed('WORK');
        await addLesson('Label the cables before unracking', {
          insight: 'photos of the rack save an hour',
          tags: ['rack'],
        }); // L1
        await addLesson('Test restores, not only backups', {
          context: 'the NAS restore failed in March',
          insight: 'schedule a monthly restore test of one share',
          tags: ['backup', 'nas'],
        }); // L2
        await addLesson('Order spares early', { insight: 'disks take two weeks' }); // L3
        await addLesson('Restore drills need a runbook', { tags: ['backup'] }, 'WORK'); // WORK-L1
        await createTask('Restore the photos share from the NAS backups', {
          tags: ['backup'],
        }); // HOME-1
        const suggestions = await run('lesson.suggest', { task: 'HOME-1' });
        expect(refsOf(suggestions)[0]).toBe('HOME-L2');
        expect(suggestions[0]?.matched).toEqual(
          expect.arrayContaining(['backup', 'nas', 'restore', 'share']),
        );
        expect(refsOf(suggestions)).not.toContain('HOME-L3');
        expect(refsOf(suggestions)).not.toContain('WORK-L1');
        expect(await suggested({ task: 'HOME-1', allProjects: true })).toContain('WORK-L1');
        expect(await suggested({ task: 'HOME-1', limit: 1 })).toEqual(['HOME-L2']);
        expect(await suggested({ text: 'spare disks', project: 'HOME' })).toEqual(['HOME-L3']);
        expect(await suggested({ text: 'unracking cables' })).toEqual(['HOME-L1']);
        await run('lesson.archive', { lesson: 'HOME-L2' });
        expect(await suggested({ task: 'HOME-1' })).not.toContain('HOME-L2');
        const nothing = await fails(run('lesson.suggest', {}), 'invalid_input');
        expect(nothing.details['field']).toBe('task');
        const unknown = await fails(run('lesson.suggest', { task: 'HOME-9' }), 'not_found');
        expect(unknown.details['field']).toBe('task');
      });
    });

    describe('documents', () => {
      const MINUTES = `# Backup review

We keep the family photos on the NAS. Both disks come from the same batch.
There is a risk that both disks may fail in the same week.
We decided to copy everything offsite every Sunday.

- [ ] Order a second offsite disk
- [ ] Write the restore runbook by 2027-03-12
`;
      const addDoc = (text: string, extra: OperationInput = {}, project = 'HOME') =>
        run('doc.add', { project, text, name: 'minutes.md', ...extra });
      const listOf = async (filter: OperationInput = {}) => refsOf(await run('doc.list', filter));

      beforeEach(async () => {
        await createProjectNamed('HOME');
      });

      it('adds a text with its metadata and a per-project ref, keeps the text out of the audit log, and shows it on request', async () => {
        await createProjectNamed('WORK');
        const added = await addDoc(MINUTES, { tag: ['backup', 'backup', 'review'] });
        const bytes = new TextEncoder().encode(MINUTES);
        const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes));
        expect(added).toMatchObject({
          ref: 'HOME-D1',
          title: 'Backup review',
          description: '',
          tags: ['backup', 'review'],
          fileName: 'minutes.md',
          mediaType: 'text/markdown',
          bytes: bytes.length,
          sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join(''),
          pages: null,
          characters: MINUTES.length,
          words: MINUTES.split(/\s+/).filter(Boolean).length,
          truncated: false,
          addedBy: ACTOR,
          createdAt: START,
          archivedAt: null,
        });
        expect(
          await addDoc('plain words here', { name: 'notes.txt', title: 'Notes' }),
        ).toMatchObject({ ref: 'HOME-D2', title: 'Notes', mediaType: 'text/plain' });
        expect((await addDoc(MINUTES, {}, 'WORK')).ref).toBe('WORK-D1');
        // Refs of documents count apart from risks.
        expect(
          (await run('risk.add', { project: 'HOME', title: 'x', likelihood: 1, impact: 1 })).ref,
        ).toBe('HOME-R1');

        const shown = await run('doc.show', { doc: 'home-d1' });
        expect(shown.doc).toEqual(added);
        expect(shown.analysis).toBeNull();
        expect(shown.text).toBeUndefined();
        expect(shown.report).toContain("No analysis yet: 'bosun doc analyze HOME-D1'.");
        const withText = await run('doc.show', { doc: added.id, text: true });
        expect(withText.text).toBe(MINUTES);

        const [entry] = await auditLog({ target: 'HOME-D1' });
        expect(entry).toMatchObject({
          operation: 'doc.add',
          targetKind: 'doc',
          targetLabel: 'HOME-D1',
        });
        expect(entry?.changes['sha256']).toEqual({ before: null, after: added.sha256 });
        expect(JSON.stringify(entry)).not.toContain('family photos');
      });

      it('refuses the same content twice in a project, naming the document, unless forced', async () => {
        await addDoc(MINUTES);
        const error = await fails(addDoc(MINUTES, { name: 'copy.md' }), 'conflict');
        expect(error.message).toBe(
          'text: the same content is already HOME-D1 ("Backup review"); pass force (--force) to add it again',
        );
        expect(error.details['field']).toBe('text');
        await run('doc.archive', { doc: 'HOME-D1' });
        expect((await fails(addDoc(MINUTES), 'conflict')).message).toContain(
          'HOME-D1 ("Backup review", archived)',
        );
        expect((await addDoc(MINUTES, { force: true })).ref).toBe('HOME-D2');
      });

      it('cuts a text longer than the limit and says so', async () => {
        const long = `${'word '.repeat(200_001)}`;
        const added = await addDoc(long, { name: 'long.txt' });
        expect(added).toMatchObject({ characters: long.length, words: 200_001, truncated: true });
        const shown = await run('doc.show', { doc: 'HOME-D1', text: true });
        expect(shown.text).toHaveLength(1_000_000);
      });

      it('updates title, description and tags, lists newest first by project and tag, archives and restores', async () => {
        await createProjectNamed('WORK');
        await addDoc('first', { name: 'a.txt', tag: ['plan'] }); // HOME-D1
        clock.advance(MINUTE);
        await addDoc('second', { name: 'b.txt' }); // HOME-D2
        clock.advance(MINUTE);
        await addDoc('third', { name: 'c.txt', tag: ['plan', 'nas'] }, 'WORK'); // WORK-D1
        expect(await listOf()).toEqual(['WORK-D1', 'HOME-D2', 'HOME-D1']);
        expect(await listOf({ project: 'HOME' })).toEqual(['HOME-D2', 'HOME-D1']);
        expect(await listOf({ tag: ['plan'] })).toEqual(['WORK-D1', 'HOME-D1']);
        expect(await listOf({ tag: ['plan', 'nas'] })).toEqual(['WORK-D1']);

        const updated = await run('doc.update', {
          doc: 'HOME-D2',
          title: 'Second thoughts',
          description: 'what we said after',
          tag: ['nas'],
        });
        expect(updated).toMatchObject({
          title: 'Second thoughts',
          tags: ['nas'],
          updatedAt: at(2 * MINUTE),
        });
        const [update] = await auditLog({ target: 'HOME-D2', operation: 'doc.update' });
        expect(update?.changes).toMatchObject({
          title: { before: 'b.txt', after: 'Second thoughts' },
          tags: { before: [], after: ['nas'] },
        });
        expect((await run('doc.update', { doc: 'HOME-D2', tag: null })).tags).toEqual([]);

        await run('doc.archive', { doc: 'HOME-D2' });
        expect(await listOf({ project: 'HOME' })).toEqual(['HOME-D1']);
        expect(await listOf({ project: 'HOME', archived: true })).toEqual(['HOME-D2', 'HOME-D1']);
        const refused = await fails(run('doc.update', { doc: 'HOME-D2', title: 'x' }), 'conflict');
        expect(refused.message).toContain("'bosun doc restore HOME-D2'");
        await fails(run('doc.analyze', { doc: 'HOME-D2' }), 'conflict');
        await fails(run('doc.archive', { doc: 'HOME-D2' }), 'conflict');
        expect((await run('doc.show', { doc: 'HOME-D2' })).doc.archivedAt).not.toBeNull();
        await run('doc.restore', { doc: 'HOME-D2' });
        expect(await listOf({ project: 'HOME' })).toEqual(['HOME-D2', 'HOME-D1']);
      });

      it('stores an extractive analysis when no model can answer, numbered per document and audited', async () => {
        await addDoc(MINUTES);
        const first = await run('doc.analyze', { doc: 'HOME-D1' });
        expect(first.analysis).toMatchObject({
          seq: 1,
          method: 'extractive',
          agent: null,
          model: null,
          applied: [],
          createdBy: ACTOR,
        });
        expect(first.analysis.note).toMatch(
          /^no model configured \(this store has no workspace folder, bosun\.yaml\); extractive analysis: /,
        );
        expect(first.analysis.result.risks.map((r) => r.title)).toEqual([
          'There is a risk that both disks may fail in the same week.',
        ]);
        expect(first.analysis.result.actions).toEqual([
          { title: 'Order a second offsite disk', owner: null, due: null },
          { title: 'Write the restore runbook by 2027-03-12', owner: null, due: '2027-03-12' },
        ]);
        expect(first.analysis.result.decisions).toEqual([
          'We decided to copy everything offsite every Sunday.',
        ]);
        expect(first.analysis.result.deadlines).toEqual([
          { what: 'Write the restore runbook by 2027-03-12', date: '2027-03-12' },
        ]);
        expect(first.apply).toBe('bosun doc apply HOME-D1 --analysis 1 --all');
        expect(first.report).toContain('  R1  L3 × I3  There is a risk');

        clock.advance(MINUTE);
        const second = await run('doc.analyze', { doc: 'HOME-D1', model: null });
        expect(second.analysis.seq).toBe(2);
        expect(second.analysis.note).toMatch(/^no model asked \(--no-model\); extractive/);
        expect((await run('doc.analyses', { doc: 'HOME-D1' })).map((a) => a.seq)).toEqual([2, 1]);
        const shown = await run('doc.show', { doc: 'HOME-D1', history: true });
        expect(shown.analysis?.id).toBe(second.analysis.id);
        expect(shown.analyses?.map((a) => a.seq)).toEqual([2, 1]);
        expect(await auditLog({ target: 'HOME-D1', operation: 'doc.analyze' })).toHaveLength(2);

        // A named agent or model must answer: here nothing can.
        await fails(run('doc.analyze', { doc: 'HOME-D1', agent: 'analyst' }), 'unavailable');
        const both = await fails(
          run('doc.analyze', { doc: 'HOME-D1', agent: 'analyst', model: null }),
          'invalid_input',
        );
        expect(both.details['field']).toBe('model');
        expect(await run('doc.analyses', { doc: 'HOME-D1' })).toHaveLength(2);
      });

      it('applies proposals as risks and actions of the project, each once, in one transaction', async () => {
        await addDoc(MINUTES);
        await run('doc.analyze', { doc: 'HOME-D1' });
        const some = await run('doc.apply', { doc: 'HOME-D1', risk: [1], action: [2] });
        expect(some.applied).toEqual([
          { proposal: 'R1', ref: 'HOME-R1' },
          { proposal: 'A2', ref: 'HOME-A1' },
        ]);
        expect(some.risks[0]).toMatchObject({ likelihood: 3, impact: 3, score: 9 });
        expect(some.risks[0]?.description).toContain('From HOME-D1 ("Backup review"), analysis 1.');
        expect(some.actions[0]).toMatchObject({
          title: 'Write the restore runbook by 2027-03-12',
          dueDate: '2027-03-12',
          source: 'document',
          sourceRef: 'HOME-D1',
        });
        const twice = await fails(run('doc.apply', { doc: 'HOME-D1', action: [1, 2] }), 'conflict');
        expect(twice.message).toBe(
          'action: proposal A2 of analysis 1 was already applied as HOME-A1',
        );
        // Nothing of the refused apply was stored: A1 was not created.
        expect(refsOf(await run('action.list', {}))).toEqual(['HOME-A1']);
        const beyond = await fails(
          run('doc.apply', { doc: 'HOME-D1', risk: [1, 4] }),
          'invalid_input',
        );
        expect(beyond.message).toBe('risk: analysis 1 of HOME-D1 proposes R1–R1; there is no R4');

        const rest = await run('doc.apply', { doc: 'HOME-D1', analysis: '1', all: true });
        expect(rest.applied).toEqual([{ proposal: 'A1', ref: 'HOME-A2' }]);
        await fails(run('doc.apply', { doc: 'HOME-D1', all: true }), 'conflict');
        const analysis = (await run('doc.show', { doc: 'HOME-D1' })).analysis;
        expect(analysis?.applied.map((each) => each.proposal)).toEqual(['R1', 'A2', 'A1']);
        expect(await auditLog({ target: 'HOME-D1', operation: 'doc.apply' })).toHaveLength(2);
        expect(await auditLog({ target: 'HOME-R1' })).toHaveLength(1);

        await fails(run('doc.apply', { doc: 'HOME-D1', analysis: '7', all: true }), 'not_found');
        const none = await fails(run('doc.apply', { doc: 'HOME-D1' }), 'invalid_input');
        expect(none.details['field']).toBe('risk');
        const mixed = await fails(
          run('doc.apply', { doc: 'HOME-D1', all: true, risk: [1] }),
          'invalid_input',
        );
        expect(mixed.details['field']).toBe('all');
      });

      it('refuses bad input naming the field, and stores nothing', async () => {
        const attempts: [OperationInput, string, ErrorCode][] = [
          [{ project: 'HOME' }, 'file', 'invalid_input'],
          [{ project: 'HOME', text: 'x', name: 'x.md', file: 'x.md' }, 'file', 'invalid_input'],
          [{ project: 'HOME', text: 'some text' }, 'name', 'invalid_input'],
          [{ project: 'HOME', text: 'x', name: 'scan.pdf' }, 'name', 'invalid_input'],
          [{ project: 'HOME', text: ' \n\t', name: 'blank.md' }, 'text', 'invalid_input'],
          [{ project: 'HOME', text: 'x', name: 'x.md', title: ' ' }, 'title', 'invalid_input'],
          [{ project: 'HOME', text: 'x', name: 'x.md', tag: ['a b'] }, 'tag.0', 'invalid_input'],
          // This entry point reads no files: API and MCP callers pass text and name.
          [{ project: 'HOME', file: 'notes.md' }, 'file', 'unavailable'],
          [{ project: 'NOPE', text: 'x', name: 'x.md' }, 'project', 'not_found'],
        ];
        for (const [input, field, code] of attempts) {
          const error = await fails(run('doc.add', input), code);
          expect(error.details['field'], JSON.stringify(input)).toBe(field);
          expect(error.message).toMatch(new RegExp(`^${field.replace('.', '\\.')}: `));
        }
        const missing = await fails(run('doc.show', { doc: 'HOME-D9' }), 'not_found');
        expect(missing.message).toBe("doc: no doc 'HOME-D9'; see 'bosun doc list'");
        expect(await run('doc.list', { archived: true })).toEqual([]);
        expect(await auditLog({ operation: 'doc.add' })).toEqual([]);
      });
    });

    describe('budget lines', () => {
      const addLine = (
        category: string,
        planned: string,
        extra: OperationInput = {},
        project = 'HOME',
      ) => run('budget.add', { project, category, planned, ...extra });
      const book = (line: string, amount: string, extra: OperationInput = {}) =>
        run('transaction.add', { line, amount, ...extra });
      const budgetEvents = () =>
        store.transaction('read', (repos) =>
          repos.events.list({
            after: 0,
            kinds: ['budget-alert', 'budget-alert-cleared'],
            limit: 1000,
          }),
        );

      beforeEach(async () => {
        await createProjectNamed('HOME');
      });

      it('adds a line with a per-project ref, planned in minor units of the project currency, audited', async () => {
        await createProjectNamed('WORK', { budgetAmount: 5000, budgetCurrency: 'JPY' });
        const first = await addLine('Hardware', '1200.5', { owner: 'bob', description: 'disks' });
        expect(first).toEqual({
          id: first.id,
          projectId: first.projectId,
          ref: 'HOME-B1',
          category: 'Hardware',
          description: 'disks',
          plannedMinor: 120050,
          alertPercent: null,
          owner: 'bob',
          alertState: 'ok',
          alertedAt: null,
          createdAt: START,
          updatedAt: START,
          archivedAt: null,
          currency: 'USD',
          planned: '1200.50',
          actualMinor: 0,
          actual: '0.00',
          varianceMinor: -120050,
          variance: '-1200.50',
          variancePercent: '-100.0',
          thresholdPercent: 10,
          over: false,
        });
        expect((await addLine('Hosting', '300', { alertPercent: 5 })).ref).toBe('HOME-B2');
        const yen = await addLine('Rent', '1500', {}, 'WORK');
        expect([yen.ref, yen.plannedMinor, yen.planned, yen.currency]).toEqual([
          'WORK-B1',
          1500,
          '1500',
          'JPY',
        ]);
        // Lines count apart from risks and tasks.
        expect(
          (await run('risk.add', { project: 'HOME', title: 'r', likelihood: 1, impact: 1 })).ref,
        ).toBe('HOME-R1');
        expect(await run('budget.show', { line: 'home-b1' })).toEqual(first);
        expect(await run('budget.show', { line: first.id })).toEqual(first);
        const [entry] = await auditLog({ target: 'HOME-B1' });
        expect(entry).toMatchObject({
          operation: 'budget.add',
          targetKind: 'budget',
          targetLabel: 'HOME-B1',
        });
        expect(entry?.changes['plannedMinor']).toEqual({ before: null, after: 120050 });
      });

      it('refuses bad amounts, thresholds and categories naming the field, storing nothing', async () => {
        await createProjectNamed('YEN', { budgetAmount: 1, budgetCurrency: 'JPY' });
        const cases: [OperationInput, string, string][] = [
          [
            { project: 'HOME', category: 'A', planned: '10.005' },
            'planned',
            'must have at most 2 decimals in USD',
          ],
          [
            { project: 'YEN', category: 'A', planned: '10.5' },
            'planned',
            'must have no decimals in JPY',
          ],
          [{ project: 'HOME', category: 'A', planned: '-1' }, 'planned', 'must not be negative'],
          [
            { project: 'HOME', category: 'A', planned: '1,200.00' },
            'planned',
            'must be a decimal amount such as 1200.50 or -30 (no separators)',
          ],
          [
            { project: 'HOME', category: 'A', planned: '100000000000.01' },
            'planned',
            'must be at most 100000000000.00 in absolute value',
          ],
          [{ project: 'HOME', category: ' ', planned: '1' }, 'category', 'must not be empty'],
          [
            { project: 'HOME', category: 'A', planned: '1', alertPercent: 1001 },
            'alertPercent',
            'must be a whole number of percent from 0 to 1000',
          ],
          [
            { project: 'HOME', category: 'A', planned: '1', alertPercent: 2.5 },
            'alertPercent',
            'must be a whole number of percent from 0 to 1000',
          ],
        ];
        for (const [input, field, rule] of cases) {
          const error = await fails(run('budget.add', input), 'invalid_input');
          expect(error.details, JSON.stringify(input)).toMatchObject({ field, rule });
        }
        const missing = await fails(
          run('budget.add', { project: 'NOPE', category: 'A', planned: '1' }),
          'not_found',
        );
        expect(missing.details['field']).toBe('project');
        expect(await run('budget.list', { archived: true })).toEqual([]);
        expect((await addLine('First', '1')).ref).toBe('HOME-B1');
      });

      it('updates fields, clears the threshold and owner with null, and audits before and after', async () => {
        await addLine('Hardware', '1000', { owner: 'bob', alertPercent: 20 });
        clock.advance(MINUTE);
        const updated = await run('budget.update', {
          line: 'HOME-B1',
          category: 'Hardware and cables',
          planned: '1250.25',
          alertPercent: null,
          owner: null,
        });
        expect(updated).toMatchObject({
          category: 'Hardware and cables',
          plannedMinor: 125025,
          planned: '1250.25',
          alertPercent: null,
          thresholdPercent: 10,
          owner: null,
          updatedAt: at(MINUTE),
        });
        const [entry] = await auditLog({ target: 'HOME-B1', operation: 'budget.update' });
        expect(entry?.changes).toMatchObject({
          plannedMinor: { before: 100000, after: 125025 },
          alertPercent: { before: 20, after: null },
          owner: { before: 'bob', after: null },
        });
        const refused = await fails(
          run('budget.update', { line: 'HOME-B1', planned: '1.001' }),
          'invalid_input',
        );
        expect(refused.details['field']).toBe('planned');
        expect((await run('budget.show', { line: 'HOME-B1' })).plannedMinor).toBe(125025);
        await fails(run('budget.update', { line: 'HOME-B9', planned: '1' }), 'not_found');
      });

      it('archives instead of deleting: out of the budget and its report, still shown, restorable', async () => {
        await addLine('Keep', '100');
        await addLine('Drop', '50');
        await book('HOME-B2', '20');
        clock.advance(MINUTE);
        const archived = await run('budget.archive', { line: 'HOME-B2' });
        expect(archived).toMatchObject({ archivedAt: at(MINUTE), actualMinor: 2000 });
        expect(refsOf(await run('budget.list', { project: 'HOME' }))).toEqual(['HOME-B1']);
        expect(refsOf(await run('budget.list', { archived: true }))).toEqual([
          'HOME-B1',
          'HOME-B2',
        ]);
        const report = await run('budget.report', { project: 'HOME' });
        expect([
          refsOf(report.lines),
          report.totals.plannedMinor,
          report.totals.actualMinor,
        ]).toEqual([['HOME-B1'], 10000, 0]);
        const refused = await fails(book('HOME-B2', '1'), 'conflict');
        expect(refused.details).toMatchObject({ field: 'line', kind: 'budget' });
        expect(refused.message).toContain('budget restore HOME-B2');
        await fails(run('budget.archive', { line: 'HOME-B2' }), 'conflict');
        await fails(run('budget.restore', { line: 'HOME-B1' }), 'conflict');
        const restored = await run('budget.restore', { line: 'HOME-B2' });
        expect(restored.archivedAt).toBeNull();
        expect((await run('budget.report', { project: 'HOME' })).totals.actualMinor).toBe(2000);
        expect((await auditLog({ target: 'HOME-B2' })).map((e) => e.operation)).toEqual([
          'budget.add',
          'budget.archive',
          'budget.restore',
        ]);
      });

      it('keeps the project currency once it has budget lines: a conflict naming budgetCurrency', async () => {
        const euro = await run('project.update', { project: 'HOME', budgetCurrency: 'EUR' });
        expect(euro.budgetCurrency).toBe('EUR');
        expect((await addLine('Travel', '99.99')).currency).toBe('EUR');
        for (const change of [{ budgetCurrency: 'GBP' }, { budgetCurrency: null }]) {
          const error = await fails(
            run('project.update', { project: 'HOME', ...change }),
            'conflict',
          );
          expect(error.details).toMatchObject({ field: 'budgetCurrency', currency: 'EUR' });
        }
        // The same currency again, or other fields, change nothing of the budget.
        await run('project.update', { project: 'HOME', budgetCurrency: 'EUR', budgetAmount: 10 });
        await run('budget.archive', { line: 'HOME-B1' });
        await fails(run('project.update', { project: 'HOME', budgetCurrency: 'USD' }), 'conflict');
        expect((await run('project.show', { project: 'HOME' })).project.budgetCurrency).toBe('EUR');
      });

      it('reports actuals, variance, burn and projection with exact integer arithmetic', async () => {
        // Today is 2026-01-01: ten days since the start (both counted), thirty to the due date.
        await run('project.update', {
          project: 'HOME',
          startDate: '2025-12-23',
          dueDate: '2026-01-31',
        });
        await addLine('Hardware', '1000');
        await addLine('Hosting', '300', { alertPercent: 5 });
        await addLine('Misc', '0');
        await book('HOME-B1', '600', { date: '2025-12-28' });
        await book('HOME-B1', '510.00', { date: '2025-12-30' });
        await book('HOME-B2', '320', { date: '2025-12-31' });
        await book('HOME-B2', '-10', { date: '2026-01-01', note: 'refund' });
        await book('HOME-B3', '0.01');
        const report = await run('budget.report', { project: 'HOME' });
        expect(
          report.lines.map((l) => [
            l.ref,
            l.actualMinor,
            l.varianceMinor,
            l.variancePercent,
            l.over,
          ]),
        ).toEqual([
          ['HOME-B1', 111000, 11000, '11.0', true],
          ['HOME-B2', 31000, 1000, '3.3', false],
          ['HOME-B3', 1, 1, null, true],
        ]);
        expect(report).toMatchObject({
          project: 'HOME',
          currency: 'USD',
          asOf: '2026-01-01',
          totals: {
            plannedMinor: 130000,
            planned: '1300.00',
            actualMinor: 142001,
            actual: '1420.01',
            varianceMinor: 12001,
            variance: '120.01',
            variancePercent: '9.2',
          },
          burn: { since: '2025-12-23', elapsedDays: 10, perDayMinor: 14200, perDay: '142.00' },
          projection: {
            until: '2026-01-31',
            remainingDays: 30,
            projectedMinor: 568004,
            projected: '5680.04',
            overrunMinor: 438004,
            overrun: '4380.04',
          },
          alerts: ['HOME-B1', 'HOME-B3'],
        });
        const sooner = await run('budget.report', { project: 'HOME', until: '2026-01-11' });
        expect(sooner.projection).toEqual({
          until: '2026-01-11',
          remainingDays: 10,
          projectedMinor: 284002,
          projected: '2840.02',
          overrunMinor: 154002,
          overrun: '1540.02',
        });
        // An archived transaction no longer counts.
        await run('transaction.archive', { transaction: 'HOME-T1' });
        const after = await run('budget.report', { project: 'HOME' });
        expect([after.totals.actualMinor, after.lines[0]?.over, after.alerts]).toEqual([
          82001,
          false,
          ['HOME-B3'],
        ]);
        // Without a start date the burn counts from the first transaction.
        await run('project.update', { project: 'HOME', startDate: null, dueDate: null });
        const noStart = await run('budget.report', { project: 'HOME' });
        expect(noStart.burn).toEqual({
          since: '2025-12-30',
          elapsedDays: 3,
          perDayMinor: 27333,
          perDay: '273.33',
        });
        expect(noStart.projection).toEqual({
          until: null,
          remainingDays: null,
          projectedMinor: null,
          projected: null,
          overrunMinor: null,
          overrun: null,
        });
        // An empty budget reports zeros and no burn.
        await createProjectNamed('WORK');
        const empty = await run('budget.report', { project: 'WORK' });
        expect([
          empty.lines,
          empty.totals.actualMinor,
          empty.totals.variancePercent,
          empty.burn.perDayMinor,
        ]).toEqual([[], 0, null, null]);
      });

      it('fires one alert when a line crosses its threshold, not on every write, and clears it', async () => {
        await addLine('Hardware', '100');
        await book('HOME-B1', '50');
        await book('HOME-B1', '60'); // 110.00: at the threshold, not over it
        expect(await budgetEvents()).toEqual([]);
        clock.advance(MINUTE);
        await book('HOME-B1', '0.01'); // over
        await book('HOME-B1', '5');
        await run('budget.update', { line: 'HOME-B1', description: 'still over' });
        const fired = await budgetEvents();
        expect(fired).toHaveLength(1);
        expect(fired[0]).toMatchObject({
          at: at(MINUTE),
          runId: null,
          stepId: null,
          kind: 'budget-alert',
          data: {
            project: 'HOME',
            line: 'HOME-B1',
            category: 'Hardware',
            currency: 'USD',
            plannedMinor: 10000,
            planned: '100.00',
            actualMinor: 11001,
            actual: '110.01',
            thresholdPercent: 10,
          },
        });
        expect(await run('budget.show', { line: 'HOME-B1' })).toMatchObject({
          alertState: 'over',
          alertedAt: at(MINUTE),
          over: true,
        });
        // The line's alert state is a write of its own, audited under the write that moved it.
        const stateChange = (
          await auditLog({ target: 'HOME-B1', operation: 'transaction.add' })
        )[0];
        expect(stateChange?.changes['alertState']).toEqual({ before: 'ok', after: 'over' });
        // A larger plan takes it back under: cleared once.
        await run('budget.update', { line: 'HOME-B1', planned: '200' });
        await run('budget.update', { line: 'HOME-B1', planned: '190' });
        // A tighter threshold takes it over again: a second alert.
        await run('budget.update', { line: 'HOME-B1', alertPercent: 0, planned: '110' });
        // Archiving a transaction takes it under; restoring it takes it over.
        await run('transaction.archive', { transaction: 'HOME-T1' });
        await run('transaction.restore', { transaction: 'HOME-T1' });
        expect(
          (await budgetEvents()).map((e) => [
            e.kind,
            e.data['actualMinor'],
            e.data['plannedMinor'],
            e.data['thresholdPercent'],
          ]),
        ).toEqual([
          ['budget-alert', 11001, 10000, 10],
          ['budget-alert-cleared', 11501, 20000, 10],
          ['budget-alert', 11501, 11000, 0],
          ['budget-alert-cleared', 6501, 11000, 0],
          ['budget-alert', 11501, 11000, 0],
        ]);
      });

      it('fires one alert for concurrent writers crossing the threshold together', async () => {
        await addLine('Hardware', '100');
        const added = await Promise.all(Array.from({ length: 6 }, () => book('HOME-B1', '30')));
        expect(refsOf(added).sort()).toEqual([
          'HOME-T1',
          'HOME-T2',
          'HOME-T3',
          'HOME-T4',
          'HOME-T5',
          'HOME-T6',
        ]);
        expect((await budgetEvents()).map((e) => e.kind)).toEqual(['budget-alert']);
        expect((await run('budget.show', { line: 'HOME-B1' })).actualMinor).toBe(18000);
      });

      it('shows the budget in project show and the lines over threshold in status', async () => {
        await createProjectNamed('WORK');
        await addLine('Hardware', '100');
        await addLine('Hosting', '50', { alertPercent: 50 });
        await addLine('Travel', '10', {}, 'WORK');
        await book('HOME-B1', '125.50');
        await book('HOME-B2', '60');
        await book('WORK-B1', '12');
        const { budget } = await run('project.show', { project: 'HOME' });
        expect(budget).toEqual({
          currency: 'USD',
          plannedMinor: 15000,
          planned: '150.00',
          actualMinor: 18550,
          actual: '185.50',
          varianceMinor: 3550,
          variance: '35.50',
          variancePercent: '23.7',
          lines: 2,
          alerts: [
            {
              ref: 'HOME-B1',
              category: 'Hardware',
              plannedMinor: 10000,
              actualMinor: 12550,
              variancePercent: '25.5',
              thresholdPercent: 10,
            },
          ],
        });
        const status = await run('workspace.status', {});
        expect(status.budgetAlerts).toEqual([
          {
            project: 'HOME',
            ref: 'HOME-B1',
            category: 'Hardware',
            currency: 'USD',
            planned: '100.00',
            actual: '125.50',
            variancePercent: '25.5',
            thresholdPercent: 10,
          },
          {
            project: 'WORK',
            ref: 'WORK-B1',
            category: 'Travel',
            currency: 'USD',
            planned: '10.00',
            actual: '12.00',
            variancePercent: '20.0',
            thresholdPercent: 10,
          },
        ]);
        expect(status.report).toContain('Budget lines over their threshold');
        expect(status.report).toContain(
          'HOME-B1  Hardware: 125.50 of 100.00 USD (+25.5%), threshold 10%',
        );
        const home = await run('workspace.status', { project: 'HOME' });
        expect(refsOf(home.budgetAlerts)).toEqual(['HOME-B1']);
      });
    });

    describe('transactions', () => {
      const addLine = (category: string, planned: string, project = 'HOME') =>
        run('budget.add', { project, category, planned });
      const book = (line: string, amount: string, extra: OperationInput = {}) =>
        run('transaction.add', { line, amount, ...extra });

      beforeEach(async () => {
        await createProjectNamed('HOME');
        await addLine('Hardware', '1000');
        await addLine('Hosting', '300');
      });

      it('books a transaction on a line, dated today unless told, with its ref, and audits it', async () => {
        const first = await book('home-b1', '349.99', {
          vendor: 'Disk shop',
          note: 'two disks',
          source: 'invoice',
        });
        expect(first).toEqual({
          id: first.id,
          projectId: first.projectId,
          ref: 'HOME-T1',
          lineId: (await run('budget.show', { line: 'HOME-B1' })).id,
          line: 'HOME-B1',
          date: '2026-01-01',
          amountMinor: 34999,
          amount: '349.99',
          currency: 'USD',
          vendor: 'Disk shop',
          note: 'two disks',
          source: 'invoice',
          createdAt: START,
          updatedAt: START,
          archivedAt: null,
        });
        const refund = await book('HOME-B1', '-40', { date: '2025-12-20' });
        expect([
          refund.ref,
          refund.amountMinor,
          refund.amount,
          refund.source,
          refund.vendor,
        ]).toEqual(['HOME-T2', -4000, '-40.00', 'manual', '']);
        expect(await run('transaction.show', { transaction: 'home-t1' })).toEqual(first);
        expect(await run('transaction.show', { transaction: first.id })).toEqual(first);
        expect((await run('budget.show', { line: 'HOME-B1' })).actualMinor).toBe(30999);
        const [entry] = await auditLog({ target: 'HOME-T1' });
        expect(entry).toMatchObject({
          operation: 'transaction.add',
          targetKind: 'transaction',
          targetLabel: 'HOME-T1',
        });
        expect(entry?.changes['amountMinor']).toEqual({ before: null, after: 34999 });
      });

      it('refuses bad amounts, days and lines naming the field, storing nothing', async () => {
        const cases: [OperationInput, string, string][] = [
          [{ line: 'HOME-B1', amount: '0' }, 'amount', 'must not be zero'],
          [{ line: 'HOME-B1', amount: '-0.00' }, 'amount', 'must not be zero'],
          [{ line: 'HOME-B1', amount: '1.999' }, 'amount', 'must have at most 2 decimals in USD'],
          [
            { line: 'HOME-B1', amount: '12e3' },
            'amount',
            'must be a decimal amount such as 1200.50 or -30 (no separators)',
          ],
          [
            { line: 'HOME-B1', amount: '5', date: '2026-02-30' },
            'date',
            'must be a real calendar date',
          ],
          [{ line: 'HOME-B1', amount: '5', source: 'bank' }, 'source', ''],
        ];
        for (const [input, field, rule] of cases) {
          const error = await fails(run('transaction.add', input), 'invalid_input');
          expect(error.details['field'], JSON.stringify(input)).toBe(field);
          if (rule) expect(error.details['rule']).toBe(rule);
        }
        const missing = await fails(book('HOME-B9', '5'), 'not_found');
        expect(missing.details).toMatchObject({ field: 'line', kind: 'budget' });
        expect(missing.message).toBe("line: no budget 'HOME-B9'; see 'bosun budget list'");
        const amountless = await fails(
          run('transaction.add', { line: 'HOME-B1' }),
          'invalid_input',
        );
        expect(amountless.details['field']).toBe('amount');
        expect(await run('transaction.list', { archived: true })).toEqual([]);
        expect((await book('HOME-B1', '1')).ref).toBe('HOME-T1');
      });

      it('updates amount, day, vendor and line within the project; another project’s line is refused', async () => {
        await createProjectNamed('WORK');
        await addLine('Travel', '10', 'WORK');
        await book('HOME-B1', '100');
        clock.advance(MINUTE);
        const moved = await run('transaction.update', {
          transaction: 'HOME-T1',
          amount: '120.5',
          date: '2025-12-31',
          vendor: 'Shop',
          line: 'HOME-B2',
        });
        expect(moved).toMatchObject({
          line: 'HOME-B2',
          amountMinor: 12050,
          date: '2025-12-31',
          vendor: 'Shop',
          updatedAt: at(MINUTE),
        });
        const lines = await run('budget.list', { project: 'HOME' });
        expect(lines.map((l) => [l.ref, l.actualMinor])).toEqual([
          ['HOME-B1', 0],
          ['HOME-B2', 12050],
        ]);
        const elsewhere = await fails(
          run('transaction.update', { transaction: 'HOME-T1', line: 'WORK-B1' }),
          'invalid_input',
        );
        expect(elsewhere.details).toMatchObject({ field: 'line' });
        expect(elsewhere.message).toBe('line: budget line WORK-B1 belongs to another project');
        const badAmount = await fails(
          run('transaction.update', { transaction: 'HOME-T1', amount: '0' }),
          'invalid_input',
        );
        expect(badAmount.details['field']).toBe('amount');
        expect((await run('transaction.show', { transaction: 'HOME-T1' })).line).toBe('HOME-B2');
        const [entry] = await auditLog({ target: 'HOME-T1', operation: 'transaction.update' });
        expect(entry?.changes).toMatchObject({
          amountMinor: { before: 10000, after: 12050 },
          date: { before: '2026-01-01', after: '2025-12-31' },
        });
      });

      it('lists by day, then as booked, filtered by project, line and days', async () => {
        await createProjectNamed('WORK');
        await addLine('Travel', '10', 'WORK');
        await book('HOME-B1', '1', { date: '2026-01-01' }); // T1
        await book('HOME-B2', '2', { date: '2025-12-01' }); // T2
        await book('HOME-B1', '3', { date: '2025-12-15' }); // T3
        await book('HOME-B1', '4', { date: '2025-12-15' }); // T4
        await book('WORK-B1', '5', { date: '2025-11-30' }); // WORK-T1
        const list = async (filter: OperationInput = {}) =>
          refsOf(await run('transaction.list', filter));
        expect(await list()).toEqual(['WORK-T1', 'HOME-T2', 'HOME-T3', 'HOME-T4', 'HOME-T1']);
        expect(await list({ project: 'HOME' })).toEqual([
          'HOME-T2',
          'HOME-T3',
          'HOME-T4',
          'HOME-T1',
        ]);
        expect(await list({ line: 'HOME-B1' })).toEqual(['HOME-T3', 'HOME-T4', 'HOME-T1']);
        expect(await list({ from: '2025-12-15', to: '2025-12-31' })).toEqual([
          'HOME-T3',
          'HOME-T4',
        ]);
        await fails(run('transaction.list', { line: 'HOME-B7' }), 'not_found');
      });

      it('archives instead of deleting: out of the actuals, still shown, restorable, audited', async () => {
        await book('HOME-B1', '10');
        await book('HOME-B1', '20');
        clock.advance(MINUTE);
        const archived = await run('transaction.archive', { transaction: 'HOME-T2' });
        expect(archived.archivedAt).toBe(at(MINUTE));
        expect(refsOf(await run('transaction.list', {}))).toEqual(['HOME-T1']);
        expect(refsOf(await run('transaction.list', { archived: true }))).toEqual([
          'HOME-T1',
          'HOME-T2',
        ]);
        expect((await run('budget.show', { line: 'HOME-B1' })).actualMinor).toBe(1000);
        expect(await run('transaction.show', { transaction: 'HOME-T2' })).toEqual(archived);
        const refused = await fails(
          run('transaction.update', { transaction: 'HOME-T2', amount: '5' }),
          'conflict',
        );
        expect(refused.message).toContain('transaction restore HOME-T2');
        await fails(run('transaction.archive', { transaction: 'HOME-T2' }), 'conflict');
        await fails(run('transaction.restore', { transaction: 'HOME-T1' }), 'conflict');
        expect((await book('HOME-B1', '1')).ref).toBe('HOME-T3');
        await run('transaction.restore', { transaction: 'HOME-T2' });
        expect((await run('budget.show', { line: 'HOME-B1' })).actualMinor).toBe(3100);
        expect((await auditLog({ target: 'HOME-T2' })).map((e) => e.operation)).toEqual([
          'transaction.add',
          'transaction.archive',
          'transaction.restore',
        ]);
      });
    });

    describe('workflow rules', () => {
      type Decision = { rule: string; ruleRef: string | null; source: string; outcome: string };
      const decisionsOf = (record: string) => call<Decision[]>('rule.decisions', { record });
      const withYamlRules = (rules: readonly RuleDefinition[]) =>
        createOperationRunner({ store, clock, newId, validateOutput: true, workflowRules: rules });

      beforeEach(async () => {
        await createProjectNamed('HOME');
      });

      it('adds, changes, lists in evaluation order, archives and restores rule records, audited', async () => {
        const first = await call('rule.add', {
          project: 'HOME',
          name: 'no-p0-done',
          entity: 'task',
          to: ['done'],
          when: { priority: 'p0' },
          then: 'deny',
          reason: 'frozen',
        });
        expect(first).toMatchObject({ ref: 'HOME-W1', from: null, to: ['done'], then: 'deny' });
        await call('rule.add', { project: 'HOME', name: 'second', entity: 'risk', then: 'allow' });
        expect(refsOf(await call<{ ref: string }[]>('rule.list', { project: 'HOME' }))).toEqual([
          'HOME-W1',
          'HOME-W2',
        ]);
        const changed = await call('rule.update', {
          rule: 'home-w1',
          then: 'require',
          approver: 'bob',
        });
        expect(changed).toMatchObject({ then: 'require', approver: 'bob', reason: 'frozen' });
        await call('rule.archive', { rule: 'HOME-W1' });
        expect(refsOf(await call<{ ref: string }[]>('rule.list', {}))).toEqual(['HOME-W2']);
        await call('rule.restore', { rule: 'HOME-W1' });
        const entries = await auditLog({ target: 'HOME-W1' });
        expect(entries.map((entry) => entry.operation)).toEqual([
          'rule.add',
          'rule.update',
          'rule.archive',
          'rule.restore',
        ]);
        const typo = await fails(
          call('rule.add', {
            project: 'HOME',
            name: 'x',
            entity: 'task',
            when: { priorty: 'p0' },
            then: 'deny',
          }),
          'invalid_input',
        );
        expect(typo.message).toMatch(/^when\.priorty: unknown field for task/);
        const status = await fails(
          call('rule.add', {
            project: 'HOME',
            name: 'x',
            entity: 'task',
            to: ['finished'],
            then: 'deny',
          }),
          'invalid_input',
        );
        expect(status.details['field']).toBe('to.0');
      });

      it('lets the first matching rule decide: bosun.yaml before records, records by number', async () => {
        await createTask('Urgent', { priority: 'p0', tags: ['hotfix'] });
        await call('rule.add', {
          project: 'HOME',
          name: 'deny-p0',
          entity: 'task',
          to: ['in_progress'],
          when: { priority: { in: ['p0', 'p1'] } },
          then: 'deny',
        });
        await call('rule.add', {
          project: 'HOME',
          name: 'allow-all',
          entity: 'task',
          then: 'allow',
        });
        const denied = await fails(move('HOME-1', 'in_progress'), 'policy_denied');
        expect(denied.details).toMatchObject({
          rule: 'deny-p0',
          ruleRef: 'HOME-W1',
          source: 'record',
          from: 'todo',
          to: 'in_progress',
        });
        // The refused move changed nothing, but its decision was kept after the rollback.
        expect((await taskOf('HOME-1')).status).toBe('todo');
        expect(await decisionsOf('HOME-1')).toMatchObject([{ rule: 'deny-p0', outcome: 'deny' }]);
        const yaml = withYamlRules([
          {
            name: 'hotfix-starts',
            entity: 'task',
            to: ['in_progress'],
            when: { tags: { contains: 'hotfix' } },
            then: 'allow',
          },
        ]);
        await call('task.status', { task: 'HOME-1', status: 'in_progress' }, ACTOR, yaml);
        expect((await decisionsOf('HOME-1'))[0]).toMatchObject({
          rule: 'hotfix-starts',
          ruleRef: null,
          source: 'yaml',
          outcome: 'allow',
        });
        // A rule of another project never applies.
        await createProjectNamed('WORK');
        await createTask('Elsewhere', { priority: 'p0' }, 'WORK');
        await move('WORK-1', 'in_progress');
        expect(await decisionsOf('WORK-1')).toEqual([]);
      });

      it('guards every kind of record with a status through the shared plumbing', async () => {
        await run('action.add', { project: 'HOME', title: 'Call the landlord', owner: 'bob' });
        await call('rule.add', {
          project: 'HOME',
          name: 'owner-closes',
          entity: 'action',
          to: ['done'],
          when: { owner: { not_in: ['ana'] } },
          then: 'deny',
        });
        await fails(run('action.update', { action: 'HOME-A1', status: 'done' }), 'policy_denied');
        await run('action.update', { action: 'HOME-A1', owner: 'ana' });
        expect((await run('action.update', { action: 'HOME-A1', status: 'done' })).status).toBe(
          'done',
        );
      });

      it('requires an approval once per move: requested on refusal, granted, consumed by the move', async () => {
        await createTask('Migrate');
        const yaml = withYamlRules([
          { name: 'needs-bob', entity: 'task', from: ['todo'], then: 'require', approver: 'bob' },
        ]);
        const moveBy = (actor: string) =>
          call('task.status', { task: 'HOME-1', status: 'in_progress' }, actor, yaml);
        const refused = await fails(moveBy(ACTOR), 'policy_denied');
        const id = refused.details['approval'] as string;
        const pending = await call<{ id: string }[]>('rule.approvals', { pending: true });
        expect(pending.map((approval) => approval.id)).toEqual([id]);
        await fails(call('rule.approve', { approval: id }, ACTOR), 'policy_denied');
        await call('rule.approve', { approval: id, comment: 'ok' }, 'bob');
        await fails(call('rule.approve', { approval: id }, 'bob'), 'conflict');
        expect((await moveBy(ACTOR)) as { status: string }).toMatchObject({
          status: 'in_progress',
        });
        const [approval] = await call<{ consumedAt: string | null; approvedBy: string }[]>(
          'rule.approvals',
          {},
        );
        expect(approval).toMatchObject({ approvedBy: 'bob', consumedAt: START });
        expect((await decisionsOf('HOME-1')).map((d) => d.outcome)).toEqual([
          'approved',
          'require',
        ]);
      });
    });

    describe('quality', () => {
      type CaseRow = {
        ref: string;
        result: string | null;
        approved: boolean;
        results: { id: string }[];
      };
      type Coverage = {
        totals: Record<string, number>;
        coveredPercent: number;
        passingPercent: number;
        criteria: { task: string; criterion: number; state: string }[];
      };

      beforeEach(async () => {
        await createProjectNamed('HOME');
        await run('sprint.create', { project: 'HOME', name: 'S1' });
        await createTask('Backups', { sprint: 'S1', acceptance: ['copy', 'restore'] });
        await createTask('Labels', { sprint: 'S1', acceptance: ['labelled'] });
        await createTask('Outside', { acceptance: ['elsewhere'] });
      });

      it('makes a sprint plan from the acceptance template and reports exact coverage', async () => {
        const plan = await call('testplan.add', {
          project: 'HOME',
          title: 'S1 acceptance',
          sprint: 'S1',
        });
        expect(plan).toMatchObject({
          ref: 'HOME-P1',
          template: 'acceptance',
          tasks: ['HOME-1', 'HOME-2'],
          cases: 3,
        });
        const cases = await call<CaseRow[]>('testcase.list', { plan: 'HOME-P1' });
        expect(refsOf(cases)).toEqual(['HOME-C1', 'HOME-C2', 'HOME-C3']);
        await call('testcase.record', { testcase: 'HOME-C1', outcome: 'fail' });
        clock.advance(SECOND);
        await call('testcase.record', { testcase: 'HOME-C1', outcome: 'pass' });
        await call('testcase.record', { testcase: 'HOME-C2', outcome: 'blocked' });
        const sprint = await call<Coverage>('testplan.coverage', { project: 'HOME', sprint: 'S1' });
        expect(sprint.totals).toEqual({
          criteria: 3,
          covered: 3,
          passing: 1,
          failing: 0,
          blocked: 1,
          untested: 1,
          missing: 0,
        });
        expect([sprint.coveredPercent, sprint.passingPercent]).toEqual([100, 33.3]);
        const project = await call<Coverage>('testplan.coverage', { project: 'HOME' });
        expect(project.totals).toMatchObject({ criteria: 4, covered: 3, missing: 1 });
        expect(project.coveredPercent).toBe(75);
        await run('milestone.add', { project: 'HOME', title: 'M' });
        await run('milestone.link', { milestone: 'HOME-M1', tasks: ['HOME-2', 'HOME-3'] });
        const milestone = await call<Coverage>('testplan.coverage', { milestone: 'HOME-M1' });
        expect(milestone.criteria.map((c) => [c.task, c.criterion, c.state])).toEqual([
          ['HOME-2', 1, 'untested'],
          ['HOME-3', 1, 'missing'],
        ]);
        // An archived case stops covering its criterion.
        await call('testcase.archive', { testcase: 'HOME-C3' });
        expect(
          (await call<Coverage>('testplan.coverage', { milestone: 'HOME-M1' })).totals['missing'],
        ).toBe(2);
      });

      it('keeps results append-only with attachments, and approvals apart from recording', async () => {
        await call('testplan.add', {
          project: 'HOME',
          title: 'Backups',
          tasks: ['HOME-1'],
          requiresApproval: true,
        });
        const operation = findOperation('testcase.record')!;
        const file = {
          name: 'log.txt',
          bytes: 5,
          sha256: 'ab'.repeat(32),
          content: Buffer.from('hello').toString('base64'),
        };
        const withFiles = createOperationRunner({
          store,
          clock,
          newId,
          validateOutput: true,
          attachments: async () => file,
        });
        const recorded = (await withFiles.run(
          operation,
          {
            testcase: 'HOME-C1',
            outcome: 'pass',
            links: ['https://ci.example.com/1'],
            attach: ['log.txt'],
          },
          'bob',
        )) as CaseRow;
        expect(recorded).toMatchObject({ result: 'pass', approved: false });
        await fails(
          call('testcase.record', { testcase: 'HOME-C1', outcome: 'pass', attach: ['x'] }),
          'invalid_input',
        );
        const stored = await store.transaction('read', (repos) =>
          repos.testAttachments.listForResults([recorded.results[0]!.id]),
        );
        expect(stored).toMatchObject([{ name: 'log.txt', bytes: 5, content: file.content }]);
        await fails(call('testcase.approve', { testcase: 'HOME-C1' }, 'bob'), 'policy_denied');
        expect(await call('testcase.approve', { testcase: 'HOME-C1' })).toMatchObject({
          approved: true,
        });
        const entries = await auditLog({ target: 'HOME-C1' });
        expect(entries.map((e) => e.operation)).toEqual([
          'testplan.add',
          'testcase.record',
          'testcase.approve',
        ]);
        await fails(
          call('testcase.add', { plan: 'HOME-P1', title: 'x', task: 'HOME-1', criterion: 3 }),
          'invalid_input',
        );
        await fails(
          call('testcase.add', { plan: 'HOME-P1', title: 'x', criterion: 1 }),
          'invalid_input',
        );
      });

      it('gates done on the linked cases and records the gate decision either way', async () => {
        await call('testplan.add', { project: 'HOME', title: 'Backups', tasks: ['HOME-1'] });
        await move('HOME-1', 'in_progress');
        await call('testcase.record', { testcase: 'HOME-C1', outcome: 'pass' });
        const gate = await fails(move('HOME-1', 'done'), 'policy_denied');
        expect(gate.details).toMatchObject({ rule: 'quality-gate', source: 'builtin' });
        expect(gate.details['criteria']).toEqual([
          { criterion: 2, text: 'restore', cases: ['HOME-C2'], state: 'untested' },
        ]);
        await call('testcase.record', { testcase: 'HOME-C2', outcome: 'pass' });
        expect((await move('HOME-1', 'done')).status).toBe('done');
        const decisions = await call<{ rule: string; outcome: string }[]>('rule.decisions', {
          record: 'HOME-1',
        });
        expect(decisions.map((d) => [d.rule, d.outcome])).toEqual([
          ['quality-gate', 'allow'],
          ['quality-gate', 'deny'],
        ]);
        // A task with neither cases nor an acceptance plan is not gated, and nothing is logged.
        await finish('HOME-2');
        expect(await call('rule.decisions', { record: 'HOME-2' })).toEqual([]);
      });
    });

    describe('audit', () => {
      it('records every write with actor, operation, target and before/after changes', async () => {
        const steps: [OperationName, OperationInput, string, string, string][] = [
          // operation, input, actor, expected audited operation, expected target label
          ['project.create', { key: 'HOME', name: 'Home' }, 'ana', 'project.create', 'HOME'],
          [
            'project.update',
            { project: 'HOME', description: 'lab' },
            'ana',
            'project.update',
            'HOME',
          ],
          ['sprint.create', { project: 'HOME', name: 'S1' }, 'bob', 'sprint.create', 'HOME/S1'],
          [
            'sprint.update',
            { project: 'HOME', sprint: 'S1', status: 'active' },
            'bob',
            'sprint.update',
            'HOME/S1',
          ],
          ['task.create', { project: 'HOME', title: 'A' }, 'carl', 'task.create', 'HOME-1'],
          ['task.create', { project: 'HOME', title: 'B' }, 'carl', 'task.create', 'HOME-2'],
          ['task.update', { task: 'HOME-1', title: 'A2' }, 'carl', 'task.update', 'HOME-1'],
          ['dep.add', { task: 'HOME-2', on: ['HOME-1'] }, 'dora', 'dep.add', 'HOME-2'],
          ['dep.remove', { task: 'HOME-2', on: ['HOME-1'] }, 'dora', 'dep.remove', 'HOME-2'],
          ['todo.add', { task: 'HOME-1', text: 'x' }, 'ana', 'todo.add', 'HOME-1#1'],
          ['todo.check', { task: 'HOME-1', item: 1 }, 'ana', 'todo.check', 'HOME-1#1'],
          ['todo.uncheck', { task: 'HOME-1', item: 1 }, 'ana', 'todo.uncheck', 'HOME-1#1'],
          ['todo.remove', { task: 'HOME-1', item: 1 }, 'ana', 'todo.remove', 'HOME-1#1'],
          ['note.add', { task: 'HOME-1', body: 'hello' }, 'bob', 'note.add', 'HOME-1'],
          ['task.next', { claim: true }, 'coder-1', 'task.claim', 'HOME-1'],
          ['task.heartbeat', { task: 'HOME-1' }, 'coder-1', 'task.heartbeat', 'HOME-1'],
          ['task.release', { task: 'HOME-1' }, 'coder-1', 'task.release', 'HOME-1'],
          ['task.status', { task: 'HOME-2', status: 'blocked' }, 'ana', 'task.status', 'HOME-2'],
          ['task.delete', { task: 'HOME-2' }, 'ana', 'task.delete', 'HOME-2'],
        ];
        let seen = 0;
        for (const [operationName, input, actor, audited, label] of steps) {
          clock.advance(SECOND);
          await run(operationName, input, actor);
          const entries = await auditLog();
          const added = entries.slice(seen);
          seen = entries.length;
          expect(added, operationName).toHaveLength(1);
          const [entry] = added;
          expect(entry, operationName).toMatchObject({
            actor,
            operation: audited,
            targetLabel: label,
            at: clock.now().toISOString(),
          });
          expect(Object.keys(entry?.changes ?? {}).length, operationName).toBeGreaterThan(0);
          for (const change of Object.values(entry?.changes ?? {})) {
            expect(Object.keys(change).sort()).toEqual(['after', 'before']);
          }
        }
        const seqs = (await auditLog()).map((entry) => entry.seq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        expect(new Set(seqs).size).toBe(seqs.length);
      });

      it('records a created entity as changes from null and an update as only the changed fields', async () => {
        const project = await createProjectNamed('HOME');
        const [created] = await auditLog({ target: 'HOME' });
        expect(created).toMatchObject({
          targetKind: 'project',
          targetId: project.id,
          targetLabel: 'HOME',
        });
        expect(created?.changes['key']).toEqual({ before: null, after: 'HOME' });
        expect(created?.changes['name']).toEqual({ before: null, after: 'HOME project' });
        await createTask('Old title', { priority: 'p1' });
        clock.advance(MINUTE);
        await run('task.update', { task: 'HOME-1', title: 'New title', priority: 'p1' });
        const entries = await auditLog({ target: 'HOME-1' });
        expect(entries.map((e) => e.operation)).toEqual(['task.create', 'task.update']);
        expect(entries[1]?.targetKind).toBe('task');
        expect(entries[1]?.changes).toEqual({
          title: { before: 'Old title', after: 'New title' },
          updatedAt: { before: START, after: at(MINUTE) },
        });
      });

      it('writes no audit entry for reads', async () => {
        await createProjectNamed('HOME');
        await createTask('A');
        const count = (await auditLog()).length;
        await run('project.list');
        await run('project.show', { project: 'HOME' });
        await run('sprint.list', { project: 'HOME' });
        await run('task.list');
        await run('task.show', { task: 'HOME-1' });
        await run('task.next');
        await run('todo.list', { task: 'HOME-1' });
        await run('note.list', { task: 'HOME-1' });
        await snapshot();
        expect(await auditLog()).toHaveLength(count);
      });

      it('filters the audit log by target ref, project key, actor, operation and time window', async () => {
        await createProjectNamed('HOME');
        clock.advance(HOUR);
        await createTask('A', {}, 'HOME');
        await run('task.create', { project: 'HOME', title: 'B' }, 'bob');
        clock.advance(HOUR);
        await run('task.update', { task: 'HOME-1', title: 'A2' }, 'carl');
        await run('project.update', { project: 'HOME', description: 'lab' });
        const ops = (entries: readonly AuditEntry[]) =>
          entries.map((e) => `${e.operation} ${e.targetLabel ?? ''}`);
        expect(ops(await auditLog({ target: 'HOME-1' }))).toEqual([
          'task.create HOME-1',
          'task.update HOME-1',
        ]);
        expect(ops(await auditLog({ target: 'home-1' }))).toEqual([
          'task.create HOME-1',
          'task.update HOME-1',
        ]);
        expect(ops(await auditLog({ target: 'HOME' }))).toEqual([
          'project.create HOME',
          'project.update HOME',
        ]);
        expect(ops(await auditLog({ actor: 'bob' }))).toEqual(['task.create HOME-2']);
        expect(ops(await auditLog({ operation: 'task.update' }))).toEqual(['task.update HOME-1']);
        expect(ops(await auditLog({ since: at(HOUR) }))).toEqual([
          'task.create HOME-1',
          'task.create HOME-2',
          'task.update HOME-1',
          'project.update HOME',
        ]);
        expect(ops(await auditLog({ until: at(HOUR) }))).toEqual(['project.create HOME']);
        expect(ops(await auditLog({ since: at(HOUR), until: at(2 * HOUR) }))).toEqual([
          'task.create HOME-1',
          'task.create HOME-2',
        ]);
        expect(ops(await run('audit.list', { limit: 2 }))).toEqual([
          'task.update HOME-1',
          'project.update HOME',
        ]);
        const task = await taskOf('HOME-2');
        expect(ops(await auditLog({ target: task.id }))).toEqual(['task.create HOME-2']);
      });

      it('keeps the audit trail of a deleted task listable by its ref', async () => {
        await createProjectNamed('HOME');
        await createTask('A');
        await run('task.delete', { task: 'HOME-1' });
        expect((await auditLog({ target: 'HOME-1' })).map((e) => e.operation)).toEqual([
          'task.create',
          'task.delete',
        ]);
      });

      it('refuses an audit target that names no project or task', async () => {
        await createProjectNamed('HOME');
        const project = await fails(run('audit.list', { target: 'NOPE' }), 'not_found');
        expect(project.details['field']).toBe('target');
        const task = await fails(run('audit.list', { target: 'HOME-7' }), 'not_found');
        expect(task.details['field']).toBe('target');
      });
    });

    describe('concurrent writers', () => {
      beforeEach(async () => {
        await createProjectNamed('HOME');
        await createTask('A');
        await move('HOME-1', 'in_progress');
        await createTask('B', { dependsOn: ['HOME-1'] });
      });

      it("keeps a dependency counter that another writer changed between a task update's read and write", async () => {
        const result = await interleave(
          (pause) =>
            store.transaction('write', (repos) =>
              updateTask(contextFor(pauseBeforeTaskUpdate(repos, pause), 'task.update'), {
                task: 'HOME-2',
                title: 'B renamed',
              }),
            ),
          () => move('HOME-1', 'done'),
        );
        expect(result.other.status).toBe('fulfilled');
        expect(result.paused.status).toBe('fulfilled');
        expect(await storedTask('HOME-2')).toMatchObject({ title: 'B renamed', openDeps: 0 });
        expect(await ranked()).toEqual(['HOME-2']);
      });

      it('applies a status move once when two writers make the same move at the same time', async () => {
        const result = await interleave(
          (pause) =>
            store.transaction('write', (repos) =>
              setTaskStatus(contextFor(pauseBeforeGraphLock(repos, pause), 'task.status'), {
                task: 'HOME-1',
                status: 'done',
              }),
            ),
          () => move('HOME-1', 'done'),
        );
        expect(result.other.status).toBe('fulfilled');
        expect((await storedTask('HOME-1')).status).toBe('done');
        expect((await storedTask('HOME-2')).openDeps).toBe(0);
      });
    });

    describe('concurrent scope-aware claims', () => {
      it('never lets two --parallel claimers take overlapping scopes', async () => {
        await createProjectNamed('HOME');
        await createTask('Whole area', { priority: 'p0', scope: ['src/a/**'] });
        await createTask('One file in it', { priority: 'p1', scope: ['src/a/x.ts'] });
        const claim = (repos: Repositories, agent: string) =>
          nextTasks(contextFor(repos, 'task.next'), { claim: true, parallel: 1, agent });
        // The paused claimer has read which scopes are busy; the other tries to claim meanwhile.
        const result = await interleave(
          (pause) =>
            store.transaction('write', (repos) => claim(pauseBeforeReadyQuery(repos, pause), 'a')),
          () => store.transaction('write', (repos) => claim(repos, 'b')),
        );
        expect(result.paused.status).toBe('fulfilled');
        expect(result.other.status).toBe('fulfilled');
        const busy = (await run('task.list', { status: ['in_progress'] })).map((t) => t.scope);
        expect(busy).toEqual([['src/a/**']]);
      });
    });

    describe('atomicity', () => {
      beforeEach(async () => {
        await createProjectNamed('HOME');
      });

      it('leaves the store unchanged when task.create names a missing dependency', async () => {
        await createTask('A');
        const before = await snapshot();
        clock.advance(MINUTE);
        await fails(createTask('B', { dependsOn: ['HOME-1', 'HOME-404'] }), 'not_found');
        expect(await snapshot()).toEqual(before);
        expect((await createTask('B')).ref).toBe('HOME-2');
      });

      it('leaves the store unchanged when dep.add fails on its second edge', async () => {
        for (const title of ['A', 'B', 'C']) await createTask(title);
        await run('dep.add', { task: 'HOME-1', on: ['HOME-2'] });
        const before = await snapshot();
        const counters = await run('task.list');
        clock.advance(MINUTE);
        // HOME-2 → HOME-3 is fine; HOME-2 → HOME-1 closes HOME-1 → HOME-2 → HOME-1.
        const error = await fails(
          run('dep.add', { task: 'HOME-2', on: ['HOME-3', 'HOME-1'] }),
          'cycle',
        );
        expect(error.details['cycle']).toEqual(['HOME-2', 'HOME-1', 'HOME-2']);
        expect(await snapshot()).toEqual(before);
        expect(await run('task.list')).toEqual(counters);
      });

      it('leaves the store unchanged when dep.remove fails on its second edge', async () => {
        for (const title of ['A', 'B', 'C']) await createTask(title);
        await run('dep.add', { task: 'HOME-3', on: ['HOME-1'] });
        const before = await snapshot();
        const counters = await run('task.list');
        await fails(run('dep.remove', { task: 'HOME-3', on: ['HOME-1', 'HOME-2'] }), 'not_found');
        expect(await snapshot()).toEqual(before);
        expect(await run('task.list')).toEqual(counters);
      });

      it('rolls back every write of a store transaction whose work throws', async () => {
        const context = (repos: Repositories): ServiceContext => ({
          repos,
          clock,
          newId,
          actor: ACTOR,
          operation: 'project.create',
        });
        const before = await snapshot();
        await expect(
          store.transaction('write', async (repos) => {
            await createProject(context(repos), { key: 'WORK', name: 'Work' });
            throw new Error('boom after the insert');
          }),
        ).rejects.toThrow('boom after the insert');
        const refused = await fails(
          store.transaction('write', async (repos) => {
            await createProject(context(repos), { key: 'WORK', name: 'Work' });
            throw invalidInput('name', 'refused on purpose');
          }),
          'invalid_input',
        );
        expect(refused.details['field']).toBe('name');
        expect(await snapshot()).toEqual(before);
        const committed = await store.transaction('write', (repos) =>
          createProject(context(repos), { key: 'WORK', name: 'Work' }),
        );
        expect(
          await store.transaction('read', (repos) => repos.projects.findByKey('WORK')),
        ).toEqual(committed);
      });
    });

    describe('export and import', () => {
      const buildWorkspace = async (): Promise<void> => {
        await createProjectNamed('HOME', {
          description: 'the lab',
          startDate: '2026-01-01',
          dueDate: '2026-12-31',
          budgetAmount: 1200.5,
          budgetCurrency: 'EUR',
        });
        await createProjectNamed('WORK');
        await run('sprint.create', {
          project: 'HOME',
          name: 'S1',
          goal: 'backups',
          endDate: '2026-02-01',
        });
        await createTask('Back up', {
          priority: 'p1',
          tags: ['ops', 'backup'],
          scope: ['infra/**'],
          sprint: 'S1',
          acceptance: ['a restore works'],
          estimate: 3,
          role: 'ops',
        });
        clock.advance(MINUTE);
        await createTask('Verify', { dependsOn: ['HOME-1'] });
        await createTask('Report', { dependsOn: ['HOME-2'], parent: 'HOME-1' });
        await createTask('Dropped', { dependsOn: ['HOME-1'] });
        await move('HOME-4', 'cancelled');
        await createTask('Gone');
        await run('dep.add', { task: 'HOME-2', on: ['HOME-5'] });
        await run('task.delete', { task: 'HOME-5' });
        await createTask('Elsewhere', {}, 'WORK');
        await createTask('Later', { dependsOn: ['WORK-1'] }, 'WORK');
        await finish('WORK-1');
        await run('todo.add', { task: 'HOME-1', text: 'buy disk' });
        await run('todo.add', { task: 'HOME-1', text: 'install' });
        await run('todo.check', { task: 'HOME-1', item: 1 });
        await run('note.add', { task: 'HOME-2', body: 'see the wiki' }, 'bob');
        clock.advance(MINUTE);
        await claim('coder-1', { project: 'HOME' });
      };

      it('exports, imports into a fresh store and exports the same document again', async () => {
        await buildWorkspace();
        const exported = await snapshot();
        expect(exported).toMatchObject({ format: 'bosun.workspace', version: 2 });
        expect(refsOf(exported.tasks).sort()).toEqual([
          'HOME-1',
          'HOME-2',
          'HOME-3',
          'HOME-4',
          'HOME-5',
          'WORK-1',
          'WORK-2',
        ]);
        const document = JSON.parse(JSON.stringify(exported)) as unknown;
        const target = await openRunner();
        const summary = await runOn(target, 'workspace.import', { document }, ACTOR);
        expect(summary).toEqual({
          projects: 2,
          sprints: 1,
          tasks: 7,
          dependencies: exported.dependencies.length,
          todos: 2,
          notes: 1,
          audit: exported.audit.length,
          records: {},
        });
        expect(await runOn(target, 'workspace.export', {}, ACTOR)).toEqual(exported);
      });

      it('carries the command center’s records through export and import, and numbers on after', async () => {
        await buildWorkspace();
        await run('risk.add', { project: 'HOME', title: 'Disk fails', likelihood: 4, impact: 5 });
        await run('action.add', { project: 'HOME', title: 'Buy a disk', sourceRef: 'HOME-R1' });
        await run('stakeholder.add', { project: 'HOME', name: 'Ana', influence: 5, interest: 4 });
        await run('milestone.add', { project: 'HOME', title: 'Backups run', due: '2027-01-15' });
        await run('milestone.link', { milestone: 'HOME-M1', tasks: ['HOME-1', 'HOME-2'] });
        await run('lesson.add', {
          project: 'HOME',
          title: 'Test restores',
          context: 'A backup nobody restored',
          insight: 'Restore monthly',
        });
        await run('lesson.validate', { lesson: 'HOME-L1', helped: true });
        await run('lesson.apply', { lesson: 'HOME-L1', task: 'HOME-2' });
        await run('budget.add', { project: 'HOME', category: 'hardware', planned: '100.00' });
        await run('transaction.add', {
          line: 'HOME-B1',
          date: '2026-03-02',
          amount: '120.00',
        });
        await run('doc.add', { project: 'HOME', name: 'minutes.md', text: 'We must buy a disk.' });
        await run('doc.analyze', { doc: 'HOME-D1', model: null });
        await run('brief.create', { project: 'HOME', model: null });
        await call('rule.add', {
          project: 'HOME',
          name: 'close-with-approval',
          entity: 'risk',
          to: ['closed'],
          then: 'require',
        });
        await fails(run('risk.update', { risk: 'HOME-R1', status: 'closed' }), 'policy_denied');
        await call('testplan.add', { project: 'HOME', title: 'Smoke', template: 'smoke' });
        await call('testcase.record', { testcase: 'HOME-C1', outcome: 'pass', evidence: 'ok' });
        const exported = await snapshot();
        for (const table of [
          'project_counters',
          'risks',
          'actions',
          'stakeholders',
          'milestones',
          'milestone_tasks',
          'lessons',
          'lesson_validations',
          'lesson_applications',
          'budget_lines',
          'budget_transactions',
          'documents',
          'document_texts',
          'doc_analyses',
          'workflow_rules',
          'rule_decisions',
          'transition_approvals',
          'test_plans',
          'test_cases',
          'test_results',
          'briefings',
        ]) {
          expect(exported.records[table]?.length, table).toBeGreaterThan(0);
        }
        const document = JSON.parse(JSON.stringify(exported)) as unknown;
        const target = await openRunner();
        const summary = await runOn(target, 'workspace.import', { document }, ACTOR);
        expect(summary.records['budget_transactions']).toBe(1);
        expect(await runOn(target, 'workspace.export', {}, ACTOR)).toEqual(exported);
        // The counters came along: the next records continue the series.
        const risk = await runOn(
          target,
          'risk.add',
          { project: 'HOME', title: 'Fire', likelihood: 1, impact: 5 },
          ACTOR,
        );
        expect(risk.ref).toBe('HOME-R2');
        expect(
          (await runOn(target, 'milestone.show', { milestone: 'HOME-M1' }, ACTOR)).progress,
        ).toBe((await run('milestone.show', { milestone: 'HOME-M1' })).progress);
      });

      it('refuses records of a table it does not know, and rows the store refuses, naming them', async () => {
        await createProjectNamed('HOME');
        const exported = await snapshot();
        const target = await openRunner();
        const unknown = await fails(
          runOn(
            target,
            'workspace.import',
            { document: { ...exported, records: { spaceships: [{ id: 'x' }] } } },
            ACTOR,
          ),
          'invalid_input',
        );
        expect(unknown.details['field']).toBe('records.spaceships');
        const orphan = await fails(
          runOn(
            target,
            'workspace.import',
            {
              document: {
                ...exported,
                records: { risks: [{ id: 'x', project_id: 'no-such-project' }] },
              },
            },
            ACTOR,
          ),
          'invalid_input',
        );
        expect(orphan.details['field']).toBe('records.risks');
        expect(await runOn(target, 'project.list', {}, ACTOR)).toEqual([]);
      });

      it('rebuilds the same openDeps and downstreamDepth on import as the live store kept', async () => {
        await buildWorkspace();
        const target = await openRunner();
        await runOn(target, 'workspace.import', { document: await snapshot() }, ACTOR);
        const everything = { includeDeleted: true };
        expect(await runOn(target, 'task.list', everything, ACTOR)).toEqual(
          await run('task.list', everything),
        );
        expect(refsOf((await runOn(target, 'task.next', { parallel: 100 }, ACTOR)).tasks)).toEqual(
          await ranked(),
        );
      });

      it('continues ref numbering and the audit sequence after an import', async () => {
        await buildWorkspace();
        const exported = await snapshot();
        const target = await openRunner();
        await runOn(target, 'workspace.import', { document: exported }, ACTOR);
        const lastSeq = Math.max(...exported.audit.map((entry) => entry.seq));
        expect(
          (await runOn(target, 'task.create', { project: 'HOME', title: 'After import' }, ACTOR))
            .ref,
        ).toBe('HOME-6');
        expect(
          (await runOn(target, 'task.create', { project: 'WORK', title: 'After import' }, ACTOR))
            .ref,
        ).toBe('WORK-3');
        const log = await runOn(target, 'audit.list', { limit: 2 }, ACTOR);
        expect(log.map((entry) => entry.seq)).toEqual([lastSeq + 1, lastSeq + 2]);
      });

      it('refuses to import into a workspace that is not empty', async () => {
        await createProjectNamed('HOME');
        const exported = await snapshot();
        const error = await fails(run('workspace.import', { document: exported }), 'conflict');
        expect(error.details['field']).toBe('document');
        expect(await snapshot()).toEqual(exported);
      });

      it('refuses a document whose dependency graph has a cycle', async () => {
        await createProjectNamed('HOME');
        const first = await createTask('A');
        const second = await createTask('B', { dependsOn: ['HOME-1'] });
        const exported = await snapshot();
        const document: WorkspaceDocument = {
          ...exported,
          dependencies: [
            ...exported.dependencies,
            { taskId: first.id, dependsOnId: second.id, createdAt: START },
          ],
        };
        const target = await openRunner();
        const error = await fails(runOn(target, 'workspace.import', { document }, ACTOR), 'cycle');
        const cycle = error.details['cycle'] as string[];
        expect(cycle[0]).toBe(cycle.at(-1));
        expect([...new Set(cycle)].sort()).toEqual(['HOME-1', 'HOME-2']);
        const after = await runOn(target, 'workspace.export', {}, ACTOR);
        expect(after.projects).toEqual([]);
        expect(after.audit).toEqual([]);
      });

      it('refuses a document with a dependency on an unknown task', async () => {
        await createProjectNamed('HOME');
        const only = await createTask('A');
        const exported = await snapshot();
        const document: WorkspaceDocument = {
          ...exported,
          dependencies: [{ taskId: only.id, dependsOnId: newId(), createdAt: START }],
        };
        const target = await openRunner();
        const error = await fails(
          runOn(target, 'workspace.import', { document }, ACTOR),
          'invalid_input',
        );
        expect(error.details['field']).toBe('dependencies');
        expect((await runOn(target, 'workspace.export', {}, ACTOR)).projects).toEqual([]);
      });
    });

    describe('input validation', () => {
      beforeEach(async () => {
        await createProjectNamed('HOME');
      });

      it('refuses an empty title with invalid_input naming the field', async () => {
        for (const title of ['', '   ']) {
          const error = await fails(createTask(title), 'invalid_input');
          expect(error.details).toMatchObject({ field: 'title', rule: 'must not be empty' });
          expect(error.message).toContain('title: must not be empty');
        }
        const missing = await fails(run('task.create', { project: 'HOME' }), 'invalid_input');
        expect(missing.details['field']).toBe('title');
        await createTask('A');
        const onUpdate = await fails(
          run('task.update', { task: 'HOME-1', title: '' }),
          'invalid_input',
        );
        expect(onUpdate.details['field']).toBe('title');
        expect(refsOf(await run('task.list'))).toEqual(['HOME-1']);
      });

      it('refuses unknown input keys', async () => {
        const error = await fails(
          run('task.create', { project: 'HOME', title: 'A', colour: 'red' }),
          'invalid_input',
        );
        expect(error.message).toContain('colour');
        await fails(run('project.list', { everything: true }), 'invalid_input');
        await fails(run('task.next', { claim: true, greedy: true }), 'invalid_input');
        expect(await run('task.list')).toEqual([]);
      });

      it('refuses malformed durations, statuses, priorities and counts, naming the field', async () => {
        await createTask('A');
        const cases: [OperationName, OperationInput, string][] = [
          ['task.next', { claim: true, lease: 'ten minutes' }, 'lease'],
          ['task.status', { task: 'HOME-1', status: 'finished' }, 'status'],
          ['task.update', { task: 'HOME-1', priority: 'urgent' }, 'priority'],
          ['task.next', { parallel: 0 }, 'parallel'],
          ['task.update', { task: 'HOME-1', tags: ['has space'] }, 'tags.0'],
          ['task.update', { task: 'HOME-1', scope: ['/etc/passwd'] }, 'scope.0'],
          ['task.update', { task: 'HOME-1', estimate: -1 }, 'estimate'],
        ];
        for (const [operationName, input, field] of cases) {
          const error = await fails(run(operationName, input), 'invalid_input');
          expect(error.details['field'], `${operationName} ${JSON.stringify(input)}`).toBe(field);
        }
        expect((await taskOf('HOME-1')).status).toBe('todo');
      });
    });

    describe('memory', () => {
      const remember = (text: string, extra: OperationInput = {}, actor: string = ACTOR) =>
        run('memory.store', { text, kind: 'lesson', ...extra }, actor);
      const recall = (query: string, extra: OperationInput = {}) =>
        run('memory.search', { query, ...extra });
      const idsOf = (hits: readonly { readonly id: string }[]): string[] =>
        hits.map((hit) => hit.id);
      const memoryCount = () => store.transaction('read', (repos) => repos.memory.count());
      /** A run as the engine records one (this suite has no engine to start it). */
      const recordRun = async (
        name: string,
        parentRunId: string | null = null,
      ): Promise<string> => {
        const id = newId();
        const now = clock.now().toISOString();
        await store.transaction('write', (repos) =>
          repos.runs.insert(
            {
              id,
              name,
              source: 'workflow',
              status: 'running',
              projectId: null,
              parentRunId,
              forkStep: parentRunId === null ? null : 'build',
              file: null,
              input: {},
              stepsTotal: 0,
              costUsd: 0,
              inputTokens: 0,
              outputTokens: 0,
              error: null,
              createdBy: ACTOR,
              createdAt: now,
              updatedAt: now,
              endedAt: null,
            },
            { name, description: '', inputs: {}, steps: [] },
            0,
          ),
        );
        return id;
      };

      beforeEach(async () => {
        await createProjectNamed('HOME');
        await createTask('Back up the NAS');
        await createTask('Verify a restore');
      });

      it('is the MCP memory tool', () => {
        expect(findOperation('memory.search')?.tool).toBe('memory');
      });

      it('stores an item under its scope, by its author, at the clock, and reads it back by id or prefix', async () => {
        clock.advance(MINUTE);
        const item = await remember(
          'Restores need the NAS mounted read-write',
          {
            scope: 'task:home-1',
            tags: ['backup', 'nas', 'backup'],
            metadata: { source: 'review', lines: [3, 4] },
          },
          'bob',
        );
        expect(item).toMatchObject({
          kind: 'lesson',
          scope: 'task',
          scopeId: (await taskOf('HOME-1')).id,
          scopeRef: 'HOME-1',
          text: 'Restores need the NAS mounted read-write',
          tags: ['backup', 'nas'],
          metadata: { source: 'review', lines: [3, 4] },
          author: 'bob',
          runId: null,
          createdAt: clock.now().toISOString(),
          forgottenAt: null,
          forgottenBy: null,
          forgetReason: null,
        });
        expect(await run('memory.get', { id: item.id })).toEqual(item);
        expect(await run('memory.get', { id: item.id.slice(0, 12).toLowerCase() })).toEqual(item);

        clock.advance(MINUTE);
        const everywhere = await remember('Keep two copies of every backup', { kind: 'pattern' });
        expect(everywhere).toMatchObject({ scope: 'workspace', scopeId: null, scopeRef: null });
        const project = await remember('HOME runs on the lab rack', { scope: 'project:HOME' });
        expect(project).toMatchObject({ scope: 'project', scopeRef: 'HOME' });
        const agent = await remember('Prefers small diffs', { scope: 'agent:coder-1' });
        expect(agent).toMatchObject({ scope: 'agent', scopeId: 'coder-1', scopeRef: 'coder-1' });
        expect(await memoryCount()).toBe(4);
      });

      it('resolves scopes through the resolvers and refuses unknown ones naming the field', async () => {
        const notFound: OperationInput[] = [
          { scope: 'project:NOPE' },
          { scope: 'task:HOME-99' },
          { scope: 'run:01ARZ3NDEKTSV4RRFFQ69G5FAV' },
          { scope: 'run:last' },
        ];
        for (const input of notFound) {
          const error = await fails(remember('x', input), 'not_found');
          expect(error.details['field'], JSON.stringify(input)).toBe('scope');
        }
        const missingRun = await fails(remember('x', { run: 'last' }), 'not_found');
        expect(missingRun.details['field']).toBe('run');
        for (const scope of ['project', 'task:', 'planet:MARS', 'workspace:HOME', '']) {
          const error = await fails(remember('x', { scope }), 'invalid_input');
          expect(error.details['field'], scope).toBe('scope');
        }
        await run('task.delete', { task: 'HOME-2' });
        await fails(remember('x', { scope: 'task:HOME-2' }), 'not_found');
        const unknownInSearch = await fails(recall('x', { scope: 'project:NOPE' }), 'not_found');
        expect(unknownInSearch.details['field']).toBe('scope');
        expect(await memoryCount()).toBe(0);
      });

      it('records the run lineage: a run scope implies its run, and a run given apart must agree', async () => {
        const first = await recordRun('nightly');
        clock.advance(SECOND);
        const second = await recordRun('weekly');
        const inRun = await remember('The nightly run restarted the NAS', {
          scope: `run:${first.slice(0, 16)}`,
        });
        expect(inRun).toMatchObject({
          scope: 'run',
          scopeId: first,
          scopeRef: first,
          runId: first,
        });
        const taskInRun = await remember('HOME-1 done in the weekly run', {
          scope: 'task:HOME-1',
          run: 'last',
        });
        expect(taskInRun).toMatchObject({ scope: 'task', runId: second });
        const disagreeing = await fails(
          remember('x', { scope: `run:${first}`, run: second }),
          'invalid_input',
        );
        expect(disagreeing.details['field']).toBe('run');
        expect(await memoryCount()).toBe(2);
      });

      /**
       * A fork family: root, fork A of root, fork B of root, fork A1 of A, and an unrelated run,
       * each with a memory about the same restore; root writes again after A was forked.
       */
      const forkFamily = async () => {
        const root = await recordRun('root');
        const other = await recordRun('unrelated');
        const beforeFork = await remember('restore drill: root before the forks', { run: root });
        clock.advance(SECOND);
        const a = await recordRun('fork a', root);
        clock.advance(SECOND);
        const afterFork = await remember('restore drill: root after fork a', { run: root });
        const inA = await remember('restore drill: written in fork a', { run: a });
        clock.advance(SECOND);
        const b = await recordRun('fork b', root);
        clock.advance(SECOND);
        const a1 = await recordRun('fork a1', a);
        clock.advance(SECOND);
        const items = {
          beforeFork,
          afterFork,
          inA,
          inALater: await remember('restore drill: fork a after a1', { run: a }),
          inB: await remember('restore drill: written in fork b', { run: b }),
          inA1: await remember('restore drill: written in fork a1', { run: a1 }),
          unrelated: await remember('restore drill: an unrelated run', { run: other }),
          workspace: await remember('restore drill: the workspace'),
        };
        return { runs: { root, a, b, a1, other }, items };
      };

      it("recalls a forked run's own lineage and the workspace, never its sibling branches", async () => {
        const { runs, items } = await forkFamily();
        const family = await store.transaction('read', (repos) => repos.runs.family(runs.a1));
        expect(family.map((each) => each.id).sort()).toEqual(
          [runs.root, runs.a, runs.b, runs.a1].sort(),
        );
        const seenBy = async (runId: string) =>
          idsOf(await recall('restore drill', { run: runId, limit: 20 })).sort();
        // Fork a: the root up to the fork, itself, not b, not its own fork a1.
        expect(await seenBy(runs.a)).toEqual(
          [
            items.beforeFork.id,
            items.inA.id,
            items.inALater.id,
            items.unrelated.id,
            items.workspace.id,
          ].sort(),
        );
        // Fork a1: a's items up to a1's fork, the root's up to a's.
        expect(await seenBy(runs.a1)).toEqual(
          [
            items.beforeFork.id,
            items.inA.id,
            items.inA1.id,
            items.unrelated.id,
            items.workspace.id,
          ].sort(),
        );
        // The root: none of its forks' items.
        expect(await seenBy(runs.root)).toEqual(
          [items.beforeFork.id, items.afterFork.id, items.unrelated.id, items.workspace.id].sort(),
        );
        // A run outside any family sees everything.
        expect((await seenBy(runs.other)).length).toBe(Object.keys(items).length);
        expect(await seenBy(runs.other)).toEqual(idsOf(Object.values(items)).sort());
        const unknown = await fails(recall('restore', { run: 'nope' }), 'not_found');
        expect(unknown.details['field']).toBe('run');
      });

      it('finds each item first when searched for its own text', async () => {
        const texts = [
          'Restores need the NAS mounted read-write before the job starts',
          'The nightly backup job copies the NAS to the offsite bucket',
          'Backup verification failed twice because the bucket credentials expired',
          'Use rsync with --checksum when the NAS clock drifts',
          'The offsite bucket keeps thirty days of snapshots',
          'A restore of one file takes about four minutes from the bucket',
          'Rotate the bucket credentials every ninety days',
          'Mount the NAS read-only for verification runs',
        ];
        const items: MemoryItem[] = [];
        for (const text of texts) {
          clock.advance(MINUTE);
          items.push(await remember(text, { tags: ['backup'] }));
        }
        for (const item of items) {
          const [best] = await recall(item.text);
          expect(best?.id, item.text).toBe(item.id);
          expect(best?.snippet).toBe(item.text);
          expect(best?.score).toBeGreaterThan(0);
          // Also when no item holds every term, and relevance alone ranks those holding some.
          expect((await recall(`${item.text} zebra`))[0]?.id, item.text).toBe(item.id);
        }
      });

      it('matches words through stemming, phrases in quotes, and every word with match all', async () => {
        const mount = await remember('Restores need the NAS mounted read-write');
        clock.advance(MINUTE);
        const nightly = await remember('The nightly backups restore cleanly');
        clock.advance(MINUTE);
        const about = await remember('About HOME-12: write the restore notes');

        expect(idsOf(await recall('restoring'))).toEqual(
          expect.arrayContaining([mount.id, nightly.id, about.id]),
        );
        expect(idsOf(await recall('backup'))).toEqual([nightly.id]);
        expect(idsOf(await recall('"read-write"'))).toEqual([mount.id]);
        expect(idsOf(await recall('"write read"'))).toEqual([]);
        expect(idsOf(await recall('home-12'))).toEqual([about.id]);
        expect(new Set(idsOf(await recall('nightly mounted')))).toEqual(
          new Set([mount.id, nightly.id]),
        );
        expect(idsOf(await recall('nightly mounted', { match: 'all' }))).toEqual([]);
        expect(idsOf(await recall('nightly restore', { match: 'all' }))).toEqual([nightly.id]);
        // Stop words alone are left out when other words are given.
        expect(idsOf(await recall('how did the nightly backups go'))).toEqual([nightly.id]);
      });

      it('ranks items holding every term above items holding only some', async () => {
        for (const text of [
          'gamma delta',
          'epsilon zeta',
          'eta theta',
          'iota kappa',
          'lambda mu',
        ]) {
          await remember(text);
        }
        const every = await remember(
          `alpha ${'and then some unrelated words about the rack '.repeat(3)} beta`,
        );
        const some = await remember('alpha alpha alpha');
        expect(idsOf(await recall('alpha beta'))).toEqual([every.id, some.id]);
        expect(idsOf(await recall('alpha beta', { match: 'all' }))).toEqual([every.id]);
        expect(idsOf(await recall('alpha beta', { limit: 1 }))).toEqual([every.id]);
      });

      it('raises newer items by the documented recency boost, ties broken by newer first', async () => {
        const old = await remember('Snapshot pruning keeps the newest thirty');
        clock.advance(60 * DAY);
        const fresh = await remember('Snapshot pruning keeps the newest thirty');
        const [first, second] = await recall('snapshot pruning');
        expect(first?.id).toBe(fresh.id);
        expect(second?.id).toBe(old.id);
        // Equal text, equal relevance: the scores differ by the documented boost alone.
        const now = clock.now();
        expect(first!.score / second!.score).toBeCloseTo(
          memoryScore(1, fresh.createdAt, now) / memoryScore(1, old.createdAt, now),
          2, // scores are given to 4 significant digits
        );

        clock.advance(DAY);
        const twin = await remember('Snapshot pruning keeps the newest thirty');
        clock.advance(-DAY); // the twin is "from the future": counts as new, like fresh
        const ranked = idsOf(await recall('snapshot pruning'));
        expect(ranked).toEqual([twin.id, fresh.id, old.id]);
      });

      it('ranks over every match: recency lifts new items past old ones stored after them', async () => {
        // Ten new items stored first, then 120 with the same text dated a year earlier: equal
        // relevance, so only the recency boost can put the new ones first.
        const fresh: string[] = [];
        for (let i = 0; i < 10; i++) {
          clock.advance(SECOND);
          fresh.push((await remember('Archive rotation policy for cold storage')).id);
        }
        const now = clock.now();
        clock.advance(-365 * DAY);
        for (let i = 0; i < 120; i++) {
          clock.advance(SECOND);
          await remember('Archive rotation policy for cold storage');
        }
        clock.set(now);
        const hits = await recall('archive rotation', { limit: 10 });
        expect(idsOf(hits)).toEqual([...fresh].reverse());
      });

      it('keeps apart more items than fit in one millisecond, written in one go', async () => {
        const at = clock.now().toISOString();
        clock.advance(1);
        const later = await remember('A marker written one millisecond later');
        const bulk: MemoryItem[] = Array.from({ length: 1_100 }, (_, i) => ({
          id: newId(),
          kind: 'raw_interaction',
          scope: 'workspace',
          scopeId: null,
          scopeRef: null,
          text: `bulk capture number ${i}`,
          tags: [],
          metadata: {},
          author: ACTOR,
          runId: null,
          createdAt: at,
          forgottenAt: null,
          forgottenBy: null,
          forgetReason: null,
        }));
        await store.transaction('write', (repos) => repos.memory.insertMany(bulk));
        expect(await memoryCount()).toBe(1_101);
        const hits = await recall('bulk capture', { limit: 100 });
        expect(new Set(idsOf(hits)).size).toBe(100);
        expect(idsOf(await recall('"number 1099"'))).toEqual([bulk[1_099]!.id]);
        expect(idsOf(await recall('marker'))).toEqual([later.id]);
      });

      it('filters by scope, kind of scope, kind, tags, time and limit', async () => {
        const lesson = await remember('backup lesson about the NAS', {
          scope: 'project:HOME',
          tags: ['backup', 'nas'],
        });
        clock.advance(DAY);
        const summary = await remember('backup summary of the task', {
          kind: 'task_summary',
          scope: 'task:HOME-1',
          tags: ['backup'],
        });
        clock.advance(DAY);
        const handoff = await remember('backup handoff to the reviewer', {
          kind: 'handoff',
          scope: 'agent:reviewer',
        });
        clock.advance(DAY);
        const general = await remember('backup policy of the workspace', { tags: ['nas'] });
        const found = async (extra: OperationInput) =>
          new Set(idsOf(await recall('backup', extra)));

        expect(await found({})).toEqual(new Set([lesson.id, summary.id, handoff.id, general.id]));
        expect(await found({ scope: 'project:home' })).toEqual(new Set([lesson.id]));
        expect(await found({ scope: 'task' })).toEqual(new Set([summary.id]));
        expect(await found({ scope: 'task:HOME-2' })).toEqual(new Set());
        expect(await found({ scope: 'agent:reviewer' })).toEqual(new Set([handoff.id]));
        expect(await found({ scope: 'workspace' })).toEqual(new Set([general.id]));
        expect(await found({ kind: ['lesson'] })).toEqual(new Set([lesson.id, general.id]));
        expect(await found({ kind: ['task_summary', 'handoff'] })).toEqual(
          new Set([summary.id, handoff.id]),
        );
        expect(await found({ tags: ['backup'] })).toEqual(new Set([lesson.id, summary.id]));
        expect(await found({ tags: ['backup', 'nas'] })).toEqual(new Set([lesson.id]));
        expect(await found({ tags: ['nas'], kind: ['lesson'], scope: 'workspace' })).toEqual(
          new Set([general.id]),
        );
        expect(await found({ since: summary.createdAt })).toEqual(
          new Set([summary.id, handoff.id, general.id]),
        );
        expect(await found({ until: summary.createdAt })).toEqual(new Set([lesson.id]));
        expect(await found({ since: '36h' })).toEqual(new Set([handoff.id, general.id]));
        expect(await found({ since: '2026-01-02', until: '2026-01-04' })).toEqual(
          new Set([summary.id, handoff.id]),
        );
        expect(await recall('backup', { limit: 2 })).toHaveLength(2);
        const refused = await fails(recall('backup', { since: 'last week' }), 'invalid_input');
        expect(refused.details['field']).toBe('since');
        // A tag's words are searched too, below the text's.
        expect(idsOf(await recall('nas'))).toEqual(expect.arrayContaining([lesson.id, general.id]));
      });

      it('never fails on hostile query text', async () => {
        const item = await remember('The backup of HOME-12 needs the NAS');
        // Each is text, never syntax: these find the item by its word backup…
        const findIt = [
          '"backup',
          'backup AND',
          'backup*',
          '-backup',
          '(backup',
          '{text tags}: backup',
          '^backup',
          '😀 backup 😀',
          '\ud800backup',
          'backup & nas | !x <-> y',
          'NEAR(backup nas, 2)',
        ];
        // …and these, with nothing to find or a phrase that is not there, find nothing or
        // something, but fail never.
        const others = [
          '"',
          '""',
          "'",
          'AND',
          'OR OR NOT',
          '*',
          '-',
          'NEAR(',
          '(((',
          ')))',
          'text:backup',
          '😀',
          'back\u0000up',
          "'; drop table memory_items; --",
          '\\',
          '% _ ? $1 :x @x',
          'a'.repeat(1_000),
        ];
        for (const query of findIt) expect(idsOf(await recall(query)), query).toContain(item.id);
        for (const query of others) expect(Array.isArray(await recall(query)), query).toBe(true);
        await fc.assert(
          fc.asyncProperty(
            fc.oneof(
              fc.string({ unit: 'binary', maxLength: 40 }),
              fc
                .array(
                  fc.constantFrom(
                    '"',
                    '(',
                    ')',
                    '*',
                    '-',
                    ':',
                    '^',
                    '{',
                    '}',
                    'AND',
                    'OR',
                    'NOT',
                    'NEAR(',
                    '😀',
                    'backup',
                    'nas',
                    ' ',
                    '\\',
                    "'",
                    '\u0000',
                    '&',
                    '|',
                    '!',
                  ),
                  { maxLength: 12 },
                )
                .map((parts) => parts.join('')),
            ),
            fc.constantFrom<'any' | 'all'>('any', 'all'),
            async (query, match) => {
              if (query.trim() === '') {
                const error = await fails(recall(query, { match }), 'invalid_input');
                expect(error.details['field']).toBe('query');
              } else {
                expect(Array.isArray(await recall(query, { match }))).toBe(true);
              }
            },
          ),
          { numRuns: 150 },
        );
      });

      it('forgets an item: out of search, readable as forgotten, audited with who, when and why', async () => {
        const kept = await remember('The NAS backup runs nightly');
        clock.advance(MINUTE);
        const wrong = await remember('The NAS backup runs weekly');
        expect(new Set(idsOf(await recall('nas backup')))).toEqual(new Set([kept.id, wrong.id]));

        clock.advance(MINUTE);
        const forgotten = await run(
          'memory.forget',
          { id: wrong.id, reason: 'it runs nightly' },
          'bob',
        );
        expect(forgotten).toEqual({
          ...wrong,
          forgottenAt: clock.now().toISOString(),
          forgottenBy: 'bob',
          forgetReason: 'it runs nightly',
        });
        expect(idsOf(await recall('nas backup'))).toEqual([kept.id]);
        expect(await recall('weekly')).toEqual([]);
        expect(await run('memory.get', { id: wrong.id })).toEqual(forgotten);

        const entries = await auditLog({ target: wrong.id });
        expect(entries.map((entry) => [entry.operation, entry.actor])).toEqual([
          ['memory.store', ACTOR],
          ['memory.forget', 'bob'],
        ]);
        expect(entries[1]).toMatchObject({ targetKind: 'memory', targetId: wrong.id });
        expect(entries[1]?.changes).toEqual({
          forgottenAt: { before: null, after: clock.now().toISOString() },
          forgottenBy: { before: null, after: 'bob' },
          forgetReason: { before: null, after: 'it runs nightly' },
        });
        expect(entries[0]?.changes['kind']).toEqual({ before: null, after: 'lesson' });

        clock.advance(MINUTE);
        expect(await run('memory.forget', { id: wrong.id }, 'carl')).toEqual(forgotten);
        expect(await auditLog({ target: wrong.id })).toHaveLength(2);
        const unknown = await fails(
          run('memory.forget', { id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }),
          'not_found',
        );
        expect(unknown.details['field']).toBe('id');
        await fails(run('memory.get', { id: 'ZZZZZZZZ' }), 'not_found');
      });

      it('changes nothing when an input is refused or a transaction fails', async () => {
        const kept = await remember('The NAS backup runs nightly');
        const audits = (await auditLog()).length;
        const refusals: [OperationInput, string][] = [
          [{ text: '', kind: 'lesson' }, 'text'],
          [{ text: 'x', kind: 'memo' }, 'kind'],
          [{ text: 'x' }, 'kind'],
          [{ text: 'x', kind: 'lesson', tags: ['has space'] }, 'tags.0'],
          [{ text: 'x', kind: 'lesson', metadata: { blob: 'y'.repeat(30_000) } }, 'metadata'],
          [{ text: 'x\u0000y', kind: 'lesson' }, 'text'],
          [{ text: 'x', kind: 'lesson', colour: 'red' }, '(input)'],
        ];
        for (const [input, field] of refusals) {
          const error = await fails(run('memory.store', input), 'invalid_input');
          expect(error.details['field'], JSON.stringify(input).slice(0, 80)).toBe(field);
        }
        for (const [input, field] of [
          [{ query: '' }, 'query'],
          [{ query: 'x', limit: 0 }, 'limit'],
          [{ query: 'x', match: 'some' }, 'match'],
          [{ query: 'x', kind: ['memo'] }, 'kind.0'],
        ] as const) {
          const error = await fails(run('memory.search', input), 'invalid_input');
          expect(error.details['field']).toBe(field);
        }

        // A store whose transaction fails after the insert leaves neither the item nor its
        // index entry; a failed forget leaves the item searchable.
        const context = (repos: Repositories, operation: string) => contextFor(repos, operation);
        await expect(
          store.transaction('write', async (repos) => {
            await storeMemory(context(repos, 'memory.store'), {
              text: 'Phantom memory about the NAS backup',
              kind: 'lesson',
            });
            throw new Error('boom after the insert');
          }),
        ).rejects.toThrow('boom after the insert');
        await expect(
          store.transaction('write', async (repos) => {
            await forgetMemory(context(repos, 'memory.forget'), { id: kept.id });
            throw new Error('boom after the forget');
          }),
        ).rejects.toThrow('boom after the forget');

        expect(await memoryCount()).toBe(1);
        expect(idsOf(await recall('phantom nas backup'))).toEqual([kept.id]);
        expect((await run('memory.get', { id: kept.id })).forgottenAt).toBeNull();
        expect(await auditLog()).toHaveLength(audits);
      });

      describe('vectors', () => {
        /** A deterministic embedder (hashed bag of words) that counts its calls and can fail. */
        const hashedEmbedder = (space: EmbeddingSpace, calls: string[][] = []) => {
          let failing: string | undefined;
          const embedder: Embedder & { fail(reason?: string): void } = {
            space,
            embed(texts) {
              calls.push([...texts]);
              if (failing !== undefined) return Promise.reject(new Error(failing));
              return Promise.resolve(texts.map((text) => hashedEmbedding(text, space.dimensions)));
            },
            fail(reason) {
              failing = reason;
            },
          };
          return embedder;
        };
        const SPACE: EmbeddingSpace = { model: 'mock:hashed', dimensions: 64 };
        let calls: string[][];
        let embedder: ReturnType<typeof hashedEmbedder>;
        let vectors: MemoryVectors;
        let hybrid: OperationRunner;
        const search = (query: string, extra: OperationInput = {}) =>
          runOn(hybrid, 'memory.search', { query, ...extra }, ACTOR);
        const counts = () => store.transaction('read', (repos) => repos.memory.vectorCounts());
        const backendOf = () => (store.dialect === 'sqlite' ? 'sqlite-vec' : 'exact-scan');
        const useEmbedder = (next: ReturnType<typeof hashedEmbedder>) => {
          embedder = next;
          vectors = createMemoryVectors(store, embedder);
          hybrid = createOperationRunner({
            store,
            clock,
            newId,
            validateOutput: true,
            memoryVectors: vectors,
          });
        };

        beforeEach(() => {
          calls = [];
          useEmbedder(hashedEmbedder(SPACE, calls));
        });

        it('stores items as pending and embeds each once, in batches, outside memory.store', async () => {
          for (let i = 0; i < 5; i++) {
            await runOn(
              hybrid,
              'memory.store',
              { text: `lesson number ${i}`, kind: 'lesson' },
              ACTOR,
            );
          }
          // Storing never called the embedder.
          expect(calls).toEqual([]);
          expect(await counts()).toEqual({ items: 5, embedded: 0, pending: 5 });
          const progress: number[] = [];
          const report = await vectors.embedPending({
            batchSize: 2,
            onProgress: (p) => progress.push(p.embedded),
          });
          expect(report).toMatchObject({
            model: 'mock:hashed',
            dimensions: 64,
            backend: backendOf(),
            embedded: 5,
            reembedding: true,
            items: 5,
            embeddedTotal: 5,
            pending: 0,
          });
          expect(calls.map((batch) => batch.length)).toEqual([2, 2, 1]);
          expect(progress).toEqual([2, 4, 5]);
          // Nothing pending: no call, no write.
          expect((await runOn(hybrid, 'memory.embed', {}, ACTOR)).embedded).toBe(0);
          expect(calls).toHaveLength(3);
          expect(await counts()).toEqual({ items: 5, embedded: 5, pending: 0 });
        });

        it('fuses vector and full-text rankings by reciprocal rank and says which side matched', async () => {
          const both = await remember('Restore the NAS backup weekly from the offsite copy');
          const vectorOnly = await remember('The NAS mirror lives offsite');
          await remember('Rotate the bucket credentials yearly');
          await vectors.embedPending();
          // `all`: only items holding every term on the text side; the vector side still finds
          // the item sharing some of the words.
          const hits = await search('nas offsite backup', { match: 'all' });
          expect(idsOf(hits)).toEqual([both.id, vectorOnly.id]);
          expect(hits.map((hit) => hit.matched)).toEqual([['text', 'vector'], ['vector']]);
          // Reciprocal rank fusion: 1/61 + 1/61 for the first, 1/62 for the second.
          expect(hits[0]!.score).toBeCloseTo(2 / 61, 4);
          expect(hits[1]!.score).toBeCloseTo(1 / 62, 4);
          expect(hits.every((hit) => hit.note === undefined)).toBe(true);
          // Without an embedder the same search is full-text only.
          const text = await recall('nas offsite backup', { match: 'all' });
          expect(idsOf(text)).toEqual([both.id]);
          expect(text[0]!.matched).toEqual(['text']);
        });

        it('applies scope, kind, tag and time filters on the vector side too', async () => {
          const inProject = await remember('NAS offsite mirror notes', {
            scope: 'project:HOME',
            kind: 'design_doc',
            tags: ['storage'],
          });
          clock.advance(2 * DAY);
          const elsewhere = await remember('NAS offsite mirror checklist');
          await vectors.embedPending();
          const only = async (extra: OperationInput) =>
            idsOf(await search('offsite nas replica', extra));
          expect(await only({})).toEqual(expect.arrayContaining([inProject.id, elsewhere.id]));
          expect(await only({ scope: 'project:HOME' })).toEqual([inProject.id]);
          expect(await only({ kind: ['design_doc'] })).toEqual([inProject.id]);
          expect(await only({ tags: ['storage'] })).toEqual([inProject.id]);
          expect(await only({ since: '1d' })).toEqual([elsewhere.id]);
          expect(await only({ until: '1d' })).toEqual([inProject.id]);
          expect(await only({ scope: 'task' })).toEqual([]);
        });

        it('finds the nearest items by kNN among many, filtered or not', async () => {
          const bulk: MemoryItem[] = [];
          for (let i = 0; i < 300; i++) {
            bulk.push({
              id: newId(),
              kind: i >= 150 && i < 162 ? 'design_doc' : 'lesson',
              scope: 'workspace',
              scopeId: null,
              scopeRef: null,
              text: `filler item ${i} about topic${i % 17} and subject${i % 23}${i < 162 ? ' drill' : ''}`,
              tags: [],
              metadata: {},
              author: ACTOR,
              runId: null,
              createdAt: clock.now().toISOString(),
              forgottenAt: null,
              forgottenBy: null,
              forgetReason: null,
            });
          }
          await store.transaction('write', (repos) => repos.memory.insertMany(bulk));
          const target = await remember('Quarterly restore drill for the tape library', {
            kind: 'design_doc',
          });
          await vectors.embedPending({ batchSize: 100 });
          const nearest = await store.transaction('read', (repos) =>
            repos.memory.searchVectors({
              embedding: hashedEmbedding('restore drill tape', 64),
              limit: 3,
              now: clock.now(),
            }),
          );
          expect(nearest[0]!.id).toBe(target.id);
          expect(nearest).toHaveLength(3);
          expect(nearest.slice(1).every((hit) => hit.score > 0)).toBe(true);
          // 162 items share 'drill' with the query, 12 of them design docs: a filter that drops
          // most neighbours still fills the answer (an exact scan of what passes it).
          const docs = await store.transaction('read', (repos) =>
            repos.memory.searchVectors({
              embedding: hashedEmbedding('restore drill tape', 64),
              kinds: ['design_doc'],
              limit: 13,
              now: clock.now(),
            }),
          );
          expect(docs[0]!.id).toBe(target.id);
          const kinds = new Map(bulk.map((item) => [item.id, item.kind]));
          expect(docs).toHaveLength(13);
          expect(docs.slice(1).every((hit) => kinds.get(hit.id) === 'design_doc')).toBe(true);
          // Items sharing no word with the query have no positive similarity: never found.
          const none = await store.transaction('read', (repos) =>
            repos.memory.searchVectors({
              embedding: hashedEmbedding('zebra', 64),
              limit: 10,
              now: clock.now(),
            }),
          );
          expect(none.every((hit) => hit.score > 0)).toBe(true);
        });

        it("follows a forked run's lineage on the vector side too", async () => {
          const { runs, items } = await forkFamily();
          await vectors.embedPending();
          const nearest = async (runId: string) =>
            idsOf(
              await store.transaction('read', async (repos) =>
                repos.memory.searchVectors({
                  embedding: hashedEmbedding('restore drill', 64),
                  limit: 20,
                  now: clock.now(),
                  lineage: memoryLineage(runId, await repos.runs.family(runId))!,
                }),
              ),
            ).sort();
          expect(await nearest(runs.a)).toEqual(
            [
              items.beforeFork.id,
              items.inA.id,
              items.inALater.id,
              items.unrelated.id,
              items.workspace.id,
            ].sort(),
          );
          expect(await nearest(runs.b)).toEqual(
            [
              items.beforeFork.id,
              items.afterFork.id,
              items.inB.id,
              items.unrelated.id,
              items.workspace.id,
            ].sort(),
          );
          // Through the hybrid search as well: fusion adds nothing from another branch.
          const hybridIds = idsOf(await search('restore drill', { run: runs.a, limit: 20 }));
          expect(hybridIds.sort()).toEqual(await nearest(runs.a));
        });

        it('forgetting an item removes its vector and it leaves the counts', async () => {
          const wrong = await remember('NAS offsite mirror is in the garage');
          const right = await remember('NAS offsite mirror is at the office');
          await vectors.embedPending();
          await run('memory.forget', { id: wrong.id });
          const nearest = await store.transaction('read', (repos) =>
            repos.memory.searchVectors({
              embedding: hashedEmbedding(wrong.text, 64),
              limit: 10,
              now: clock.now(),
            }),
          );
          expect(idsOf(nearest)).toEqual([right.id]);
          expect(await counts()).toEqual({ items: 1, embedded: 1, pending: 0 });
          expect(idsOf(await search('garage'))).toEqual([]);
        });

        it('falls back to full text, saying so, when the embedder fails at search time', async () => {
          const item = await remember('Restore the NAS backup weekly');
          await vectors.embedPending();
          embedder.fail('connect ECONNREFUSED');
          const hits = await search('nas backup');
          expect(idsOf(hits)).toEqual([item.id]);
          expect(hits[0]!.matched).toEqual(['text']);
          expect(hits[0]!.note).toMatch(/embedder failed: connect ECONNREFUSED/);
        });

        it('re-embeds everything when the model or dimensions change, and refuses to mix them meanwhile', async () => {
          const item = await remember('Restore the NAS backup weekly');
          await remember('Rotate the bucket credentials yearly');
          await vectors.embedPending();
          useEmbedder(hashedEmbedder({ model: 'mock:bigger', dimensions: 128 }));
          const before = await search('nas backup');
          expect(idsOf(before)).toEqual([item.id]);
          expect(before[0]!.note).toMatch(
            /stored vectors are of mock:hashed \(64 dimensions\).*bosun memory embed/,
          );
          const report = await runOn(hybrid, 'memory.embed', {}, ACTOR);
          expect(report).toMatchObject({
            reembedding: true,
            embedded: 2,
            pending: 0,
            dimensions: 128,
          });
          const after = await search('nas backup');
          expect(after[0]).toMatchObject({ id: item.id, matched: ['text', 'vector'] });
          expect(after[0]!.note).toBeUndefined();
        });

        it('reports items, embedded, pending and the vector backend in system.health', async () => {
          await remember('Restore the NAS backup weekly');
          await remember('Rotate the bucket credentials yearly');
          expect((await run('system.health', {})).memory).toEqual({
            items: 2,
            embedded: 0,
            pending: 2,
            backend: 'off',
            model: null,
          });
          await vectors.embedPending({ limit: 1 });
          const health = await runOn(hybrid, 'system.health', {}, ACTOR);
          expect(health.memory).toEqual({
            items: 2,
            embedded: 1,
            pending: 1,
            backend: backendOf(),
            model: 'mock:hashed',
          });
          expect(health.report).toContain(`1 embedded, 1 pending · mock:hashed on ${backendOf()}`);
        });

        it('refuses memory.embed without an embedder, naming embeddings', async () => {
          const error = await fails(run('memory.embed', {}), 'unavailable');
          expect(error.message).toMatch(/embeddings:/);
        });
      });
    });
  });
}
