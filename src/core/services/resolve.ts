/** Finds projects, sprints and tasks by whatever a person typed: key, ref, name or ULID. */

import type { Project } from '../../domain/project.js';
import type { Sprint } from '../../domain/sprint.js';
import type { Task } from '../../domain/task.js';
import type { Repositories } from '../../ports/store.js';
import { BosunError } from '../../shared/errors.js';
import { isUlid } from '../../shared/ids.js';

export async function resolveProject(
  repos: Repositories,
  keyOrId: string,
  field = 'project',
): Promise<Project> {
  const value = keyOrId.trim();
  const project = isUlid(value)
    ? await repos.projects.findById(value)
    : await repos.projects.findByKey(value.toUpperCase());
  if (!project) {
    throw new BosunError(
      'not_found',
      `${field}: no project '${keyOrId}'; see 'bosun project list'`,
      {
        details: { field, kind: 'project', key: keyOrId },
      },
    );
  }
  return project;
}

export async function resolveTask(
  repos: Repositories,
  refOrId: string,
  field = 'task',
  options: { includeDeleted?: boolean; lock?: boolean } = {},
): Promise<Task> {
  const value = refOrId.trim();
  const lock = { lock: options.lock };
  const task = isUlid(value)
    ? await repos.tasks.findById(value, lock)
    : await repos.tasks.findByRef(value.toUpperCase(), lock);
  if (!task || (task.deletedAt !== null && !options.includeDeleted)) {
    const why = task ? 'was deleted' : 'does not exist';
    throw new BosunError('not_found', `${field}: task '${refOrId}' ${why}`, {
      details: { field, kind: 'task', key: refOrId },
    });
  }
  return task;
}

export async function resolveSprint(
  repos: Repositories,
  projectId: string,
  nameOrId: string,
  field = 'sprint',
): Promise<Sprint> {
  const value = nameOrId.trim();
  const sprint = isUlid(value)
    ? await repos.sprints.findById(value)
    : await repos.sprints.findByName(projectId, value);
  if (!sprint || sprint.projectId !== projectId) {
    throw new BosunError(
      'not_found',
      `${field}: no sprint '${nameOrId}' in this project; see 'bosun sprint list'`,
      {
        details: { field, kind: 'sprint', key: nameOrId },
      },
    );
  }
  return sprint;
}
