/**
 * `bosun demo`: builds a sample workspace in a temporary folder and walks through the loop an
 * agent crew lives in — plan → next → claim → done, then a workflow run with a retry and an
 * approval gate, and a run of the project's own tasks — by running real bosun commands
 * in-process and printing each command with its output.
 */

import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from './cli-io.js';

/** The CLI itself, passed in so the demo runs exactly what a person would type. */
export type RunCli = (argv: readonly string[], io: CliIo) => Promise<number>;

type Step = readonly [explanation: string, args: readonly string[], expectFailure?: boolean];

const PLAN: readonly Step[] = [
  ['Create a workspace: a .bosun/ folder with settings and a SQLite store.', ['init']],
  [
    'Plan: a project, a sprint, and tasks with priorities, roles and file scopes.',
    [
      'project',
      'create',
      'HOME',
      'Home lab',
      '--description',
      'Self-hosted services, kept healthy by a crew of agents',
    ],
  ],
  ['', ['sprint', 'create', 'HOME', 'Sprint 1', '--goal', 'Backups that restore']],
  [
    '',
    [
      'task',
      'add',
      'HOME',
      'Inventory the disks on the NAS',
      '-p',
      'p1',
      '--role',
      'ops',
      '--sprint',
      'Sprint 1',
      '--scope',
      'infra/nas/**',
    ],
  ],
  [
    '',
    [
      'task',
      'add',
      'HOME',
      'Write the restic backup job',
      '-p',
      'p1',
      '--role',
      'coder',
      '--sprint',
      'Sprint 1',
      '--scope',
      'infra/backup/**',
      '--depends-on',
      'HOME-1',
    ],
  ],
  [
    '',
    [
      'task',
      'add',
      'HOME',
      'Verify a restore of one file',
      '-p',
      'p0',
      '--role',
      'tester',
      '--depends-on',
      'HOME-2',
      '--acceptance',
      'a file restored from last night matches the original',
    ],
  ],
  [
    '',
    [
      'task',
      'add',
      'HOME',
      'Document the backup runbook',
      '-p',
      'p2',
      '--role',
      'writer',
      '--scope',
      'docs/**',
      '--depends-on',
      'HOME-2',
    ],
  ],
  [
    '',
    [
      'task',
      'add',
      'HOME',
      'Tidy the Grafana dashboards',
      '-p',
      'p2',
      '--role',
      'ops',
      '--scope',
      'infra/grafana/**',
    ],
  ],
  [
    '',
    [
      'task',
      'add',
      'HOME',
      'Rotate the TLS certificates',
      '-p',
      'p3',
      '--role',
      'ops',
      '--scope',
      'infra/nas/certs/**',
    ],
  ],
  [
    'A dependency that would close a cycle is refused, with the cycle named:',
    ['dep', 'add', 'HOME-1', '--on', 'HOME-3'],
    true,
  ],
  ['So is a move the status machine does not allow:', ['task', 'status', 'HOME-5', 'done'], true],
  ['Everything, with what is ready and what waits:', ['task', 'list', 'HOME']],
  [
    'Next: ready tasks ranked by priority, then by how much work they unblock, then age.',
    ['task', 'next', 'HOME'],
  ],
  [
    'Up to three tasks that can run side by side (their file scopes do not overlap):',
    ['task', 'next', 'HOME', '--parallel', '3'],
  ],
  [
    'Claim: each agent atomically takes a different task under a lease.',
    ['task', 'next', 'HOME', '--claim', '--agent', 'ops-1', '--lease', '30m', '--as', 'ops-1'],
  ],
  ['', ['task', 'next', 'HOME', '--claim', '--agent', 'ops-2', '--lease', '30m', '--as', 'ops-2']],
  [
    'The agent keeps its lease alive while it works, and notes what it learned:',
    ['task', 'heartbeat', 'HOME-1', '--agent', 'ops-1', '--as', 'ops-1'],
  ],
  ['', ['note', 'add', 'HOME-1', 'Four disks; sdb shows reallocated sectors.', '--as', 'ops-1']],
  [
    'Done: the task moves through review, and its dependent becomes ready.',
    ['task', 'status', 'HOME-1', 'review', '--as', 'ops-1'],
  ],
  ['', ['task', 'status', 'HOME-1', 'done', '--as', 'ana']],
  ['', ['task', 'next', 'HOME', '--role', 'coder']],
  ['The whole story of a task: links, checklist, notes.', ['task', 'show', 'HOME-2']],
  ['Every write is in the audit log, with actor and changed fields:', ['audit', 'list', 'HOME-1']],
  [
    'Run a workflow (release.yaml, written beside the workspace): shell and mock steps, a flaky\n# step that succeeds on its second try, and a gate that waits for a person.',
    ['run', 'start', 'release.yaml', '--input', 'version=1.0.0', '--follow'],
  ],
  ['Someone approves from anywhere (CLI, API, MCP); the run goes on:', ['approval', 'list']],
  ['', ['approval', 'approve', 'last:publish', '--comment', 'looks good', '--as', 'ana']],
  ['', ['run', 'resume', 'last', '--follow']],
  ['The run as a graph (paste into any Mermaid viewer):', ['run', 'graph', 'last']],
  [
    'Agents do the steps of a role. bosun.yaml got a mock model (offline, priced like a real one);\n# agents are added by command, and bosun.yaml is validated before it changes:',
    [
      'agent',
      'add',
      'coder',
      '--runner',
      'llm',
      '--role',
      'coder',
      '--model',
      'local',
      '--instructions',
      'Write small, tested changes.',
    ],
  ],
  ['', ['agent', 'add', 'ops', '--runner', 'mock', '--role', 'ops']],
  ['', ['agent', 'add', 'tester', '--runner', 'mock', '--role', 'tester']],
  ['', ['agent', 'add', 'writer', '--runner', 'mock', '--role', 'writer']],
  ['', ['agent', 'list']],
  [
    'A project run: each open task becomes a step for its role’s agent, and the outcome moves\n# the task.',
    ['run', 'start', '--project', 'HOME', '--follow'],
  ],
  ['', ['task', 'list', 'HOME']],
  ['Every model call is in the cost ledger:', ['cost', 'report', '--by', 'agent']],
];

