/**
 * Models, agents, routes and budgets as `.bosun/bosun.yaml` declares them. A model is a provider
 * endpoint with prices; an agent is a role played by a runner (an LLM through the AI SDK, a CLI
 * agent, a process in a terminal, a shell command, the mock) on a model or a route; a route is a
 * role's chain of models, cheapest first, climbed on retries; a budget caps spend in a scope.
 * Everything here is plain data; reading the file and watching it live in `app/`.
 */

import { z } from 'zod';
import { parseDuration } from '../shared/duration.js';
import { McpAllowEntrySchema, McpServersSchema, parseAllowEntry } from './mcp-server.js';

export const MODEL_PROVIDERS = [
  'openai-compatible',
  'ollama',
  'anthropic',
  'openai',
  'mock',
] as const;
export type ModelProvider = (typeof MODEL_PROVIDERS)[number];

export const AGENT_RUNNERS = ['llm', 'claude-code', 'codex', 'process', 'shell', 'mock'] as const;
export type AgentRunner = (typeof AGENT_RUNNERS)[number];

/** The runners whose prompts are built from a packed context (they talk to a model). */
export const PACKED_RUNNERS: ReadonlySet<string> = new Set<AgentRunner>([
  'llm',
  'claude-code',
  'codex',
]);

export const WORKDIR_MODES = ['worktree', 'repo', 'none'] as const;
export type WorkdirMode = (typeof WORKDIR_MODES)[number];

export const WORKTREE_CLEANUP = ['keep', 'on-success', 'always'] as const;

export const BUDGET_SCOPES = ['workspace', 'project', 'run', 'agent', 'day'] as const;
export type BudgetScope = (typeof BUDGET_SCOPES)[number];

const NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const name = (what: string) =>
  z.string().regex(NAME, `must be a ${what} name: a letter, then letters, digits, '_', '.' or '-'`);
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
const positiveInt = z.number().int('must be a whole number').positive('must be positive');
const usd = z.number().nonnegative('must be zero or more (US dollars)');

const duration = z.union([z.string(), z.number().int().positive()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  try {
    return parseDuration(value, 'timeout');
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

export const ModelConfigSchema = z
  .strictObject({
    provider: z.enum(MODEL_PROVIDERS, `must be one of ${MODEL_PROVIDERS.join(', ')}`),
    /** The provider's id for the model (`gpt-4o-mini`, `qwen2.5-coder:7b`, `claude-sonnet-4-5`). */
    model: z.string().trim().min(1, 'must name the model id the provider knows'),
    base_url: z.url('must be an http(s) URL').optional(),
    /** The NAME of the environment variable holding the key, never the key itself. */
    api_key_env: z
      .string()
      .regex(ENV_NAME, 'must be an environment variable name (A-Z, 0-9, _), not the key itself')
      .optional(),
    context_window: positiveInt.optional(),
    /** The most output tokens one call may produce: the worst case a budget reserves. */
    max_output_tokens: positiveInt.default(4096),
    /** US dollars per million tokens. */
    price: z
      .strictObject({ input: usd.default(0), output: usd.default(0), cached_input: usd.optional() })
      .default({ input: 0, output: 0 }),
  })
  .superRefine((model, ctx) => {
    if (model.provider === 'openai-compatible' && model.base_url === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['base_url'],
        message: 'is required for an openai-compatible provider (e.g. http://localhost:8000/v1)',
      });
    }
  });
export type ModelConfig = z.output<typeof ModelConfigSchema>;

export const AgentConfigSchema = z
  .strictObject({
    role: name('role').optional(),
    runner: z.enum(AGENT_RUNNERS, `must be one of ${AGENT_RUNNERS.join(', ')}`),
    /** A model name from `models:`, or (claude-code, codex) the model id the CLI takes. */
    model: z.string().trim().min(1).optional(),
    /** A role whose route (chain of models) this agent climbs on retries. */
    route: name('route').optional(),
    instructions: z
      .union([z.string(), z.strictObject({ file: z.string().trim().min(1, 'must name a file') })])
      .optional(),
    /** bosun operations the agent may call as tools (llm runner). */
    tools: z.array(z.string().trim().min(1)).default([]),
    /**
     * Tools of the external MCP servers of `mcp_servers:` the agent may call (llm runner):
     * `server` (all its tools), `server/tool`, or `server/prefix*`.
     */
    mcp: z.array(McpAllowEntrySchema).default([]),
    max_concurrency: positiveInt.optional(),
    workdir: z.enum(WORKDIR_MODES, `must be one of ${WORKDIR_MODES.join(', ')}`).default('repo'),
    /** workdir worktree: remove the worktree after the attempt (the branch always stays). */
    worktree_cleanup: z
      .enum(WORKTREE_CLEANUP, `must be one of ${WORKTREE_CLEANUP.join(', ')}`)
      .default('keep'),
    timeout: duration.optional(),
    /** Model calls (llm) or turns (claude-code) one attempt may take. */
    max_steps: positiveInt.default(8),
    /**
     * The token budget of the context an attempt is given (llm, claude-code, codex): the task,
     * its dependencies' outputs (as handoffs when long), earlier attempts and memories, packed
     * most relevant first (docs/agents.md, "Context packing"). The task itself is never cut.
     */
    context_tokens: positiveInt.default(8000),
    /** What one attempt may cost at most (CLI agents report cost only afterwards). */
    max_cost_usd: usd.optional(),
    /** process runner: the command line; `{{prompt}}` is replaced by the step's prompt. */
    command: z.string().trim().min(1).optional(),
    /** Extra arguments for the claude/codex executable. */
    args: z.array(z.string()).default([]),
  })
  .superRefine((agent, ctx) => {
    if (agent.runner === 'process' && agent.command === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['command'],
        message: 'is required for runner: process',
      });
    }
    if (agent.runner === 'llm' && agent.model === undefined && agent.route === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['model'],
        message: 'runner llm needs a model (a name from models:) or a route',
      });
    }
    if (agent.runner !== 'llm' && agent.mcp.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['mcp'],
        message:
          agent.runner === 'claude-code' || agent.runner === 'codex'
            ? `is for runner llm: ${agent.runner} takes MCP servers from its own settings (claude mcp add, or ~/.codex/config.toml)`
            : 'is for runner llm: only an llm agent calls MCP tools through bosun',
      });
    }
    if (agent.model !== undefined && agent.route !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['route'],
        message: 'give a model or a route, not both',
      });
    }
  });
