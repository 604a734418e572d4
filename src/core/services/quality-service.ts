/**
 * Quality (docs/command-center.md "Quality"): test plans made from a template over a scope of
 * tasks (their refs, a sprint's or a milestone's), test cases that may cover one acceptance
 * criterion of a task, results with evidence (append-only; the latest counts), approvals of
 * results, and coverage of the criteria of a scope. The done-gate reads the same coverage
 * (quality-gate.ts).
 */

import type { Milestone } from '../../domain/milestone.js';
import type { Project } from '../../domain/project.js';
import type {
  TestCase,
  TestCaseView,
  TestOutcome,
  TestPlan,
  TestPlanStatus,
  TestPlanView,
  TestResult,
  TestTemplate,
} from '../../domain/quality.js';
import { Quality } from '../../domain/quality.js';
import type { Task } from '../../domain/task.js';
import { casesOfTemplate } from '../../domain/test-template.js';
import { BosunError, invalidInput } from '../../shared/errors.js';
import { criteriaCoverage } from './quality-gate.js';
import type { CriterionCoverage } from './quality-gate.js';
import { newRecordFields, resolveRecord, saveRecord, setArchived } from './project-records.js';
import { resolveProject, resolveSprint, resolveTask } from './resolve.js';
import type { AttachmentFile, ServiceContext } from './service-context.js';
import { nowIso, recordAudit } from './service-context.js';

const taskNumber = (task: Pick<Task, 'ref'>) =>
  Number(task.ref.slice(task.ref.lastIndexOf('-') + 1));
const byRef = (a: Task, b: Task) => taskNumber(a) - taskNumber(b);

export interface ScopeInput {
  readonly tasks?: readonly string[] | undefined;
  readonly sprint?: string | undefined;
  readonly milestone?: string | undefined;
}

/** The live tasks of a scope, in ref order: named tasks, a sprint's, a milestone's, or none. */
async function tasksOfScope(
  ctx: ServiceContext,
  project: Project,
  scope: ScopeInput,
): Promise<{ tasks: Task[]; sprintId: string | null; milestone: Milestone | null }> {
  const given = [scope.tasks?.length ? 'task' : null, scope.sprint, scope.milestone].filter(
    (part) => part !== undefined && part !== null,
  );
  if (given.length > 1) {
    throw invalidInput('scope', 'name tasks, a sprint or a milestone, not several');
  }
  if (scope.sprint !== undefined) {
    const sprint = await resolveSprint(ctx.repos, project.id, scope.sprint);
    const tasks = await ctx.repos.tasks.list({ sprintId: sprint.id });
    return { tasks: tasks.sort(byRef), sprintId: sprint.id, milestone: null };
  }
  if (scope.milestone !== undefined) {
    const milestone = await resolveRecord<Milestone>(ctx.repos, 'milestone', scope.milestone, {
      field: 'milestone',
      includeArchived: true,
    });
    if (milestone.projectId !== project.id) {
      throw invalidInput('milestone', `${milestone.ref} belongs to another project`);
    }
    const links = await ctx.repos.milestones.linkedTasks([milestone.id]);
    const tasks = await ctx.repos.tasks.findByIds(links.map((link) => link.id));
    return {
      tasks: tasks.filter((t) => t.deletedAt === null).sort(byRef),
      sprintId: null,
      milestone,
    };
  }
  const tasks: Task[] = [];
  for (const ref of new Set(scope.tasks ?? [])) {
    const task = await resolveTask(ctx.repos, ref, 'tasks');
    if (task.projectId !== project.id) {
      throw invalidInput('tasks', `${task.ref} belongs to another project`);
    }
    tasks.push(task);
  }
  return { tasks: tasks.sort(byRef), sprintId: null, milestone: null };
}

async function planView(ctx: ServiceContext, plan: TestPlan): Promise<TestPlanView> {
  const tasks = await ctx.repos.tasks.findByIds(plan.taskIds);
  const cases = await ctx.repos.testCases.list({ planId: plan.id });
  return { ...plan, tasks: tasks.sort(byRef).map((t) => t.ref), cases: cases.length };
}

async function insertCase(
  ctx: ServiceContext,
  project: Project,
  fields: Pick<TestCase, 'planId' | 'title' | 'steps' | 'expected' | 'taskId' | 'criterion'>,
): Promise<TestCase> {
  return saveRecord(ctx, 'testcase', null, {
    ...(await newRecordFields(ctx, project, 'testcase')),
    ...fields,
  });
}

