/**
 * The readable REST routes of the HTTP API (docs/server.md): each names one operation and where
 * its input comes from — path parameters, the query (GET) or the JSON body — and has no logic of
 * its own. The API mounts them (api.ts) and the OpenAPI document describes them (openapi.ts).
 */

import { BosunError } from '../shared/errors.js';

export type Input = Record<string, unknown>;

/** Where a REST route's input comes from, besides the operation it names. */
export interface RestRoute {
  readonly method: 'get' | 'post' | 'patch';
  readonly path: string;
  /** The operation, or a choice of one by the input (`PATCH /api/tasks/:ref`). */
  readonly operation: string | ((input: Input) => string);
  /** A choice's operations, for the OpenAPI document. */
  readonly choices?: readonly string[];
  /** Path parameter → input field. */
  readonly params?: Readonly<Record<string, string>>;
}

/** The REST routes: readable names for the main resources, each one operation. */
export const REST_ROUTES: readonly RestRoute[] = [
  { method: 'get', path: '/api/status', operation: 'workspace.status' },
  { method: 'get', path: '/api/health', operation: 'system.health' },
  { method: 'get', path: '/api/projects', operation: 'project.list' },
  { method: 'post', path: '/api/projects', operation: 'project.create' },
  {
    method: 'get',
    path: '/api/projects/:key',
    operation: 'project.show',
    params: { key: 'project' },
  },
  {
    method: 'patch',
    path: '/api/projects/:key',
    operation: 'project.update',
    params: { key: 'project' },
  },
  {
    method: 'get',
    path: '/api/projects/:key/tasks',
    operation: 'task.list',
    params: { key: 'project' },
  },
  {
    method: 'post',
    path: '/api/projects/:key/tasks',
    operation: 'task.create',
    params: { key: 'project' },
  },
  { method: 'post', path: '/api/tasks', operation: 'task.create' },
  { method: 'get', path: '/api/tasks/:ref', operation: 'task.show', params: { ref: 'task' } },
  {
    method: 'patch',
    path: '/api/tasks/:ref',
    operation: taskPatch,
    choices: ['task.status', 'task.update'],
    params: { ref: 'task' },
  },
  { method: 'get', path: '/api/runs', operation: 'run.list' },
  { method: 'post', path: '/api/runs', operation: 'run.start' },
  { method: 'get', path: '/api/runs/:id', operation: 'run.show', params: { id: 'run' } },
  { method: 'get', path: '/api/runs/:id/graph', operation: 'run.graph', params: { id: 'run' } },
  {
    method: 'get',
    path: '/api/runs/:id/steps/:step',
    operation: 'step.show',
    params: { id: 'run', step: 'step' },
  },
  { method: 'post', path: '/api/runs/:id/pause', operation: 'run.pause', params: { id: 'run' } },
  { method: 'post', path: '/api/runs/:id/resume', operation: 'run.resume', params: { id: 'run' } },
  { method: 'post', path: '/api/runs/:id/cancel', operation: 'run.cancel', params: { id: 'run' } },
  { method: 'post', path: '/api/runs/:id/fork', operation: 'run.fork', params: { id: 'run' } },
  { method: 'get', path: '/api/approvals', operation: 'approval.list' },
  {
    method: 'post',
    path: '/api/approvals/:id/approve',
    operation: 'approval.approve',
    params: { id: 'approval' },
  },
  {
    method: 'post',
    path: '/api/approvals/:id/reject',
    operation: 'approval.reject',
    params: { id: 'approval' },
  },
  { method: 'get', path: '/api/agents', operation: 'agent.list' },
  { method: 'get', path: '/api/agents/:name', operation: 'agent.show', params: { name: 'name' } },
  { method: 'get', path: '/api/costs', operation: 'cost.report' },
];

/**
 * `PATCH /api/tasks/:ref`: a status change (with an optional note) is `task.status`, anything
 * else `task.update`. Both at once would be two transactions, so they are refused together.
 */
function taskPatch(input: Input): string {
  if (!('status' in input)) return 'task.update';
  const other = Object.keys(input).find((key) => !['task', 'status', 'note'].includes(key));
  if (other !== undefined) {
    throw new BosunError(
      'invalid_input',
      `${other}: send status (with an optional note) alone, and other fields in a PATCH of their own`,
      { details: { field: other, rule: 'not with status' } },
    );
  }
  return 'task.status';
}
