import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BosunError } from '../shared/errors.js';
import type { Adjacency } from './dependency-graph.js';
import { cycleError, downstreamDepths, findPath, topologicalOrder } from './dependency-graph.js';
import { catchError } from '../testing/catch-error.js';

function adjacency(edges: Record<string, readonly string[]>): Adjacency {
  return new Map(Object.entries(edges));
}

function neighbours(graph: Adjacency): (node: string) => readonly string[] {
  return (node) => graph.get(node) ?? [];
}

function expectPathFollowsEdges(path: readonly string[], graph: Adjacency): void {
  for (let i = 0; i + 1 < path.length; i++) {
    expect(graph.get(path[i]!) ?? [], `${path[i]} → ${path[i + 1]}`).toContain(path[i + 1]);
  }
}

/** Asserts a thrown cycle error names a real cycle: a closed walk along `dependsOn` edges. */
function expectCycleError(error: unknown, graph: Adjacency): readonly string[] {
  expect(error).toBeInstanceOf(BosunError);
  const bosunError = error as BosunError;
  expect(bosunError.code).toBe('cycle');
  expect(bosunError.details['field']).toBe('dependsOn');
  const cycle = bosunError.details['cycle'] as readonly string[];
  expect(cycle.length).toBeGreaterThanOrEqual(2);
  for (const node of cycle) expect(typeof node).toBe('string');
  expect(cycle[0]).toBe(cycle.at(-1));
  expectPathFollowsEdges(cycle, graph);
  expect(bosunError.message).toContain(cycle.join(' → '));
  return cycle;
}

describe('findPath', () => {
  const graph = adjacency({ a: ['b', 'c'], b: ['d'], c: ['d'], d: ['e'], x: ['a'] });

  it('finds the one-node path from a node to itself', () => {
    expect(findPath('a', 'a', neighbours(graph))).toEqual(['a']);
  });

  it('finds a direct edge', () => {
    expect(findPath('a', 'b', neighbours(graph))).toEqual(['a', 'b']);
  });

  it('finds a shortest path over several edges, from start to end', () => {
    const path = findPath('x', 'e', neighbours(graph));
    expect(path).toHaveLength(5);
    expect(path?.[0]).toBe('x');
    expect(path?.at(-1)).toBe('e');
    expectPathFollowsEdges(path ?? [], graph);
  });

  it('returns null when the target cannot be reached', () => {
    expect(findPath('e', 'a', neighbours(graph))).toBeNull();
    expect(findPath('b', 'c', neighbours(graph))).toBeNull();
  });

  it('terminates on a graph with a cycle that does not reach the target', () => {
    const cyclic = adjacency({ a: ['b'], b: ['c'], c: ['a'] });
    expect(findPath('a', 'z', neighbours(cyclic))).toBeNull();
  });

  it('finds the path that closes a cycle when an edge would be added against it', () => {
    // Adding `a dependsOn c` closes a cycle when c already reaches a.
    const chain = adjacency({ c: ['b'], b: ['a'] });
    expect(findPath('c', 'a', neighbours(chain))).toEqual(['c', 'b', 'a']);
  });
});

describe('cycleError', () => {
  it('names the cycle in the message and the details', () => {
    const error = cycleError(['a', 'b', 'a']);
    expect(error.code).toBe('cycle');
    expect(error.message).toBe('dependsOn: would create a dependency cycle a → b → a');
    expect(error.details).toEqual({ field: 'dependsOn', cycle: ['a', 'b', 'a'] });
  });

  it('names another field when told to', () => {
    const error = cycleError(['A-1', 'A-2', 'A-1'], 'dependencies');
    expect(error.message).toBe('dependencies: would create a dependency cycle A-1 → A-2 → A-1');
    expect(error.details).toEqual({ field: 'dependencies', cycle: ['A-1', 'A-2', 'A-1'] });
  });
});

