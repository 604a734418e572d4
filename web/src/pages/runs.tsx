/** Runs: the list (with a form to start one) and a run's page with its live DAG and step detail. */

import type { FormEvent } from 'react';
import { useState } from 'react';
import type { JournalEvent } from '../api.js';
import { useAction, useApi, useJournal, useQuery } from '../api.js';
import { Badge, ErrorBox, money, runColumn, Table, when } from '../components.js';
import type { GraphStep } from '../dag.js';
import { Dag } from '../dag.js';
import { Link, navigate } from '../router.js';
import { applyEvent } from '../run-state.js';

/** `key=value` lines → run inputs (values are strings). */
function parseInputs(text: string): Record<string, string> {
  const input: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) input[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return input;
}

function StartRun() {
  const api = useApi();
  const [file, setFile] = useState('');
  const [inputs, setInputs] = useState('');
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      const run = await api.call('run.start', { file: file.trim(), input: parseInputs(inputs) });
      navigate(`/runs/${run.id}`);
    });
  };
  return (
    <form className="inline panel" onSubmit={submit} aria-label="Start a run">
      <label>
        Workflow file (relative to the workspace)
        <input
          name="file"
          required
          value={file}
          onChange={(e) => setFile(e.target.value)}
          placeholder="release.yaml"
        />
      </label>
      <label>
        Inputs (key=value per line)
        <textarea
          name="inputs"
          rows={1}
          value={inputs}
          onChange={(e) => setInputs(e.target.value)}
        />
      </label>
      <button type="submit" className="primary" disabled={action.busy}>
        Start run
      </button>
      <ErrorBox error={action.error} />
    </form>
  );
}

export function RunsPage() {
  const runs = useQuery('run.list', { limit: 100 });
  useJournal({ kinds: ['run-start', 'run-end', 'run-pause', 'run-resume', 'run-cancel'] }, () =>
    runs.reload(),
  );
  return (
    <>
      <h1>Runs</h1>
      <StartRun />
      <ErrorBox error={runs.error} />
      <Table
        label="Runs"
        rows={runs.data}
        empty="No runs yet."
        columns={[
          runColumn('name'),
          runColumn('status'),
          { key: 'source', label: 'Source' },
          { key: 'stepsTotal', label: 'Steps' },
          runColumn('costUsd'),
          { key: 'createdBy', label: 'By' },
          runColumn('createdAt'),
        ]}
      />
    </>
  );
}

/**
 * What the step left behind: the `evidence` its output carries (a worktree agent's branch, commits,
 * diff stat, uncommitted files), else that of its latest attempt.
 */
function evidenceOf(detail: { step: { output: unknown }; attempts: { output: unknown }[] }) {
  const of = (output: unknown) =>
    output !== null && typeof output === 'object' && !Array.isArray(output)
      ? ((output as Record<string, unknown>)['evidence'] ?? null)
      : null;
  return (
    of(detail.step.output) ??
    detail.attempts
      .map((a) => of(a.output))
      .filter((e) => e !== null)
      .at(-1) ??
    null
  );
}