export async function createTestPlan(
  ctx: ServiceContext,
  input: ScopeInput & {
    project: string;
    title: string;
    description?: string | undefined;
    template?: TestTemplate | undefined;
    status?: TestPlanStatus | undefined;
    requiresApproval?: boolean | undefined;
  },
): Promise<TestPlanView> {
  const project = await resolveProject(ctx.repos, input.project);
  const scope = await tasksOfScope(ctx, project, input);
  const template = input.template ?? 'acceptance';
  if (template === 'acceptance' && !input.tasks?.length && !input.sprint && !input.milestone) {
    throw invalidInput(
      'template',
      'an acceptance plan needs a scope: --tasks, --sprint or --milestone',
    );
  }
  const plan = await saveRecord<TestPlan>(ctx, 'testplan', null, {
    ...(await newRecordFields(ctx, project, 'testplan')),
    title: input.title,
    description: input.description ?? '',
    template,
    status: input.status ?? 'active',
    requiresApproval: input.requiresApproval ?? false,
    sprintId: scope.sprintId,
    milestoneRef: scope.milestone?.ref ?? null,
    taskIds: scope.tasks.map((t) => t.id),
  });
  for (const draft of casesOfTemplate(template, scope.tasks)) {
    await insertCase(ctx, project, { planId: plan.id, ...draft });
  }
  return planView(ctx, plan);
}

export async function updateTestPlan(
  ctx: ServiceContext,
  input: {
    plan: string;
    title?: string | undefined;
    description?: string | undefined;
    status?: TestPlanStatus | undefined;
    requiresApproval?: boolean | undefined;
  },
): Promise<TestPlanView> {
  const before = await resolveRecord<TestPlan>(ctx.repos, 'testplan', input.plan, { lock: true });
  const after: TestPlan = {
    ...before,
    title: input.title ?? before.title,
    description: input.description ?? before.description,
    status: input.status ?? before.status,
    requiresApproval: input.requiresApproval ?? before.requiresApproval,
    updatedAt: nowIso(ctx),
  };
  return planView(ctx, await saveRecord(ctx, 'testplan', before, after));
}

export async function showTestPlan(ctx: ServiceContext, input: { plan: string }) {
  return planView(
    ctx,
    await resolveRecord<TestPlan>(ctx.repos, 'testplan', input.plan, { includeArchived: true }),
  );
}

export async function listTestPlans(
  ctx: ServiceContext,
  input: { project?: string | undefined; archived?: boolean | undefined },
): Promise<TestPlanView[]> {
  const project =
    input.project === undefined ? undefined : await resolveProject(ctx.repos, input.project);
  const plans = await ctx.repos.testPlans.list({
    projectId: project?.id,
    includeArchived: input.archived === true,
  });
  const views: TestPlanView[] = [];
  for (const plan of plans) views.push(await planView(ctx, plan));
  return views;
}

export async function archiveTestPlan(ctx: ServiceContext, input: { plan: string }) {
  return planView(ctx, await setArchived<TestPlan>(ctx, 'testplan', input.plan, true));
}

export async function restoreTestPlan(ctx: ServiceContext, input: { plan: string }) {
  return planView(ctx, await setArchived<TestPlan>(ctx, 'testplan', input.plan, false));
}

// ---- test cases ----

async function caseView(ctx: ServiceContext, testCase: TestCase): Promise<TestCaseView> {
  const plan = (await ctx.repos.testPlans.findById(testCase.planId))!;
  const task = testCase.taskId ? await ctx.repos.tasks.findById(testCase.taskId) : undefined;
  const results = await ctx.repos.testResults.listForCases([testCase.id]);
  const attachments = await ctx.repos.testAttachments.listForResults(results.map((r) => r.id));
  const latest = results.at(-1);
  return {
    ...testCase,
    plan: plan.ref,
    task: task?.ref ?? null,
    result: latest?.outcome ?? null,
    approved: latest?.approvedAt != null,
    results: results.map((result) => ({
      ...result,
      attachments: attachments
        .filter((a) => a.resultId === result.id)
        .map(({ id, name, bytes, sha256 }) => ({ id, name, bytes, sha256 })),
    })),
  };
}

/** The task and criterion a case covers, checked: both or neither, the criterion must exist. */
async function criterionLink(
  ctx: ServiceContext,
  plan: TestPlan,
  task: string | null | undefined,
  criterion: number | null | undefined,
  before?: TestCase,
): Promise<{ taskId: string | null; criterion: number | null }> {
  const taskKey = task === undefined ? before?.taskId : task;
  const number = criterion === undefined ? before?.criterion : criterion;
  if ((taskKey ?? null) === null) {
    if ((number ?? null) !== null) throw invalidInput('criterion', 'needs --task as well');
    return { taskId: null, criterion: null };
  }
  const found = await resolveTask(ctx.repos, taskKey!, 'task');
  if (found.projectId !== plan.projectId) {
    throw invalidInput('task', `${found.ref} belongs to another project`);
  }
  if (number === undefined || number === null) {
    throw invalidInput(
      'criterion',
      `is required with --task: which acceptance criterion of ${found.ref} (1-based)`,
    );
  }
  if (number > found.acceptance.length) {
    throw invalidInput(
      'criterion',
      found.acceptance.length === 0
        ? `${found.ref} has no acceptance criteria`
        : `must be 1 to ${found.acceptance.length}: ${found.ref} has ${found.acceptance.length} acceptance criteria`,
    );
  }
  return { taskId: found.id, criterion: number };
}

