import { describe, expect, it } from 'vitest';
import { BosunError } from '../shared/errors.js';
import { catchError } from '../testing/catch-error.js';
import type { WorkflowParseOptions } from './workflow-schema.js';
import { parseWorkflowDefinition, resolveWorkflowInput } from './workflow-schema.js';
import { NO_RETRY } from './workflow.js';

const options: WorkflowParseOptions = { knownRunners: ['mock', 'shell'] };

function parse(raw: unknown, parseOptions: WorkflowParseOptions = options) {
  return parseWorkflowDefinition(raw, parseOptions);
}

function refusal(raw: unknown, parseOptions: WorkflowParseOptions = options): BosunError {
  const error = catchError(() => parse(raw, parseOptions));
  expect(error).toBeInstanceOf(BosunError);
  return error as BosunError;
}

/** A workflow of mock steps; each entry's extra keys are merged into its step. */
function workflow(steps: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  return { name: 'test', ...extra, steps: steps.map((step) => ({ runner: 'mock', ...step })) };
}

describe('parseWorkflowDefinition', () => {
  it('normalizes a complete document', () => {
    const definition = parse({
      name: 'release',
      description: 'Ship it',
      input: {
        version: '1.0',
        target: { description: 'where to deploy', default: 'staging' },
        ticket: { required: true },
        note: { required: false },
        options: { default: { dry: true } },
      },
      groups: { deploy: 2 },
      steps: [
        { id: 'build', runner: 'shell', with: { command: 'make VERSION={{ input.version }}' } },
        {
          id: 'deploy',
          agent: 'ops',
          input: { artifact: '{{ steps.build.output }}', ticket: '{{ input.ticket }}' },
          needs: 'build',
          approval: 'before',
          on_reject: 'retry',
          retry: { attempts: 3, backoff: '2s', factor: 3, max_backoff: '1m' },
          timeout: '10m',
          concurrency: 'deploy',
        },
      ],
    });
    expect(definition).toEqual({
      name: 'release',
      description: 'Ship it',
      inputs: {
        version: { description: '', default: '1.0' },
        target: { description: 'where to deploy', default: 'staging' },
        ticket: { description: '' },
        note: { description: '', default: null },
        options: { description: '', default: { dry: true } },
      },
      steps: [
        {
          id: 'build',
          runner: 'shell',
          agent: null,
          role: null,
          with: { command: 'make VERSION={{ input.version }}' },
          input: null,
          needs: [],
          approval: null,
          onReject: 'fail',
          retry: NO_RETRY,
          timeoutMs: null,
          group: null,
          groupLimit: null,
          taskId: null,
        },
        {
          id: 'deploy',
          runner: null,
          agent: 'ops',
          role: null,
          with: {},
          input: { artifact: '{{ steps.build.output }}', ticket: '{{ input.ticket }}' },
          needs: ['build'],
          approval: 'before',
          onReject: 'retry',
          retry: { attempts: 3, backoffMs: 2_000, factor: 3, maxBackoffMs: 60_000 },
          timeoutMs: 600_000,
          group: 'deploy',
          groupLimit: 2,
          taskId: null,
        },
      ],
    });
  });

  it('orders steps after their needs, keeping definition order wherever it already holds', () => {
    const definition = parse(
      workflow([
        { id: 'report', needs: ['test', 'lint'] },
        { id: 'setup' },
        { id: 'test', needs: 'build' },
        { id: 'build', needs: 'setup' },
        { id: 'lint' },
        { id: 'docs' },
      ]),
    );
    expect(definition.steps.map((step) => step.id)).toEqual([
      'setup',
      'build',
      'test',
      'lint',
      'report',
      'docs',
    ]);
    const ordered = parse(workflow([{ id: 'a' }, { id: 'c' }, { id: 'b', needs: 'a' }]));
    expect(ordered.steps.map((step) => step.id)).toEqual(['a', 'c', 'b']);
  });

  it('accepts needs as one string and drops repeated entries', () => {
    const definition = parse(workflow([{ id: 'a' }, { id: 'b', needs: ['a', 'a'] }]));
    expect(definition.steps[1]!.needs).toEqual(['a']);
  });

  it('normalizes retry: a bare number, defaults, one attempt, and a backoff above the cap', () => {
    const definition = parse(
      workflow([
        { id: 'a', retry: 4 },
        { id: 'b', retry: { attempts: 1, backoff: '9s' } },
        { id: 'c', retry: { attempts: 2, backoff: '10m' } },
      ]),
    );
    expect(definition.steps.map((step) => step.retry)).toEqual([
      { attempts: 4, backoffMs: 1_000, factor: 2, maxBackoffMs: 300_000 },
      NO_RETRY,
      { attempts: 2, backoffMs: 600_000, factor: 2, maxBackoffMs: 600_000 },
    ]);
  });

  it('gives an undeclared concurrency group a limit of 1', () => {
    const definition = parse(workflow([{ id: 'a', concurrency: 'gpu' }], { groups: { db: 3 } }));
    expect(definition.steps[0]).toMatchObject({ group: 'gpu', groupLimit: 1 });
  });

  it('accepts role instead of runner, and any agent when no agents are known', () => {
    const definition = parse({
      name: 'x',
      steps: [
        { id: 'a', role: 'reviewer' },
        { id: 'b', agent: 'anyone' },
      ],
    });
    expect(definition.steps.map((step) => [step.runner, step.agent, step.role])).toEqual([
      [null, null, 'reviewer'],
      [null, 'anyone', null],
    ]);
  });

  it('accepts a template reading a step that is upstream through other steps', () => {
    expect(() =>
      parse(
        workflow([
          { id: 'a' },
          { id: 'b', needs: 'a' },
          { id: 'c', needs: 'b', input: '{{ steps.a.output.x }}' },
        ]),
      ),
    ).not.toThrow();
  });

  it('validates a 10,000-step chain whose steps read upstream outputs', () => {
    const steps = Array.from({ length: 10_000 }, (_, i) => ({
      id: `s${i}`,
      runner: 'mock',
      needs: i > 0 ? [`s${i - 1}`] : [],
      with: { output: i > 1 ? '{{ steps.s0.output }} {{ steps.s' + (i - 1) + '.output }}' : 'x' },
    }));
    const definition = parse({ name: 'long', steps: steps.reverse() });
    expect(definition.steps).toHaveLength(10_000);
    expect(definition.steps[0]!.id).toBe('s0');
    expect(definition.steps[9_999]!.id).toBe('s9999');
  });
});

