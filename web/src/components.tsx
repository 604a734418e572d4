/** Small building blocks shared by the pages: tables, badges, errors, tabs, money. */

import type { ReactNode } from 'react';
import { useState } from 'react';
import { Link } from './router.js';

export const money = (usd: number | null | undefined): string =>
  usd === null || usd === undefined ? '—' : `$${usd.toFixed(usd !== 0 && usd < 0.01 ? 4 : 2)}`;

export const when = (at: string | null | undefined): string =>
  at ? new Date(at).toLocaleString() : '—';

export function Badge(props: { status: string }) {
  return <span className={`badge s-${props.status}`}>{props.status.replace('_', ' ')}</span>;
}

export function ErrorBox(props: { error: string | null | undefined }) {
  return props.error ? (
    <div className="error" role="alert">
      {props.error}
    </div>
  ) : null;
}

export interface Column<T> {
  readonly key: string;
  readonly label: string;
  readonly render?: (row: T) => ReactNode;
  /** Sort on this value (default: the field of that key). */
  readonly sort?: (row: T) => string | number;
}

const cell = (value: unknown): ReactNode =>
  value === null || value === undefined
    ? '—'
    : typeof value === 'object'
      ? JSON.stringify(value)
      : String(value);

/** A table; with `sortable`, each header is a button that sorts by its column. */
export function Table<T extends object>(props: {
  rows: readonly T[] | undefined;
  columns: readonly Column<T>[];
  empty?: string;
  sortable?: boolean;
  rowClass?: (row: T) => string | undefined;
  label?: string;
}) {
  const [sort, setSort] = useState<{ key: string; desc: boolean } | null>(null);
  if (!props.rows) return <p className="muted">Loading…</p>;
  if (props.rows.length === 0) return <p className="muted">{props.empty ?? 'Nothing yet.'}</p>;
  const valueOf = (row: T, column: Column<T>) =>
    column.sort ? column.sort(row) : ((row as Record<string, unknown>)[column.key] as string);
  let rows = props.rows;
  const sorted = sort && props.columns.find((c) => c.key === sort.key);
  if (sorted) {
    rows = [...rows].sort((a, b) => {
      const x = valueOf(a, sorted);
      const y = valueOf(b, sorted);
      const order = x < y ? -1 : x > y ? 1 : 0;
      return sort.desc ? -order : order;
    });
  }
  return (
    <table aria-label={props.label}>
      <thead>
        <tr>
          {props.columns.map((column) => (
            <th
              key={column.key}
              aria-sort={
                sort?.key === column.key ? (sort.desc ? 'descending' : 'ascending') : undefined
              }
            >
              {props.sortable ? (
                <button
                  type="button"
                  onClick={() =>
                    setSort((s) => ({
                      key: column.key,
                      desc: s?.key === column.key ? !s.desc : false,
                    }))
                  }
                >
                  {column.label}
                  {sort?.key === column.key ? (sort.desc ? ' ▼' : ' ▲') : ''}
                </button>
              ) : (
                column.label
              )}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, i) => (
          <tr key={(row as { id?: string }).id ?? i} className={props.rowClass?.(row)}>
            {props.columns.map((column) => (
              <td key={column.key}>
                {column.render
                  ? column.render(row)
                  : cell((row as Record<string, unknown>)[column.key])}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

interface RunRow {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly costUsd: number | null;
  readonly createdAt: string;
}

/** The columns every table of runs shows alike: the run (linked), status, cost, start. */
export function runColumn<T extends RunRow>(
  key: 'name' | 'status' | 'costUsd' | 'createdAt',
): Column<T> {
  switch (key) {
    case 'name':
      return { key, label: 'Run', render: (r) => <Link to={`/runs/${r.id}`}>{r.name}</Link> };
    case 'status':
      return { key, label: 'Status', render: (r) => <Badge status={r.status} /> };
    case 'costUsd':
      return { key, label: 'Cost', render: (r) => money(r.costUsd) };
    case 'createdAt':
      return { key, label: 'Started', render: (r) => when(r.createdAt) };
  }
}

export function Tabs(props: {
  tabs: readonly { id: string; label: string }[];
  current: string;
  onChange: (id: string) => void;
}) {
  return (
    <div className="tabs" role="tablist">
      {props.tabs.map((tab) => (
        <button
          key={tab.id}
          type="button"
          role="tab"
          aria-selected={tab.id === props.current}
          onClick={() => props.onChange(tab.id)}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}

/** Horizontal bars: one per row, labelled, scaled to the largest. */
export function BarChart(props: { rows: readonly { label: string; value: number }[] }) {
  const max = Math.max(...props.rows.map((r) => r.value), 0.000001);
  const height = props.rows.length * 26 + 4;
  return (
    <svg
      className="chart"
      width="100%"
      height={height}
      viewBox={`0 0 640 ${height}`}
      preserveAspectRatio="xMinYMin meet"
      role="img"
      aria-label="spend chart"
    >
      {props.rows.map((row, i) => (
        <g key={row.label} transform={`translate(0 ${i * 26 + 2})`}>
          <text x="0" y="16">
            {row.label.slice(0, 24)}
          </text>
          <rect x="180" y="3" height="18" width={Math.max(1, (row.value / max) * 380)} />
          <text x={190 + (row.value / max) * 380} y="16">
            {money(row.value)}
          </text>
        </g>
      ))}
    </svg>
  );
}

export interface BudgetStanding {
  readonly name: string;
  readonly scope: string;
  readonly limitUsd: number | null;
  readonly limitTokens: number | null;
  readonly usedUsd: number | null;
  readonly usedTokens: number | null;
  readonly headroomUsd: number | null;
  readonly headroomTokens: number | null;
  readonly state: 'ok' | 'warning' | 'exceeded' | 'per_run';
}

/** The budgets of bosun.yaml: spend against each limit, headroom, warnings highlighted. */
export function BudgetTable(props: { budgets: readonly BudgetStanding[] | undefined }) {
  const both = (usd: number | null, tokens: number | null) =>
    [usd === null ? null : money(usd), tokens === null ? null : `${tokens} tokens`]
      .filter(Boolean)
      .join(' · ') || '—';
  return (
    <Table
      label="Budgets"
      rows={props.budgets}
      empty="No budgets configured (bosun.yaml `budgets:`)."
      rowClass={(b) => (b.state === 'warning' || b.state === 'exceeded' ? 'alert' : undefined)}
      columns={[
        { key: 'name', label: 'Budget' },
        { key: 'scope', label: 'Scope' },
        { key: 'used', label: 'Used', render: (b) => both(b.usedUsd, b.usedTokens) },
        { key: 'limit', label: 'Limit', render: (b) => both(b.limitUsd, b.limitTokens) },
        {
          key: 'headroom',
          label: 'Headroom',
          render: (b) => both(b.headroomUsd, b.headroomTokens),
        },
        { key: 'state', label: 'State' },
      ]}
    />
  );
}
