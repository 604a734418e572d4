/** Agents: the crew of bosun.yaml, and the workers and problems system.health reports. */

import { useQuery } from '../api.js';
import { ErrorBox, money, Table, when } from '../components.js';
import { autoColumns } from './overview.js';

export function AgentsPage() {
  const agents = useQuery('agent.list', {});
  const health = useQuery('system.health', {});
  const spend = useQuery('cost.report', { by: 'agent' });
  const h = health.data as
    | {
        ok: boolean;
        problems: string[];
        report: string;
        workers: Record<string, unknown>[];
        agents: Record<string, unknown>[];
      }
    | undefined;
  return (
    <>
      <h1>Agents</h1>
      <ErrorBox error={agents.error ?? health.error} />
      <Table
        label="Agents"
        rows={agents.data as Record<string, unknown>[] | undefined}
        empty="No agents yet: 'bosun agent scaffold NAME'."
        columns={autoColumns(agents.data as object[] | undefined)}
      />
      <h2>Spend by agent</h2>
      <Table
        label="Spend by agent"
        rows={spend.data?.rows}
        empty="No agent has spent anything yet."
        columns={[
          { key: 'label', label: 'Agent' },
          { key: 'calls', label: 'Model calls' },
          { key: 'costUsd', label: 'Cost', render: (r) => money(r.costUsd) },
        ]}
      />
      <h2>Workers</h2>
      <Table
        label="Workers"
        rows={h?.workers}
        empty="No worker registered."
        columns={[
          { key: 'id', label: 'Worker' },
          { key: 'host', label: 'Host' },
          { key: 'pid', label: 'PID' },
          { key: 'concurrency', label: 'Slots' },
          { key: 'startedAt', label: 'Started', render: (w) => when(w['startedAt'] as string) },
          {
            key: 'heartbeatAt',
            label: 'Last heartbeat',
            render: (w) => when(w['heartbeatAt'] as string),
          },
          { key: 'stale', label: 'Stale', render: (w) => (w['stale'] ? 'stale' : 'live') },
        ]}
      />
      <h2>Health</h2>
      {h ? (
        <>
          <p>{h.ok ? 'All well.' : 'Needs attention:'}</p>
          {h.problems.map((p) => (
            <p key={p} className="error">
              {p}
            </p>
          ))}
          <pre>{h.report}</pre>
        </>
      ) : null}
    </>
  );
}
