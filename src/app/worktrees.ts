/**
 * Folders of an agent's own (`workdir:` in bosun.yaml). `worktree`: each task gets a git worktree
 * under `.bosun/worktrees/` on branch `bosun/<task-ref>` (a workflow step: `bosun/<run>-<step>`);
 * a retry continues on the same branch; two attempts never share one. When the attempt ends, what
 * it left becomes evidence — branch, base and head commits, the commits made, a diff stat, files
 * left uncommitted — and the worktree is removed or kept by the agent's `worktree_cleanup` (the
 * branch always stays). `none`: an empty temporary folder, removed afterwards.
 */

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ClaimedAttempt } from '../core/engine/journal.js';
import type { PreparedWorkdir, WorkdirProvider } from '../core/engine/scheduler.js';
import { StepFailure } from '../shared/step-failure.js';

const run = promisify(execFile);

async function git(cwd: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run('git', ['-C', cwd, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60) || 'step';

/** `root`: the project folder (the repository); `workspaceDir`: its `.bosun/`. */
export function createWorkdirProvider(root: string, workspaceDir: string): WorkdirProvider {
  const inUse = new Set<string>();
  return {
    async prepare(claim, mode) {
      if (mode === 'none') return temporaryFolder(claim);
      return worktree(root, workspaceDir, claim, inUse);
    },
  };
}

function temporaryFolder(claim: ClaimedAttempt): PreparedWorkdir {
  const path = mkdtempSync(join(tmpdir(), `bosun-${slug(claim.step.key)}-`));
  return {
    path,
    finish() {
      rmSync(path, { recursive: true, force: true });
      return Promise.resolve(null);
    },
  };
}

async function worktree(
  root: string,
  workspaceDir: string,
  claim: ClaimedAttempt,
  inUse: Set<string>,
): Promise<PreparedWorkdir> {
  const refuse = (message: string, retryable = false) =>
    new StepFailure({ kind: 'error', message, retryable, outputTail: '' });
  let top: string;
  try {
    top = await git(root, ['rev-parse', '--show-toplevel']);
  } catch {
    throw refuse(
      `workdir: worktree needs a git repository; ${root} is not in one (git init, or workdir: repo)`,
    );
  }
  const { step } = claim;
  const name =
    step.taskId !== null
      ? slug(step.key)
      : `${step.runId.slice(-8).toLowerCase()}-${slug(step.key)}`;
  const branch = `bosun/${name}`;
  const folder = join(workspaceDir, 'worktrees');
  const path = join(folder, name);
  if (inUse.has(path)) throw refuse(`worktree ${path} is in use by another attempt`, true);
  inUse.add(path);
  try {
    mkdirSync(folder, { recursive: true });
    // The worktrees live inside the repository's own folder: keep them out of its status.
    const ignore = join(folder, '.gitignore');
    if (!existsSync(ignore)) writeFileSync(ignore, '*\n');
    if (!existsSync(path)) {
      const branchExists = await git(top, [
        'rev-parse',
        '--verify',
        '--quiet',
        `refs/heads/${branch}`,
      ])
        .then(() => true)
        .catch(() => false);
      await git(top, [
        'worktree',
        'add',
        ...(branchExists ? [path, branch] : ['-b', branch, path, 'HEAD']),
      ]);
    }
    const base = await git(path, ['rev-parse', 'HEAD']);
    const cleanup = claim.agent?.config.worktree_cleanup ?? 'keep';
    return {
      path,
      async finish(succeeded) {
        try {
          const head = await git(path, ['rev-parse', 'HEAD']);
          const commits = (await git(path, ['rev-list', '--reverse', `${base}..${head}`]))
            .split('\n')
            .filter((line) => line !== '');
          // Against the base: committed and uncommitted changes alike.
          const diffStat = await git(path, ['diff', '--shortstat', base]);
          const uncommitted = (await git(path, ['status', '--porcelain']))
            .split('\n')
            .filter((line) => line !== '').length;
          if (cleanup === 'always' || (cleanup === 'on-success' && succeeded)) {
            await git(top, ['worktree', 'remove', '--force', path]);
          }
          return { branch, path, base, head, commits, diffStat, uncommitted };
        } finally {
          inUse.delete(path);
        }
      },
    };
  } catch (error) {
    inUse.delete(path);
    if (error instanceof StepFailure) throw error;
    throw refuse(`could not prepare worktree ${path}: ${(error as Error).message}`, true);
  }
}
