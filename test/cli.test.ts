/**
 * The CLI end to end: the built `bosun` bin in child processes against a real SQLite workspace.
 * Covers workspace discovery, derived flags and help, JSON output, and the refusals the
 * foundation issue names, each checked to leave the store unchanged.
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bosunJson, runBosun, tempDir } from './helpers/cli.js';

interface TaskJson {
  id: string;
  ref: string;
  status: string;
  title: string;
  tags: string[];
  scope: string[];
  priority: string;
  assignee: string | null;
}

async function newWorkspace(): Promise<string> {
  const dir = tempDir();
  const init = await runBosun(['init'], { cwd: dir });
  expect(init.status, init.stderr).toBe(0);
  await bosunJson(['project', 'create', 'HOME', 'Home lab'], { cwd: dir });
  return dir;
}

describe('bosun init and workspace discovery', () => {
  it('creates .bosun/ with settings and a store, and refuses to create it twice', async () => {
    const dir = tempDir();
    const first = await runBosun(['init', '--json'], { cwd: dir });
    expect(first.status, first.stderr).toBe(0);
    const created = JSON.parse(first.stdout) as { workspace: string; db: string };
    expect(created.workspace).toBe(join(dir, '.bosun'));
    expect(readFileSync(join(dir, '.bosun', 'bosun.yaml'), 'utf8')).toContain('version: 1');
    const again = await runBosun(['init'], { cwd: dir });
    expect(again.status).toBe(5);
    expect(again.stderr).toMatch(/^error\[conflict\]: workspace: .* is already a bosun workspace/);
  });

  it('finds the workspace from a nested folder, from --workspace and from BOSUN_HOME', async () => {
    const dir = await newWorkspace();
    const nested = join(dir, 'a', 'b');
    mkdirSync(nested, { recursive: true });
    const fromNested = await bosunJson<unknown[]>(['project', 'list'], { cwd: nested });
    expect(fromNested).toHaveLength(1);
    const elsewhere = tempDir();
    expect(
      await bosunJson<unknown[]>(['project', 'list', '--workspace', dir], { cwd: elsewhere }),
    ).toHaveLength(1);
    expect(
      await bosunJson<unknown[]>(['project', 'list'], { cwd: elsewhere, env: { BOSUN_HOME: dir } }),
    ).toHaveLength(1);
  });

  it('uses a store named by --db without any workspace folder', async () => {
    const dir = tempDir();
    const db = join(dir, 'plain.db');
    await bosunJson(['project', 'create', 'SOLO', 'Solo', '--db', db], { cwd: dir });
    const projects = await bosunJson<{ key: string }[]>(['project', 'list'], {
      cwd: dir,
      env: { BOSUN_DB: db },
    });
    expect(projects.map((p) => p.key)).toEqual(['SOLO']);
  });

  it('explains how to start when there is no workspace', async () => {
    const result = await runBosun(['task', 'list'], { cwd: tempDir() });
    expect(result.status).toBe(4);
    expect(result.stderr).toMatch(
      /error\[not_found\]: workspace: no bosun workspace .* run 'bosun init'/,
    );
  });

  it('refuses an invalid bosun.yaml naming the key', async () => {
    const dir = await newWorkspace();
    writeFileSync(join(dir, '.bosun', 'bosun.yaml'), 'version: 2\n');
    const result = await runBosun(['project', 'list'], { cwd: dir });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/bosun\.yaml:1: version: must be 1/);
  });
});

describe('commands derived from the operation catalog', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await newWorkspace();
  });

  it('lists every command in --help and every flag of a command in its --help', async () => {
    const overview = await runBosun(['--help'], { cwd: dir });
    expect(overview.status).toBe(0);
    for (const command of ['task create', 'task next', 'dep add', 'audit list', 'project create']) {
      expect(overview.stdout).toContain(command);
    }
    const help = await runBosun(['task', 'add', '--help'], { cwd: dir });
    expect(help.stdout).toContain('Usage: bosun task create PROJECT TITLE');
    for (const flag of [
      '--depends-on',
      '--priority p0|p1|p2|p3',
      '--scope',
      '--acceptance',
      '-p, --priority',
    ]) {
      expect(help.stdout).toContain(flag);
    }
  });

  it('creates a task from positionals, short and repeated flags, and prints it as JSON', async () => {
    const task = await bosunJson<TaskJson>(
      [
        'task',
        'add',
        'HOME',
        'Back up the NAS',
        '-p',
        'p1',
        '--tags',
        'ops',
        '--tags',
        'backup',
        '--scope',
        'infra/**',
      ],
      { cwd: dir },
    );
    expect(task).toMatchObject({
      title: 'Back up the NAS',
      priority: 'p1',
      status: 'todo',
      tags: ['backup', 'ops'],
      scope: ['infra/**'],
    });
    expect(task.ref).toMatch(/^HOME-\d+$/);
    const shown = await bosunJson<{ task: TaskJson }>(['task', 'show', task.ref.toLowerCase()], {
      cwd: dir,
    });
    expect(shown.task.id).toBe(task.id);
    const byId = await bosunJson<{ task: TaskJson }>(['task', 'show', task.id], { cwd: dir });
    expect(byId.task.ref).toBe(task.ref);
  });

  it('clears a nullable field with --no-<flag>', async () => {
    const parent = await bosunJson<TaskJson>(['task', 'add', 'HOME', 'Parent'], { cwd: dir });
    const child = await bosunJson<TaskJson & { parentId: string | null; role: string | null }>(
      ['task', 'add', 'HOME', 'Child', '--parent', parent.ref, '--role', 'coder'],
      { cwd: dir },
    );
    expect(child).toMatchObject({ parentId: parent.id, role: 'coder' });
    const cleared = await bosunJson<{ parentId: string | null; role: string | null }>(
      ['task', 'update', child.ref, '--no-parent', '--no-role'],
      { cwd: dir },
    );
    expect(cleared).toMatchObject({ parentId: null, role: null });
    const refused = await runBosun(['task', 'update', child.ref, '--no-title'], { cwd: dir });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('unknown flag --no-title');
  });

  it('prints human tables without --json', async () => {
    const result = await runBosun(['task', 'list', 'HOME'], { cwd: dir });
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n')[0]).toMatch(/^REF\s+STATUS\s+PRIORITY\s+TITLE/);
  });

  it('runs any operation through bosun call with a JSON input', async () => {
    const result = await runBosun(
      ['call', 'task.create', '--input', '{"project":"HOME","title":"Via call"}'],
      { cwd: dir },
    );
    expect(result.status, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as TaskJson).title).toBe('Via call');
    const fromStdin = await runBosun(['call', 'project.show', '--input', '-'], {
      cwd: dir,
      stdin: '{"project":"HOME"}',
    });
    expect(fromStdin.status, fromStdin.stderr).toBe(0);
  });

  it('lists operations with their JSON input schemas for agents', async () => {
    const list = await bosunJson<
      { name: string; input: { properties: Record<string, unknown> } }[]
    >(['operations'], { cwd: dir });
    const create = list.find((op) => op.name === 'task.create');
    expect(Object.keys(create!.input.properties)).toEqual(
      expect.arrayContaining(['project', 'title', 'dependsOn']),
    );
  });

  it('refuses an unknown flag and an unknown command with usage errors', async () => {
    const flag = await runBosun(['task', 'add', 'HOME', 'x', '--colour', 'red'], { cwd: dir });
    expect(flag.status).toBe(2);
    expect(flag.stderr).toMatch(
      /error\[invalid_input\]: unknown flag --colour; see 'bosun task create --help'/,
    );
    const command = await runBosun(['task', 'fly'], { cwd: dir });
    expect(command.status).toBe(2);
    expect(command.stderr).toContain("unknown command 'task fly'");
  });
});

describe('refused input changes nothing', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await newWorkspace();
    await bosunJson(['task', 'add', 'HOME', 'First'], { cwd: dir });
    await bosunJson(['task', 'add', 'HOME', 'Second', '--depends-on', 'HOME-1'], { cwd: dir });
  });

  const cases: readonly [
    name: string,
    args: string[],
    code: string,
    exit: number,
    message: RegExp,
  ][] = [
    [
      'a dependency cycle',
      ['dep', 'add', 'HOME-1', '--on', 'HOME-2'],
      'cycle',
      7,
      /on: would create a dependency cycle HOME-1 → HOME-2 → HOME-1/,
    ],
    [
      'an unknown project',
      ['task', 'add', 'NOPE', 'Lost task'],
      'not_found',
      4,
      /project: no project 'NOPE'/,
    ],
    [
      'an illegal transition',
      ['task', 'status', 'HOME-1', 'done'],
      'invalid_transition',
      6,
      /status: task cannot go from todo to done; allowed from todo: in_progress, blocked, cancelled/,
    ],
    [
      'an empty title',
      ['task', 'add', 'HOME', '   '],
      'invalid_input',
      2,
      /title: must not be empty/,
    ],
    [
      'malformed --input JSON',
      ['call', 'task.create', '--input', '{"project": "HOME", title}'],
      'invalid_json',
      3,
      /input: not valid JSON/,
    ],
  ];

  for (const [name, args, code, exit, message] of cases) {
    it(`refuses ${name} with error[${code}], exit ${exit}, and an unchanged store`, async () => {
      const before = await runBosun(['export'], { cwd: dir });
      const result = await runBosun(args, { cwd: dir });
      const after = await runBosun(['export'], { cwd: dir });
      expect(result.status).toBe(exit);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(new RegExp(`^error\\[${code}\\]: `));
      expect(result.stderr).toMatch(message);
      expect(after.stdout).toBe(before.stdout);
    });
  }

  it('reports the error as JSON on stdout with --json', async () => {
    const result = await runBosun(['task', 'add', 'HOME', '', '--json'], { cwd: dir });
    expect(result.status).toBe(2);
    const body = JSON.parse(result.stdout) as {
      error: { code: string; details: { field: string } };
    };
    expect(body.error).toMatchObject({ code: 'invalid_input', details: { field: 'title' } });
  });
});

describe('export and import', () => {
  it('round-trips a workspace exactly through a file', async () => {
    const dir = await newWorkspace();
    await bosunJson(['sprint', 'create', 'HOME', 'S1', '--goal', 'ship'], { cwd: dir });
    await bosunJson(['task', 'add', 'HOME', 'One', '--sprint', 'S1', '--acceptance', 'works'], {
      cwd: dir,
    });
    await bosunJson(
      ['task', 'add', 'HOME', 'Two', '--depends-on', 'HOME-1', '--parent', 'HOME-1'],
      { cwd: dir },
    );
    await bosunJson(['todo', 'add', 'HOME-1', 'check the thing'], { cwd: dir });
    await bosunJson(['note', 'add', 'HOME-2', 'a note'], { cwd: dir });
    await bosunJson(['task', 'add', 'HOME', 'Doomed'], { cwd: dir });
    await bosunJson(['task', 'delete', 'HOME-3'], { cwd: dir });
    const exported = await runBosun(['export'], { cwd: dir });
    expect(exported.status).toBe(0);
    const file = join(tempDir(), 'plan.json');
    writeFileSync(file, exported.stdout);

    const copy = tempDir();
    await runBosun(['init'], { cwd: copy });
    const summary = await bosunJson<{ tasks: number; audit: number }>(['import', file], {
      cwd: copy,
    });
    expect(summary.tasks).toBe(3);
    const reexported = await runBosun(['export'], { cwd: copy });
    expect(reexported.stdout).toBe(exported.stdout);
    const next = await bosunJson<TaskJson>(['task', 'add', 'HOME', 'After import'], { cwd: copy });
    expect(next.ref).toBe('HOME-4');
  });

  it('refuses to import into a workspace that already holds work', async () => {
    const dir = await newWorkspace();
    const exported = await runBosun(['export'], { cwd: dir });
    const result = await runBosun(['import', '-'], { cwd: dir, stdin: exported.stdout });
    expect(result.status).toBe(5);
    expect(result.stderr).toContain('import needs an empty workspace');
  });
});
