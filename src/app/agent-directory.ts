/**
 * The agents of a workspace, as `.bosun/bosun.yaml` declares them now: read at start and again
 * whenever the file changes, so a running worker picks up a new agent or model without a restart.
 * A change that does not validate is reported and ignored (the last good settings stay). It turns
 * a step that names an agent or a role into an assignment for the engine: the runner, the agent's
 * profile for this try (its instructions read, its model chosen by its route) and why.
 */

import { readFileSync, statSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { AgentAssignment, AgentResolver } from '../core/engine/journal.js';
import type {
  AgentChoice,
  AgentConfig,
  AgentsSection,
  ModelConfig,
  TaskTraits,
} from '../domain/agent.js';
import { chooseAgent } from '../domain/agent.js';
import type { Step } from '../domain/run.js';
import type { AgentProfile, ResolvedModel } from '../ports/runner.js';
import { CONFIG_FILE, parseConfig } from './config.js';

export interface AgentDirectory {
  /** The settings in force. */
  readonly section: AgentsSection;
  readonly resolve: AgentResolver;
  /**
   * The agent named, or the one playing `role`, for work outside a run (the planner): its
   * instructions read and its first model resolved; a failure names what does not fit.
   */
  profile(pick: AgentPick): { profile: AgentProfile; choice: AgentChoice } | { failure: string };
  /** Stops watching the file. */
  close(): void;
}

const EMPTY: AgentsSection = { models: {}, agents: {}, routes: {}, budgets: [] };
const RELOAD_DEBOUNCE_MS = 50;

/**
 * `workspaceDir` is the `.bosun/` folder (null: no workspace file, no agents). Instruction files
 * are read relative to the project folder (the parent of `.bosun/`).
 */
export function openAgentDirectory(
  workspaceDir: string | null,
  options: { watch?: boolean; onReloadError?: (error: Error) => void } = {},
): AgentDirectory {
  const file = workspaceDir === null ? null : join(workspaceDir, CONFIG_FILE);
  const root = workspaceDir === null ? process.cwd() : dirname(workspaceDir);
  const read = (): AgentsSection =>
    file === null ? EMPTY : parseConfig(readFileSync(file, 'utf8'), file);
  let section = read();
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  if (file !== null && options.watch === true) {
    // The folder, not the file: editors replace files by renaming, which ends a file watch.
    watcher = watch(dirname(file), (_event, name) => {
      if (name !== null && name !== basename(file)) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        try {
          section = read();
        } catch (error) {
          options.onReloadError?.(error as Error);
        }
      }, RELOAD_DEBOUNCE_MS);
      timer.unref();
    });
    watcher.unref();
  }
  const instructions = createInstructionReader(root);
  return {
    get section() {
      return section;
    },
    resolve: (step, task) => assign(section, step, task, instructions),
    profile: (pick) => profileOf(section, pick, 0, null, instructions),
    close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}

function assign(
  section: AgentsSection,
  step: Step,
  task: TaskTraits | null,
  instructions: (agent: AgentConfig) => string,
): AgentAssignment | { readonly failure: string } {
  // No agents configured: agent and role steps keep running on the mock runner.
  if (Object.keys(section.agents).length === 0) {
    return {
      runner: 'mock',
      choice: { agent: null, model: null, reason: 'no agents configured: mock runner' },
    };
  }
  const found = profileOf(section, step.spec, step.tries, task, instructions);
  if ('failure' in found) return found;
  return { runner: found.profile.config.runner, ...found };
}

type AgentPick = { readonly agent: string | null; readonly role: string | null };

function profileOf(
  section: AgentsSection,
  pick: AgentPick,
  tries: number,
  task: TaskTraits | null,
  instructions: (agent: AgentConfig) => string,
): { profile: AgentProfile; choice: AgentChoice } | { failure: string } {
  const choice = chooseAgent(section, pick, tries, task);
  if ('problem' in choice) return { failure: choice.problem };
  const config = section.agents[choice.agent]!;
  let text: string;
  try {
    text = instructions(config);
  } catch (error) {
    return { failure: `agent ${choice.agent}: ${(error as Error).message}` };
  }
  const profile: AgentProfile = {
    name: choice.agent,
    config,
    instructions: text,
    // A CLI agent's model may be an id the CLI knows rather than a configured model: then it
    // has no prices here (Codex's cost is then unknown) and the CLI gets the id as written.
    model: choice.model === null ? null : resolveModel(section, choice.model),
  };
  return { profile, choice };
}

/** A configured model by name, or null for a name bosun.yaml does not configure. */
export function resolveModel(section: AgentsSection, name: string): ResolvedModel | null {
  const configured: ModelConfig | undefined = section.models[name];
  return configured === undefined ? null : { name, ...configured };
}

/** Instructions inline or from a file (re-read when the file changes). */
function createInstructionReader(root: string): (agent: AgentConfig) => string {
  const cache = new Map<string, { mtimeMs: number; text: string }>();
  return (agent) => {
    const source = agent.instructions;
    if (source === undefined) return '';
    if (typeof source === 'string') return source;
    const path = isAbsolute(source.file) ? source.file : join(root, source.file);
    let mtimeMs: number;
    try {
      mtimeMs = statSync(path).mtimeMs;
    } catch {
      throw new Error(`instructions file ${source.file} does not exist`);
    }
    const cached = cache.get(path);
    if (cached && cached.mtimeMs === mtimeMs) return cached.text;
    const text = readFileSync(path, 'utf8');
    cache.set(path, { mtimeMs, text });
    return text;
  };
}
