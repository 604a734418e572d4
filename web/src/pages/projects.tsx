/**
 * Projects: the list with a form to create one, and a project's page: the task board (drag a card
 * to move it; the server refuses illegal moves with its reason and the card goes back), task
 * detail with the audit trail, a sprint filter, and tabs for the command-center records.
 */

import type { DragEvent, FormEvent } from 'react';
import { useState } from 'react';
import { describeError, useApi, useJournal, useQuery } from '../api.js';
import { Badge, ErrorBox, money, Table, Tabs, when } from '../components.js';
import { Link, navigate } from '../router.js';

const TASK_STATUSES = ['todo', 'in_progress', 'review', 'done', 'blocked', 'cancelled'] as const;
type TaskStatus = (typeof TASK_STATUSES)[number];

function CreateProject(props: { onCreated: () => void }) {
  const api = useApi();
  const [key, setKey] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      const project = await api.call('project.create', { key: key.trim(), name: name.trim() });
      props.onCreated();
      navigate(`/projects/${project.key}`);
    } catch (e) {
      setError(describeError(e));
    }
  };
  return (
    <form className="inline panel" onSubmit={(e) => void submit(e)} aria-label="New project">
      <label>
        Key
        <input
          name="key"
          required
          value={key}
          onChange={(e) => setKey(e.target.value)}
          placeholder="HOME"
          size={8}
        />
      </label>
      <label>
        Name
        <input
          name="name"
          required
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="Home lab"
        />
      </label>
      <button type="submit" className="primary">
        Create project
      </button>
      <ErrorBox error={error} />
    </form>
  );
}

export function ProjectsPage() {
  const projects = useQuery('project.list', {});
  return (
    <>
      <h1>Projects</h1>
      <CreateProject onCreated={projects.reload} />
      <ErrorBox error={projects.error} />
      <Table
        label="Projects"
        rows={
          projects.data as
            | { id: string; key: string; name: string; status: string; createdAt: string }[]
            | undefined
        }
        empty="No projects yet."
        columns={[
          {
            key: 'key',
            label: 'Key',
            render: (p) => <Link to={`/projects/${p.key}`}>{p.key}</Link>,
          },
          { key: 'name', label: 'Name' },
          { key: 'status', label: 'Status' },
          { key: 'createdAt', label: 'Created', render: (p) => when(p.createdAt) },
        ]}
      />
    </>
  );
}

interface TaskCard {
  readonly ref: string;
  readonly title: string;
  readonly status: TaskStatus;
  readonly priority: string;
  readonly assignee: string | null;
}

function AddTask(props: { project: string; sprint: string; onAdded: () => void }) {
  const api = useApi();
  const [title, setTitle] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      await api.call('task.create', {
        project: props.project,
        title: title.trim(),
        ...(props.sprint ? { sprint: props.sprint } : {}),
      });
      setTitle('');
      props.onAdded();
    } catch (e) {
      setError(describeError(e));
    }
  };
  return (
    <form className="inline" onSubmit={(e) => void submit(e)} aria-label="New task">
      <label>
        New task
        <input
          name="title"
          required
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          placeholder="Title"
          size={40}
        />
      </label>
      <button type="submit">Add task</button>
      <ErrorBox error={error} />
    </form>
  );
}

