/**
 * Planning as an operation: `plan.create` asks the planner agent's model for a task DAG toward a
 * goal and inserts it into a project. The model call happens in `prepare`, before the
 * transaction (no network call holds the store's lock); the handler then creates every task and
 * dependency in one transaction, through the task service, so the plan lands whole or not at all.
 */

import { z } from 'zod';
import { insertPlan, recordPlannerSpend } from '../core/services/plan-service.js';
import { resolveProject } from '../core/services/resolve.js';
import type { PlannerResult } from '../core/services/service-context.js';
import { requiredText } from '../domain/fields.js';
import { actorName, projectKey } from './common-schemas.js';
import type { PrepareContext } from './operation.js';
import { defineOperation } from './operation.js';
import { workspaceCapability } from './workspace-capability.js';

const PlanRowSchema = z.object({
  key: z.string(),
  ref: z.string().nullable(),
  title: z.string(),
  role: z.string().nullable(),
  needs: z.array(z.string()),
});

export const planOperations = [
  defineOperation({
    name: 'plan.create',
    summary:
      "Ask the planner agent's model for a task DAG toward a goal and insert it (--dry-run: print it only)",
    effects: 'write',
    input: z.strictObject({
      goal: requiredText(4_000),
      project: projectKey,
      agent: actorName.optional(),
      model: z.string().trim().min(1, 'must name a model from bosun.yaml').optional(),
      dry_run: z.boolean().optional(),
    }),
    output: z.object({
      project: z.string(),
      tasks: z.array(PlanRowSchema),
      attempts: z.number().int().positive(),
      model: z.string(),
      agent: z.string().nullable(),
      dryRun: z.boolean(),
    }),
    cli: {
      positional: ['goal'],
      bare: true,
      rows: 'tasks',
      columns: ['key', 'ref', 'title', 'role', 'needs'],
      examples: [
        'bosun plan "Add a login page" --project HOME --dry-run',
        'bosun plan "Back up the NAS nightly" --project HOME --agent planner',
        'bosun plan "Migrate to PostgreSQL" --project HOME --model strong',
      ],
    },
    prepare: async (ctx: PrepareContext, input): Promise<PlannerResult> => {
      const planner = workspaceCapability(ctx, 'planner', 'plan', ' to find a planner in');
      // Refuse an unknown project before paying for a model call.
      const project = await ctx.read((read) => resolveProject(read.repos, input.project));
      return planner(input.goal, {
        project: { key: project.key, name: project.name, description: project.description },
        agent: input.agent,
        model: input.model,
      });
    },
    handler: async (ctx, input, planned) => {
      const inserted = await insertPlan(ctx, {
        project: input.project,
        plan: planned.plan,
        dryRun: input.dry_run,
      });
      // A dry run's answers cost money too.
      await recordPlannerSpend(ctx, input.project, planned);
      return {
        ...inserted,
        attempts: planned.attempts,
        model: planned.model,
        agent: planned.agent,
        dryRun: input.dry_run === true,
      };
    },
  }),
];
