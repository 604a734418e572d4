/**
 * A project's command-center tabs, worked from the dashboard: risks, milestones, actions and
 * stakeholders (add, edit, archive and restore, through the schema-driven form), the budget
 * (lines and transactions, alerts highlighted), documents (upload, analyse, apply proposals) and
 * briefings (write one, read the history).
 */

import type { ChangeEvent, ReactNode } from 'react';
import { useState } from 'react';
import { useAction, useApi, useQuery } from '../api.js';
import type { Column } from '../components.js';
import { ErrorBox, Table, when } from '../components.js';
import { SchemaForm, useInputSchema } from '../schema-form.js';

type Row = Record<string, unknown> & { id: string };
const text = (row: Row, key: string): string => String(row[key] ?? '—');

const LEVEL_ORDER: Record<string, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/** A kind of project record as its operations name it: `<prefix>.add`, `.update`, `.archive`, … */
interface RecordKind {
  /** The operations' prefix: risk, milestone, budget, transaction, … */
  readonly prefix: string;
  /** What the buttons call one: "risk", "budget line". */
  readonly noun: string;
  /** The field of update/archive that names the record: risk, line, transaction. */
  readonly key: string;
  /** The list operation, when not `<prefix>.list`. */
  readonly list?: string;
  readonly label: string;
  readonly columns: readonly Column<Row>[];
  readonly rowClass?: (row: Row) => string | undefined;
  /** Form fields whose value the row holds under another name (review → reviewDate). */
  readonly aliases?: Readonly<Record<string, string>>;
  readonly empty: string;
}

const level = (r: Row) => <span className={`level-${text(r, 'level')}`}>{text(r, 'level')}</span>;

const KINDS: Record<string, RecordKind> = {
  risks: {
    prefix: 'risk',
    noun: 'risk',
    key: 'risk',
    label: 'Risk register',
    empty: 'No risks yet.',
    aliases: { review: 'reviewDate' },
    columns: [
      { key: 'ref', label: 'Ref' },
      { key: 'title', label: 'Title' },
      {
        key: 'level',
        label: 'Level',
        sort: (r) => LEVEL_ORDER[text(r, 'level')] ?? -1,
        render: level,
      },
      { key: 'score', label: 'Score', sort: (r) => Number(r['score']) },
      { key: 'likelihood', label: 'L', sort: (r) => Number(r['likelihood']) },
      { key: 'impact', label: 'I', sort: (r) => Number(r['impact']) },
      { key: 'status', label: 'Status' },
      { key: 'owner', label: 'Owner' },
      { key: 'reviewDate', label: 'Review' },
    ],
  },
  milestones: {
    prefix: 'milestone',
    noun: 'milestone',
    key: 'milestone',
    label: 'Milestones',
    empty: 'No milestones yet.',
    aliases: { due: 'dueDate' },
    rowClass: (r) => (r['overdue'] ? 'alert' : undefined),
    columns: [
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
    ],
  },
  actions: {
    prefix: 'action',
    noun: 'action',
    key: 'action',
    label: 'Actions',
    empty: 'No actions yet.',
    aliases: { due: 'dueDate' },
    rowClass: (r) => (r['overdue'] ? 'alert' : undefined),
    columns: ['ref', 'title', 'status', 'owner', 'dueDate', 'source'].map((key) => ({
      key,
      label: key === 'dueDate' ? 'Due' : key.charAt(0).toUpperCase() + key.slice(1),
    })),
  },
  stakeholders: {
    prefix: 'stakeholder',
    noun: 'stakeholder',
    key: 'stakeholder',
    label: 'Stakeholders',
    empty: 'No stakeholders yet.',
    columns: ['ref', 'name', 'role', 'organisation', 'influence', 'interest', 'quadrant'].map(
      (key) => ({ key, label: key.charAt(0).toUpperCase() + key.slice(1) }),
    ),
  },
  lessons: {
    prefix: 'lesson',
    noun: 'lesson',
    key: 'lesson',
    label: 'Lessons',
    empty: 'No lessons yet.',
    columns: [
      { key: 'ref', label: 'Ref' },
      { key: 'title', label: 'Title' },
      { key: 'insight', label: 'Insight' },
      {
        key: 'tags',
        label: 'Tags',
        sort: (r) => ((r['tags'] as string[] | undefined) ?? []).join(' '),
        render: (r) => ((r['tags'] as string[] | undefined) ?? []).join(', ') || '—',
      },
      { key: 'helpfulScore', label: 'Helpful', sort: (r) => Number(r['helpfulScore']) },
      { key: 'applied', label: 'Applied', sort: (r) => Number(r['applied']) },
    ],
  },
  budget: {
    prefix: 'budget',
    noun: 'budget line',
    key: 'line',
    label: 'Budget lines',
    empty: 'No budget lines yet.',
    rowClass: (l) => (l['over'] ? 'alert' : undefined),
    columns: [
      { key: 'ref', label: 'Ref' },
      { key: 'category', label: 'Category' },
      { key: 'planned', label: 'Planned' },
      { key: 'actual', label: 'Actual' },
      { key: 'variance', label: 'Variance' },
      { key: 'thresholdPercent', label: 'Alert at %' },
      { key: 'over', label: 'Over', render: (l) => (l['over'] ? 'over' : '') },
    ],
  },
  transactions: {
    prefix: 'transaction',
    noun: 'transaction',
    key: 'transaction',
    label: 'Transactions',
    empty: 'No transactions yet.',
    columns: ['ref', 'date', 'line', 'amount', 'currency', 'vendor', 'note'].map((key) => ({
      key,
      label: key.charAt(0).toUpperCase() + key.slice(1),
    })),
  },
};

