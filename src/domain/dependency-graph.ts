/**
 * DAG algorithms over task dependencies. An edge `task → dependsOn` means "task waits for
 * dependsOn". Pure functions over adjacency maps; the service feeds them from the store.
 */

import { BosunError } from '../shared/errors.js';

export type Adjacency = ReadonlyMap<string, readonly string[]>;

/**
 * Finds a path `from → … → to` following edges, or null. Used before adding `task → dependsOn`:
 * if dependsOn already reaches task, the new edge would close the cycle.
 */
export function findPath(
  from: string,
  to: string,
  next: (node: string) => readonly string[],
): string[] | null {
  const parent = new Map<string, string | null>([[from, null]]);
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    if (node === to) {
      const path: string[] = [];
      for (let at: string | null = node; at !== null; at = parent.get(at) ?? null) path.push(at);
      return path.reverse();
    }
    for (const neighbour of next(node)) {
      if (!parent.has(neighbour)) {
        parent.set(neighbour, node);
        queue.push(neighbour);
      }
    }
  }
  return null;
}

export function cycleError(labels: readonly string[], field = 'dependsOn'): BosunError {
  return new BosunError(
    'cycle',
    `${field}: would create a dependency cycle ${labels.join(' → ')}`,
    {
      details: { field, cycle: labels },
    },
  );
}

/**
 * Kahn's algorithm over `dependsOn` edges: returns nodes so that every dependency comes before its
 * dependents, or throws a cycle error naming one cycle.
 */
export function topologicalOrder(nodes: readonly string[], dependsOn: Adjacency): string[] {
  const dependents = new Map<string, string[]>();
  const remaining = new Map<string, number>();
  for (const node of nodes) remaining.set(node, 0);
  for (const node of nodes) {
    for (const dep of dependsOn.get(node) ?? []) {
      if (!remaining.has(dep)) continue;
      remaining.set(node, remaining.get(node)! + 1);
      const list = dependents.get(dep);
      if (list) list.push(node);
      else dependents.set(dep, [node]);
    }
  }
  const order: string[] = [];
  for (const [node, count] of remaining) if (count === 0) order.push(node);
  for (let i = 0; i < order.length; i++) {
    for (const dependent of dependents.get(order[i]!) ?? []) {
      const left = remaining.get(dependent)! - 1;
      remaining.set(dependent, left);
      if (left === 0) order.push(dependent);
    }
  }
  if (order.length < nodes.length) {
    const placed = new Set(order);
    const start = nodes.find((node) => !placed.has(node))!;
    throw cycleError(
      findCycleFrom(start, dependsOn, (node) => remaining.has(node) && !placed.has(node)),
    );
  }
  return order;
}

function findCycleFrom(
  start: string,
  dependsOn: Adjacency,
  unplaced: (node: string) => boolean,
): string[] {
  // Every unplaced node has an unplaced dependency in the set, so walking them must revisit one.
  const seen = new Map<string, number>();
  const walk: string[] = [];
  let node = start;
  while (!seen.has(node)) {
    seen.set(node, walk.length);
    walk.push(node);
    node = (dependsOn.get(node) ?? []).find(unplaced)!;
  }
  return [...walk.slice(seen.get(node)), node];
}

/**
 * Longest chain of dependents below each node (0 for a node nothing waits on). `order` must be
 * a topological order (dependencies first), so walking it backwards sees dependents first. Nodes
 * for which `counts` is false (cancelled work) still get a depth but add nothing to others'.
 */
export function downstreamDepths(
  order: readonly string[],
  dependsOn: Adjacency,
  counts: (node: string) => boolean = () => true,
): Map<string, number> {
  const depth = new Map<string, number>();
  for (const node of order) depth.set(node, 0);
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i]!;
    if (!counts(node)) continue;
    const below = depth.get(node)! + 1;
    for (const dep of dependsOn.get(node) ?? []) {
      if (depth.has(dep) && depth.get(dep)! < below) depth.set(dep, below);
    }
  }
  return depth;
}
