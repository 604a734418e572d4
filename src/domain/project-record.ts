/**
 * What the command center's records of a project share (risks, actions and stakeholders now;
 * milestones next): a ULID id, a ref made of the project key, the series letter and a
 * per-project number (HOME-R3), and archiving instead of deletion, so the audit log and every
 * link to a record stay meaningful after it leaves the register.
 */

import { z } from 'zod';
import { idSchema, timestampSchema } from './fields.js';

/** One letter per kind of record; it keeps their refs apart from each other and from task refs. */
export const RECORD_SERIES = {
  risk: 'R',
  action: 'A',
  stakeholder: 'S',
  doc: 'D',
  milestone: 'M',
  lesson: 'L',
  budget: 'B',
  transaction: 'T',
  rule: 'W',
  testplan: 'P',
  testcase: 'C',
} as const;
export type RecordKind = keyof typeof RECORD_SERIES;

export function recordRefSchema(kind: RecordKind) {
  const series = RECORD_SERIES[kind];
  return z
    .string()
    .regex(
      new RegExp(`^[A-Z][A-Z0-9]{1,9}-${series}[1-9]\\d*$`),
      `must be a ${kind} ref such as HOME-${series}3`,
    );
}

/** The fields every project record carries, to spread into its schema. */
export function projectRecordFields(kind: RecordKind) {
  return {
    id: idSchema,
    projectId: idSchema,
    ref: recordRefSchema(kind),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
    archivedAt: timestampSchema.nullable(),
  };
}

// A type, not an interface: audit snapshots take records as plain string-keyed objects.
export type ProjectRecord = {
  readonly id: string;
  readonly projectId: string;
  readonly ref: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly archivedAt: string | null;
};

export const ProjectRecord = {
  formatRef(kind: RecordKind, projectKey: string, seq: number): string {
    return `${projectKey}-${RECORD_SERIES[kind]}${seq}`;
  },
  isRef(kind: RecordKind, value: string): boolean {
    return recordRefSchema(kind).safeParse(value).success;
  },
};