describe('topologicalOrder', () => {
  it('puts every dependency before its dependents', () => {
    const graph = adjacency({ app: ['lib', 'util'], lib: ['util'], util: [] });
    expect(topologicalOrder(['app', 'lib', 'util'], graph)).toEqual(['util', 'lib', 'app']);
  });

  it('keeps every node, including ones without edges', () => {
    const order = topologicalOrder(['a', 'b', 'c'], adjacency({ a: ['b'] }));
    expect([...order].sort()).toEqual(['a', 'b', 'c']);
    expect(order.indexOf('b')).toBeLessThan(order.indexOf('a'));
  });

  it('returns an empty order for no nodes', () => {
    expect(topologicalOrder([], adjacency({}))).toEqual([]);
  });

  it('ignores dependencies on nodes outside the given set', () => {
    const order = topologicalOrder(['a', 'b'], adjacency({ a: ['outside', 'b'] }));
    expect(order).toEqual(['b', 'a']);
  });

  it('counts a repeated edge once per occurrence without losing the node', () => {
    const order = topologicalOrder(['a', 'b'], adjacency({ a: ['b', 'b'] }));
    expect(order).toEqual(['b', 'a']);
  });

  it('refuses a cycle with a cycle error naming a real cycle', () => {
    const graph = adjacency({ a: ['b'], b: ['c'], c: ['a'], d: ['a'] });
    const cycle = expectCycleError(
      catchError(() => topologicalOrder(['d', 'a', 'b', 'c'], graph)),
      graph,
    );
    expect(new Set(cycle)).toEqual(new Set(['a', 'b', 'c']));
    expect(cycle).toHaveLength(4);
  });

  it('refuses a task that depends on itself', () => {
    const graph = adjacency({ a: ['a'] });
    const cycle = expectCycleError(
      catchError(() => topologicalOrder(['a'], graph)),
      graph,
    );
    expect(cycle).toEqual(['a', 'a']);
  });

  it('names a real cycle when a node on it also depends on a node outside the set', () => {
    const graph = adjacency({ a: ['outside', 'b'], b: ['a'] });
    const cycle = expectCycleError(
      catchError(() => topologicalOrder(['a', 'b'], graph)),
      graph,
    );
    expect(new Set(cycle)).toEqual(new Set(['a', 'b']));
  });
});

describe('downstreamDepths', () => {
  it('gives 0 to a node nothing waits on and the longest chain of dependents to the others', () => {
    // d waits on c, c on b, b on a; e waits on a directly. The longest chain below a is 3.
    const graph = adjacency({ b: ['a'], c: ['b'], d: ['c'], e: ['a'] });
    const order = topologicalOrder(['a', 'b', 'c', 'd', 'e'], graph);
    expect(Object.fromEntries(downstreamDepths(order, graph))).toEqual({
      a: 3,
      b: 2,
      c: 1,
      d: 0,
      e: 0,
    });
  });

  it('lets a node that does not count keep its own depth but add nothing to its dependencies', () => {
    // c waits on b, b (cancelled) waits on a: b still sees c below it, a sees nothing.
    const graph = adjacency({ b: ['a'], c: ['b'] });
    const depths = downstreamDepths(['a', 'b', 'c'], graph, (node) => node !== 'b');
    expect(Object.fromEntries(depths)).toEqual({ a: 0, b: 1, c: 0 });
  });

  it('takes the longest chain that runs through counted nodes only', () => {
    // Two chains reach a: x → y → a where y does not count, and z → a.
    const graph = adjacency({ y: ['a'], x: ['y'], z: ['a'] });
    const depths = downstreamDepths(['a', 'y', 'z', 'x'], graph, (node) => node !== 'y');
    expect(depths.get('a')).toBe(1);
    expect(depths.get('y')).toBe(1);
  });

  it('ignores dependencies on nodes outside the order', () => {
    const depths = downstreamDepths(['a'], adjacency({ a: ['outside'] }));
    expect(Object.fromEntries(depths)).toEqual({ a: 0 });
  });
});

interface RandomGraph {
  readonly nodes: readonly string[];
  readonly graph: Adjacency;
  readonly edges: readonly (readonly [string, string])[];
}

