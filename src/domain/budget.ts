/**
 * Budgets are checked before money is spent: a step that an agent would do reserves its worst
 * case against every budget in its scope, and is held instead of started when any would go over.
 * Spend is tracked per scope key (`workspace`, `project:<id>`, `run:<id>`, `agent:<name>`,
 * `day:<YYYY-MM-DD>` in UTC); a budget's usage is what the ledger settled under its key plus what
 * running steps have reserved.
 */

import type { BudgetConfig, ModelConfig } from './agent.js';

export interface SpendScope {
  /** Null for spend outside a run (the planner). */
  readonly runId: string | null;
  readonly projectId: string | null;
  readonly agent: string | null;
  /** The moment of the spend, ISO 8601: its UTC day is the day budget's key. */
  readonly at: string;
}

/** Every key a spend in this scope counts under. */
export function spendKeys(scope: SpendScope): string[] {
  return [
    'workspace',
    ...(scope.runId ? [`run:${scope.runId}`] : []),
    `day:${scope.at.slice(0, 10)}`,
    ...(scope.projectId ? [`project:${scope.projectId}`] : []),
    ...(scope.agent ? [`agent:${scope.agent}`] : []),
  ];
}

/** The key a budget watches in this scope, or null when it does not apply here. */
export function budgetKey(
  budget: BudgetConfig,
  scope: SpendScope,
  projectIdOf: (key: string) => string | null,
): string | null {
  switch (budget.scope) {
    case 'workspace':
      return 'workspace';
    case 'run':
      return scope.runId ? `run:${scope.runId}` : null;
    case 'day':
      return `day:${scope.at.slice(0, 10)}`;
    case 'project': {
      const id = projectIdOf(budget.project!);
      return id !== null && id === scope.projectId ? `project:${id}` : null;
    }
    case 'agent':
      return budget.agent === scope.agent ? `agent:${budget.agent}` : null;
  }
}

export interface Spend {
  readonly usd: number;
  readonly tokens: number;
}

export const NO_SPEND: Spend = { usd: 0, tokens: 0 };

/** What one attempt may cost at most. */
export interface WorstCase extends Spend {
  readonly how: string;
}

const PER_MILLION = 1_000_000;

/**
 * What tokens cost at a model's prices (USD per million); cached input at `cached_input` when
 * the model has that price, else at the input price. `cachedInputTokens` is part of `inputTokens`.
 */
export function priceTokens(
  price: ModelConfig['price'],
  tokens: {
    readonly inputTokens: number;
    readonly cachedInputTokens: number;
    readonly outputTokens: number;
  },
): number {
  const cached = Math.min(tokens.cachedInputTokens, tokens.inputTokens);
  return (
    ((tokens.inputTokens - cached) * price.input +
      cached * (price.cached_input ?? price.input) +
      tokens.outputTokens * price.output) /
    PER_MILLION
  );
}

/**
 * An attempt's worst case: the agent's own cap when it has one (CLI agents report cost only
 * afterwards), otherwise every allowed model call producing its maximum output on top of the
 * prompt (~4 characters per token).
 */
export function worstCase(
  model: Pick<ModelConfig, 'max_output_tokens' | 'price'> | null,
  options: { readonly promptChars: number; readonly maxSteps: number; readonly capUsd?: number },
): WorstCase {
  const promptTokens = Math.ceil(options.promptChars / 4);
  const output = model?.max_output_tokens ?? 0;
  const tokens = (promptTokens + output) * options.maxSteps;
  if (options.capUsd !== undefined) {
    return { usd: options.capUsd, tokens, how: `the agent's cap of ${usd(options.capUsd)}` };
  }
  const price = model?.price ?? { input: 0, output: 0 };
  const cost =
    ((promptTokens * price.input + output * price.output) * options.maxSteps) / PER_MILLION;
  return {
    usd: cost,
    tokens,
    how: `${options.maxSteps} call${options.maxSteps === 1 ? '' : 's'} of ≤ ${promptTokens} + ${output} tokens`,
  };
}