export type AgentConfig = z.output<typeof AgentConfigSchema>;

export const BudgetConfigSchema = z
  .strictObject({
    scope: z.enum(BUDGET_SCOPES, `must be one of ${BUDGET_SCOPES.join(', ')}`),
    /** scope project: its key; scope agent: its name. */
    project: z.string().trim().min(1).optional(),
    agent: z.string().trim().min(1).optional(),
    usd: usd.optional(),
    tokens: positiveInt.optional(),
  })
  .superRefine((budget, ctx) => {
    if (budget.usd === undefined && budget.tokens === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['usd'],
        message: 'a budget needs usd, tokens or both',
      });
    }
    if (budget.scope === 'project' && budget.project === undefined) {
      ctx.addIssue({ code: 'custom', path: ['project'], message: 'is required for scope project' });
    }
    if (budget.scope === 'agent' && budget.agent === undefined) {
      ctx.addIssue({ code: 'custom', path: ['agent'], message: 'is required for scope agent' });
    }
  });
export type BudgetConfig = z.output<typeof BudgetConfigSchema>;

/**
 * A rule of a route: a task that matches (any of the tags; an estimate within the bounds) starts
 * the chain at `start_at` instead of its cheapest model.
 */
const RouteRuleSchema = z
  .strictObject({
    tags: z.array(z.string().trim().min(1)).min(1).optional(),
    min_estimate: z.number().nonnegative().optional(),
    max_estimate: z.number().nonnegative().optional(),
    start_at: z.string().trim().min(1, 'must name a model of the route'),
  })
  .refine(
    (rule) =>
      rule.tags !== undefined || rule.min_estimate !== undefined || rule.max_estimate !== undefined,
    'a rule needs tags, min_estimate or max_estimate to match on',
  );
export type RouteRule = z.output<typeof RouteRuleSchema>;

const modelChain = z.array(z.string()).min(1, 'must list at least one model');

/** `[a, b]`, or `{ models: [a, b], rules: [...] }`: either way a chain and its rules. */
const RouteSchema = z
  .union([
    modelChain,
    z.strictObject({ models: modelChain, rules: z.array(RouteRuleSchema).default([]) }),
  ])
  .transform((route) => (Array.isArray(route) ? { models: route, rules: [] } : route));
export type RouteConfig = z.output<typeof RouteSchema>;

export const AgentsSectionSchema = z.object({
  models: z.record(name('model'), ModelConfigSchema).default({}),
  agents: z.record(name('agent'), AgentConfigSchema).default({}),
  /** role → model names, cheapest first (and rules that start a task further up). */
  routes: z.record(name('role'), RouteSchema).default({}),
  budgets: z.array(BudgetConfigSchema).default([]),
  /** External MCP servers whose tools llm agents may call (see an agent's `mcp:`). */
  mcp_servers: McpServersSchema.optional(),
});
export type AgentsSection = z.output<typeof AgentsSectionSchema>;

