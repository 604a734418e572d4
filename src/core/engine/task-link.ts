/**
 * Runs made from a project's task graph move their tasks: a step that starts puts its task in
 * progress, a step that succeeds moves it to done (or review) with the output as a note, and a
 * step that fails finally blocks it with the error. All in the step's own transaction.
 */

import type { Step } from '../../domain/run.js';
import { Task as TaskRules } from '../../domain/task.js';
import type { JsonValue } from '../../domain/workflow.js';
import type { StepFailureData } from '../../shared/step-failure.js';
import { tail } from '../../shared/step-failure.js';
import type { ServiceContext } from '../services/service-context.js';
import { addNote, setTaskStatus } from '../services/task-service.js';
import { BosunError } from '../../shared/errors.js';

export interface TaskLink {
  started(step: Step, taskId: string): Promise<void>;
  succeeded(step: Step, taskId: string, output: JsonValue): Promise<void>;
  failed(step: Step, taskId: string, failure: StepFailureData): Promise<void>;
  cancelled(step: Step, taskId: string): Promise<void>;
}

export type TaskOutcomeStatus = 'done' | 'review';

export function createTaskLink(
  ctx: ServiceContext,
  onSuccess: (step: Step) => TaskOutcomeStatus = () => 'done',
): TaskLink {
  const actorCtx = (step: Step): ServiceContext => ({
    ...ctx,
    actor: step.spec.agent ?? step.spec.role ?? `run:${step.runId}`,
    operation: 'run.step',
  });
  const move = async (
    step: Step,
    taskId: string,
    status: 'in_progress' | 'done' | 'review' | 'blocked' | 'todo',
    note?: string,
  ) => {
    const c = actorCtx(step);
    const task = await c.repos.tasks.findById(taskId);
    if (!task || task.deletedAt !== null || task.status === status) {
      if (task && note) await addNote(c, { task: task.id, body: note });
      return;
    }
    // A task whose own dependencies are not done yet (they wait in review) cannot formally
    // start; its step still runs, and the note says so.
    if (status === 'in_progress' && task.openDeps > 0) return;
    if (!TaskRules.transitions[task.status].includes(status)) {
      if (note) await addNote(c, { task: task.id, body: note });
      return;
    }
    try {
      await setTaskStatus(c, { task: task.id, status, note });
    } catch (error) {
      // A workflow rule or the quality gate refused the move: the run goes on, the task stays,
      // and its notes say why (the decision is recorded already).
      if (!(error instanceof BosunError) || error.code !== 'policy_denied') throw error;
      await addNote(c, { task: task.id, body: `${note ? `${note}\n\n` : ''}${error.message}` });
    }
  };
  return {
    started: (step, taskId) => move(step, taskId, 'in_progress'),
    succeeded: (step, taskId, output) =>
      move(
        step,
        taskId,
        onSuccess(step),
        `Run ${step.runId} step ${step.key} succeeded (attempt ${step.attempts}).\n\n${tail(typeof output === 'string' ? output : JSON.stringify(output, null, 2), 4000)}`,
      ),
    failed: (step, taskId, failure) =>
      move(
        step,
        taskId,
        'blocked',
        `Run ${step.runId} step ${step.key} failed (${failure.kind}): ${failure.message}${failure.outputTail ? `\n\n${failure.outputTail}` : ''}`,
      ),
    cancelled: (step, taskId) => move(step, taskId, 'todo'),
  };
}
