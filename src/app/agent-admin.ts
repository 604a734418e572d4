/**
 * Agents managed from anywhere (CLI, API, MCP) by editing `.bosun/bosun.yaml` in place: the YAML
 * document is changed node by node, so comments and the order of everything else stay as the
 * person wrote them; the new text is validated whole (references included) before it replaces the
 * file, through a temporary file and a rename, so a refused change leaves the file untouched.
 */

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isMap, parseDocument } from 'yaml';
import type { AgentAdmin } from '../core/services/service-context.js';
import { BosunError } from '../shared/errors.js';
import { CONFIG_FILE, parseConfig } from './config.js';

export function createAgentAdmin(workspaceDir: string): AgentAdmin {
  const file = `${workspaceDir}/${CONFIG_FILE}`;
  const read = () => readFileSync(file, 'utf8');
  const write = (text: string) => {
    parseConfig(text, file); // throws, naming line and key, before anything is written
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, text);
    renameSync(temporary, file);
  };
  return {
    list() {
      const config = parseConfig(read(), file);
      return Object.entries(config.agents).map(([name, agent]) => ({ name, config: agent }));
    },
    budgets: () => parseConfig(read(), file).budgets,
    put(name, config) {
      const document = parseDocument(read());
      // Block style, as a person writes it (an empty map would otherwise print as `{}`).
      const block = (value: unknown) => {
        const node = document.createNode(value);
        if (isMap(node)) node.flow = false;
        return node;
      };
      if (!isMap(document.get('agents'))) document.set('agents', block({}));
      document.setIn(['agents', name], block(config));
      write(document.toString());
      return parseConfig(read(), file).agents[name]!;
    },
    remove(name) {
      const document = parseDocument(read());
      if (!document.hasIn(['agents', name])) {
        const known = Object.keys(parseConfig(read(), file).agents);
        throw new BosunError(
          'not_found',
          `agent '${name}' does not exist (agents: ${known.join(', ') || 'none'})`,
          { details: { kind: 'agent', key: name } },
        );
      }
      document.deleteIn(['agents', name]);
      write(document.toString());
    },
    scaffold(name, writeIt) {
      if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(name)) {
        throw new BosunError(
          'invalid_input',
          `name: '${name}' is not an agent name: a letter, then letters, digits, '_', '.' or '-'`,
          { details: { field: 'name' } },
        );
      }
      const entry = scaffoldText(name);
      if (!writeIt) return entry;
      const text = read();
      if (parseConfig(text, file).agents[name] !== undefined) {
        throw new BosunError('conflict', `agent '${name}' already exists in ${file}`, {
          details: { field: 'name', key: name },
        });
      }
      // Text, not the YAML document: the template's comments are the point of it.
      const lines = text.split('\n');
      // `agents:` as a block, or empty (`agents: {}`, what removing the last agent leaves).
      const at = lines.findIndex((line) => /^agents:\s*(\{\s*\})?\s*(#.*)?$/.test(line));
      const block = entry.trimEnd().split('\n');
      if (at >= 0) lines.splice(at, 1, 'agents:', ...block);
      else if (lines.some((line) => /^agents:/.test(line))) {
        throw new BosunError(
          'conflict',
          `agents: in ${file} is written inline; use 'bosun agent add ${name} …', or paste the scaffold printed without --write`,
          { details: { field: 'agents' } },
        );
      } else lines.push('agents:', ...block, '');
      write(lines.join('\n'));
      return entry;
    },
  };
}

function scaffoldText(name: string): string {
  return [
    `  ${name}:`,
    `    ${`role: ${name}`.padEnd(31)}# steps with \`role: ${name}\` go to this agent`,
    '    runner: mock                   # llm | claude-code | codex | process | shell | mock',
    '    # model: local                 # llm: a name from models: (or route: <role> to climb a chain)',
    '    instructions: |                # or { file: prompts/NAME.md }, read at every attempt',
    '      You are a careful engineer. Say what you changed and why.',
    '    tools: []                      # bosun operations an llm may call, e.g. [note.add]',
    '    # mcp: [files, github/search_*]  # llm: tools of mcp_servers it may call',
    '    workdir: repo                  # worktree: a git worktree per task; none: a temp folder',
    '    timeout: 20m                   # per attempt',
    '    max_steps: 8                   # model calls (llm) or turns (claude-code) per attempt',
    '    # max_cost_usd: 0.50           # the most one attempt may cost (CLI agents)',
    '    # max_concurrency: 2           # attempts at once, per worker',
    '    # command: my-agent --prompt {{prompt}}   # runner process: the command line',
    '',
  ].join('\n');
}
