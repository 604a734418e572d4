/** A run's DAG as SVG: one column per dependency depth, steps colored by status. */

import type { KeyboardEvent } from 'react';
import type { GraphStep } from './run-state.js';

export type { GraphStep };

const W = 140;
const H = 46;
const GAP_X = 50;
const GAP_Y = 22;
const PAD = 16;

/** Depth of each step: 0 without needs, else one more than its deepest need. */
export function levels(steps: readonly GraphStep[]): Map<string, number> {
  const byKey = new Map(steps.map((s) => [s.key, s]));
  const depth = new Map<string, number>();
  const visit = (key: string, seen: Set<string>): number => {
    const known = depth.get(key);
    if (known !== undefined) return known;
    if (seen.has(key)) return 0; // a cycle cannot be stored, but never loop on one
    seen.add(key);
    const needs = byKey.get(key)?.needs.filter((n) => byKey.has(n)) ?? [];
    const d = needs.length === 0 ? 0 : 1 + Math.max(...needs.map((n) => visit(n, seen)));
    depth.set(key, d);
    return d;
  };
  for (const step of steps) visit(step.key, new Set());
  return depth;
}

export function Dag(props: {
  steps: readonly GraphStep[];
  selected: string | null;
  onSelect: (key: string) => void;
}) {
  const depth = levels(props.steps);
  const columns: GraphStep[][] = [];
  for (const step of props.steps) (columns[depth.get(step.key) ?? 0] ??= []).push(step);
  const at = new Map<string, { x: number; y: number }>();
  columns.forEach((column, level) =>
    column.forEach((step, row) =>
      at.set(step.key, { x: PAD + level * (W + GAP_X), y: PAD + row * (H + GAP_Y) }),
    ),
  );
  const width = PAD * 2 + Math.max(1, columns.length) * (W + GAP_X) - GAP_X;
  const height = PAD * 2 + Math.max(1, ...columns.map((c) => c.length)) * (H + GAP_Y) - GAP_Y;
  const onKey = (key: string) => (event: KeyboardEvent) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      props.onSelect(key);
    }
  };
  return (
    <div className="dag panel">
      <svg
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="group"
        aria-label="Run graph"
      >
        {props.steps.flatMap((step) =>
          step.needs.map((need) => {
            const from = at.get(need);
            const to = at.get(step.key);
            if (!from || !to) return null;
            const x1 = from.x + W;
            const y1 = from.y + H / 2;
            const x2 = to.x;
            const y2 = to.y + H / 2;
            const mid = (x1 + x2) / 2;
            return (
              <path
                key={`${need}->${step.key}`}
                className="edge"
                d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2 - 4},${y2}`}
                markerEnd="url(#arrow)"
              />
            );
          }),
        )}
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="8"
            refY="5"
            markerWidth="6"
            markerHeight="6"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" fill="currentColor" />
          </marker>
        </defs>
        {props.steps.map((step) => {
          const p = at.get(step.key)!;
          return (
            <g
              key={step.key}
              className={`node s-${step.status}${props.selected === step.key ? ' selected' : ''}`}
              transform={`translate(${p.x} ${p.y})`}
              tabIndex={0}
              role="button"
              aria-pressed={props.selected === step.key}
              aria-label={`${step.key}: ${step.status}`}
              data-step={step.key}
              data-status={step.status}
              onClick={() => props.onSelect(step.key)}
              onKeyDown={onKey(step.key)}
            >
              <rect width={W} height={H} />
              <text x="10" y="19" fontWeight="600">
                {step.key.length > 20 ? `${step.key.slice(0, 19)}…` : step.key}
              </text>
              <text x="10" y="36">
                {step.status}
                {step.attempts > 1 ? ` · ${step.attempts} attempts` : ''}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
