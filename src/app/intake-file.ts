/**
 * Project intake files (`bosun project add --from intake.yaml`): reads a YAML or JSON file and
 * validates it against the domain's ProjectIntakeSchema, naming the line and the path of the
 * first problem in the document — `intake.yaml:14: risks[1].likelihood: must be at most 5`.
 * JSON is YAML too, so one parser gives both formats their lines.
 */

import type { ProjectIntake } from '../domain/intake.js';
import { ProjectIntakeSchema } from '../domain/intake.js';
import { plainMessages } from '../operations/operation-runner.js';
import { BosunError } from '../shared/errors.js';
import type { YamlPathSegment } from './yaml-source.js';
import { lineOf, parseYaml, readSourceFile, toJs } from './yaml-source.js';

export function loadIntakeFile(path: string, shownAs: string = path): ProjectIntake {
  const text = readSourceFile(path, { field: 'from', kind: 'intake file', shownAs });
  const source = parseYaml(text, shownAs);
  const raw = toJs(source.document, shownAs);
  if (raw === null || raw === undefined || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new BosunError(
      'invalid_input',
      `${shownAs}: must be a mapping with at least project: { key, name }`,
      { details: { field: 'from', rule: 'must be a mapping', file: shownAs } },
    );
  }
  const result = ProjectIntakeSchema.safeParse(raw, { error: plainMessages });
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const at = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const [where, rule]: [YamlPathSegment[], string] =
    issue.code === 'unrecognized_keys'
      ? [[...at, issue.keys[0]!], 'is not a key an intake document has']
      : [at, issue.message];
  const field = formatPath(where);
  const line = lineOf(source, where);
  throw new BosunError(
    'invalid_input',
    `${shownAs}${line === null ? '' : `:${line}`}: ${field}: ${rule}`,
    { details: { field, rule, file: shownAs, ...(line === null ? {} : { line }) } },
  );
}

/** `risks.1.likelihood` as a person reads it: `risks[1].likelihood`. */
function formatPath(path: readonly YamlPathSegment[]): string {
  return path
    .map((segment, i) =>
      typeof segment === 'number' ? `[${segment}]` : i === 0 ? segment : `.${segment}`,
    )
    .join('');
}
