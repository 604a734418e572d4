/** Costs: spend grouped by day, model, agent or project, as a chart and a table. */

import { useState } from 'react';
import { useJournal, useQuery } from '../api.js';
import { BarChart, BudgetTable, ErrorBox, money, Table, Tabs } from '../components.js';

const GROUPS = ['day', 'model', 'agent', 'project', 'run'] as const;

export function CostsPage() {
  const [by, setBy] = useState<(typeof GROUPS)[number]>('day');
  const report = useQuery('cost.report', { by });
  const status = useQuery('workspace.status', {});
  useJournal({ kinds: ['step-end', 'run-end'] }, () => report.reload());
  const r = report.data;
  return (
    <>
      <h1>Costs</h1>
      <Tabs
        tabs={GROUPS.map((g) => ({ id: g, label: `By ${g}` }))}
        current={by}
        onChange={(id) => setBy(id as (typeof GROUPS)[number])}
      />
      <ErrorBox error={report.error} />
      {r ? (
        <>
          <p>
            Total <strong data-testid="cost-total">{money(r.total.costUsd)}</strong> over{' '}
            {r.total.calls} call(s), {r.total.inputTokens + r.total.outputTokens} tokens
          </p>
          {r.rows.length > 0 ? (
            <div className="panel">
              <BarChart rows={r.rows.map((row) => ({ label: row.label, value: row.costUsd }))} />
            </div>
          ) : null}
          <Table
            label={`Spend by ${by}`}
            rows={r.rows}
            empty="No spend recorded yet."
            sortable
            columns={[
              { key: 'label', label: by },
              { key: 'calls', label: 'Calls' },
              { key: 'inputTokens', label: 'Input tokens' },
              { key: 'outputTokens', label: 'Output tokens' },
              { key: 'costUsd', label: 'Cost', render: (row) => money(row.costUsd) },
            ]}
          />
        </>
      ) : null}
      <h2>Budgets and headroom</h2>
      <BudgetTable budgets={status.data?.spend.budgets} />
    </>
  );
}
