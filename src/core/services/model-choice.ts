/**
 * Which model speaks for a command that works with or without one (`ask`, `brief`,
 * `doc analyze`): the agent or model named, else the agent playing the command's role. Without
 * one the command falls back to its own extractive answer with a reason, unless an agent or
 * model was named: then not finding it is an error, never a quiet fallback.
 */

import { BosunError, invalidInput } from '../../shared/errors.js';
import type { Answerer, AnswererChoice } from './service-context.js';

/**
 * The agent's choice, or the reason there is none; `forced` says an agent or model was named, so
 * that its later failure is the command's error too.
 */
export type ModelPick = { readonly forced: boolean } & (
  { readonly choice: AnswererChoice } | { readonly reason: string }
);

export interface ModelRequest {
  readonly agent?: string | undefined;
  /** null: no model asked for (`--no-model`); a string names one, as `agent` names an agent. */
  readonly model?: string | null | undefined;
  /** The roles whose agent acts when none is named, the first one played (default analyst). */
  readonly roles?: readonly string[] | undefined;
  /** The command, in errors: `ask`, `brief`, `doc analyze`. */
  readonly purpose: string;
  /** What its agent does, in the reason it cannot: `answer`, `write`, `analyse`. */
  readonly acts: string;
}

export function pickModel(answerer: Answerer | undefined, request: ModelRequest): ModelPick {
  const forced = request.agent !== undefined || typeof request.model === 'string';
  if (request.model === null) {
    if (request.agent !== undefined) {
      throw invalidInput(
        'model',
        `must not be null (--no-model) when an agent is named to ${request.acts}`,
      );
    }
    return { forced, reason: 'no model asked (--no-model)' };
  }
  if (answerer === undefined) {
    if (forced) {
      throw new BosunError(
        'unavailable',
        `${request.purpose}: this store has no workspace folder (bosun.yaml) to find an agent or model in; run 'bosun init' or pass --workspace`,
        { details: { field: 'workspace' } },
      );
    }
    return {
      forced,
      reason: 'no model configured (this store has no workspace folder, bosun.yaml)',
    };
  }
  const roles = request.roles ?? ['analyst'];
  try {
    const choice = answerer.choose({
      agent: request.agent,
      model: request.model ?? undefined,
      ...(request.roles === undefined ? {} : { roles: request.roles }),
      purpose: request.purpose,
    });
    if (choice !== null) return { forced, choice };
    const played = roles.map((role) => `'${role}'`).join(' or ');
    return {
      forced,
      reason: `no model configured (no agent plays role ${played}; add one to bosun.yaml, or pass --agent or --model)`,
    };
  } catch (error) {
    if (forced || !(error instanceof BosunError)) throw error;
    return { forced, reason: `the ${roles[0]} cannot ${request.acts} (${error.message})` };
  }
}