/** The row's values under the form's field names, for an edit. */
const initialOf = (kind: RecordKind, row: Row): Record<string, unknown> => {
  const values: Record<string, unknown> = { ...row };
  for (const [field, key] of Object.entries(kind.aliases ?? {})) values[field] = row[key];
  return values;
};

/**
 * The records of one kind: a table with Edit and Archive (or Restore) per row, an "Add" form
 * (when `add` gives its fixed values), and "Show archived" when the list operation takes it.
 * `version` reloads the list when something else changed it; `onChange` tells of own writes.
 */
function RecordTable(props: {
  kind: RecordKind;
  project: string;
  add?: Record<string, unknown>;
  version?: number;
  onChange?: () => void;
  rowButtons?: (row: Row) => ReactNode;
}) {
  const { kind } = props;
  const api = useApi();
  const listName = kind.list ?? `${kind.prefix}.list`;
  const listSchema = useInputSchema(listName).schema;
  const [archived, setArchived] = useState(false);
  const [form, setForm] = useState<{ row: Row | null } | null>(null);
  const action = useAction();
  const input = { project: props.project, ...(archived ? { archived: true } : {}) };
  const list = useQuery(listName, input, `${JSON.stringify(input)}/${props.version ?? 0}`);
  const changed = () => {
    list.reload();
    props.onChange?.();
  };
  const archive = async (row: Row, restore: boolean) => {
    const ref = text(row, 'ref');
    if (!restore && !window.confirm(`Archive ${kind.noun} ${ref}? (Restore brings it back.)`)) {
      return;
    }
    if (
      await action.run(
        () => api.call(`${kind.prefix}.${restore ? 'restore' : 'archive'}`, { [kind.key]: ref }),
        ref,
      )
    ) {
      changed();
    }
  };
  const title = form?.row ? `Edit ${kind.noun} ${text(form.row, 'ref')}` : `Add ${kind.noun}`;
  return (
    <section aria-label={kind.label}>
      <div className="inline actions">
        {props.add ? (
          <button
            type="button"
            aria-expanded={form !== null && form.row === null}
            onClick={() => setForm(form && form.row === null ? null : { row: null })}
          >
            Add {kind.noun}
          </button>
        ) : null}
        {listSchema?.properties?.['archived'] ? (
          <label className="check">
            <input
              type="checkbox"
              checked={archived}
              onChange={(e) => setArchived(e.target.checked)}
            />{' '}
            Show archived
          </label>
        ) : null}
      </div>
      {form ? (
        <SchemaForm
          key={form.row?.id ?? 'add'}
          operation={`${kind.prefix}.${form.row ? 'update' : 'add'}`}
          title={title}
          fixed={form.row ? { [kind.key]: text(form.row, 'ref') } : props.add}
          {...(form.row ? { initial: initialOf(kind, form.row) } : {})}
          submit={form.row ? 'Save' : `Add ${kind.noun}`}
          onCancel={() => setForm(null)}
          onDone={() => {
            setForm(null);
            changed();
          }}
        />
      ) : null}
      <ErrorBox error={action.error ?? list.error} />
      <Table
        label={kind.label}
        sortable
        rows={list.data as Row[] | undefined}
        empty={kind.empty}
        rowClass={(r) =>
          [kind.rowClass?.(r), r['archivedAt'] ? 'archived' : undefined]
            .filter(Boolean)
            .join(' ') || undefined
        }
        columns={[
          ...kind.columns,
          {
            key: 'row-actions',
            label: '',
            sort: () => 0,
            render: (row) => (
              <span className="row-actions">
                {props.rowButtons?.(row)}
                {row['archivedAt'] ? (
                  <button type="button" onClick={() => void archive(row, true)}>
                    Restore
                  </button>
                ) : (
                  <>
                    <button
                      type="button"
                      aria-label={`Edit ${text(row, 'ref')}`}
                      onClick={() => setForm({ row })}
                    >
                      Edit
                    </button>
                    <button
                      type="button"
                      aria-label={`Archive ${text(row, 'ref')}`}
                      onClick={() => void archive(row, false)}
                    >
                      Archive
                    </button>
                  </>
                )}
              </span>
            ),
          },
        ]}
      />
    </section>
  );
}

