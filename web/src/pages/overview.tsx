/** Overview: workspace.status (projects, runs, approvals, risks, budgets, spend) and the latest briefing. */

import { useQuery, useJournal } from '../api.js';
import { ErrorBox, money, runColumn, Table, when } from '../components.js';
import { Link } from '../router.js';

export function OverviewPage() {
  const status = useQuery('workspace.status', {});
  const brief = useQuery('brief.list', { limit: 1 });
  useJournal({}, () => status.reload());
  const s = status.data;
  const latest = (brief.data as { report: string; createdAt: string }[] | undefined)?.[0];
  return (
    <>
      <h1>Overview</h1>
      <ErrorBox error={status.error} />
      {s ? (
        <>
          <div className="grid">
            <section className="panel" aria-label="Spend">
              <h2>Spend today</h2>
              <div className="stat" data-testid="spend-today">
                {money(s.spend.todayUsd)}
              </div>
              <p className="muted">all time {money(s.spend.totalUsd)}</p>
              {s.spend.budgets
                .filter((b) => b.state === 'warning' || b.state === 'exceeded')
                .map((b) => (
                  <p key={b.name} className="error">
                    budget {b.name}: {b.state}, headroom {money(b.headroomUsd)}
                  </p>
                ))}
            </section>
            <section className="panel">
              <h2>Approvals waiting</h2>
              <div className="stat">{s.approvals.length}</div>
              <Link to="/approvals">Open the inbox</Link>
            </section>
            <section className="panel">
              <h2>Open high risks</h2>
              <div className="stat">{s.risks.length}</div>
            </section>
            <section className="panel">
              <h2>Budget alerts</h2>
              <div className="stat">{s.budgetAlerts.length}</div>
              {s.budgetAlerts.map((a) => (
                <p key={a.ref} className="error">
                  <Link to={`/projects/${a.project}`}>{a.ref}</Link> {a.category}: {a.actual} of{' '}
                  {a.planned} {a.currency}
                  {a.variancePercent !== null ? ` (${a.variancePercent}%)` : ''}
                </p>
              ))}
            </section>
          </div>
          <h2>Projects</h2>
          <Table
            label="Projects"
            rows={s.projects}
            empty="No projects yet."
            columns={[
              {
                key: 'key',
                label: 'Key',
                render: (p) => <Link to={`/projects/${p.key}`}>{p.key}</Link>,
              },
              { key: 'name', label: 'Name' },
              { key: 'status', label: 'Status' },
              {
                key: 'tasks',
                label: 'Tasks by status',
                render: (p) =>
                  Object.entries(p.tasks)
                    .map(([k, n]) => `${n} ${k.replace('_', ' ')}`)
                    .join(' · ') || '—',
              },
              { key: 'total', label: 'Total' },
            ]}
          />
          <h2>Runs</h2>
          <Table
            label="Runs"
            rows={s.runs}
            empty="No active runs."
            columns={[
              runColumn('name'),
              runColumn('status'),
              {
                key: 'steps',
                label: 'Steps',
                render: (r) =>
                  Object.entries(r.steps)
                    .map(([k, n]) => `${n} ${k}`)
                    .join(' · '),
              },
              runColumn('costUsd'),
              runColumn('createdAt'),
            ]}
          />
          <h2>Open high risks</h2>
          <Table
            label="Risks"
            rows={s.risks}
            empty="No open high risks."
            columns={[
              { key: 'ref', label: 'Ref' },
              { key: 'title', label: 'Title' },
              {
                key: 'level',
                label: 'Level',
                render: (r) => <span className={`level-${r.level}`}>{r.level}</span>,
              },
              { key: 'score', label: 'Score' },
              { key: 'status', label: 'Status' },
              {
                key: 'reviewDate',
                label: 'Review',
                render: (r) =>
                  r.overdue ? `${r.reviewDate ?? ''} (overdue)` : (r.reviewDate ?? '—'),
              },
            ]}
          />
        </>
      ) : null}
      <h2>Latest briefing</h2>
      <ErrorBox error={brief.error} />
      {latest ? (
        <section className="panel">
          <p className="muted">{when(latest.createdAt)}</p>
          <pre>{latest.report}</pre>
        </section>
      ) : (
        <p className="muted">No briefing yet: `bosun brief` writes one.</p>
      )}
    </>
  );
}
