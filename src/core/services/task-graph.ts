/**
 * Keeps the two counters that make "ready" an index lookup: `openDeps` (dependencies not done)
 * and `downstreamDepth` (longest chain of live dependents). Every edge change and every status
 * change that affects them goes through here, under the store's graph lock.
 */

import { cycleError, findPath } from '../../domain/dependency-graph.js';
import type { Task, TaskStatus } from '../../domain/task.js';
import type { Repositories } from '../../ports/store.js';

export async function addEdge(
  repos: Repositories,
  task: Task,
  dependsOn: Task,
  createdAt: string,
  field: string,
): Promise<void> {
  // The new edge task → dependsOn closes a cycle iff dependsOn already (transitively) waits for task.
  const pathBack = await findPathAsync(repos, dependsOn.id, task.id);
  if (pathBack) {
    const labels = await labelsFor(repos, [task.id, ...pathBack]);
    throw cycleError(labels, field);
  }
  await repos.dependencies.insert({ taskId: task.id, dependsOnId: dependsOn.id, createdAt });
  if (dependsOn.status !== 'done') await repos.tasks.adjustOpenDeps([task.id], 1);
  await refreshDepths(repos, [dependsOn.id]);
}

export async function removeEdge(
  repos: Repositories,
  task: Task,
  dependsOn: Task,
): Promise<boolean> {
  const removed = await repos.dependencies.delete(task.id, dependsOn.id);
  if (!removed) return false;
  if (dependsOn.status !== 'done') await repos.tasks.adjustOpenDeps([task.id], -1);
  await refreshDepths(repos, [dependsOn.id]);
  return true;
}

/** Adjusts dependents and upstream depths after `task` moved from one status to another. */
export async function afterStatusChange(
  repos: Repositories,
  task: Task,
  from: TaskStatus,
  to: TaskStatus,
): Promise<void> {
  if ((from === 'done') !== (to === 'done')) {
    const dependents = await repos.dependencies.dependentsOf([task.id]);
    await repos.tasks.adjustOpenDeps(
      dependents.map((edge) => edge.taskId),
      to === 'done' ? -1 : 1,
    );
  }
  if ((from === 'cancelled') !== (to === 'cancelled')) {
    const upstream = await repos.dependencies.dependenciesOf([task.id]);
    await refreshDepths(
      repos,
      upstream.map((edge) => edge.dependsOnId),
    );
  }
}

/** Recomputes downstream depth from the given tasks upwards, stopping where nothing changes. */
export async function refreshDepths(repos: Repositories, start: readonly string[]): Promise<void> {
  const queue = [...start];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    const task = await repos.tasks.findById(id);
    if (!task) continue;
    const depth = Math.max(0, (await repos.dependencies.maxDependentDepth(id)) + 1);
    if (depth === task.downstreamDepth) continue;
    await repos.tasks.setDownstreamDepth(id, depth);
    const upstream = await repos.dependencies.dependenciesOf([id]);
    queue.push(...upstream.map((edge) => edge.dependsOnId));
  }
}

async function findPathAsync(
  repos: Repositories,
  from: string,
  to: string,
): Promise<string[] | null> {
  // Breadth-first over "waits for" edges, fetching one frontier per query.
  const parent = new Map<string, string | null>([[from, null]]);
  let frontier = [from];
  while (frontier.length > 0) {
    if (parent.has(to)) break;
    const edges = await repos.dependencies.dependenciesOf(frontier);
    const next: string[] = [];
    for (const edge of edges) {
      if (parent.has(edge.dependsOnId)) continue;
      parent.set(edge.dependsOnId, edge.taskId);
      next.push(edge.dependsOnId);
    }
    frontier = next;
  }
  if (!parent.has(to)) return null;
  const adjacency = new Map<string, string[]>();
  for (const [child, via] of parent)
    if (via !== null) adjacency.set(via, [...(adjacency.get(via) ?? []), child]);
  return findPath(from, to, (node) => adjacency.get(node) ?? []);
}

async function labelsFor(repos: Repositories, ids: readonly string[]): Promise<string[]> {
  const tasks = new Map((await repos.tasks.findByIds([...new Set(ids)])).map((t) => [t.id, t.ref]));
  return ids.map((id) => tasks.get(id) ?? id);
}