describe('parseWorkflowDefinition refusals', () => {
  it('refuses an empty document', () => {
    const error = refusal(null);
    expect(error.message).toBe('(document): is empty; a workflow needs at least a name and steps');
    expect(error.details['path']).toEqual([]);
  });

  it('refuses a document that is not a mapping', () => {
    expect(refusal(['a']).message).toBe('(document): must be a mapping (key: value), not a list');
  });

  it('refuses an unknown key, suggesting the one meant', () => {
    const error = refusal(workflow([{ id: 'build', need: ['x'] }]));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toBe("steps[0] (build).need: is not a known key; did you mean 'needs'?");
    expect(error.details).toEqual({
      path: ['steps', 0, 'need'],
      step: 'build',
      field: 'steps.0.need',
      rule: "is not a known key; did you mean 'needs'?",
    });
  });

  it('lists the known keys when no key is close', () => {
    expect(refusal({ ...workflow([{ id: 'a' }]), owner: 'me' }).message).toBe(
      'owner: is not a known key; known keys: name, description, input, groups, steps',
    );
  });

  it('reports the problem that comes first in the document', () => {
    const error = refusal({
      name: 'x',
      steps: [{ id: 'a', runner: 'mock', timeout: 5 }, { id: 'b' }],
      extra: true,
    });
    expect(error.message).toBe(
      'steps[0] (a).timeout: must be a duration such as 90s, 15m or 1h30m',
    );
  });

  it.each([
    [{ steps: [{ id: 'a', runner: 'mock' }] }, 'name: is required'],
    [{ name: '  ', steps: [{ id: 'a', runner: 'mock' }] }, 'name: must not be empty'],
    [{ name: 'x'.repeat(101), steps: [] }, 'name: must be at most 100 characters'],
    [{ name: 'x', steps: [] }, 'steps: must list at least one step'],
    [{ name: 'x', steps: 'build' }, 'steps: must be a list, not a string'],
    [
      workflow([{ id: 'Build' }]),
      "steps[0] (Build).id: must be 1-64 lower-case letters, digits, '-' or '_', starting with a letter",
    ],
    [workflow([{ runner: 'mock' }]), 'steps[0].id: is required'],
    [workflow([{ id: 'a', needs: 3 }]), 'steps[0] (a).needs: must be a list, not a number'],
    [
      workflow([{ id: 'a', with: 'make' }]),
      'steps[0] (a).with: must be a mapping (key: value), not a string',
    ],
    [
      workflow([{ id: 'a', approval: 'during' }]),
      'steps[0] (a).approval: must be one of before, after',
    ],
    [
      workflow([{ id: 'a', timeout: '10 minutes' }]),
      "steps[0] (a).timeout: '10 minutes' is not a duration; use e.g. 90s, 15m, 2h, 1d or 1h30m",
    ],
    [
      workflow([{ id: 'a', retry: 0 }]),
      'steps[0] (a).retry.attempts: must be at least 1 (the first try counts)',
    ],
    [workflow([{ id: 'a', retry: 101 }]), 'steps[0] (a).retry.attempts: must be at most 100'],
    [
      workflow([{ id: 'a', retry: 'often' }]),
      'steps[0] (a).retry: must be a number of attempts or a mapping with attempts, backoff, factor, max_backoff',
    ],
    [
      workflow([{ id: 'a', retry: { attempts: 2, backof: '1s' } }]),
      "steps[0] (a).retry.backof: is not a known key; did you mean 'backoff'?",
    ],
    [
      workflow([{ id: 'a', with: { n: [1, Infinity] } }]),
      'steps[0] (a).with.n[1]: must be a finite number',
    ],
    [
      workflow([{ id: 'a', input: { at: new Date(0) } }]),
      'steps[0] (a).input.at: is not a JSON value',
    ],
    [
      workflow([{ id: 'a' }], { input: { 'my input': 1 } }),
      "input.my input: must be 1-64 letters, digits, '-' or '_', starting with a letter or '_'",
    ],
    [
      workflow([{ id: 'a' }], { input: { v: { default: 1, requried: true } } }),
      "input.v.requried: is not a known key; did you mean 'required'?",
    ],
    [workflow([{ id: 'a' }], { groups: { deploy: 0 } }), 'groups.deploy: must be at least 1'],
  ])('refuses a schema violation: %j', (raw, message) => {
    const error = refusal(raw);
    expect(error.code).toBe('invalid_input');
    expect(error.message).toBe(message);
  });

  it('refuses a duplicate step id at its second use', () => {
    const error = refusal(workflow([{ id: 'a' }, { id: 'b' }, { id: 'a' }]));
    expect(error.message).toBe("steps[2] (a).id: duplicate step id 'a' (already used by steps[0])");
    expect(error.details['path']).toEqual(['steps', 2, 'id']);
  });

  it('refuses a step with neither runner, agent nor role', () => {
    expect(refusal({ name: 'x', steps: [{ id: 'a' }] }).message).toBe(
      'steps[0] (a): must set one of runner, agent or role',
    );
  });

  it('refuses a step that sets both a runner and an agent or role', () => {
    expect(refusal(workflow([{ id: 'a', role: 'coder' }])).message).toBe(
      'steps[0] (a).role: cannot be combined with runner; set exactly one of runner, agent or role',
    );
    expect(refusal({ name: 'x', steps: [{ id: 'a', agent: 'ana', role: 'coder' }] }).message).toBe(
      'steps[0] (a).role: cannot be combined with agent; set exactly one of runner, agent or role',
    );
  });

  it('refuses an unknown runner, listing the known ones', () => {
    const error = refusal({ name: 'x', steps: [{ id: 'a', runner: 'bash' }] });
    expect(error.message).toBe(
      "steps[0] (a).runner: unknown runner 'bash' (known runners: mock, shell)",
    );
    expect(error.details['path']).toEqual(['steps', 0, 'runner']);
  });

  it('refuses an unknown agent when the known agents are given', () => {
    const raw = { name: 'x', steps: [{ id: 'a', agent: 'bob' }] };
    expect(refusal(raw, { ...options, knownAgents: ['ana', 'cy'] }).message).toBe(
      "steps[0] (a).agent: unknown agent 'bob' (known agents: ana, cy)",
    );
    expect(refusal(raw, { ...options, knownAgents: [] }).message).toBe(
      "steps[0] (a).agent: unknown agent 'bob' (no agents are defined)",
    );
  });

  it('refuses on_reject without an approval', () => {
    expect(refusal(workflow([{ id: 'a', on_reject: 'skip' }])).message).toBe(
      'steps[0] (a).on_reject: applies only to a step with approval (set approval: before or after)',
    );
  });

  it('refuses a max_backoff shorter than the backoff', () => {
    const error = refusal(
      workflow([{ id: 'a', retry: { attempts: 3, backoff: '1m', max_backoff: '30s' } }]),
    );
    expect(error.message).toBe('steps[0] (a).retry.max_backoff: must not be shorter than backoff');
  });

  it('refuses a needs entry naming an unknown step, suggesting a close one', () => {
    const error = refusal(workflow([{ id: 'build' }, { id: 'deploy', needs: ['build', 'biuld'] }]));
    expect(error.message).toBe(
      "steps[1] (deploy).needs[1]: unknown step 'biuld'; did you mean 'build'?",
    );
    expect(error.details).toEqual({
      path: ['steps', 1, 'needs', 1],
      step: 'deploy',
      field: 'steps.1.needs.1',
      rule: "unknown step 'biuld'; did you mean 'build'?",
    });
    expect(refusal(workflow([{ id: 'a', needs: 'zzz' }])).message).toBe(
      "steps[0] (a).needs[0]: unknown step 'zzz'",
    );
  });

  it('refuses a step that needs itself', () => {
    expect(refusal(workflow([{ id: 'a', needs: 'a' }])).message).toBe(
      'steps[0] (a).needs[0]: a step cannot need itself',
    );
  });

  it('refuses a dependency cycle with code cycle, naming the whole loop', () => {
    const error = refusal(
      workflow([
        { id: 'start' },
        { id: 'b', needs: ['start', 'c'] },
        { id: 'c', needs: 'd' },
        { id: 'd', needs: 'b' },
      ]),
    );
    expect(error.code).toBe('cycle');
    expect(error.message).toBe('steps[1] (b).needs[1]: needs form a cycle: b → c → d → b');
    expect(error.details).toMatchObject({
      path: ['steps', 1, 'needs', 1],
      step: 'b',
      cycle: ['b', 'c', 'd', 'b'],
    });
  });

  it('refuses a malformed template expression, naming where it is', () => {
    const error = refusal(workflow([{ id: 'a', with: { args: ['x', '{{ input.v | upper }}'] } }]));
    expect(error.message).toBe(
      "steps[0] (a).with.args[1]: '{{ input.v | upper }}' is not a template expression; " +
        'use {{ input.NAME }} or {{ steps.STEP_ID.output }}, optionally followed by .key or .0 segments',
    );
    expect(error.details['path']).toEqual(['steps', 0, 'with', 'args', 1]);
  });

  it('refuses a template reading an undeclared input', () => {
    expect(refusal(workflow([{ id: 'a', input: '{{ input.v }}' }])).message).toBe(
      'steps[0] (a).input: references input.v, but the workflow declares no inputs (add it under input)',
    );
    const declared = workflow([{ id: 'a', with: { c: '{{ input.vesion }}' } }], {
      input: { version: 1, target: 'x' },
    });
    expect(refusal(declared).message).toBe(
      'steps[0] (a).with.c: references input.vesion, which is not declared under input (declared: version, target)',
    );
  });

  it('refuses a template reading a step that does not exist', () => {
    expect(
      refusal(workflow([{ id: 'build' }, { id: 'b', input: '{{ steps.biuld.output }}' }])).message,
    ).toBe(
      "steps[1] (b).input: references steps.biuld, which is not a step; did you mean 'build'?",
    );
  });

  it('refuses a template reading its own step output', () => {
    expect(refusal(workflow([{ id: 'a', input: 'x {{ steps.a.output }}' }])).message).toBe(
      'steps[0] (a).input: references its own output (steps.a)',
    );
  });

  it('refuses a template reading a step that is not upstream', () => {
    const error = refusal(
      workflow([
        { id: 'build' },
        { id: 'test', needs: 'build' },
        { id: 'deploy', needs: 'build', with: { note: '{{ steps.test.output.summary }}' } },
        { id: 'notify', needs: 'deploy', input: '{{ steps.deploy.output }}' },
      ]),
    );
    expect(error.message).toBe(
      "steps[2] (deploy).with.note: references steps.test, which is not among this step's needs (add it to needs)",
    );
    expect(error.details['path']).toEqual(['steps', 2, 'with', 'note']);
  });

  it('refuses a template reading a step that comes later', () => {
    expect(
      refusal(workflow([{ id: 'a', input: '{{ steps.b.output }}' }, { id: 'b' }])).message,
    ).toBe(
      "steps[0] (a).input: references steps.b, which is not among this step's needs (add it to needs)",
    );
  });

  it('refuses a default on an input marked required', () => {
    expect(
      refusal(workflow([{ id: 'a' }], { input: { v: { required: true, default: 1 } } })).message,
    ).toBe('input.v.required: cannot be true when a default is given');
  });
});