function Board(props: { project: string }) {
  const api = useApi();
  const [sprint, setSprint] = useState('');
  const sprints = useQuery('sprint.list', { project: props.project });
  const tasks = useQuery('task.list', {
    project: props.project,
    ...(sprint ? { sprint } : {}),
  });
  const [moved, setMoved] = useState<Record<string, TaskStatus>>({});
  const [over, setOver] = useState<TaskStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const cards = (tasks.data as TaskCard[] | undefined)?.map((t) =>
    moved[t.ref] ? { ...t, status: moved[t.ref]! } : t,
  );
  const move = async (ref: string, status: TaskStatus) => {
    const card = cards?.find((c) => c.ref === ref);
    if (!card || card.status === status) return;
    setError(null);
    setMoved((m) => ({ ...m, [ref]: status }));
    try {
      await api.call('task.status', { task: ref, status });
    } catch (e) {
      setError(`${ref}: ${describeError(e)}`);
    }
    setMoved((m) => {
      const { [ref]: _gone, ...rest } = m;
      return rest;
    });
    tasks.reload();
    setVersion((v) => v + 1);
  };
  const drop = (status: TaskStatus) => (event: DragEvent) => {
    event.preventDefault();
    setOver(null);
    const ref = event.dataTransfer.getData('text/plain');
    if (ref) void move(ref, status);
  };
  return (
    <>
      <div className="inline actions">
        <label>
          Sprint
          <select value={sprint} onChange={(e) => setSprint(e.target.value)} name="sprint">
            <option value="">All tasks</option>
            {((sprints.data as { id: string; name: string; ref?: string }[] | undefined) ?? []).map(
              (s) => (
                <option key={s.id} value={s.name}>
                  {s.name}
                </option>
              ),
            )}
          </select>
        </label>
        <AddTask project={props.project} sprint={sprint} onAdded={tasks.reload} />
      </div>
      <ErrorBox error={error ?? tasks.error} />
      <div>
        <div className="board" aria-label="Task board">
          {TASK_STATUSES.map((status) => (
            <section
              key={status}
              className={`column${over === status ? ' over' : ''}`}
              data-status={status}
              aria-label={status.replace('_', ' ')}
              onDragOver={(e) => {
                e.preventDefault();
                setOver(status);
              }}
              onDragLeave={() => setOver(null)}
              onDrop={drop(status)}
            >
              <h3>
                {status.replace('_', ' ')} ({cards?.filter((c) => c.status === status).length ?? 0})
              </h3>
              {cards
                ?.filter((c) => c.status === status)
                .map((card) => (
                  <button
                    key={card.ref}
                    type="button"
                    className="card"
                    draggable
                    data-ref={card.ref}
                    aria-pressed={selected === card.ref}
                    onDragStart={(e) => e.dataTransfer.setData('text/plain', card.ref)}
                    onClick={() => setSelected(card.ref)}
                  >
                    <strong>{card.ref}</strong> {card.title}
                    <br />
                    <span className="muted">
                      {card.priority}
                      {card.assignee ? ` · ${card.assignee}` : ''}
                    </span>
                  </button>
                ))}
            </section>
          ))}
        </div>
        {selected ? (
          <TaskDetail taskRef={selected} version={version} onMove={(s) => void move(selected, s)} />
        ) : (
          <aside className="panel muted detail">
            Select a card for its detail. Drag a card to another column to move it, or use “Move to”
            in the detail.
          </aside>
        )}
      </div>
    </>
  );
}

interface TaskView {
  task: {
    ref: string;
    title: string;
    status: TaskStatus;
    description: string;
    details: string;
    acceptance: string[];
    priority: string;
    assignee: string | null;
    leaseExpiresAt: string | null;
  };
  dependsOn: { ref: string; title: string; status: string }[];
  dependents: { ref: string; title: string; status: string }[];
  notes: { author: string; body: string; createdAt: string }[];
  todos: { text?: string; title?: string; done?: boolean }[];
  sprint: string | null;
}

function TaskDetail(props: { taskRef: string; version: number; onMove: (s: TaskStatus) => void }) {
  const key = `${props.taskRef}/${props.version}`;
  const shown = useQuery('task.show', { task: props.taskRef }, key);
  const audit = useQuery('audit.list', { target: props.taskRef }, key);
  const v = shown.data as TaskView | undefined;
  return (
    <aside className="panel detail" aria-label={`Task ${props.taskRef}`}>
      <ErrorBox error={shown.error} />
      {v ? (
        <>
          <h2>
            {v.task.ref} {v.task.title} <Badge status={v.task.status} />
          </h2>
          <label>
            Move to
            <select
              value={v.task.status}
              onChange={(e) => props.onMove(e.target.value as TaskStatus)}
              name="move"
            >
              {TASK_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s.replace('_', ' ')}
                </option>
              ))}
            </select>
          </label>
          <p>
            {v.task.priority}
            {v.task.assignee ? ` · claimed by ${v.task.assignee}` : ' · unclaimed'}
            {v.task.leaseExpiresAt ? ` until ${when(v.task.leaseExpiresAt)}` : ''}
            {v.sprint ? ` · sprint ${v.sprint}` : ''}
          </p>
          <h3>Description</h3>
          <p>{v.task.description || <span className="muted">none</span>}</p>
          {v.task.details ? <pre>{v.task.details}</pre> : null}
          <h3>Acceptance criteria</h3>
          {v.task.acceptance.length ? (
            <ul>
              {v.task.acceptance.map((a) => (
                <li key={a}>{a}</li>
              ))}
            </ul>
          ) : (
            <p className="muted">none</p>
          )}
          <h3>Dependencies</h3>
          <p>
            needs: {v.dependsOn.map((d) => `${d.ref} (${d.status})`).join(', ') || 'none'}
            <br />
            needed by: {v.dependents.map((d) => `${d.ref} (${d.status})`).join(', ') || 'none'}
          </p>
          <h3>Notes</h3>
          {v.notes.length ? (
            <ul>
              {v.notes.map((n, i) => (
                <li key={i}>
                  <strong>{n.author}</strong>: {n.body}{' '}
                  <span className="muted">{when(n.createdAt)}</span>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">none</p>
          )}
          <h3>Audit trail</h3>
          <Table
            label="Audit trail"
            rows={
              audit.data as
                { seq: number; at: string; actor: string; operation: string }[] | undefined
            }
            empty="No entries."
            columns={[
              { key: 'at', label: 'When', render: (e) => when(e.at) },
              { key: 'actor', label: 'Actor' },
              { key: 'operation', label: 'Operation' },
            ]}
          />
        </>
      ) : null}
    </aside>
  );
}

