/**
 * Agents: the crew of bosun.yaml with what each is doing — status (busy while a step of its runs),
 * current step, the last heartbeat of the worker holding that step, recent outcomes (the
 * reasoning bank's tries by agent) — then spend by agent, the workers and system.health.
 */

import type { Api } from '../api.js';
import { useApi, useJournal, useLoad, useQuery } from '../api.js';
import { Badge, ErrorBox, money, Table, when } from '../components.js';
import { Link } from '../router.js';

/** A step running now, with the agent it runs as (by `agent:`, else by `role:`). */
interface Busy {
  readonly runId: string;
  readonly runName: string;
  readonly step: string;
  readonly agent: string | null;
  readonly role: string | null;
  readonly owner: string | null;
  readonly startedAt: string | null;
}

/** The steps running now: active runs → their running steps → each step's definition. */
async function runningSteps(api: Api): Promise<Busy[]> {
  const runs = await api.call('run.list', { status: ['running', 'paused'], limit: 100 });
  const busy: Busy[] = [];
  for (const run of runs) {
    const detail = await api.call('run.show', { run: run.id });
    for (const step of detail.steps.filter((s) => s.status === 'running')) {
      const shown = await api.call('step.show', { run: run.id, step: step.key });
      const spec = (shown.step.spec ?? {}) as { agent?: string | null; role?: string | null };
      busy.push({
        runId: run.id,
        runName: run.name,
        step: step.key,
        agent: spec.agent ?? null,
        role: spec.role ?? null,
        owner: shown.step.leaseOwner,
        startedAt: step.startedAt,
      });
    }
  }
  return busy;
}

export function AgentsPage() {
  const api = useApi();
  const agents = useQuery('agent.list', {});
  const health = useQuery('system.health', {});
  const spend = useQuery('cost.report', { by: 'agent' });
  const patterns = useQuery('memory.patterns', { limit: 1000 });
  const running = useLoad(() => runningSteps(api), 'running');
  const busy = running.data;
  useJournal({ kinds: ['step-start', 'step-end', 'step-lost', 'step-release', 'run-end'] }, () => {
    running.reload();
    health.reload();
    patterns.reload();
  });
  const h = health.data as
    | {
        ok: boolean;
        problems: string[];
        report: string;
        workers: Record<string, unknown>[];
        agents: Record<string, unknown>[];
      }
    | undefined;
  /** Lease owners are `host/pid/…`: the worker of that host and process holds the step. */
  const heartbeatOf = (owner: string | null) => {
    const [host, pid] = owner?.split('/') ?? [];
    const worker = h?.workers.find((w) => w['host'] === host && String(w['pid']) === pid);
    return (worker?.['heartbeatAt'] as string | undefined) ?? null;
  };
  const rows = agents.data?.map((agent) => {
    const doing = busy?.filter(
      (b) =>
        b.agent === agent.name || (b.agent === null && b.role !== null && b.role === agent.role),
    );
    const outcomes = (patterns.data ?? []).filter((p) => p.agent === agent.name);
    const tries = outcomes.reduce((n, p) => n + p.tries, 0);
    const successes = outcomes.reduce((n, p) => n + p.successes, 0);
    const lastSeen =
      outcomes
        .map((p) => p.lastSeen)
        .sort()
        .at(-1) ?? null;
    const heartbeats = (doing ?? []).map((b) => heartbeatOf(b.owner)).filter((at) => at !== null);
    return {
      ...agent,
      id: agent.name,
      doing,
      tries,
      successes,
      lastSeen,
      heartbeat: heartbeats.sort().at(-1) ?? null,
    };
  });
  return (
    <>
      <h1>Agents</h1>
      <ErrorBox error={agents.error ?? health.error ?? running.error ?? patterns.error} />
      <Table
        label="Agents"
        rows={rows}
        empty="No agents yet: 'bosun agent scaffold NAME'."
        columns={[
          { key: 'name', label: 'Agent' },
          { key: 'role', label: 'Role' },
          {
            key: 'runner',
            label: 'Runner / model',
            render: (a) =>
              `${a.runner}${a.model ? ` · ${a.model}` : a.route ? ` · route ${a.route}` : ''}`,
          },
          {
            key: 'status',
            label: 'Status',
            render: (a) =>
              a.doing === undefined ? '…' : <Badge status={a.doing.length > 0 ? 'busy' : 'idle'} />,
          },
          {
            key: 'doing',
            label: 'Current step',
            render: (a) =>
              a.doing && a.doing.length > 0
                ? a.doing.map((b) => (
                    <span key={`${b.runId}/${b.step}`}>
                      <Link to={`/runs/${b.runId}`}>{b.runName}</Link> · <code>{b.step}</code>{' '}
                    </span>
                  ))
                : '—',
          },
          {
            key: 'heartbeat',
            label: 'Last heartbeat',
            render: (a) => (a.heartbeat ? when(a.heartbeat) : '—'),
          },
          {
            key: 'tries',
            label: 'Recent outcomes',
            render: (a) =>
              a.tries === 0
                ? 'none yet'
                : `${a.successes} ok · ${a.tries - a.successes} failed${a.lastSeen ? ` · last ${when(a.lastSeen)}` : ''}`,
          },
        ]}
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
