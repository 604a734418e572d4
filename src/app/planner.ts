/**
 * The planner: asks the model of the agent that plays `planner` (or the agent or model named) for
 * a task DAG toward a goal, as structured output checked with the plan's zod schema and the rules
 * a schema cannot say (unique keys, known needs, no cycle). An answer that breaks them is sent
 * back to the model with the problems, as a follow-up message in the same conversation, up to
 * three answers in all; then the last problems are the error. It only talks to the model: the
 * plan operation inserts what it returns, in a transaction of its own.
 */

import { generateText, NoObjectGeneratedError, Output } from 'ai';
import type { LanguageModelUsage, ModelMessage } from 'ai';
import type { z } from 'zod';
import { llmFailure } from '../adapters/runners/llm/llm-errors.js';
import {
  apiKeyEnvOf,
  createLanguageModel,
  requiresApiKey,
} from '../adapters/runners/llm/llm-models.js';
import type { Planner, PlannerOptions } from '../core/services/service-context.js';
import type { Plan } from '../domain/plan.js';
import { checkPlan, MAX_PLAN_TASKS, PlanSchema } from '../domain/plan.js';
import { priceTokens } from '../domain/budget.js';
import type { ModelCall, ResolvedModel } from '../ports/runner.js';
import { BosunError } from '../shared/errors.js';
import { tryParseJson } from '../shared/json.js';
import type { AgentDirectory } from './agent-directory.js';
import { resolveModel } from './agent-directory.js';

/** The role whose agent plans when no agent is named. */
export const PLANNER_ROLE = 'planner';
/** Model answers before the planner gives up on getting a valid plan. */
export const MAX_PLAN_ATTEMPTS = 3;
/** Retries of one model call inside the AI SDK (network and server errors). */
const MODEL_CALL_RETRIES = 2;
/** Problems quoted back to the model (and in the final error): enough to act on, not a flood. */
const MAX_PROBLEMS = 10;

