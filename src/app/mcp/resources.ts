/**
 * Resources and prompts: a project, a task or a run as a short markdown page an agent can read
 * into its context (`bosun://project/{key}`, `bosun://task/{ref}`, `bosun://run/{id}`), and the
 * `work-next-task` prompt that teaches an agent bosun's loop: claim, work, note, complete.
 */

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  ErrorCode,
  McpError,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Runtime } from '../runtime.js';
import { findOperation } from '../../operations/catalog.js';

type Row = Record<string, unknown>;

const line = (label: string, value: unknown): string | null =>
  value === null ||
  value === undefined ||
  value === '' ||
  (Array.isArray(value) && value.length === 0)
    ? null
    : `- **${label}**: ${Array.isArray(value) ? value.join(', ') : String(value)}`;

const lines = (...parts: (string | null)[]): string => parts.filter((p) => p !== null).join('\n');

function taskPage(shown: Row): string {
  const task = shown['task'] as Row;
  const refs = (key: string) =>
    ((shown[key] as Row[] | undefined) ?? []).map(
      (t) => `${String(t['ref'])} (${String(t['status'])})`,
    );
  const notes = ((shown['notes'] as Row[] | undefined) ?? []).map(
    (note) =>
      `- ${String(note['createdAt']).slice(0, 16)} ${String(note['author'])}: ${String(note['body'])}`,
  );
  return lines(
    `# ${String(task['ref'])} — ${String(task['title'])}`,
    '',
    line('status', task['status']),
    line('priority', task['priority']),
    line('role', task['role']),
    line('assignee', task['assignee']),
    line('lease until', task['leaseExpiresAt']),
    line('tags', task['tags']),
    line('scope', task['scope']),
    line('depends on', refs('dependsOn')),
    line('blocks', refs('dependents')),
    task['description'] ? `\n${String(task['description'])}` : null,
    (task['acceptance'] as string[] | undefined)?.length
      ? `\n## Acceptance\n${(task['acceptance'] as string[]).map((a) => `- [ ] ${a}`).join('\n')}`
      : null,
    notes.length > 0 ? `\n## Notes\n${notes.join('\n')}` : null,
  );
}

function projectPage(shown: Row): string {
  const project = (shown['project'] ?? shown) as Row;
  const counts = shown['tasks'] as Row | undefined;
  return lines(
    `# ${String(project['key'])} — ${String(project['name'])}`,
    '',
    line('status', project['status']),
    line('owner', project['owner']),
    line('due', project['dueDate']),
    counts
      ? line(
          'tasks',
          Object.entries(counts)
            .filter(([status, n]) => status !== 'total' && n !== 0)
            .map(([status, n]) => `${String(n)} ${status}`),
        )
      : null,
    project['description'] ? `\n${String(project['description'])}` : null,
  );
}

function runPage(shown: Row): string {
  const run = shown['run'] as Row;
  const steps = ((shown['steps'] as Row[] | undefined) ?? []).map(
    (step) =>
      `| ${String(step['key'])} | ${String(step['status'])} | ${String(step['attempts'])} | ${step['error'] ? String(step['error']) : ''} |`,
  );
  return lines(
    `# Run ${String(run['name'])} (${String(run['id'])})`,
    '',
    line('status', run['status']),
    line('cost', `$${Number(run['costUsd']).toFixed(4)}`),
    line('error', run['error']),
    '',
    '| step | status | attempts | error |',
    '| --- | --- | --- | --- |',
    ...steps,
  );
}

const WORK_NEXT_TASK = (
  agent: string,
  project: string | undefined,
) => `You work through bosun, a shared task board, as the agent "${agent}".

1. Call task_next with ${project ? `project "${project}", ` : ''}claim: true and agent "${agent}". It hands you the top ready task under a lease, or nothing: then stop and say there is no work.
2. Read the task (task_show): its description, acceptance criteria, dependencies and notes.
3. Do the work. While it takes long, call task_heartbeat every few minutes so the lease does not expire.
4. Record what you did and learned with note_add: decisions, commands, file names — what the next agent needs.
5. When every acceptance criterion holds, move it on with task_status: "review" (or "done" if nobody reviews). If you cannot finish, call task_release with a note saying why, so another agent can take it.
6. Then take the next task the same way.`;

