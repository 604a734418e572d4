/** Operations on the workspace as a whole: the audit log, export and import. */

import { z } from 'zod';
import { recordKindOfRef, resolveRecord } from '../core/services/project-records.js';
import { resolveProject, resolveTask } from '../core/services/resolve.js';
import {
  exportWorkspace,
  importWorkspace,
  WorkspaceDocumentSchema,
} from '../core/services/workspace-service.js';
import { AuditEntrySchema } from '../domain/audit.js';
import { timestampSchema } from '../domain/fields.js';
import { Task } from '../domain/task.js';
import type { ServiceContext } from '../core/services/service-context.js';
import { actorName, limit } from './common-schemas.js';
import { defineOperation } from './operation.js';

/** A target may be given as a task ref, a record ref (HOME-R3), a project key or any id. */
async function targetId(ctx: ServiceContext, target: string): Promise<string> {
  const kind = recordKindOfRef(target);
  if (kind !== undefined) {
    const options = { field: 'target', includeArchived: true };
    return (await resolveRecord(ctx.repos, kind, target, options)).id;
  }
  if (Task.isRef(target.toUpperCase()))
    return (await resolveTask(ctx.repos, target, 'target', { includeDeleted: true })).id;
  if (/^[A-Za-z][A-Za-z0-9]{1,9}$/.test(target))
    return (await resolveProject(ctx.repos, target, 'target')).id;
  return target;
}

export const workspaceOperations = [
  defineOperation({
    name: 'audit.list',
    summary: 'The audit log: every write with actor, operation, target, time and changed fields',
    effects: 'read',
    input: z.strictObject({
      target: z.string().trim().min(1, 'must not be empty').optional(),
      actor: actorName.optional(),
      operation: z.string().optional(),
      since: timestampSchema.optional(),
      until: timestampSchema.optional(),
      limit: limit.optional(),
    }),
    output: z.array(AuditEntrySchema),
    cli: {
      positional: ['target'],
      aliases: ['ls', 'log'],
      columns: ['seq', 'at', 'actor', 'operation', 'targetLabel:TARGET', 'changed'],
      examples: [
        'bosun audit list HOME-3',
        'bosun audit list --actor coder-1 --since 2026-11-01T00:00:00Z',
      ],
    },
    handler: async (ctx, input) => {
      const entries = await ctx.repos.audit.list({
        targetId: input.target ? await targetId(ctx, input.target) : undefined,
        actor: input.actor,
        operation: input.operation,
        since: input.since,
        until: input.until,
        limit: input.limit ?? 100,
        order: 'desc',
      });
      return entries.reverse();
    },
  }),
  defineOperation({
    name: 'workspace.export',
    summary: 'The whole workspace as one JSON document (stable order, diffs well in git)',
    effects: 'read',
    input: z.strictObject({}),
    output: WorkspaceDocumentSchema,
    cli: { aliases: ['export'], json: true, examples: ['bosun export > plan.json'] },
    handler: (ctx) => exportWorkspace(ctx),
  }),
  defineOperation({
    name: 'workspace.import',
    summary: 'Restore an exported document into an empty workspace',
    effects: 'write',
    input: z.strictObject({ document: WorkspaceDocumentSchema }),
    output: z.object({
      projects: z.number().int(),
      sprints: z.number().int(),
      tasks: z.number().int(),
      dependencies: z.number().int(),
      todos: z.number().int(),
      notes: z.number().int(),
      audit: z.number().int(),
      records: z.record(z.string(), z.number().int()),
    }),
    cli: { positional: ['document'], aliases: ['import'], examples: ['bosun import plan.json'] },
    handler: (ctx, input) => importWorkspace(ctx, input.document),
  }),
];