export interface PlannerSettings {
  /** The workspace's agents and models (bosun.yaml), as they are when a plan is asked for. */
  readonly agents: () => AgentDirectory;
  /** Where API keys are read from (the runtime's environment). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch?: typeof fetch | undefined;
  readonly maxAttempts?: number | undefined;
  readonly maxRetries?: number | undefined;
}

const PLAN_FORMAT = `You are the planner of bosun, a command center for coding agents. Break the goal into tasks that agents can do one at a time, and say which tasks must be done before which.

Answer with one JSON object and nothing else:
{"tasks": [{"key": "t1", "title": "...", "description": "...", "role": "coder", "priority": "p1", "estimate": 2, "acceptance": ["..."], "scope": ["src/auth/**"], "needs": []}]}

- key: short and unique within the plan (t1, t2, ...).
- needs: the keys of the tasks that must be done before this one ([] for none); no cycles.
- title: an imperative sentence of at most 200 characters.
- Optional: description; role (who should do it: coder, reviewer, ...); priority p0 (urgent) to p3; estimate in hours; acceptance: checks that tell the task is done; scope: globs of the files it will change, relative to the repository.
- At most ${MAX_PLAN_TASKS} tasks; prefer a few tasks a person can review over many small ones.`;

interface PlannerChoice {
  readonly agent: string | null;
  readonly instructions: string;
  readonly model: ResolvedModel;
}

export function createPlanner(settings: PlannerSettings): Planner {
  const maxAttempts = settings.maxAttempts ?? MAX_PLAN_ATTEMPTS;
  return async (goal, options) => {
    const choice = choosePlanner(settings.agents(), options);
    const { model } = choice;
    const keyEnv = apiKeyEnvOf(model);
    const key = keyEnv === undefined ? undefined : settings.env[keyEnv];
    const apiKey = key === '' ? undefined : key;
    if (apiKey === undefined && requiresApiKey(model.provider)) {
      throw new BosunError(
        'unavailable',
        `planner: model '${model.name}': no API key for ${model.provider}: ${keyEnv ?? 'api_key_env'} is not set`,
        { details: { field: 'model', model: model.name, env: keyEnv ?? null } },
      );
    }
    const languageModel = createLanguageModel(model, { apiKey, fetch: settings.fetch });
    const instructions = [PLAN_FORMAT, choice.instructions.trim()].filter(Boolean).join('\n\n');
    const messages: ModelMessage[] = [{ role: 'user', content: requestText(goal, options) }];
    let problems: string[] = [];
    const calls: ModelCall[] = [];
    const spent = (usage: LanguageModelUsage | undefined, started: number) => {
      const tokens = {
        inputTokens: usage?.inputTokens ?? 0,
        cachedInputTokens: usage?.inputTokenDetails.cacheReadTokens ?? 0,
        outputTokens: usage?.outputTokens ?? 0,
      };
      calls.push({
        model: model.name,
        ...tokens,
        costUsd: priceTokens(model.price, tokens),
        latencyMs: Math.round(performance.now() - started),
      });
    };
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      let answer: string;
      let plan: Plan | undefined;
      const started = performance.now();
      try {
        const result = await generateText({
          model: languageModel,
          instructions,
          messages,
          output: Output.object({
            schema: PlanSchema,
            name: 'plan',
            description: 'The tasks toward the goal and what each needs done first',
          }),
          maxOutputTokens: model.max_output_tokens,
          maxRetries: settings.maxRetries ?? MODEL_CALL_RETRIES,
        });
        spent(result.usage, started);
        answer = result.text;
        plan = result.output;
      } catch (error) {
        if (!NoObjectGeneratedError.isInstance(error)) throw modelCallFailure(error, model, keyEnv);
        spent(error.usage, started);
        answer = error.text ?? '';
        const read = readPlan(answer);
        if ('problems' in read) problems = read.problems;
        else plan = read.plan;
      }
      if (plan !== undefined) {
        problems = checkPlan(plan);
        if (problems.length === 0)
          return { plan, attempts: attempt, model: model.name, agent: choice.agent, calls };
      }
      messages.push(
        { role: 'assistant', content: answer },
        { role: 'user', content: followUp(problems) },
      );
    }
    throw new BosunError(
      'unavailable',
      `planner: model '${model.name}' gave no valid plan in ${maxAttempts} answers; the last one: ${quote(problems)}`,
      { retryable: true, details: { model: model.name, attempts: maxAttempts, problems } },
    );
  };
}

/**
 * The named agent, else the agent that plays `planner`, else (with `model`) the model alone.
 * The agent must run on `llm`: only a model answers with structured output.
 */
function choosePlanner(directory: AgentDirectory, options: PlannerOptions): PlannerChoice {
  const { section } = directory;
  const modelNamed = (name: string): ResolvedModel => {
    const model = resolveModel(section, name);
    if (model === null) {
      const known = Object.keys(section.models).join(', ') || 'none configured';
      throw new BosunError(
        'not_found',
        `model: no model '${name}' in bosun.yaml (models: ${known})`,
        {
          details: { field: 'model', kind: 'model', key: name },
        },
      );
    }
    return model;
  };
  const named = options.agent !== undefined;
  const found = directory.profile(
    named ? { agent: options.agent!, role: null } : { agent: null, role: PLANNER_ROLE },
  );
  if ('failure' in found) {
    if (!named && options.model !== undefined) {
      return { agent: null, instructions: '', model: modelNamed(options.model) };
    }
    throw new BosunError(
      'not_found',
      named
        ? `agent: ${found.failure}`
        : `planner: ${found.failure}; add an llm agent with role: ${PLANNER_ROLE} to bosun.yaml, or pass --agent NAME or --model NAME`,
      { details: { field: named ? 'agent' : 'role', rule: found.failure } },
    );
  }
  const { profile } = found;
  if (profile.config.runner !== 'llm') {
    throw new BosunError(
      'invalid_input',
      `agent: '${profile.name}' runs on ${profile.config.runner}; the planner needs an agent with runner: llm (a model answers with structured output)`,
      { details: { field: 'agent', agent: profile.name, runner: profile.config.runner } },
    );
  }
  const model = options.model !== undefined ? modelNamed(options.model) : profile.model;
  if (model === null) {
    throw new BosunError('invalid_input', `agent: '${profile.name}' has no model`, {
      details: { field: 'agent', agent: profile.name },
    });
  }
  return { agent: profile.name, instructions: profile.instructions, model };
}

function requestText(goal: string, options: PlannerOptions): string {
  const { project } = options;
  return [
    `Goal: ${goal.trim()}`,
    `Project: ${project.key} (${project.name})`,
    ...(project.description.trim() === '' ? [] : ['', project.description.trim()]),
  ].join('\n');
}

function followUp(problems: readonly string[]): string {
  return `That plan cannot be used: ${quote(problems)}. Answer again with the whole corrected plan, as one JSON object.`;
}

function quote(problems: readonly string[]): string {
  const shown = problems.slice(0, MAX_PROBLEMS);
  const more = problems.length - shown.length;
  return `${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}

/**
 * An answer the AI SDK could not parse as a plan, read again: models often wrap JSON in a code
 * fence, which is fine; otherwise the problems, named by field for the model to fix.
 */
function readPlan(text: string): { plan: Plan } | { problems: string[] } {
  const fenced = /^\s*```(?:json)?\s*\n([\s\S]*?)\n\s*```\s*$/.exec(text);
  const value = tryParseJson(fenced?.[1] ?? text);
  if (value === undefined) {
    const start = text.trim().slice(0, 60);
    return { problems: [`the answer is not JSON (it starts "${start}")`] };
  }
  const parsed = PlanSchema.safeParse(value);
  if (parsed.success) return { plan: parsed.data };
  return { problems: issuesOf(parsed.error) };
}

function issuesOf(error: z.ZodError): string[] {
  return error.issues.map(
    (issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(answer)'}: ${issue.message}`,
  );
}

function modelCallFailure(
  error: unknown,
  model: ResolvedModel,
  keyEnv: string | undefined,
): BosunError {
  const failure = llmFailure(error, {
    model,
    keyEnv,
    outputTail: '',
    spent: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
  });
  return new BosunError('unavailable', `planner: ${failure.message}`, {
    retryable: failure.retryable,
    details: { ...failure.details, model: model.name },
    cause: error,
  });
}