/** A resource page changed: notify its subscribers no more often than this. */
const NOTIFY_DEBOUNCE_MS = 50;

const RESOURCE_URI = /^bosun:\/\/(task|project|run)\/([^/?#]+)$/;

/**
 * Registers the resources and the prompt. Clients may subscribe to any resource page: after each
 * commit (in this process or another) the subscribed pages are rendered again, and those whose
 * text changed are announced with `notifications/resources/updated` — a run's page changes as its
 * steps progress. Returns what stops the watching.
 */
export function registerResources(
  server: McpServer,
  runtime: Runtime,
  actor: () => string,
): () => void {
  const read = async (operation: string, input: Row): Promise<Row> =>
    (await runtime.runner.run(findOperation(operation)!, input, actor())) as Row;
  /** Each kind of page: the template's parameter, its description, and how it is made. */
  const kinds: Record<
    string,
    { param: string; description: string; render: (id: string) => Promise<string> }
  > = {
    task: {
      param: 'ref',
      description: 'A task: status, lease, dependencies, acceptance criteria and notes',
      render: async (ref) => taskPage(await read('task.show', { task: ref })),
    },
    project: {
      param: 'key',
      description: 'A project with its task counts by status',
      render: async (key) => projectPage(await read('project.show', { project: key })),
    },
    run: {
      param: 'id',
      description: 'A run: status, cost, and each step with its attempts (subscribe to follow it)',
      render: async (id) => runPage(await read('run.show', { run: id })),
    },
  };
  const render = (uri: string): Promise<string> => {
    const match = RESOURCE_URI.exec(uri);
    if (!match) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `uri: not a bosun resource; use bosun://task/{ref}, bosun://project/{key} or bosun://run/{id}`,
      );
    }
    return kinds[match[1]!]!.render(decodeURIComponent(match[2]!));
  };
  for (const [name, kind] of Object.entries(kinds)) {
    server.registerResource(
      name,
      new ResourceTemplate(`bosun://${name}/{${kind.param}}`, { list: undefined }),
      { description: kind.description, mimeType: 'text/markdown' },
      async (uri) => ({
        contents: [{ uri: uri.href, mimeType: 'text/markdown', text: await render(uri.href) }],
      }),
    );
  }

  // ── subscriptions: uri → the text its subscriber saw last
  const subscribed = new Map<string, string>();
  let unwatch: (() => void) | null = null;
  let pending: NodeJS.Timeout | null = null;
  const refresh = async () => {
    pending = null;
    for (const [uri, seen] of subscribed) {
      let text: string;
      try {
        text = await render(uri);
      } catch (error) {
        text = `error: ${(error as Error).message}`;
      }
      if (text !== seen && subscribed.has(uri)) {
        subscribed.set(uri, text);
        await server.server.sendResourceUpdated({ uri }).catch(() => undefined);
      }
    }
  };
  server.server.registerCapabilities({ resources: { subscribe: true } });
  server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    const { uri } = request.params;
    let text: string;
    try {
      text = await render(uri);
    } catch (error) {
      if (error instanceof McpError) throw error;
      throw new McpError(ErrorCode.InvalidParams, `uri: ${(error as Error).message}`);
    }
    subscribed.set(uri, text);
    unwatch ??= runtime.store.watch(() => {
      pending ??= setTimeout(() => void refresh(), NOTIFY_DEBOUNCE_MS);
    });
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    subscribed.delete(request.params.uri);
    if (subscribed.size === 0) stop();
    return {};
  });
  const stop = () => {
    unwatch?.();
    unwatch = null;
    if (pending) clearTimeout(pending);
    pending = null;
  };

  server.registerPrompt(
    'work-next-task',
    {
      description: 'How to work through bosun: claim the next task, work, note, complete, repeat',
      argsSchema: { project: z.string().optional(), agent: z.string().optional() },
    },
    ({ project, agent }) => ({
      messages: [
        {
          role: 'user',
          content: { type: 'text', text: WORK_NEXT_TASK(agent ?? actor(), project) },
        },
      ],
    }),
  );
  return stop;
}
