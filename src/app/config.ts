/**
 * `.bosun/bosun.yaml`: the workspace's settings — where the store is, who acts by default, memory's
 * embedding model (`embeddings:`, docs/memory.md), the models, agents, routes and budgets (domain/agent.ts) and the external MCP servers llm agents may
 * use (`mcp_servers:`, domain/mcp-server.ts) — validated with errors that name the line and the
 * key: `bosun.yaml:12: agents.coder.runner: must be one of llm, claude-code, …`.
 */

import { z } from 'zod';
import { AgentsSectionSchema, checkReferences } from '../domain/agent.js';
import { EmbeddingsConfigSchema } from '../domain/memory.js';
import { checkRuleDefinition, RuleDefinitionSchema } from '../domain/workflow-rule.js';
import { ruleEntities } from '../core/services/rule-service.js';
import { findOperation } from '../operations/catalog.js';
import { BosunError } from '../shared/errors.js';
import type { YamlPathSegment } from './yaml-source.js';
import { lineOf, parseYaml, toJs } from './yaml-source.js';

export const CONFIG_FILE = 'bosun.yaml';
export const DEFAULT_DB_FILE = 'bosun.db';

export const WorkspaceConfigSchema = z.strictObject({
  version: z.literal(1, 'must be 1'),
  /** A path relative to `.bosun/`, an absolute path, or a `postgres://` URL. */
  db: z.string().trim().min(1, 'must not be empty').default(DEFAULT_DB_FILE),
  /**
   * PostgreSQL: the URL `db.query` connects to, as a role that may only read (BOSUN_QUERY_DB
   * overrides it; `bosun db reader` prints how to make the role).
   */
  query_db: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\//i, 'must be a postgres:// URL')
    .optional(),
  /** Who is recorded in the audit log when neither --as nor BOSUN_ACTOR says. */
  actor: z.string().trim().min(1, 'must not be empty').optional(),
  /** Memory's embedding model; without it memory search is full-text only (docs/memory.md). */
  embeddings: EmbeddingsConfigSchema.optional(),
  /** Workflow rules, evaluated in this order before rule records (docs/command-center.md). */
  rules: z.array(RuleDefinitionSchema).optional(),
  ...AgentsSectionSchema.shape,
});
export type WorkspaceConfig = z.infer<typeof WorkspaceConfigSchema>;

