/**
 * How a run's progress looks in a terminal. Not a terminal (a pipe, a log, CI): one line per
 * event. A terminal: a live table of the steps that matter now — running, waiting for approval,
 * just finished — with durations, redrawn in place, and a summary line with counts and cost.
 */

import type { JournalEvent, StepStatus } from '../domain/run.js';

const time = (iso: string): string => iso.slice(11, 23);

function seconds(ms: unknown): string {
  return typeof ms === 'number' ? `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s` : '';
}

/** One line for an event; null for events not worth a line (`step-output` is its text). */
export function formatEventLine(event: JournalEvent): string {
  const d = event.data as Record<string, unknown>;
  const step = typeof d.step === 'string' ? d.step : '';
  const head = `${time(event.at)}  ${event.kind.padEnd(16)}`;
  switch (event.kind) {
    case 'run-start':
      return `${head} ${String(d.name)} (${String(d.steps)} steps${d.reused ? `, ${String(d.reused)} reused` : ''}) run ${event.runId}`;
    case 'run-end':
      return `${head} ${String(d.status)}${d.error ? ` — ${String(d.error)}` : ''}`;
    case 'step-start':
      return `${head} ${step}  attempt ${String(d.attempt)} on ${d.agent ? `agent ${String(d.agent)}${d.model ? ` (${String(d.model)})` : ''}` : String(d.runner)}`;
    case 'step-held':
      return `${head} ${step}  held: ${String(d.reason)} — raise the budget, then bosun run resume`;
    case 'agent-message-delta':
      return String(d.text)
        .split('\n')
        .map((line) => `${time(event.at)}  ${step} ▸ ${line}`)
        .join('\n');
    case 'agent-tool-call':
      return `${head} ${step}  calls ${String(d.tool)} ${JSON.stringify(d.input)}`;
    case 'agent-tool-result':
      return `${head} ${step}  ${String(d.tool ?? 'tool')} ${d.ok ? 'returned' : 'failed'}: ${String(d.text).slice(0, 200)}`;
    case 'agent-session':
      return `${head} ${step}  session ${String(d.session)}${d.model ? ` on ${String(d.model)}` : ''}`;
    case 'step-end':
      return `${head} ${step}  ${String(d.status)}${d.ms !== undefined ? ` in ${seconds(d.ms)}` : ''}${d.error ? ` — ${String(d.error)}` : ''}`;
    case 'step-retry':
      return `${head} ${step}  attempt ${String(d.attempt)} failed: ${String(d.error)} — try ${String(d.nextTry)}/${String(d.of)} at ${time(String(d.at))}`;
    case 'step-lost':
    case 'step-release':
      return `${head} ${step}  attempt ${String(d.attempt)} back to the queue: ${String(d.reason)}`;
    case 'step-output':
      return String(d.text)
        .split('\n')
        .map((line) => `${time(event.at)}  ${step} │ ${line}`)
        .join('\n');
    case 'approval-request':
      return `${head} ${step}  waits for approval (${String(d.phase)}): bosun approval approve ${String(d.approval)}`;
    case 'approval-decide':
      return `${head} ${step}  ${String(d.status)} by ${String(d.by)}${d.comment ? `: ${String(d.comment)}` : ''}`;
    default:
      return `${head} ${step} ${JSON.stringify(d)}`;
  }
}

interface StepRow {
  status: StepStatus | 'retrying';
  attempt: number;
  startedAt: number | null;
  endedAt: number | null;
  note: string;
}

const STATUS_COLOR: Partial<Record<StepRow['status'], string>> = {
  running: '\x1b[33m',
  succeeded: '\x1b[32m',
  failed: '\x1b[31m',
  approval: '\x1b[35m',
  held: '\x1b[35m',
  retrying: '\x1b[33m',
  cancelled: '\x1b[90m',
};

/** The live table's state, fed with events, drawn on demand. */
export function createLiveTable() {
  let totalSteps = 0;
  const steps = new Map<string, StepRow>();
  let runStatus = 'running';
  let cost = 0;
  let drawnLines = 0;
  let startedAt = Date.now();
  const row = (key: string): StepRow => {
    let r = steps.get(key);
    if (!r) {
      r = { status: 'ready', attempt: 0, startedAt: null, endedAt: null, note: '' };
      steps.set(key, r);
    }
    return r;
  };
  return {
    apply(event: JournalEvent): void {
      const d = event.data as Record<string, unknown>;
      const key = typeof d.step === 'string' ? d.step : '';
      const at = Date.parse(event.at);
      switch (event.kind) {
        case 'run-start':
          startedAt = at;
          totalSteps = Number(d.steps ?? 0);
          break;
        case 'run-end':
          runStatus = String(d.status);
          break;
        case 'step-start': {
          const r = row(key);
          Object.assign(r, {
            status: 'running',
            attempt: Number(d.attempt),
            startedAt: r.startedAt ?? at,
            endedAt: null,
            note: '',
          });
          break;
        }
        case 'step-end': {
          const r = row(key);
          Object.assign(r, {
            status: d.status as StepStatus,
            endedAt: at,
            note: d.error ? String(d.error) : '',
          });
          const usage = d.usage as { costUsd?: number } | undefined;
          cost += usage?.costUsd ?? 0;
          break;
        }
        case 'step-retry':
          Object.assign(row(key), { status: 'retrying', note: String(d.error) });
          break;
        case 'approval-request':
          Object.assign(row(key), {
            status: 'approval',
            note: `bosun approval approve ${String(d.approval)}`,
          });
          break;
        case 'approval-decide':
          row(key).note = `${String(d.status)} by ${String(d.by)}`;
          break;
        case 'step-held':
          Object.assign(row(key), { status: 'held', note: String(d.reason) });
          break;
      }
    },
    /** Redraws the table in place (ANSI: cursor up, clear below). */
    draw(write: (text: string) => void, final = false): void {
      const now = Date.now();
      const rows = [...steps.entries()];
      const active = rows.filter(([, r]) =>
        ['running', 'approval', 'retrying', 'held'].includes(r.status),
      );
      const ended = rows
        .filter(([, r]) => r.endedAt !== null)
        .sort((a, b) => b[1].endedAt! - a[1].endedAt!);
      const shown = final ? rows : [...active, ...ended.slice(0, Math.max(0, 12 - active.length))];
      const counts = new Map<string, number>();
      for (const [, r] of rows) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
      const done = (counts.get('succeeded') ?? 0) + (counts.get('skipped') ?? 0);
      const width = Math.min(32, Math.max(4, ...shown.map(([k]) => k.length)));
      const lines = [
        `run ${runStatus}  ${done}/${totalSteps} steps done  ${((now - startedAt) / 1000).toFixed(1)}s${cost > 0 ? `  $${cost.toFixed(4)}` : ''}`,
        ...shown.slice(0, final ? 200 : 20).map(([key, r]) => {
          const ms = r.startedAt === null ? null : (r.endedAt ?? now) - r.startedAt;
          const color = STATUS_COLOR[r.status] ?? '';
          return `  ${key.slice(0, width).padEnd(width)}  ${color}${r.status.padEnd(10)}\x1b[0m  #${r.attempt}  ${seconds(ms).padStart(7)}  ${r.note.slice(0, 60)}`;
        }),
      ];
      const clear = drawnLines > 0 ? `\x1b[${drawnLines}A\x1b[J` : '';
      write(`${clear}${lines.join('\n')}\n`);
      drawnLines = lines.length;
    },
  };
}