function buildGraph(size: number, edgePairs: readonly (readonly [number, number])[]): RandomGraph {
  const nodes = Array.from({ length: size }, (_, i) => `n${i}`);
  const edges = edgePairs.map(([from, to]) => [`n${from}`, `n${to}`] as const);
  const graph = new Map<string, string[]>();
  for (const [from, to] of edges) graph.set(from, [...(graph.get(from) ?? []), to]);
  return { nodes, graph, edges };
}

/** Random DAG: an edge `i dependsOn j` only ever points from a higher index to a lower one. */
const randomDag: fc.Arbitrary<RandomGraph> = fc.integer({ min: 1, max: 9 }).chain((size) =>
  fc
    .array(
      fc
        .tuple(fc.nat({ max: size - 1 }), fc.nat({ max: size - 1 }))
        .map(([a, b]) => [Math.max(a, b), Math.min(a, b)] as const),
      { maxLength: size * 2 },
    )
    // A pair with equal ends would be a self-loop; dropping it (rather than filtering the
    // generator) keeps one-node graphs generable.
    .map((pairs) => pairs.filter(([from, to]) => from !== to))
    .map((pairs) => buildGraph(size, pairs)),
);

/** Random directed graph that may hold cycles, self-loops included. */
const randomDigraph: fc.Arbitrary<RandomGraph> = fc.integer({ min: 1, max: 7 }).chain((size) =>
  fc
    .array(fc.tuple(fc.nat({ max: size - 1 }), fc.nat({ max: size - 1 })), {
      maxLength: size * 2,
    })
    .map((pairs) => buildGraph(size, pairs)),
);

function hasCycle({ nodes, graph }: RandomGraph): boolean {
  const state = new Map<string, 'open' | 'closed'>();
  const visit = (node: string): boolean => {
    const seen = state.get(node);
    if (seen === 'open') return true;
    if (seen === 'closed') return false;
    state.set(node, 'open');
    const found = (graph.get(node) ?? []).some(visit);
    state.set(node, 'closed');
    return found;
  };
  return nodes.some(visit);
}

/** Longest chain of counted dependents below each node, by plain recursion over the DAG. */
function bruteForceDepths(
  { nodes, edges }: RandomGraph,
  counts: (node: string) => boolean,
): Map<string, number> {
  const depthOf = (node: string): number => {
    let best = 0;
    for (const [dependent, dependency] of edges) {
      if (dependency === node && counts(dependent)) best = Math.max(best, depthOf(dependent) + 1);
    }
    return best;
  };
  return new Map(nodes.map((node) => [node, depthOf(node)]));
}

describe('dependency graph properties', () => {
  it('orders every dependency before its dependents in any DAG, whatever the input order', () => {
    fc.assert(
      fc.property(
        randomDag.chain((dag) =>
          fc.tuple(
            fc.constant(dag),
            fc.shuffledSubarray([...dag.nodes], { minLength: dag.nodes.length }),
          ),
        ),
        ([dag, shuffled]) => {
          const order = topologicalOrder(shuffled, dag.graph);
          expect([...order].sort()).toEqual([...dag.nodes].sort());
          for (const [dependent, dependency] of dag.edges) {
            expect(order.indexOf(dependency)).toBeLessThan(order.indexOf(dependent));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('computes the same depths as a brute-force longest path search', () => {
    fc.assert(
      fc.property(
        randomDag.chain((dag) => fc.tuple(fc.constant(dag), fc.subarray([...dag.nodes]))),
        ([dag, uncounted]) => {
          const counts = (node: string): boolean => !uncounted.includes(node);
          const order = topologicalOrder(dag.nodes, dag.graph);
          expect(downstreamDepths(order, dag.graph, counts)).toEqual(bruteForceDepths(dag, counts));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('throws a cycle error naming a real cycle exactly when the graph has one', () => {
    fc.assert(
      fc.property(randomDigraph, (digraph) => {
        if (hasCycle(digraph)) {
          expectCycleError(
            catchError(() => topologicalOrder(digraph.nodes, digraph.graph)),
            digraph.graph,
          );
        } else {
          const order = topologicalOrder(digraph.nodes, digraph.graph);
          for (const [dependent, dependency] of digraph.edges) {
            expect(order.indexOf(dependency)).toBeLessThan(order.indexOf(dependent));
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