const TABS = [
  { id: 'board', label: 'Board' },
  { id: 'risks', label: 'Risks' },
  { id: 'milestones', label: 'Milestones' },
  { id: 'actions', label: 'Actions' },
  { id: 'stakeholders', label: 'Stakeholders' },
  { id: 'budget', label: 'Budget' },
  { id: 'documents', label: 'Documents' },
  { id: 'briefings', label: 'Briefings' },
];

const LEVEL_ORDER: Record<string, number> = { low: 0, medium: 1, high: 2, critical: 3 };

type Row = Record<string, unknown> & { id: string };
const text = (row: Row, key: string) => String(row[key] ?? '—');

function Records(props: { project: string; tab: string }) {
  const p = { project: props.project };
  const name = {
    risks: 'risk.list',
    milestones: 'milestone.list',
    actions: 'action.list',
    stakeholders: 'stakeholder.list',
    documents: 'doc.list',
    briefings: 'brief.list',
  }[props.tab];
  const list = useQuery(name ?? 'project.show', name ? p : null);
  const rows = list.data as Row[] | undefined;
  if (list.error) return <ErrorBox error={list.error} />;
  switch (props.tab) {
    case 'risks':
      return (
        <Table
          label="Risk register"
          sortable
          rows={rows}
          empty="No risks: `bosun risk add`."
          columns={[
            { key: 'ref', label: 'Ref' },
            { key: 'title', label: 'Title' },
            {
              key: 'level',
              label: 'Level',
              sort: (r) => LEVEL_ORDER[text(r, 'level')] ?? -1,
              render: (r) => (
                <span className={`level-${text(r, 'level')}`}>{text(r, 'level')}</span>
              ),
            },
            { key: 'score', label: 'Score', sort: (r) => Number(r['score']) },
            { key: 'likelihood', label: 'L', sort: (r) => Number(r['likelihood']) },
            { key: 'impact', label: 'I', sort: (r) => Number(r['impact']) },
            { key: 'status', label: 'Status' },
            { key: 'owner', label: 'Owner' },
            { key: 'reviewDate', label: 'Review' },
          ]}
        />
      );
    case 'milestones':
      return (
        <Table
          label="Milestones"
          rows={rows}
          empty="No milestones."
          rowClass={(r) => (r['overdue'] ? 'alert' : undefined)}
          columns={[
            { key: 'ref', label: 'Ref' },
            { key: 'title', label: 'Title' },
            { key: 'status', label: 'Status' },
            { key: 'dueDate', label: 'Due' },
            {
              key: 'progress',
              label: 'Progress',
              render: (r) =>
                r['progress'] === null ? (
                  '—'
                ) : (
                  <>
                    <progress max={100} value={Number(r['progress'])} /> {String(r['progress'])}%
                  </>
                ),
            },
          ]}
        />
      );
    case 'actions':
      return (
        <Table
          label="Actions"
          rows={rows}
          empty="No actions."
          columns={['ref', 'title', 'status', 'owner', 'dueDate', 'source'].map((key) => ({
            key,
            label: key,
          }))}
        />
      );
    case 'stakeholders':
      return (
        <Table
          label="Stakeholders"
          rows={rows}
          empty="No stakeholders."
          columns={['ref', 'name', 'role', 'organisation', 'influence', 'interest', 'quadrant'].map(
            (key) => ({ key, label: key }),
          )}
        />
      );
    case 'documents':
      return <Documents rows={rows} />;
    case 'briefings':
      return (
        <>
          {rows?.length ? null : (
            <p className="muted">No briefings: `bosun brief {props.project}`.</p>
          )}
          {rows?.map((b) => (
            <section key={b.id} className="panel">
              <h3>{when(b['createdAt'] as string)}</h3>
              <pre>{text(b, 'report')}</pre>
            </section>
          ))}
        </>
      );
    default:
      return null;
  }
}