export async function createTestCase(
  ctx: ServiceContext,
  input: {
    plan: string;
    title: string;
    steps?: string | undefined;
    expected?: string | undefined;
    task?: string | undefined;
    criterion?: number | undefined;
  },
): Promise<TestCaseView> {
  const plan = await resolveRecord<TestPlan>(ctx.repos, 'testplan', input.plan, { field: 'plan' });
  const project = (await ctx.repos.projects.findById(plan.projectId))!;
  const link = await criterionLink(ctx, plan, input.task, input.criterion);
  const created = await insertCase(ctx, project, {
    planId: plan.id,
    title: input.title,
    steps: input.steps ?? '',
    expected: input.expected ?? '',
    ...link,
  });
  return caseView(ctx, created);
}

export async function updateTestCase(
  ctx: ServiceContext,
  input: {
    testcase: string;
    title?: string | undefined;
    steps?: string | undefined;
    expected?: string | undefined;
    task?: string | null | undefined;
    criterion?: number | null | undefined;
  },
): Promise<TestCaseView> {
  const before = await resolveRecord<TestCase>(ctx.repos, 'testcase', input.testcase, {
    lock: true,
  });
  const plan = (await ctx.repos.testPlans.findById(before.planId))!;
  const link = await criterionLink(ctx, plan, input.task, input.criterion, before);
  const after: TestCase = {
    ...before,
    title: input.title ?? before.title,
    steps: input.steps ?? before.steps,
    expected: input.expected ?? before.expected,
    ...link,
    updatedAt: nowIso(ctx),
  };
  return caseView(ctx, await saveRecord(ctx, 'testcase', before, after));
}

export async function showTestCase(ctx: ServiceContext, input: { testcase: string }) {
  return caseView(
    ctx,
    await resolveRecord<TestCase>(ctx.repos, 'testcase', input.testcase, {
      includeArchived: true,
    }),
  );
}

export async function listTestCases(
  ctx: ServiceContext,
  input: {
    project?: string | undefined;
    plan?: string | undefined;
    task?: string | undefined;
    archived?: boolean | undefined;
  },
): Promise<TestCaseView[]> {
  const project =
    input.project === undefined ? undefined : await resolveProject(ctx.repos, input.project);
  const plan =
    input.plan === undefined
      ? undefined
      : await resolveRecord<TestPlan>(ctx.repos, 'testplan', input.plan, {
          field: 'plan',
          includeArchived: true,
        });
  const task = input.task === undefined ? undefined : await resolveTask(ctx.repos, input.task);
  const cases = await ctx.repos.testCases.list({
    projectId: project?.id,
    planId: plan?.id,
    taskIds: task ? [task.id] : undefined,
    includeArchived: input.archived === true,
  });
  const views: TestCaseView[] = [];
  for (const testCase of cases) views.push(await caseView(ctx, testCase));
  return views;
}

export async function archiveTestCase(ctx: ServiceContext, input: { testcase: string }) {
  return caseView(ctx, await setArchived<TestCase>(ctx, 'testcase', input.testcase, true));
}

export async function restoreTestCase(ctx: ServiceContext, input: { testcase: string }) {
  return caseView(ctx, await setArchived<TestCase>(ctx, 'testcase', input.testcase, false));
}

// ---- results ----

const caseTarget = (testCase: TestCase) => ({
  kind: 'testcase',
  id: testCase.id,
  label: testCase.ref,
});

export async function recordTestResult(
  ctx: ServiceContext,
  input: {
    testcase: string;
    outcome: TestOutcome;
    evidence?: string | undefined;
    links?: readonly string[] | undefined;
  },
  files: readonly AttachmentFile[],
): Promise<TestCaseView> {
  const testCase = await resolveRecord<TestCase>(ctx.repos, 'testcase', input.testcase, {
    lock: true,
  });
  const result: TestResult = {
    id: ctx.newId(),
    caseId: testCase.id,
    outcome: input.outcome,
    evidence: input.evidence ?? '',
    links: [...(input.links ?? [])],
    recordedBy: ctx.actor,
    recordedAt: nowIso(ctx),
    approvedBy: null,
    approvedAt: null,
    approvalComment: null,
  };
  await ctx.repos.testResults.insert(result);
  const attachments = [];
  for (const file of files) {
    const attachment = { id: ctx.newId(), resultId: result.id, ...file };
    await ctx.repos.testAttachments.insert(attachment);
    attachments.push({ name: file.name, bytes: file.bytes, sha256: file.sha256 });
  }
  // Results are audited on their case, so `audit list HOME-C3` shows them.
  await recordAudit(ctx, caseTarget(testCase), null, { result: result.id, ...result, attachments });
  return caseView(ctx, testCase);
}