export function usd(amount: number): string {
  return `$${amount < 0.01 && amount > 0 ? amount.toFixed(4) : amount.toFixed(2)}`;
}

/**
 * The first budget the worst case would push over, as the reason the step is held
 * (`budget_exceeded: …`), or null when every budget has room.
 */
export function checkBudgets(
  budgets: readonly { readonly budget: BudgetConfig; readonly key: string }[],
  used: ReadonlyMap<string, Spend>,
  worst: WorstCase,
): string | null {
  for (const { budget, key } of budgets) {
    const spent = used.get(key) ?? NO_SPEND;
    const name = budgetName(budget);
    if (budget.usd !== undefined && spent.usd + worst.usd > budget.usd + 1e-9) {
      return `budget_exceeded: ${name} of ${usd(budget.usd)}: ${usd(spent.usd)} spent or reserved, and this step may cost up to ${usd(worst.usd)} (${worst.how})`;
    }
    if (budget.tokens !== undefined && spent.tokens + worst.tokens > budget.tokens) {
      return `budget_exceeded: ${name} of ${budget.tokens} tokens: ${spent.tokens} used or reserved, and this step may use up to ${worst.tokens} (${worst.how})`;
    }
  }
  return null;
}

/** `project budget HOME`, `day budget`, … as messages and reports name a budget. */
export function budgetName(budget: BudgetConfig): string {
  return `${budget.scope} budget${budget.project ? ` ${budget.project}` : ''}${budget.agent ? ` ${budget.agent}` : ''}`;
}

/** Share of a limit from which a budget is reported as `warning`. */
export const BUDGET_WARNING_SHARE = 0.8;

/** Where a budget stands now: its limit, what is spent or reserved, and the room left. */
export interface BudgetStanding {
  readonly name: string;
  readonly scope: BudgetConfig['scope'];
  /** The spend key it watches now; null for run budgets, which apply to each run anew. */
  readonly key: string | null;
  readonly limitUsd: number | null;
  readonly limitTokens: number | null;
  readonly usedUsd: number | null;
  readonly usedTokens: number | null;
  readonly headroomUsd: number | null;
  readonly headroomTokens: number | null;
  /** `exceeded` at or over a limit, `warning` from 80% of one, `per_run` for run budgets. */
  readonly state: 'ok' | 'warning' | 'exceeded' | 'per_run';
}

/**
 * The key a budget watches at `at`, outside any run: the day's key for day budgets, the
 * project's for project budgets (null when the project does not exist), none for run budgets.
 */
export function standingKey(
  budget: BudgetConfig,
  at: string,
  projectIdOf: (key: string) => string | null,
): string | null {
  const projectId = budget.project !== undefined ? projectIdOf(budget.project) : null;
  return budgetKey(
    budget,
    { runId: null, projectId, agent: budget.agent ?? null, at },
    () => projectId,
  );
}

export function budgetStanding(
  budget: BudgetConfig,
  key: string | null,
  used: Spend | undefined,
): BudgetStanding {
  const limitUsd = budget.usd ?? null;
  const limitTokens = budget.tokens ?? null;
  const base = { name: budgetName(budget), scope: budget.scope, key, limitUsd, limitTokens };
  if (key === null) {
    return {
      ...base,
      usedUsd: null,
      usedTokens: null,
      headroomUsd: limitUsd,
      headroomTokens: limitTokens,
      state: 'per_run',
    };
  }
  const spent = used ?? NO_SPEND;
  const shares = [
    limitUsd !== null ? spent.usd / limitUsd : 0,
    limitTokens !== null ? spent.tokens / limitTokens : 0,
  ];
  const share = Math.max(...shares);
  return {
    ...base,
    usedUsd: spent.usd,
    usedTokens: spent.tokens,
    headroomUsd: limitUsd !== null ? Math.max(0, limitUsd - spent.usd) : null,
    headroomTokens: limitTokens !== null ? Math.max(0, limitTokens - spent.tokens) : null,
    state: share >= 1 - 1e-9 ? 'exceeded' : share >= BUDGET_WARNING_SHARE ? 'warning' : 'ok',
  };
}