function Documents(props: { rows: Row[] | undefined }) {
  const [doc, setDoc] = useState<string | null>(null);
  const analyses = useQuery('doc.analyses', doc ? { doc } : null);
  const latest = (analyses.data as Row[] | undefined)?.at(-1);
  return (
    <>
      <Table
        label="Documents"
        rows={props.rows}
        empty="No documents: `bosun doc add`."
        columns={[
          { key: 'ref', label: 'Ref' },
          { key: 'title', label: 'Title' },
          { key: 'fileName', label: 'File' },
          { key: 'pages', label: 'Pages' },
          {
            key: 'analysis',
            label: 'Analysis',
            render: (r) => (
              <button type="button" onClick={() => setDoc(text(r, 'ref'))}>
                Latest analysis
              </button>
            ),
          },
        ]}
      />
      {doc ? (
        <section className="panel">
          <h3>Latest analysis of {doc}</h3>
          <ErrorBox error={analyses.error} />
          {latest ? (
            <pre>{JSON.stringify(latest['result'], null, 2)}</pre>
          ) : (
            <p className="muted">Not analysed yet.</p>
          )}
        </section>
      ) : null}
    </>
  );
}

function Budget(props: { project: string }) {
  const report = useQuery('budget.report', { project: props.project });
  const transactions = useQuery('transaction.list', { project: props.project });
  const r = report.data;
  if (report.error) return <ErrorBox error={report.error} />;
  if (!r) return <p className="muted">Loading…</p>;
  return (
    <>
      <p>
        planned {r.totals.planned} {r.currency} · actual {r.totals.actual} · variance{' '}
        {r.totals.variance}
        {r.totals.variancePercent !== null ? ` (${r.totals.variancePercent}%)` : ''}
        {r.projection.projected ? ` · projected ${r.projection.projected}` : ''}
        {r.projection.overrun ? ` · overrun ${r.projection.overrun}` : ''}
      </p>
      {r.alerts.length ? (
        <p className="error" role="alert">
          Over their alert threshold: {r.alerts.join(', ')}
        </p>
      ) : null}
      <Table
        label="Budget lines"
        rows={r.lines}
        empty="No budget lines: `bosun budget add`."
        rowClass={(l) => (l.over ? 'alert' : undefined)}
        columns={[
          { key: 'ref', label: 'Ref' },
          { key: 'category', label: 'Category' },
          { key: 'planned', label: 'Planned' },
          { key: 'actual', label: 'Actual' },
          { key: 'variance', label: 'Variance' },
          { key: 'thresholdPercent', label: 'Alert at %' },
          { key: 'over', label: 'Over', render: (l) => (l.over ? 'over' : '') },
        ]}
      />
      <h3>Transactions</h3>
      <ErrorBox error={transactions.error} />
      <Table
        label="Transactions"
        rows={transactions.data as Row[] | undefined}
        empty="No transactions: `bosun transaction add`."
        columns={['ref', 'date', 'line', 'amount', 'currency', 'vendor', 'note'].map((key) => ({
          key,
          label: key,
        }))}
      />
    </>
  );
}

export function ProjectPage(props: { projectKey: string }) {
  const [tab, setTab] = useState('board');
  const project = useQuery('project.show', { project: props.projectKey });
  const runs = useQuery('run.list', { project: props.projectKey, limit: 5 });
  useJournal({ project: props.projectKey }, () => runs.reload());
  const shown = project.data as
    { project?: { name: string; key: string }; name?: string } | undefined;
  const title = shown?.project?.name ?? shown?.name ?? '';
  return (
    <>
      <h1>
        {props.projectKey} {title}
      </h1>
      <ErrorBox error={project.error} />
      <Tabs tabs={TABS} current={tab} onChange={setTab} />
      {tab === 'board' ? (
        <>
          <Board project={props.projectKey} />
          <h2>Recent runs</h2>
          <Table
            label="Recent runs"
            rows={runs.data}
            empty="No runs of this project."
            columns={[
              {
                key: 'name',
                label: 'Run',
                render: (r) => <Link to={`/runs/${r.id}`}>{r.name}</Link>,
              },
              { key: 'status', label: 'Status', render: (r) => <Badge status={r.status} /> },
              { key: 'costUsd', label: 'Cost', render: (r) => money(r.costUsd) },
            ]}
          />
        </>
      ) : tab === 'budget' ? (
        <Budget project={props.projectKey} />
      ) : (
        <Records key={tab} project={props.projectKey} tab={tab} />
      )}
    </>
  );
}
