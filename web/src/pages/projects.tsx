/**
 * Projects: the list with a form to create one, and a project's page: the task board (drag a card
 * to move it; the server refuses illegal moves with its reason and the card goes back), task
 * detail with the audit trail, a sprint filter, and tabs for the command-center records (in
 * project-records.tsx).
 */

import type { DragEvent, FormEvent } from 'react';
import { useState } from 'react';
import { useAction, useApi, useJournal, useQuery } from '../api.js';
import { Badge, ErrorBox, runColumn, Table, Tabs, when } from '../components.js';
import { Link, navigate } from '../router.js';
import { BriefingsTab, BudgetTab, DocumentsTab, RecordsTab } from './project-records.js';

const TASK_STATUSES = ['todo', 'in_progress', 'review', 'done', 'blocked', 'cancelled'] as const;
type TaskStatus = (typeof TASK_STATUSES)[number];

function CreateProject(props: { onCreated: () => void }) {
  const api = useApi();
  const [key, setKey] = useState('');
  const [name, setName] = useState('');
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      const project = await api.call('project.create', { key: key.trim(), name: name.trim() });
      props.onCreated();
      navigate(`/projects/${project.key}`);
    });
  };
  return (
    <form className="inline panel" onSubmit={submit} aria-label="New project">
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
      <ErrorBox error={action.error} />
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
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      await api.call('task.create', {
        project: props.project,
        title: title.trim(),
        ...(props.sprint ? { sprint: props.sprint } : {}),
      });
      setTitle('');
      props.onAdded();
    });
  };
  return (
    <form className="inline" onSubmit={submit} aria-label="New task">
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
      <ErrorBox error={action.error} />
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
  const action = useAction();
  const [selected, setSelected] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const cards = (tasks.data as TaskCard[] | undefined)?.map((t) =>
    moved[t.ref] ? { ...t, status: moved[t.ref]! } : t,
  );
  const move = async (ref: string, status: TaskStatus) => {
    const card = cards?.find((c) => c.ref === ref);
    if (!card || card.status === status) return;
    setMoved((m) => ({ ...m, [ref]: status }));
    await action.run(() => api.call('task.status', { task: ref, status }), ref);
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
      <ErrorBox error={action.error ?? tasks.error} />
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
  { id: 'lessons', label: 'Lessons' },
  { id: 'budget', label: 'Budget' },
  { id: 'documents', label: 'Documents' },
  { id: 'briefings', label: 'Briefings' },
];

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
            columns={[runColumn('name'), runColumn('status'), runColumn('costUsd')]}
          />
        </>
      ) : tab === 'budget' ? (
        <BudgetTab project={props.projectKey} />
      ) : tab === 'documents' ? (
        <DocumentsTab project={props.projectKey} />
      ) : tab === 'briefings' ? (
        <BriefingsTab project={props.projectKey} />
      ) : (
        <RecordsTab
          key={tab}
          project={props.projectKey}
          tab={tab as 'risks' | 'milestones' | 'actions' | 'stakeholders' | 'lessons'}
        />
      )}
    </>
  );
}
