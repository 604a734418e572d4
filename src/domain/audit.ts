/** Audit entry: who did what to which target, when, and which fields changed. Never deleted. */

import { z } from 'zod';
import { timestampSchema } from './fields.js';

export const AuditChangeSchema = z.object({ before: z.unknown(), after: z.unknown() });

export const AuditEntrySchema = z.object({
  seq: z.number().int().positive(),
  at: timestampSchema,
  actor: z.string(),
  operation: z.string(),
  targetKind: z.string(),
  targetId: z.string(),
  targetLabel: z.string().nullable(),
  changes: z.record(z.string(), AuditChangeSchema),
});
export type AuditEntry = Readonly<z.infer<typeof AuditEntrySchema>>;
export type AuditChanges = AuditEntry['changes'];

/** Field-level diff of two snapshots; unchanged fields are left out. `null` snapshot = absent. */
export function diffRecords(
  before: Readonly<Record<string, unknown>> | null,
  after: Readonly<Record<string, unknown>> | null,
): AuditChanges {
  const changes: Record<string, { before: unknown; after: unknown }> = {};
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const key of keys) {
    const a = before?.[key] ?? null;
    const b = after?.[key] ?? null;
    if (JSON.stringify(a) !== JSON.stringify(b)) changes[key] = { before: a, after: b };
  }
  return changes;
}