/** A reference that does not resolve, as a path into the document and a message. */
export interface ConfigProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** Cross-references: agents' models, routes and MCP servers, routes' models. */
export function checkReferences(section: AgentsSection): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const models = Object.keys(section.models);
  const known = models.length > 0 ? models.join(', ') : 'none configured';
  for (const [agentName, agent] of Object.entries(section.agents)) {
    if (agent.runner === 'llm' && agent.model !== undefined && !(agent.model in section.models)) {
      problems.push({
        path: ['agents', agentName, 'model'],
        message: `unknown model '${agent.model}' (models: ${known})`,
      });
    }
    if (agent.route !== undefined && !(agent.route in section.routes)) {
      problems.push({
        path: ['agents', agentName, 'route'],
        message: `unknown route '${agent.route}' (routes: ${Object.keys(section.routes).join(', ') || 'none configured'})`,
      });
    }
    const servers = section.mcp_servers ?? {};
    agent.mcp.forEach((entry, i) => {
      const { server } = parseAllowEntry(entry);
      if (!(server in servers)) {
        problems.push({
          path: ['agents', agentName, 'mcp', i],
          message: `unknown MCP server '${server}' (mcp_servers: ${Object.keys(servers).join(', ') || 'none configured'})`,
        });
      }
    });
  }
  for (const [role, route] of Object.entries(section.routes)) {
    route.models.forEach((model, i) => {
      if (!(model in section.models)) {
        problems.push({
          // The short form lists the models at the route itself.
          path: ['routes', role, ...(route.rules.length > 0 ? ['models'] : []), i],
          message: `unknown model '${model}' (models: ${known})`,
        });
      }
    });
    route.rules.forEach((rule, i) => {
      if (!route.models.includes(rule.start_at)) {
        problems.push({
          path: ['routes', role, 'rules', i, 'start_at'],
          message: `'${rule.start_at}' is not in this route (${route.models.join(', ')})`,
        });
      }
    });
  }
  return problems;
}

/** Which agent takes a step, on which runner and model, and why: recorded with the step's start. */
export interface AgentChoice {
  readonly agent: string;
  readonly runner: AgentRunner;
  /** The configured model name (or, for CLI agents, the model id given to the CLI); null: none. */
  readonly model: string | null;
  readonly reason: string;
}

/**
 * The agent for a step that names an agent or a role, and its model for this try: a route is
 * climbed one model per retry (cheapest first) and stays on its last model; an agent's own model
 * never changes. Returns a rule the step breaks instead when nothing fits.
 */
export interface TaskTraits {
  readonly tags: readonly string[];
  readonly estimate: number | null;
}

function matches(rule: RouteRule, task: TaskTraits): boolean {
  if (rule.tags !== undefined && !rule.tags.some((tag) => task.tags.includes(tag))) return false;
  if (rule.min_estimate !== undefined && (task.estimate ?? -1) < rule.min_estimate) return false;
  if (rule.max_estimate !== undefined && (task.estimate ?? Infinity) > rule.max_estimate) {
    return false;
  }
  return true;
}

function describeRule(rule: RouteRule): string {
  const parts = [
    ...(rule.tags ? [`tags ${rule.tags.join('|')}`] : []),
    ...(rule.min_estimate !== undefined ? [`estimate ≥ ${rule.min_estimate}`] : []),
    ...(rule.max_estimate !== undefined ? [`estimate ≤ ${rule.max_estimate}`] : []),
  ];
  return parts.join(', ');
}

export function chooseAgent(
  section: Pick<AgentsSection, 'agents' | 'routes'>,
  step: { readonly agent: string | null; readonly role: string | null },
  tries: number,
  task: TaskTraits | null = null,
): AgentChoice | { readonly problem: string } {
  const names = Object.keys(section.agents);
  const listed = names.length > 0 ? names.join(', ') : 'none configured';
  let agentName: string | undefined;
  let why: string;
  if (step.agent !== null) {
    if (!(step.agent in section.agents))
      return { problem: `unknown agent '${step.agent}' (agents: ${listed})` };
    agentName = step.agent;
    why = `agent ${agentName}`;
  } else {
    agentName = names.find((name) => section.agents[name]!.role === step.role);
    if (agentName === undefined) {
      return { problem: `no agent plays role '${step.role}' (agents: ${listed})` };
    }
    why = `role ${step.role}: agent ${agentName}`;
  }
  const agent = section.agents[agentName]!;
  if (agent.route !== undefined) {
    const route = section.routes[agent.route] ?? { models: [], rules: [] };
    const chain = route.models;
    // The first rule the task matches sets where the chain starts; retries climb from there.
    const ruleIndex = task === null ? -1 : route.rules.findIndex((rule) => matches(rule, task));
    const rule = ruleIndex >= 0 ? route.rules[ruleIndex]! : null;
    const start = rule === null ? 0 : Math.max(0, chain.indexOf(rule.start_at));
    const index = Math.min(start + tries, chain.length - 1);
    const from =
      rule === null
        ? 'first model'
        : `rule ${ruleIndex + 1} (${describeRule(rule)}) starts at ${rule.start_at}`;
    const step_ =
      tries === 0
        ? from
        : index === start + tries
          ? `${rule === null ? '' : `${from}; `}retry ${tries} escalates to model ${index + 1} of ${chain.length}`
          : `${rule === null ? '' : `${from}; `}retry ${tries} stays on the last model`;
    return {
      agent: agentName,
      runner: agent.runner,
      model: chain[index] ?? null,
      reason: `${why}; route ${agent.route}: ${step_}`,
    };
  }
  return { agent: agentName, runner: agent.runner, model: agent.model ?? null, reason: why };
}
