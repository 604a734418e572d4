/** A closed set of statuses with an explicit transition table; refusals list what is allowed. */

import { BosunError } from '../shared/errors.js';

export type TransitionTable<S extends string> = Readonly<Record<S, readonly S[]>>;

export function assertTransition<S extends string>(
  entity: string,
  table: TransitionTable<S>,
  from: S,
  to: S,
): void {
  const allowed = table[from];
  if (allowed.includes(to)) return;
  const options = allowed.length === 0 ? 'none' : allowed.join(', ');
  throw new BosunError(
    'invalid_transition',
    `status: ${entity} cannot go from ${from} to ${to}; allowed from ${from}: ${options}`,
    { details: { field: 'status', entity, from, to, allowed } },
  );
}