function Evidence(props: { evidence: unknown }) {
  const e = props.evidence;
  if (e === null) {
    return (
      <p className="muted" data-testid="step-evidence">
        No evidence recorded (agents with <code>workdir: worktree</code> leave their branch, commits
        and diff stat here).
      </p>
    );
  }
  if (typeof e !== 'object' || Array.isArray(e)) {
    return <pre data-testid="step-evidence">{JSON.stringify(e, null, 2)}</pre>;
  }
  return (
    <dl data-testid="step-evidence">
      {Object.entries(e as Record<string, unknown>).map(([key, value]) => (
        <div key={key}>
          <dt>{key}</dt>
          <dd>
            {typeof value === 'string' && !value.includes('\n') ? (
              <code>{value}</code>
            ) : (
              <pre>{typeof value === 'string' ? value : JSON.stringify(value, null, 2)}</pre>
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}

function StepPanel(props: {
  runId: string;
  step: string;
  version: number;
  events: readonly JournalEvent[];
}) {
  const detail = useQuery(
    'step.show',
    { run: props.runId, step: props.step },
    `${props.runId}/${props.step}/${props.version}`,
  );
  // The output streamed so far (from the store), then what arrives live, once each.
  const streamed = useQuery(
    'run.events',
    { run: props.runId, kinds: ['step-output'], limit: 1000 },
    `${props.runId}/${props.step}/${props.version}`,
  );
  const output = new Map<number, JournalEvent>();
  for (const e of [...(streamed.data?.events ?? []), ...props.events]) {
    if (e.kind === 'step-output' && e.data['step'] === props.step) output.set(e.seq, e);
  }
  const lines = [...output.values()]
    .sort((a, b) => a.seq - b.seq)
    .map((e) => String(e.data['text'] ?? ''))
    .join('\n');
  const d = detail.data;
  const cost = d?.attempts.reduce((sum, a) => sum + (a.usage?.costUsd ?? 0), 0) ?? 0;
  return (
    <aside className="panel" aria-label={`Step ${props.step}`}>
      <h2>
        Step {props.step} {d ? <Badge status={d.step.status} /> : null}
      </h2>
      <ErrorBox error={detail.error} />
      {d ? (
        <>
          <p>
            runner <code>{d.step.runner}</code> · {d.step.attempts} attempt(s) · cost{' '}
            <span data-testid="step-cost">{money(cost)}</span>
          </p>
          {d.step.error ? <div className="error">{d.step.error.message}</div> : null}
          <h3>Output</h3>
          <pre data-testid="step-output">
            {d.step.output === null
              ? '—'
              : typeof d.step.output === 'string'
                ? d.step.output
                : JSON.stringify(d.step.output, null, 2)}
          </pre>
          <h3>Live output</h3>
          <pre data-testid="step-stream" aria-live="polite">
            {lines || 'Output streamed while the step runs appears here.'}
          </pre>
          <h3>Evidence</h3>
          <Evidence evidence={evidenceOf(d)} />
          <h3>Attempts</h3>
          <Table
            label="Attempts"
            rows={d.attempts}
            empty="Not run yet."
            columns={[
              { key: 'number', label: '#' },
              { key: 'status', label: 'Status', render: (a) => <Badge status={a.status} /> },
              { key: 'usage', label: 'Cost', render: (a) => money(a.usage?.costUsd ?? null) },
              {
                key: 'startedAt',
                label: 'Started',
                render: (a) => new Date(a.startedAt).toLocaleTimeString(),
              },
              { key: 'error', label: 'Error', render: (a) => a.error?.message ?? '—' },
            ]}
          />
        </>
      ) : null}
    </aside>
  );
}

export function RunPage(props: { runId: string }) {
  const api = useApi();
  const run = useQuery('run.show', { run: props.runId });
  const graph = useQuery('run.graph', { run: props.runId, format: 'json' });
  const [selected, setSelected] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const [log, setLog] = useState<JournalEvent[]>([]);
  // The steps as the last run.graph answer left them, moved by each event since (run-state.ts).
  const [live, setLive] = useState<{ from: unknown; steps: readonly GraphStep[] }>({
    from: undefined,
    steps: [],
  });
  if (live.from !== graph.data) {
    setLive({
      from: graph.data,
      steps: graph.data ? (JSON.parse(graph.data.text) as GraphStep[]) : [],
    });
  }
  const id = run.data?.run.id;
  useJournal(
    id ? { run: id } : null,
    () => {
      run.reload();
      graph.reload();
      setVersion((v) => v + 1);
    },
    (event) => {
      setLog((l) => [event, ...l].slice(0, 500));
      setLive((l) => ({ ...l, steps: applyEvent(l.steps, event) }));
    },
  );
  const steps = live.steps;
  // Nothing selected yet: follow a step that runs, so its output shows as it streams.
  const running = steps.find((s) => s.status === 'running')?.key ?? null;
  if (selected === null && running !== null) setSelected(running);
  const r = run.data?.run;
  const action = useAction();
  const act = (what: () => Promise<unknown>) =>
    action.run(async () => {
      await what();
      run.reload();
      graph.reload();
    });
  const open = r?.status === 'running' || r?.status === 'paused';
  return (
    <>
      <h1>
        Run {r?.name ?? props.runId} {r ? <Badge status={r.status} /> : null}
      </h1>
      <ErrorBox error={run.error ?? graph.error} />
      {r ? (
        <p>
          <code>{r.id}</code> · cost <span data-testid="run-cost">{money(r.costUsd)}</span> ·{' '}
          {r.inputTokens + r.outputTokens} tokens · started {when(r.createdAt)}
          {r.endedAt ? ` · ended ${when(r.endedAt)}` : ''}
          {r.error ? ` · ${r.error}` : ''}
        </p>
      ) : null}
      <div className="actions">
        <button
          type="button"
          disabled={r?.status !== 'running'}
          onClick={() => void act(() => api.call('run.pause', { run: props.runId }))}
        >
          Pause
        </button>
        <button
          type="button"
          disabled={!open}
          onClick={() => void act(() => api.call('run.resume', { run: props.runId }))}
        >
          Resume
        </button>
        <button
          type="button"
          className="danger"
          disabled={!open}
          onClick={() => {
            if (window.confirm('Cancel this run? Running steps are stopped.'))
              void act(() => api.call('run.cancel', { run: props.runId }));
          }}
        >
          Cancel
        </button>
        <button
          type="button"
          disabled={selected === null}
          title={selected === null ? 'select the step to fork from' : undefined}
          onClick={() =>
            void act(async () => {
              const fork = await api.call('run.fork', { run: props.runId, from: selected! });
              navigate(`/runs/${fork.id}`);
            })
          }
        >
          Fork from {selected ?? '…'}
        </button>
      </div>
      <ErrorBox error={action.error} />
      {run.data && run.data.approvals.some((a) => a.status === 'pending') ? (
        <p>
          Waiting for approval: <Link to="/approvals">open the inbox</Link>
        </p>
      ) : null}
      <div className="split">
        <div>
          <Dag steps={steps} selected={selected} onSelect={setSelected} />
          <div className="legend" aria-hidden="true">
            {[
              'waiting',
              'ready',
              'running',
              'approval',
              'held',
              'succeeded',
              'failed',
              'skipped',
              'cancelled',
            ].map((s) => (
              <Badge key={s} status={s} />
            ))}
          </div>
          <h2>Live events</h2>
          {log.length === 0 ? (
            <p className="muted">Events of this run appear here as they happen.</p>
          ) : (
            <ul aria-live="polite" data-testid="live-events">
              {log.slice(0, 50).map((e) => (
                <li key={e.seq}>
                  <code>#{e.seq}</code> {e.kind}{' '}
                  {e.data['step'] ? `· ${String(e.data['step'])}` : ''}
                </li>
              ))}
            </ul>
          )}
        </div>
        {selected && id ? (
          <StepPanel runId={id} step={selected} version={version} events={log} />
        ) : (
          <aside className="panel muted">
            Select a step in the graph for its output, attempts and cost.
          </aside>
        )}
      </div>
    </>
  );
}
