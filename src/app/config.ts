/**
 * `.bosun/bosun.yaml`: the workspace's settings, validated with errors that name the key. For now
 * it says where the store is and who acts by default; later issues add models, agents and budgets.
 */

import { parse } from 'yaml';
import { z } from 'zod';
import { BosunError } from '../shared/errors.js';

export const CONFIG_FILE = 'bosun.yaml';
export const DEFAULT_DB_FILE = 'bosun.db';

export const WorkspaceConfigSchema = z.strictObject({
  version: z.literal(1, 'must be 1'),
  /** A path relative to `.bosun/`, an absolute path, or a `postgres://` URL. */
  db: z.string().trim().min(1, 'must not be empty').default(DEFAULT_DB_FILE),
  /** Who is recorded in the audit log when neither --as nor BOSUN_ACTOR says. */
  actor: z.string().trim().min(1, 'must not be empty').optional(),
});
export type WorkspaceConfig = z.infer<typeof WorkspaceConfigSchema>;

export function defaultConfigText(db: string): string {
  return [
    '# bosun workspace settings. Precedence: command-line flags > BOSUN_* environment > this file.',
    'version: 1',
    '# Store: a SQLite file (relative to this folder) or a postgres:// URL shared by several machines.',
    `db: ${JSON.stringify(db)}`,
    '# Default actor for the audit log (otherwise --as, BOSUN_ACTOR, or your OS user name).',
    '# actor: ana',
    '',
  ].join('\n');
}

export function parseConfig(text: string, path: string): WorkspaceConfig {
  let raw: unknown;
  try {
    raw = parse(text) ?? {};
  } catch (error) {
    throw new BosunError('invalid_input', `${path}: not valid YAML (${(error as Error).message})`, {
      details: { field: path, rule: 'valid YAML' },
    });
  }
  const result = WorkspaceConfigSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = issue.path.join('.') || '(document)';
    throw new BosunError('invalid_input', `${path}: ${key}: ${issue.message}`, {
      details: { field: key, rule: issue.message, file: path },
    });
  }
  return result.data;
}