export function defaultConfigText(db: string): string {
  return [
    '# bosun workspace settings. Precedence: command-line flags > BOSUN_* environment > this file.',
    'version: 1',
    '# Store: a SQLite file (relative to this folder) or a postgres:// URL shared by several machines.',
    `db: ${JSON.stringify(db)}`,
    '# PostgreSQL: db.query connects here, as a role that may only read (see: bosun db reader).',
    '# query_db: postgres://bosun_reader@db.lan/bosun',
    '# Default actor for the audit log (otherwise --as, BOSUN_ACTOR, or your OS user name).',
    '# actor: ana',
    '',
    '# Models: a provider endpoint and its prices (US dollars per million tokens).',
    '# models:',
    '#   local-coder:',
    '#     provider: openai-compatible        # or ollama, anthropic, openai, mock',
    '#     base_url: http://localhost:11434/v1',
    '#     model: qwen2.5-coder:7b',
    '#     price: { input: 0, output: 0 }',
    '#   sonnet:',
    '#     provider: anthropic',
    '#     model: claude-sonnet-4-5',
    "#     api_key_env: ANTHROPIC_API_KEY     # the variable's NAME, never the key",
    '#     price: { input: 3, output: 15 }',
    '#',
    '# Agents: a role played by a runner (llm, claude-code, codex, process, shell, mock).',
    '# `bosun agent scaffold NAME` prints a commented agent to paste here.',
    '# agents:',
    '#   coder:',
    '#     role: coder',
    '#     runner: llm',
    '#     route: coder                      # or model: sonnet',
    '#     instructions: { file: prompts/coder.md }',
    '#     tools: [note.add, task.create]',
    '#     mcp: [files, github/search_*]     # tools of mcp_servers (llm agents)',
    '#     workdir: worktree                 # or repo, none',
    '#     timeout: 20m',
    '#',
    "# Routes: a role's models, cheapest first; each retry climbs one.",
    '# routes:',
    '#   coder: [local-coder, sonnet]',
    '#',
    '# External MCP servers whose tools llm agents may call (an agent lists them under mcp:).',
    '# ${VAR} is read from the environment when the server is used; `bosun mcp servers test` checks them.',
    '# mcp_servers:',
    '#   files:',
    '#     command: npx                      # stdio: bosun starts it',
    '#     args: [-y, "@modelcontextprotocol/server-filesystem", "${HOME}/notes"]',
    '#   github:',
    '#     url: https://api.githubcopilot.com/mcp/   # Streamable HTTP',
    '#     headers: { Authorization: "Bearer ${GITHUB_TOKEN}" }',
    '#',
    '# Memory embeddings: vectors for hybrid memory search (full text + meaning). Without this',
    '# section memory search is full-text only. Items are embedded in the background by',
    "# 'bosun worker' / 'bosun serve', or now with 'bosun memory embed'. Changing model or",
    '# dimensions re-embeds every item.',
    '# embeddings:',
    '#   provider: ollama                    # or openai-compatible, openai, mock',
    '#   base_url: http://localhost:11434/v1',
    '#   model: nomic-embed-text',
    '#   dimensions: 768                     # the length of the vectors the model returns',
    "#   # api_key_env: OPENAI_API_KEY       # the variable's NAME, never the key",
    '#',
    '# Budgets: checked before a step starts (its worst case is reserved).',
    '# budgets:',
    '#   - { scope: day, usd: 5 }',
    '#   - { scope: project, project: HOME, usd: 50 }',
    '#',
    '# Workflow rules: checked on every status change, in this order, before rule records;',
    '# the first that matches decides (allow, deny, require an approval). See docs/command-center.md.',
    '# rules:',
    '#   - { name: hotfix-skips-tests, entity: task, to: [done], when: { tags: { contains: hotfix } }, then: allow }',
    '#   - { name: p0-done-needs-ana, entity: task, to: [done], when: { priority: p0 }, then: require, approver: ana }',
    '',
  ].join('\n');
}

export function parseConfig(text: string, path: string): WorkspaceConfig {
  const source = parseYaml(text, path);
  const raw = toJs(source.document, path) ?? {};
  const refuse = (at: readonly YamlPathSegment[], rule: string): never => {
    const key = at.join('.') || '(document)';
    const line = lineOf(source, at);
    throw new BosunError(
      'invalid_input',
      `${path}${line === null ? '' : `:${line}`}: ${key}: ${rule}`,
      {
        details: { field: key, rule, file: path, ...(line === null ? {} : { line }) },
      },
    );
  };
  const result = WorkspaceConfigSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const at = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const rule =
      issue.code === 'unrecognized_keys'
        ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`
        : issue.message;
    refuse(issue.code === 'unrecognized_keys' ? [...at, issue.keys[0]!] : at, rule);
  }
  const config = result.data!;
  const problem = checkReferences(config)[0];
  if (problem) refuse(problem.path, problem.message);
  for (const [name, agent] of Object.entries(config.agents)) {
    agent.tools.forEach((tool, i) => {
      if (!findOperation(tool)) {
        refuse(
          ['agents', name, 'tools', i],
          `unknown tool '${tool}': tools are bosun operations (see 'bosun operations')`,
        );
      }
    });
  }
  (config.rules ?? []).forEach((rule, i) => {
    const ruleProblem = checkRuleDefinition(rule, ruleEntities());
    if (ruleProblem) refuse(['rules', i, ...ruleProblem.path], ruleProblem.message);
  });
  return config;
}