/** A milestone's tasks: link one of the project's tasks, unlink a linked one. */
function MilestoneTasks(props: {
  project: string;
  milestone: string;
  onChange: () => void;
  onClose: () => void;
}) {
  const api = useApi();
  const [version, setVersion] = useState(0);
  const shown = useQuery(
    'milestone.show',
    { milestone: props.milestone },
    `${props.milestone}/${version}`,
  );
  const tasks = useQuery('task.list', { project: props.project });
  const [chosen, setChosen] = useState('');
  const action = useAction();
  const data = shown.data as
    | { tasks?: { ref: string; title: string; status: string }[]; milestone?: { tasks?: [] } }
    | undefined;
  const linked = data?.tasks ?? data?.milestone?.tasks ?? [];
  const free = ((tasks.data as { ref: string; title: string }[] | undefined) ?? []).filter(
    (t) => !linked.some((l) => l.ref === t.ref),
  );
  const change = (operation: 'milestone.link' | 'milestone.unlink', task: string) =>
    action.run(async () => {
      await api.call(operation, { milestone: props.milestone, tasks: [task] });
      setChosen('');
      setVersion((v) => v + 1);
      props.onChange();
    });
  return (
    <section className="panel" aria-label={`Tasks of ${props.milestone}`}>
      <h3>Tasks of {props.milestone}</h3>
      <ErrorBox error={action.error ?? shown.error} />
      {linked.length ? (
        <ul>
          {linked.map((t) => (
            <li key={t.ref}>
              {t.ref} {t.title} <span className="muted">({t.status.replace('_', ' ')})</span>{' '}
              <button type="button" onClick={() => void change('milestone.unlink', t.ref)}>
                Unlink {t.ref}
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No tasks linked.</p>
      )}
      <form
        className="inline"
        onSubmit={(e) => {
          e.preventDefault();
          if (chosen) void change('milestone.link', chosen);
        }}
      >
        <label>
          Task to link
          <select value={chosen} onChange={(e) => setChosen(e.target.value)} name="task">
            <option value="">—</option>
            {free.map((t) => (
              <option key={t.ref} value={t.ref}>
                {t.ref} {t.title}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={!chosen}>
          Link task
        </button>
        <button type="button" onClick={props.onClose}>
          Close
        </button>
      </form>
    </section>
  );
}

/** Risks, milestones, actions, stakeholders or lessons. */
export function RecordsTab(props: {
  project: string;
  tab: 'risks' | 'milestones' | 'actions' | 'stakeholders' | 'lessons';
}) {
  const [milestone, setMilestone] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  return (
    <>
      <RecordTable
        kind={KINDS[props.tab]!}
        project={props.project}
        add={{ project: props.project }}
        version={version}
        {...(props.tab === 'milestones'
          ? {
              rowButtons: (row: Row) => (
                <button
                  type="button"
                  aria-label={`Tasks of ${text(row, 'ref')}`}
                  onClick={() => setMilestone(text(row, 'ref'))}
                >
                  Tasks
                </button>
              ),
            }
          : {})}
      />
      {milestone ? (
        <MilestoneTasks
          key={milestone}
          project={props.project}
          milestone={milestone}
          onChange={() => setVersion((v) => v + 1)}
          onClose={() => setMilestone(null)}
        />
      ) : null}
    </>
  );
}

export function BudgetTab(props: { project: string }) {
  const [version, setVersion] = useState(0);
  const [line, setLine] = useState<string | null>(null);
  const report = useQuery(
    'budget.report',
    { project: props.project },
    `${props.project}/${version}`,
  );
  const r = report.data;
  const bump = () => setVersion((v) => v + 1);
  return (
    <>
      <ErrorBox error={report.error} />
      {r ? (
        <p>
          planned {r.totals.planned} {r.currency} · actual {r.totals.actual} · variance{' '}
          {r.totals.variance}
          {r.totals.variancePercent !== null ? ` (${r.totals.variancePercent}%)` : ''}
          {r.projection.projected ? ` · projected ${r.projection.projected}` : ''}
          {r.projection.overrun ? ` · overrun ${r.projection.overrun}` : ''}
        </p>
      ) : null}
      {r?.alerts.length ? (
        <p className="error" role="alert">
          Over their alert threshold: {r.alerts.join(', ')}
        </p>
      ) : null}
      <RecordTable
        kind={KINDS['budget']!}
        project={props.project}
        add={{ project: props.project }}
        version={version}
        onChange={bump}
        rowButtons={(row) => (
          <button
            type="button"
            aria-label={`Add transaction to ${text(row, 'ref')}`}
            onClick={() => setLine(text(row, 'ref'))}
          >
            Add transaction
          </button>
        )}
      />
      {line ? (
        <SchemaForm
          key={line}
          operation="transaction.add"
          title={`Add transaction to ${line}`}
          fixed={{ line }}
          submit="Add transaction"
          onCancel={() => setLine(null)}
          onDone={() => {
            setLine(null);
            bump();
          }}
        />
      ) : null}
      <h3>Transactions</h3>
      <RecordTable
        kind={KINDS['transactions']!}
        project={props.project}
        add={{}}
        version={version}
        onChange={bump}
      />
    </>
  );
}

interface Analysis {
  seq: number;
  method: string;
  agent: string | null;
  model: string | null;
  note: string | null;
  createdAt: string;
  applied: { proposal: string; ref: string }[];
  result: {
    summary: string;
    risks: { title: string; likelihood: number; impact: number; mitigation?: string }[];
    actions: { title: string; owner: string | null; due: string | null }[];
    decisions: string[];
    deadlines: { what: string; date: string }[];
  };
}

/** Reads a file the user chose: Markdown and text as text, anything else (a PDF) as base64. */
async function uploadInput(file: File): Promise<Record<string, string>> {
  if (/\.(md|markdown|txt)$/i.test(file.name)) return { name: file.name, text: await file.text() };
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return { name: file.name, data: btoa(binary) };
}

function Upload(props: { project: string; onAdded: () => void }) {
  const api = useApi();
  const action = useAction();
  const choose = async (event: ChangeEvent<HTMLInputElement>) => {
    const input = event.target;
    const file = input.files?.[0];
    if (!file) return;
    await action.run(async () => {
      await api.call('doc.add', { project: props.project, ...(await uploadInput(file)) });
      input.value = '';
      props.onAdded();
    }, file.name);
  };
  return (
    <div className="inline actions">
      <label>
        Upload a document (.md, .txt, .pdf)
        <input
          type="file"
          name="document"
          accept=".md,.txt,.pdf"
          disabled={action.busy}
          onChange={(e) => void choose(e)}
        />
      </label>
      {action.busy ? <span className="muted">Uploading…</span> : null}
      <ErrorBox error={action.error} />
    </div>
  );
}

/** An analysis as a reader wants it: the summary, then each list; proposals to tick and apply. */
function AnalysisView(props: { doc: string; analysis: Analysis; onApplied: () => void }) {
  const api = useApi();
  const a = props.analysis;
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const action = useAction();
  const [done, setDone] = useState<string | null>(null);
  const appliedAs = (proposal: string) => a.applied.find((p) => p.proposal === proposal)?.ref;
  const toggle = (proposal: string) =>
    setPicked((s) => {
      const next = new Set(s);
      if (next.has(proposal)) next.delete(proposal);
      else next.add(proposal);
      return next;
    });
  const apply = () => {
    const numbers = (letter: string) =>
      [...picked].filter((p) => p.startsWith(letter)).map((p) => Number(p.slice(1)));
    return action.run(async () => {
      const out = await api.call('doc.apply', {
        doc: props.doc,
        analysis: String(a.seq),
        risk: numbers('R'),
        action: numbers('A'),
      });
      setPicked(new Set());
      setDone(`Created ${out.applied.map((p) => p.ref).join(', ') || 'nothing'}.`);
      props.onApplied();
    });
  };
  const proposal = (id: string, label: ReactNode) => {
    const ref = appliedAs(id);
    return (
      <li key={id}>
        <label className="check">
          <input
            type="checkbox"
            disabled={ref !== undefined}
            checked={ref !== undefined || picked.has(id)}
            onChange={() => toggle(id)}
          />{' '}
          {id}: {label}
        </label>
        {ref ? <span className="muted"> → {ref}</span> : null}
      </li>
    );
  };
  return (
    <section className="panel analysis" aria-label={`Analysis ${a.seq} of ${props.doc}`}>
      <h3>
        Analysis {a.seq} of {props.doc}{' '}
        <span className="muted">
          {a.method}
          {a.model ? ` · ${a.model}` : ''} · {when(a.createdAt)}
        </span>
      </h3>
      {a.note ? <p className="note">Note: {a.note}</p> : null}
      <h4>Summary</h4>
      <p>{a.result.summary || <span className="muted">none</span>}</p>
      <h4>Proposed risks</h4>
      {a.result.risks.length ? (
        <ul className="proposals">
          {a.result.risks.map((r, i) =>
            proposal(
              `R${i + 1}`,
              <>
                {r.title}{' '}
                <span className="muted">
                  (L{r.likelihood} × I{r.impact})
                </span>
              </>,
            ),
          )}
        </ul>
      ) : (
        <p className="muted">none</p>
      )}
      <h4>Proposed actions</h4>
      {a.result.actions.length ? (
        <ul className="proposals">
          {a.result.actions.map((x, i) =>
            proposal(
              `A${i + 1}`,
              <>
                {x.title}
                {x.owner ? ` · ${x.owner}` : ''}
                {x.due ? ` · due ${x.due}` : ''}
              </>,
            ),
          )}
        </ul>
      ) : (
        <p className="muted">none</p>
      )}
      <button
        type="button"
        className="primary"
        disabled={picked.size === 0 || action.busy}
        onClick={() => void apply()}
      >
        Apply selected
      </button>
      {done ? <span className="muted"> {done}</span> : null}
      <ErrorBox error={action.error} />
      <h4>Decisions</h4>
      {a.result.decisions.length ? (
        <ul>
          {a.result.decisions.map((d, i) => (
            <li key={i}>{d}</li>
          ))}
        </ul>
      ) : (
        <p className="muted">none</p>
      )}
      <h4>Deadlines</h4>
      {a.result.deadlines.length ? (
        <ul>
          {a.result.deadlines.map((d, i) => (
            <li key={i}>
              {d.date}: {d.what}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">none</p>
      )}
    </section>
  );
}

function DocumentAnalysis(props: { doc: string; version: number }) {
  const [version, setVersion] = useState(0);
  const analyses = useQuery(
    'doc.analyses',
    { doc: props.doc },
    `${props.doc}/${props.version}/${version}`,
  );
  // Newest first.
  const latest = (analyses.data as Analysis[] | undefined)?.[0];
  return (
    <>
      <ErrorBox error={analyses.error} />
      {latest ? (
        <AnalysisView
          key={`${latest.seq}/${latest.applied.length}`}
          doc={props.doc}
          analysis={latest}
          onApplied={() => setVersion((v) => v + 1)}
        />
      ) : analyses.data ? (
        <p className="muted">{props.doc} is not analysed yet.</p>
      ) : null}
    </>
  );
}

export function DocumentsTab(props: { project: string }) {
  const api = useApi();
  const list = useQuery('doc.list', { project: props.project });
  const [doc, setDoc] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  // Which document is being analysed (one at a time).
  const [analysing, setAnalysing] = useState<string | null>(null);
  const action = useAction();
  const analyse = (ref: string) => {
    setAnalysing(ref);
    return action.run(async () => {
      await api.call('doc.analyze', { doc: ref });
      setDoc(ref);
      setVersion((v) => v + 1);
    }, ref);
  };
  return (
    <>
      <Upload project={props.project} onAdded={list.reload} />
      <ErrorBox error={action.error ?? list.error} />
      <Table
        label="Documents"
        rows={list.data as Row[] | undefined}
        empty="No documents yet: upload one."
        columns={[
          { key: 'ref', label: 'Ref' },
          { key: 'title', label: 'Title' },
          { key: 'fileName', label: 'File' },
          { key: 'mediaType', label: 'Type' },
          { key: 'pages', label: 'Pages' },
          { key: 'words', label: 'Words' },
          {
            key: 'analysis',
            label: 'Analysis',
            render: (r) => (
              <span className="row-actions">
                <button
                  type="button"
                  aria-label={`Analyse ${text(r, 'ref')}`}
                  disabled={action.busy}
                  onClick={() => void analyse(text(r, 'ref'))}
                >
                  {action.busy && analysing === text(r, 'ref') ? 'Analysing…' : 'Analyse'}
                </button>
                <button
                  type="button"
                  aria-label={`Latest analysis of ${text(r, 'ref')}`}
                  aria-pressed={doc === text(r, 'ref')}
                  onClick={() => setDoc(text(r, 'ref'))}
                >
                  Latest analysis
                </button>
              </span>
            ),
          },
        ]}
      />
      {doc ? <DocumentAnalysis key={doc} doc={doc} version={version} /> : null}
    </>
  );
}

export function BriefingsTab(props: { project: string }) {
  const api = useApi();
  const list = useQuery('brief.list', { project: props.project });
  const action = useAction();
  const [note, setNote] = useState<string | null>(null);
  const write = () => {
    setNote(null);
    return action.run(async () => {
      const out = (await api.call('brief.create', { project: props.project })) as {
        note: string | null;
      };
      setNote(out.note);
      list.reload();
    });
  };
  const rows = list.data as Row[] | undefined;
  return (
    <>
      <div className="inline actions">
        <button
          type="button"
          className="primary"
          disabled={action.busy}
          onClick={() => void write()}
        >
          {action.busy ? 'Writing…' : 'Write a briefing'}
        </button>
      </div>
      {note ? <p className="note">Note: {note}</p> : null}
      <ErrorBox error={action.error ?? list.error} />
      {rows && rows.length === 0 ? <p className="muted">No briefings yet.</p> : null}
      {rows?.map((b, i) => (
        <details key={b.id} className="panel briefing" open={i === 0}>
          <summary>
            {when(b['createdAt'] as string)} · {text(b, 'method')}
            {b['model'] ? ` · ${text(b, 'model')}` : ''}
          </summary>
          <pre>{text(b, 'report')}</pre>
        </details>
      ))}
    </>
  );
}
