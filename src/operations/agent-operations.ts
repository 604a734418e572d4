/** Agents as operations: list, show, add (or replace), remove, and a commented scaffold. */

import { z } from 'zod';
import type { ServiceContext } from '../core/services/service-context.js';
import type { AgentConfigSchema } from '../domain/agent.js';
import { AGENT_RUNNERS, WORKDIR_MODES } from '../domain/agent.js';
import { BosunError } from '../shared/errors.js';
import { defineOperation } from './operation.js';
import { workspaceCapability } from './workspace-capability.js';

const agentName = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z][A-Za-z0-9_.-]*$/,
    "must be an agent name: a letter, then letters, digits, '_', '.' or '-'",
  );

const AgentSchema = z.object({
  name: z.string(),
  role: z.string().nullable(),
  runner: z.enum(AGENT_RUNNERS),
  model: z.string().nullable(),
  route: z.string().nullable(),
  tools: z.array(z.string()),
  mcp: z.array(z.string()),
  workdir: z.enum(WORKDIR_MODES),
  timeoutMs: z.number().int().nullable(),
  maxSteps: z.number().int(),
  maxConcurrency: z.number().int().nullable(),
  maxCostUsd: z.number().nullable(),
  instructions: z.string().nullable(),
});
type AgentView = z.infer<typeof AgentSchema>;

const AGENT_COLUMNS = ['name', 'role', 'runner', 'model', 'route', 'workdir', 'tools'];

function view(name: string, config: z.output<typeof AgentConfigSchema>): AgentView {
  return {
    name,
    role: config.role ?? null,
    runner: config.runner,
    model: config.model ?? null,
    route: config.route ?? null,
    tools: config.tools,
    mcp: config.mcp,
    workdir: config.workdir,
    timeoutMs: config.timeout ?? null,
    maxSteps: config.max_steps,
    maxConcurrency: config.max_concurrency ?? null,
    maxCostUsd: config.max_cost_usd ?? null,
    instructions:
      config.instructions === undefined
        ? null
        : typeof config.instructions === 'string'
          ? config.instructions
          : `(file) ${config.instructions.file}`,
  };
}

function find(ctx: ServiceContext, name: string): AgentView {
  const agents = workspaceCapability(ctx, 'agents', 'agents').list();
  const found = agents.find((agent) => agent.name === name);
  if (!found) {
    throw new BosunError(
      'not_found',
      `agent '${name}' does not exist (agents: ${agents.map((a) => a.name).join(', ') || 'none'})`,
      { details: { kind: 'agent', key: name } },
    );
  }
  return view(found.name, found.config);
}

export const agentOperations = [
  defineOperation({
    name: 'agent.list',
    summary: 'The agents of bosun.yaml: role, runner, model or route, tools',
    effects: 'read',
    input: z.strictObject({}),
    output: z.array(AgentSchema),
    cli: {
      aliases: ['ls'],
      columns: AGENT_COLUMNS,
      empty: "No agents yet: 'bosun agent scaffold NAME'.",
    },
    handler: (ctx) =>
      Promise.resolve(
        workspaceCapability(ctx, 'agents', 'agents')
          .list()
          .map(({ name, config }) => view(name, config)),
      ),
  }),
  defineOperation({
    name: 'agent.show',
    summary: 'One agent with all its settings',
    effects: 'read',
    input: z.strictObject({ name: agentName }),
    output: AgentSchema,
    cli: { positional: ['name'], columns: AGENT_COLUMNS },
    handler: (ctx, input) => Promise.resolve(find(ctx, input.name)),
  }),
  defineOperation({
    name: 'agent.add',
    summary:
      'Add an agent to bosun.yaml (or replace one); the file is validated before it is written',
    effects: 'write',
    input: z.strictObject({
      name: agentName,
      runner: z.enum(AGENT_RUNNERS, `must be one of ${AGENT_RUNNERS.join(', ')}`),
      role: z.string().trim().min(1).optional(),
      model: z.string().trim().min(1).optional(),
      route: z.string().trim().min(1).optional(),
      instructions: z.string().optional(),
      tools: z.array(z.string().trim().min(1)).optional(),
      mcp: z.array(z.string().trim().min(1)).optional(),
      workdir: z.enum(WORKDIR_MODES).optional(),
      timeout: z.string().trim().min(1).optional(),
      max_steps: z.number().int().positive().optional(),
      max_concurrency: z.number().int().positive().optional(),
      max_cost_usd: z.number().nonnegative().optional(),
      command: z.string().trim().min(1).optional(),
    }),
    output: AgentSchema,
    cli: {
      positional: ['name'],
      columns: AGENT_COLUMNS,
      examples: [
        'bosun agent add coder --runner llm --role coder --model local --tools note.add',
        'bosun agent add researcher --runner llm --model local --mcp files --mcp github/search_*',
        'bosun agent add reviewer --runner claude-code --role reviewer --max-cost-usd 0.5',
      ],
    },
    handler: (ctx, input) => {
      const { name, ...config } = input;
      const written = workspaceCapability(ctx, 'agents', 'agents').put(name, config);
      return Promise.resolve(view(name, written));
    },
  }),
  defineOperation({
    name: 'agent.remove',
    summary: 'Remove an agent from bosun.yaml',
    effects: 'write',
    input: z.strictObject({ name: agentName }),
    output: z.object({ removed: z.string() }),
    cli: { positional: ['name'], aliases: ['rm'] },
    handler: (ctx, input) => {
      workspaceCapability(ctx, 'agents', 'agents').remove(input.name);
      return Promise.resolve({ removed: input.name });
    },
  }),
  defineOperation({
    name: 'agent.scaffold',
    summary: 'A commented agent entry: printed, or written into bosun.yaml with --write',
    effects: 'write',
    input: z.strictObject({ name: agentName, write: z.boolean().default(false) }),
    output: z.object({ name: z.string(), yaml: z.string() }),
    cli: {
      positional: ['name'],
      text: 'yaml',
      examples: [
        'bosun agent scaffold reviewer            # print it',
        'bosun agent scaffold reviewer --write    # add it to bosun.yaml, comments and all',
      ],
    },
    handler: (ctx, input) =>
      Promise.resolve({
        name: input.name,
        yaml: workspaceCapability(ctx, 'agents', 'agents').scaffold(input.name, input.write),
      }),
  }),
];
