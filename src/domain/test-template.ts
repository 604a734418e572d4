/**
 * The built-in test plan templates. `acceptance` makes one case per acceptance criterion of the
 * tasks in the plan's scope (linked to the task and the criterion's number); `smoke` and
 * `regression` bring stock cases; `blank` starts empty.
 */

import type { TestTemplate } from './quality.js';

export interface CaseDraft {
  readonly title: string;
  readonly steps: string;
  readonly expected: string;
  readonly taskId: string | null;
  readonly criterion: number | null;
}

const STOCK: Readonly<
  Record<'smoke' | 'regression', readonly Omit<CaseDraft, 'taskId' | 'criterion'>[]>
> = {
  smoke: [
    {
      title: 'It starts',
      steps: 'Install or deploy the build and start it.',
      expected: 'It starts without errors.',
    },
    {
      title: 'The main path works',
      steps: 'Walk through the most common use from start to end.',
      expected: 'Every step succeeds.',
    },
    {
      title: 'No errors logged',
      steps: 'Read the logs written while running the other cases.',
      expected: 'No errors or warnings.',
    },
  ],
  regression: [
    {
      title: 'Fixed defects stay fixed',
      steps: 'Repeat the steps of every defect fixed since the last release.',
      expected: 'None comes back.',
    },
    {
      title: 'Existing features unchanged',
      steps: 'Run the main paths of the features the change did not touch.',
      expected: 'They behave as before.',
    },
    {
      title: 'Data from the previous version',
      steps: 'Open data written by the previous version.',
      expected: 'It reads and saves without loss.',
    },
  ],
};

/** The cases a new plan starts with; `tasks` are the plan's scope, in ref order. */
export function casesOfTemplate(
  template: TestTemplate,
  tasks: readonly { id: string; ref: string; acceptance: readonly string[] }[],
): CaseDraft[] {
  switch (template) {
    case 'acceptance':
      return tasks.flatMap((task) =>
        task.acceptance.map((criterion, index) => ({
          title: `${task.ref} #${index + 1}: ${criterion}`.slice(0, 200),
          steps: '',
          expected: criterion,
          taskId: task.id,
          criterion: index + 1,
        })),
      );
    case 'smoke':
    case 'regression':
      return STOCK[template].map((draft) => ({ ...draft, taskId: null, criterion: null }));
    case 'blank':
      return [];
  }
}