/** Appended to the demo workspace's bosun.yaml: a model that needs no network or key. */
const DEMO_MODELS = `
models:
  local:
    provider: mock
    model: demo-coder
    price: { input: 0.5, output: 1.5 }
`;

/** The demo's workflow: portable shell commands and mock steps, nothing leaves the temp folder. */
const DEMO_WORKFLOW = `name: release
input:
  version: { required: true }
steps:
  - id: build
    runner: shell
    with:
      command: echo "built app-$VERSION"
      env: { VERSION: '{{ input.version }}' }
  - id: test
    runner: mock
    needs: build
    retry: { attempts: 2, backoff: 200ms }
    with: { fail_attempts: 1, latency: 100ms, output: 'tests passed for {{ steps.build.output }}' }
  - id: docs
    runner: mock
    needs: build
    with: { latency: 150ms, output: 'docs updated', usage: { input_tokens: 900, output_tokens: 300, cost_usd: 0.0021 } }
  - id: publish
    runner: shell
    needs: [test, docs]
    approval: before
    with:
      command: echo "published $VERSION"
      env: { VERSION: '{{ input.version }}' }
`;

export async function runDemo(io: CliIo, main: RunCli): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-demo-'));
  const env = { ...io.env, BOSUN_HOME: undefined, BOSUN_DB: undefined, BOSUN_ACTOR: 'demo' };
  writeFileSync(join(dir, 'release.yaml'), DEMO_WORKFLOW);
  io.write(`bosun demo — a sample workspace in ${dir}\n`);
  for (const [explanation, args, expectFailure] of PLAN) {
    if (explanation) io.write(`\n# ${explanation}\n`);
    io.write(`$ bosun ${args.map(quote).join(' ')}\n`);
    const status = await main(args, { ...io, cwd: dir, env, writeError: io.write });
    if (args[0] === 'init') appendFileSync(join(dir, '.bosun', 'bosun.yaml'), DEMO_MODELS);
    if ((status !== 0) !== Boolean(expectFailure)) {
      io.writeError(
        `demo: 'bosun ${args.join(' ')}' exited with ${status}, which the demo did not expect\n`,
      );
      return 1;
    }
  }
  io.write(`\nThe workspace is still there: cd ${dir} && bosun task list\n`);
  return 0;
}

function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
