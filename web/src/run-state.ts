/**
 * A run's step states, moved by its journal events as they arrive (src/core/engine/journal.ts
 * writes them), so the DAG changes colour within a frame of each event. It is an optimistic
 * picture: the page still refetches `run.graph` (debounced), and that answer replaces it.
 *
 *   step-start {step, attempt}            → running, with that attempt
 *   step-end {step, status, attempt}      → its final status; on succeeded/skipped, dependents
 *                                           whose needs are all done become ready
 *   step-retry / step-lost / step-release → ready (again), with the attempt it had
 *   step-held {step}                      → held (a budget would be exceeded)
 *   approval-request {step}               → approval
 *   approval-decide {step, status: approved, phase: before} → ready (an `after` approval, or a
 *                                           rejection, is followed by the step-end that says how)
 *   run-end {status ≠ succeeded}          → every open step cancelled
 */

/** A step as `run.graph --format json` gives it. */
export interface GraphStep {
  readonly key: string;
  readonly status: string;
  readonly needs: readonly string[];
  readonly attempts: number;
}

/** The part of a journal event this looks at. */
export interface RunEvent {
  readonly kind: string;
  readonly data: Readonly<Record<string, unknown>>;
}

const OPEN = new Set(['waiting', 'ready', 'running', 'approval', 'held']);
const DONE = new Set(['succeeded', 'skipped']);

/** `steps` after `event` (the same array when the event changes nothing). */
export function applyEvent(steps: readonly GraphStep[], event: RunEvent): readonly GraphStep[] {
  const key = typeof event.data['step'] === 'string' ? event.data['step'] : null;
  const attempt = typeof event.data['attempt'] === 'number' ? event.data['attempt'] : null;
  const set = (status: string, withAttempt = false) =>
    steps.map((s) =>
      s.key === key
        ? { ...s, status, attempts: withAttempt && attempt !== null ? attempt : s.attempts }
        : s,
    );
  switch (event.kind) {
    case 'step-start':
      return set('running', true);
    case 'step-retry':
    case 'step-lost':
    case 'step-release':
      return set('ready', true);
    case 'step-held':
      return set('held');
    case 'approval-request':
      return set('approval');
    case 'approval-decide':
      return event.data['status'] === 'approved' && event.data['phase'] === 'before'
        ? set('ready')
        : steps;
    case 'step-end': {
      const status = String(event.data['status']);
      const ended = set(status, true);
      if (!DONE.has(status)) return ended;
      const done = new Set(ended.filter((s) => DONE.has(s.status)).map((s) => s.key));
      return ended.map((s) =>
        s.status === 'waiting' && s.needs.includes(key ?? '') && s.needs.every((n) => done.has(n))
          ? { ...s, status: 'ready' }
          : s,
      );
    }
    case 'run-end':
      return event.data['status'] === 'succeeded'
        ? steps
        : steps.map((s) => (OPEN.has(s.status) ? { ...s, status: 'cancelled' } : s));
    default:
      return steps;
  }
}