/** Approves a result (the latest by default); nobody approves a result they recorded. */
export async function approveTestResult(
  ctx: ServiceContext,
  input: { testcase: string; result?: string | undefined; comment?: string | undefined },
): Promise<TestCaseView> {
  const testCase = await resolveRecord<TestCase>(ctx.repos, 'testcase', input.testcase, {
    lock: true,
  });
  const results = await ctx.repos.testResults.listForCases([testCase.id]);
  const before =
    input.result === undefined
      ? results.at(-1)
      : results.find((r) => r.id === input.result!.trim().toUpperCase());
  if (!before) {
    throw new BosunError(
      'not_found',
      input.result === undefined
        ? `testcase: ${testCase.ref} has no result to approve; 'bosun testcase record ${testCase.ref} pass' records one`
        : `result: no result '${input.result}' of ${testCase.ref}; see 'bosun testcase show ${testCase.ref}'`,
      { details: { field: input.result === undefined ? 'testcase' : 'result' } },
    );
  }
  if (before.approvedAt !== null) {
    throw new BosunError(
      'conflict',
      `result: ${before.id} was approved by ${before.approvedBy} at ${before.approvedAt}`,
      { details: { field: 'result', approvedBy: before.approvedBy } },
    );
  }
  if (before.recordedBy === ctx.actor) {
    throw new BosunError(
      'policy_denied',
      `result: ${ctx.actor} recorded this result and may not approve it; someone else must`,
      { details: { field: 'result', recordedBy: before.recordedBy } },
    );
  }
  const after: TestResult = {
    ...before,
    approvedBy: ctx.actor,
    approvedAt: nowIso(ctx),
    approvalComment: input.comment ?? null,
  };
  await ctx.repos.testResults.update(after);
  await recordAudit(
    ctx,
    caseTarget(testCase),
    { result: before.id, approvedBy: null, approvedAt: null, approvalComment: null },
    {
      result: after.id,
      approvedBy: after.approvedBy,
      approvedAt: after.approvedAt,
      approvalComment: after.approvalComment,
    },
  );
  return caseView(ctx, testCase);
}

// ---- coverage ----

export interface CoverageResult {
  readonly project: string;
  readonly sprint: string | null;
  readonly milestone: string | null;
  readonly tasks: number;
  readonly criteria: CriterionCoverage[];
  readonly totals: {
    readonly criteria: number;
    readonly covered: number;
    readonly passing: number;
    readonly failing: number;
    readonly blocked: number;
    readonly untested: number;
    readonly missing: number;
  };
  readonly coveredPercent: number;
  readonly passingPercent: number;
}

/** The acceptance criteria of a sprint's, a milestone's or a whole project's live tasks. */
export async function testCoverage(
  ctx: ServiceContext,
  input: {
    project?: string | undefined;
    sprint?: string | undefined;
    milestone?: string | undefined;
  },
): Promise<CoverageResult> {
  let project: Project;
  if (input.project !== undefined) project = await resolveProject(ctx.repos, input.project);
  else if (input.milestone !== undefined) {
    const milestone = await resolveRecord<Milestone>(ctx.repos, 'milestone', input.milestone, {
      field: 'milestone',
      includeArchived: true,
    });
    project = (await ctx.repos.projects.findById(milestone.projectId))!;
  } else {
    throw invalidInput(
      'project',
      'is required: name a project, a milestone, or a project and --sprint',
    );
  }
  const scoped =
    input.sprint === undefined && input.milestone === undefined
      ? {
          tasks: (await ctx.repos.tasks.list({ projectId: project.id })).sort(byRef),
          sprintId: null,
          milestone: null,
        }
      : await tasksOfScope(ctx, project, input);
  const tasks = scoped.tasks.filter((task) => task.status !== 'cancelled');
  const criteria = await criteriaCoverage(ctx.repos, tasks);
  const count = (state: string) => criteria.filter((c) => c.state === state).length;
  const covered = criteria.filter((c) => c.cases.length > 0).length;
  return {
    project: project.key,
    sprint: input.sprint ?? null,
    milestone: scoped.milestone?.ref ?? null,
    tasks: tasks.length,
    criteria,
    totals: {
      criteria: criteria.length,
      covered,
      passing: count('passing'),
      failing: count('failing'),
      blocked: count('blocked'),
      untested: count('untested'),
      missing: count('missing'),
    },
    coveredPercent: Quality.percent(covered, criteria.length),
    passingPercent: Quality.percent(count('passing'), criteria.length),
  };
}
