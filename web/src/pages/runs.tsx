/** Runs: the list (with a form to start one) and a run's page with its live DAG and step detail. */

import type { FormEvent } from 'react';
import { useState } from 'react';
import type { JournalEvent } from '../api.js';
import { describeError, useApi, useJournal, useQuery } from '../api.js';
import { Badge, ErrorBox, money, Table, when } from '../components.js';
import type { GraphStep } from '../dag.js';
import { Dag } from '../dag.js';
import { Link, navigate } from '../router.js';

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
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const run = await api.call('run.start', { file: file.trim(), input: parseInputs(inputs) });
      navigate(`/runs/${run.id}`);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="inline panel" onSubmit={(e) => void submit(e)} aria-label="Start a run">
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
      <button type="submit" className="primary" disabled={busy}>
        Start run
      </button>
      <ErrorBox error={error} />
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
          { key: 'name', label: 'Run', render: (r) => <Link to={`/runs/${r.id}`}>{r.name}</Link> },
          { key: 'status', label: 'Status', render: (r) => <Badge status={r.status} /> },
          { key: 'source', label: 'Source' },
          { key: 'stepsTotal', label: 'Steps' },
          { key: 'costUsd', label: 'Cost', render: (r) => money(r.costUsd) },
          { key: 'createdBy', label: 'By' },
          { key: 'createdAt', label: 'Started', render: (r) => when(r.createdAt) },
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
          <pre data-testid="step-stream">
            {props.events
              .filter((e) => e.kind === 'step-output' && e.data['step'] === props.step)
              .map((e) => String(e.data['text'] ?? ''))
              .reverse()
              .join('') || 'Output streamed while the step runs appears here.'}
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
  const [actionError, setActionError] = useState<string | null>(null);
  const id = run.data?.run.id;
  useJournal(
    id ? { run: id } : null,
    () => {
      run.reload();
      graph.reload();
      setVersion((v) => v + 1);
    },
    (event) => setLog((l) => [event, ...l].slice(0, 500)),
  );
  const steps: GraphStep[] = graph.data ? (JSON.parse(graph.data.text) as GraphStep[]) : [];
  const r = run.data?.run;
  const act = async (what: () => Promise<unknown>) => {
    setActionError(null);
    try {
      await what();
      run.reload();
      graph.reload();
    } catch (e) {
      setActionError(describeError(e));
    }
  };
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
      <ErrorBox error={actionError} />
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
