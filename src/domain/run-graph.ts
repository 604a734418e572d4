/** A run's DAG as Mermaid text, each step labelled and classed by its status. */

import type { StepStatus } from './run.js';

export interface GraphStep {
  readonly key: string;
  readonly status: StepStatus;
  readonly needs: readonly string[];
  readonly attempts: number;
}

const STATUS_STYLE: Readonly<Record<StepStatus, string>> = {
  waiting: 'fill:#eeeeee,stroke:#999999,color:#333333',
  ready: 'fill:#e3f2fd,stroke:#1e88e5,color:#0d47a1',
  running: 'fill:#fff3e0,stroke:#fb8c00,color:#e65100',
  approval: 'fill:#f3e5f5,stroke:#8e24aa,color:#4a148c',
  held: 'fill:#fff8e1,stroke:#f9a825,color:#f57f17',
  succeeded: 'fill:#e8f5e9,stroke:#43a047,color:#1b5e20',
  failed: 'fill:#ffebee,stroke:#e53935,color:#b71c1c',
  skipped: 'fill:#fafafa,stroke:#bdbdbd,color:#757575',
  cancelled: 'fill:#fafafa,stroke:#757575,color:#424242',
};

/** Mermaid labels are quoted; a quote inside becomes its HTML entity. */
const label = (text: string): string => text.replace(/"/g, '#quot;');

export function toMermaid(steps: readonly GraphStep[]): string {
  const node = new Map(steps.map((step, index) => [step.key, `s${index}`]));
  const lines = ['flowchart TD'];
  for (const step of steps) {
    const tries = step.attempts > 1 ? ` ×${step.attempts}` : '';
    lines.push(
      `  ${node.get(step.key)}["${label(step.key)}<br/>${step.status}${tries}"]:::${step.status}`,
    );
  }
  for (const step of steps) {
    for (const need of step.needs) {
      const from = node.get(need);
      if (from) lines.push(`  ${from} --> ${node.get(step.key)}`);
    }
  }
  const used = new Set(steps.map((step) => step.status));
  for (const [status, style] of Object.entries(STATUS_STYLE)) {
    if (used.has(status as StepStatus)) lines.push(`  classDef ${status} ${style}`);
  }
  return lines.join('\n');
}
