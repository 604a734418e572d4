/**
 * Agents with `workdir: worktree` through the CLI, in a real git repository: each step works in
 * its own worktree on its own branch, and the step's output carries the evidence of what it did.
 */

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bosunJson, runBosun, tempDir } from './helpers/cli.js';

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Agent',
  GIT_AUTHOR_EMAIL: 'agent@example.com',
  GIT_COMMITTER_NAME: 'Agent',
  GIT_COMMITTER_EMAIL: 'agent@example.com',
};

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV } }).trim();

async function repository(cleanup = 'keep'): Promise<string> {
  const cwd = tempDir('bosun-worktree-');
  git(cwd, 'init', '-q', '-b', 'main');
  writeFileSync(join(cwd, 'README.md'), '# project\n');
  git(cwd, 'add', '.');
  git(cwd, 'commit', '-q', '-m', 'start');
  expect((await runBosun(['init'], { cwd })).status).toBe(0);
  const config = join(cwd, '.bosun', 'bosun.yaml');
  writeFileSync(
    config,
    readFileSync(config, 'utf8') +
      [
        'agents:',
        '  coder:',
        '    role: coder',
        '    runner: shell',
        '    workdir: worktree',
        `    worktree_cleanup: ${cleanup}`,
        '',
      ].join('\n'),
  );
  return cwd;
}

interface Evidence {
  branch: string;
  path: string;
  base: string;
  head: string;
  commits: string[];
  diffStat: string;
  uncommitted: number;
}

const evidenceOf = async (cwd: string, step: string) =>
  (
    await bosunJson<{ step: { output: { evidence: Evidence } } }>(['step', 'show', 'last', step], {
      cwd,
    })
  ).step.output.evidence;

describe('worktrees for agents', () => {
  it('runs each step on its own branch in its own worktree, in parallel, with evidence', async () => {
    const cwd = await repository();
    const work = (file: string) =>
      `{ command: "echo ${file} > ${file}.txt && git add . && git commit -q -m 'add ${file}' && echo draft > notes.txt" }`;
    writeFileSync(
      join(cwd, 'two.yaml'),
      [
        'name: two',
        'steps:',
        '  - id: left',
        '    role: coder',
        `    with: ${work('left')}`,
        '  - id: right',
        '    role: coder',
        `    with: ${work('right')}`,
      ].join('\n'),
    );
    const run = await runBosun(['run', 'start', 'two.yaml'], { cwd, env: GIT_ENV });
    expect(run.status, run.stderr + run.stdout).toBe(0);
    const base = git(cwd, 'rev-parse', 'HEAD');
    for (const step of ['left', 'right']) {
      const evidence = await evidenceOf(cwd, step);
      expect(evidence.branch).toMatch(new RegExp(`^bosun/[a-z0-9]{8}-${step}$`));
      expect(evidence.base).toBe(base);
      expect(evidence.commits).toHaveLength(1);
      expect(evidence.commits[0]).toBe(evidence.head);
      // Untracked files are not in a diff; they are counted as uncommitted.
      expect(evidence.diffStat).toMatch(/1 file changed, 1 insertion/);
      expect(evidence.uncommitted).toBe(1);
      // The branch holds the agent's commit; the main checkout is untouched.
      expect(git(cwd, 'log', '--format=%s', '-1', evidence.branch)).toBe(`add ${step}`);
      expect(existsSync(join(evidence.path, `${step}.txt`))).toBe(true);
    }
    expect(existsSync(join(cwd, 'left.txt'))).toBe(false);
    // Only what the test itself wrote is new in the main checkout (the worktrees are ignored).
    expect(git(cwd, 'status', '--porcelain', '--untracked-files=all')).not.toMatch(
      /left|right|notes/,
    );
  });

  it('removes the worktree after success when asked to, keeping the branch', async () => {
    const cwd = await repository('on-success');
    writeFileSync(
      join(cwd, 'one.yaml'),
      [
        'name: one',
        'steps:',
        '  - id: only',
        '    role: coder',
        `    with: { command: "echo x > x.txt && git add . && git commit -q -m x" }`,
      ].join('\n'),
    );
    expect((await runBosun(['run', 'start', 'one.yaml'], { cwd, env: GIT_ENV })).status).toBe(0);
    const evidence = await evidenceOf(cwd, 'only');
    expect(existsSync(evidence.path)).toBe(false);
    expect(git(cwd, 'log', '--format=%s', '-1', evidence.branch)).toBe('x');
  });

  it('fails the step clearly outside a git repository', async () => {
    const cwd = tempDir('bosun-no-git-');
    expect((await runBosun(['init'], { cwd })).status).toBe(0);
    const config = join(cwd, '.bosun', 'bosun.yaml');
    writeFileSync(
      config,
      `${readFileSync(config, 'utf8')}agents:\n  coder: { role: coder, runner: shell, workdir: worktree }\n`,
    );
    writeFileSync(
      join(cwd, 'one.yaml'),
      'name: one\nsteps:\n  - id: only\n    role: coder\n    with: { command: "true" }\n',
    );
    const run = await runBosun(['run', 'start', 'one.yaml'], { cwd });
    expect(run.status).toBe(11);
    expect(run.stdout).toContain('workdir: worktree needs a git repository');
  });
});