describe('resolveWorkflowInput', () => {
  const definition = parse(
    workflow([{ id: 'a' }], {
      input: {
        version: '1.0',
        ticket: { required: true, description: 'the ticket to close' },
        flag: { required: true },
      },
    }),
  );

  it('applies defaults and keeps given values', () => {
    expect(resolveWorkflowInput(definition, { ticket: 'T-1', flag: false })).toEqual({
      version: '1.0',
      ticket: 'T-1',
      flag: false,
    });
    expect(resolveWorkflowInput(definition, { version: null, ticket: 'T', flag: 1 })).toEqual({
      version: null,
      ticket: 'T',
      flag: 1,
    });
  });

  it('refuses an input the workflow does not declare', () => {
    const error = catchError(() =>
      resolveWorkflowInput(definition, { ticket: 'T', flag: 1, versoin: '2' }),
    ) as BosunError;
    expect(error.code).toBe('invalid_input');
    expect(error.message).toBe(
      "input.versoin: is not an input of workflow 'test' (inputs: version, ticket, flag)",
    );
    expect(error.details).toEqual({
      field: 'input.versoin',
      rule: "is not an input of workflow 'test' (inputs: version, ticket, flag)",
    });
    const none = parse(workflow([{ id: 'a' }]));
    expect((catchError(() => resolveWorkflowInput(none, { x: 1 })) as BosunError).message).toBe(
      "input.x: is not an input of workflow 'test' (it declares no inputs)",
    );
  });

  it('refuses a missing required input, quoting its description', () => {
    const error = catchError(() => resolveWorkflowInput(definition, { flag: 1 })) as BosunError;
    expect(error.message).toBe('input.ticket: is required (the ticket to close)');
    expect(error.details['field']).toBe('input.ticket');
    expect(
      (catchError(() => resolveWorkflowInput(definition, { ticket: 'T' })) as BosunError).message,
    ).toBe('input.flag: is required');
  });
});
