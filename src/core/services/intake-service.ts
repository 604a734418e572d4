/**
 * Structured intake: a whole project from one document (`bosun project add --from intake.yaml`)
 * — the project, its objectives and scope, stakeholders, risks, milestones and budget lines —
 * created in one transaction through the same services as one record at a time, so every rule
 * and every audit entry is the same. A refusal names the place in the document
 * (`risks[1].likelihood`), and nothing is kept.
 */

import type { ProjectIntake } from '../../domain/intake.js';
import type { Project } from '../../domain/project.js';
import { BosunError, invalidInput } from '../../shared/errors.js';
import { createMilestone } from './milestone-service.js';
import { createBudgetLine } from './project-budget-service.js';
import { createProject } from './project-service.js';
import { createRisk } from './risk-service.js';
import type { ServiceContext } from './service-context.js';
import { createStakeholder } from './stakeholder-service.js';

const DESCRIPTION_MAX = 10_000;

export interface IntakeSummary {
  readonly project: Project;
  readonly stakeholders: string[];
  readonly risks: string[];
  readonly milestones: string[];
  readonly budgetLines: string[];
}

export async function createProjectFromIntake(
  ctx: ServiceContext,
  intake: ProjectIntake,
): Promise<IntakeSummary> {
  const { project: head } = intake;
  const project = await at(
    'project',
    () =>
      createProject(ctx, {
        key: head.key,
        name: head.name,
        description: describe(intake),
        owner: head.owner,
        startDate: head.start,
        dueDate: head.due,
        budgetCurrency: intake.budget?.currency,
      }),
    { dueDate: 'due', startDate: 'start', budgetCurrency: 'budget.currency' },
  );
  const key = project.key;
  const each = async <T>(
    section: string,
    items: readonly T[] | undefined,
    create: (item: T) => Promise<{ ref: string }>,
  ): Promise<string[]> => {
    const refs: string[] = [];
    for (const [i, item] of (items ?? []).entries()) {
      refs.push((await at(`${section}[${i}]`, () => create(item))).ref);
    }
    return refs;
  };
  return {
    project,
    stakeholders: await each('stakeholders', intake.stakeholders, (s) =>
      createStakeholder(ctx, { project: key, ...s }),
    ),
    risks: await each('risks', intake.risks, (r) => createRisk(ctx, { project: key, ...r })),
    milestones: await each('milestones', intake.milestones, (m) =>
      createMilestone(ctx, { project: key, ...m }),
    ),
    budgetLines: await each('budget.lines', intake.budget?.lines, (line) =>
      createBudgetLine(ctx, {
        project: key,
        category: line.category,
        // A number in the file is read as it is written (1200.5), then parsed exactly.
        planned: String(line.planned),
        description: line.description,
        owner: line.owner,
        alertPercent: line.alert_threshold,
      }),
    ),
  };
}

/** The project's description with its objectives and scope as Markdown sections after it. */
function describe(intake: ProjectIntake): string {
  const parts = [intake.project.description?.trim() ?? ''];
  const list = (items: readonly string[]) => items.map((item) => `- ${item}`).join('\n');
  if (intake.objectives?.length) parts.push(`## Objectives\n\n${list(intake.objectives)}`);
  const scope = intake.scope;
  if (scope?.in?.length || scope?.out?.length) {
    const sections = ['## Scope'];
    if (scope.in?.length) sections.push(`In scope:\n\n${list(scope.in)}`);
    if (scope.out?.length) sections.push(`Out of scope:\n\n${list(scope.out)}`);
    parts.push(sections.join('\n\n'));
  }
  const text = parts.filter((part) => part !== '').join('\n\n');
  if (text.length > DESCRIPTION_MAX) {
    throw invalidInput(
      'project.description',
      `with the objectives and scope it must be at most ${DESCRIPTION_MAX} characters (it is ${text.length})`,
    );
  }
  return text;
}

/**
 * Runs one item's creation, naming its place in the document when the item is refused; `keys`
 * maps a service's field names to the document's where they differ.
 */
async function at<T>(
  place: string,
  create: () => Promise<T>,
  keys: Readonly<Record<string, string>> = {},
): Promise<T> {
  try {
    return await create();
  } catch (error) {
    if (!(error instanceof BosunError)) throw error;
    const field = error.details['field'];
    const where =
      typeof field !== 'string' || field === ''
        ? place
        : keys[field]?.includes('.')
          ? keys[field]
          : `${place}.${keys[field] ?? field}`;
    const rule = String(error.details['rule'] ?? error.message);
    const message = error.message.startsWith(`${String(field)}: `)
      ? `${where}: ${error.message.slice(String(field).length + 2)}`
      : `${where}: ${error.message}`;
    throw new BosunError(error.code, message, {
      details: { ...error.details, field: where, rule },
      cause: error,
    });
  }
}
