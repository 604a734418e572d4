/**
 * Builds a synthetic workspace document (the export format) of any size: one project, tasks with
 * priorities, roles and scopes, and a dependency DAG where each task waits for up to two earlier
 * ones. Deterministic for a given seed, so runs compare.
 */

import type { WorkspaceDocument } from '../src/core/services/workspace-service.js';
import {
  WORKSPACE_FORMAT,
  WORKSPACE_FORMAT_VERSION,
} from '../src/core/services/workspace-service.js';
import { PRIORITIES } from '../src/domain/task.js';
import { createManualClock } from '../src/shared/clock.js';
import { createUlidGenerator } from '../src/shared/ids.js';

export interface GenerateOptions {
  readonly tasks: number;
  /** Share of tasks already done, 0..1. */
  readonly doneShare?: number;
  readonly seed?: number;
}

export function generateWorkspace(options: GenerateOptions): WorkspaceDocument {
  let state = options.seed ?? 42;
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  const clock = createManualClock('2026-01-01T00:00:00.000Z');
  const newId = createUlidGenerator(clock, (n) =>
    Uint8Array.from({ length: n }, () => Math.floor(random() * 256)),
  );
  const stamp = () => {
    clock.advance(1);
    return clock.now().toISOString();
  };
  const projectId = newId();
  const created = stamp();
  const roles = ['coder', 'tester', 'ops', 'writer'];
  const tasks: WorkspaceDocument['tasks'] = [];
  const dependencies: WorkspaceDocument['dependencies'] = [];
  for (let i = 0; i < options.tasks; i++) {
    const at = stamp();
    const id = newId();
    tasks.push({
      id,
      ref: `BENCH-${i + 1}`,
      projectId,
      title: `Task ${i + 1}`,
      description: '',
      details: '',
      acceptance: [],
      priority: PRIORITIES[Math.floor(random() * 4)]!,
      role: roles[i % roles.length]!,
      tags: [],
      estimate: null,
      parentId: null,
      sprintId: null,
      assignee: null,
      status: random() < (options.doneShare ?? 0) ? 'done' : 'todo',
      scope: [`src/area-${i % 50}/**`],
      leaseExpiresAt: null,
      createdAt: at,
      updatedAt: at,
      deletedAt: null,
    });
    const wanted = i === 0 ? 0 : Math.floor(random() * 3);
    const chosen = new Set<number>();
    for (let k = 0; k < wanted; k++) chosen.add(Math.floor(random() * i));
    for (const dep of chosen)
      dependencies.push({ taskId: id, dependsOnId: tasks[dep]!.id, createdAt: at });
  }
  dependencies.sort((a, b) => (a.taskId + a.dependsOnId < b.taskId + b.dependsOnId ? -1 : 1));
  return {
    format: WORKSPACE_FORMAT,
    version: WORKSPACE_FORMAT_VERSION,
    projects: [
      {
        id: projectId,
        key: 'BENCH',
        name: 'Benchmark',
        description: '',
        status: 'active',
        owner: 'bench',
        startDate: null,
        dueDate: null,
        budgetAmount: null,
        budgetCurrency: null,
        createdAt: created,
        updatedAt: created,
      },
    ],
    sprints: [],
    tasks,
    dependencies,
    todos: [],
    notes: [],
    audit: [],
    records: {},
  };
}
