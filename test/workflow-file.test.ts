import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWorkflowFile, parseWorkflowText } from '../src/app/workflow-file.js';
import type { WorkflowParseOptions } from '../src/domain/workflow-schema.js';
import { BosunError } from '../src/shared/errors.js';
import { catchError } from '../src/testing/catch-error.js';

const options: WorkflowParseOptions = { knownRunners: ['mock', 'shell'] };
const folder = mkdtempSync(join(tmpdir(), 'bosun-workflow-file-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
}

function refusal(text: string, label = 'flow.yaml'): BosunError {
  const error = catchError(() => parseWorkflowText(text, label, options));
  expect(error).toBeInstanceOf(BosunError);
  return error as BosunError;
}

const twoSteps = `name: demo
steps:
  - id: build
    runner: shell
    with:
      command: echo hi
  - id: deploy
    runner: mock
    needs: [build, biuld]
`;

describe('loadWorkflowFile', () => {
  it('reads a YAML file and returns the definition with its absolute path', () => {
    const path = write('ok.yaml', twoSteps.replace(', biuld', ''));
    const loaded = loadWorkflowFile(path, options);
    expect(loaded.file).toBe(resolve(path));
    expect(loaded.definition.name).toBe('demo');
    expect(loaded.definition.steps.map((step) => step.id)).toEqual(['build', 'deploy']);
  });

  it('reads a JSON file', () => {
    const path = write(
      'ok.json',
      JSON.stringify({ name: 'j', steps: [{ id: 'a', runner: 'mock', with: { output: 1 } }] }),
    );
    expect(loadWorkflowFile(path, options).definition.steps[0]!.with).toEqual({ output: 1 });
  });

  it.each(['examples/hello.yaml', 'examples/release.yaml'])('accepts %s', (example) => {
    const { definition } = loadWorkflowFile(example, options);
    expect(definition.steps.length).toBeGreaterThanOrEqual(3);
  });

  it('refuses a missing file with not_found naming the path', () => {
    const path = join(folder, 'nope.yaml');
    const error = catchError(() => loadWorkflowFile(path, options)) as BosunError;
    expect(error).toBeInstanceOf(BosunError);
    expect(error.code).toBe('not_found');
    expect(error.message).toBe(`workflow file '${path}' does not exist`);
  });

  it('refuses a folder', () => {
    const path = join(folder, 'a-folder.yaml');
    mkdirSync(path);
    const error = catchError(() => loadWorkflowFile(path, options)) as BosunError;
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain(`${path}: is a folder, not a workflow file`);
  });

  it('prefixes validation errors with the file and line', () => {
    const path = write('bad.yaml', twoSteps);
    const error = catchError(() => loadWorkflowFile(path, options)) as BosunError;
    expect(error.code).toBe('invalid_input');
    expect(error.message).toBe(
      `${path}:9: steps[1] (deploy).needs[1]: unknown step 'biuld'; did you mean 'build'?`,
    );
    expect(error.details).toMatchObject({
      file: path,
      line: 9,
      path: ['steps', 1, 'needs', 1],
      step: 'deploy',
    });
  });
});

describe('parseWorkflowText', () => {
  it('refuses YAML syntax errors with file:line:col', () => {
    const error = refusal('name: x\nsteps:\n  - id: a\n   runner: mock\n');
    expect(error.code).toBe('invalid_input');
    expect(error.message).toMatch(/^flow\.yaml:4:\d+: not valid YAML: /);
    expect(error.details).toMatchObject({ file: 'flow.yaml', line: 4, rule: expect.any(String) });
  });

  it('refuses a YAML mapping with a repeated key', () => {
    expect(refusal('name: a\nname: b\nsteps: []\n').message).toBe(
      'flow.yaml:2:1: not valid YAML: Map keys must be unique',
    );
  });

  it('points an unknown key at its own line', () => {
    const text = 'name: x\nsteps:\n  - id: a\n    runner: mock\n    timout: 5m\n';
    expect(refusal(text).message).toBe(
      "flow.yaml:5: steps[0] (a).timout: is not a known key; did you mean 'timeout'?",
    );
  });

  it('points a missing key at the object that lacks it', () => {
    expect(refusal('name: x\nsteps:\n  - runner: mock\n    with: {}\n').message).toBe(
      'flow.yaml:3: steps[0].id: is required',
    );
  });

  it('points at the nearest line when the path goes beyond what was written', () => {
    // `needs: c` is one string, so needs[0] has no node of its own; the key's line is used.
    const error = refusal('name: x\nsteps:\n  - id: a\n    runner: mock\n    needs: c\n');
    expect(error.message).toBe("flow.yaml:5: steps[0] (a).needs[0]: unknown step 'c'");
  });

  it('names the line of a cycle and keeps its code', () => {
    const text = `name: x
steps:
  - id: a
    runner: mock
    needs: b
  - id: b
    runner: mock
    needs: a
`;
    const error = refusal(text);
    expect(error.code).toBe('cycle');
    expect(error.message).toBe('flow.yaml:5: steps[0] (a).needs[0]: needs form a cycle: a → b → a');
  });

  it('names the line of a bad template inside a block mapping', () => {
    const text = `name: x
input:
  version: "1"
steps:
  - id: a
    runner: shell
    with:
      env:
        V: "{{ input.verison }}"
`;
    expect(refusal(text).message).toBe(
      'flow.yaml:9: steps[0] (a).with.env.V: references input.verison, which is not declared under input (declared: version)',
    );
  });

  it('refuses an empty file', () => {
    expect(refusal('').message).toBe(
      'flow.yaml: (document): is empty; a workflow needs at least a name and steps',
    );
  });

  it('names the line of a validation error in a JSON file', () => {
    const text = '{\n  "name": "x",\n  "steps": [\n    { "id": "a", "runner": "bash" }\n  ]\n}\n';
    expect(refusal(text, 'flow.json').message).toBe(
      "flow.json:4: steps[0] (a).runner: unknown runner 'bash' (known runners: mock, shell)",
    );
  });

  it('refuses malformed JSON with invalid_json and the line and column', () => {
    const error = refusal('{\n  "name": "x",\n  "steps": []\n  "oops": 1\n}\n', 'flow.json');
    expect(error.code).toBe('invalid_json');
    expect(error.message).toMatch(/^flow\.json:4:3: not valid JSON \(/);
    expect(error.details).toMatchObject({ file: 'flow.json', line: 4, column: 3 });
  });

  it('refuses a YAML alias bomb before expanding it', () => {
    const levels = ['      l0: &l0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      levels.push(
        `      l${i}: &l${i} [${Array(10)
          .fill(`*l${i - 1}`)
          .join(', ')}]`,
      );
    }
    const text = `name: x\nsteps:\n  - id: a\n    runner: mock\n    with:\n${levels.join('\n')}\n`;
    const error = refusal(text);
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('flow.yaml: not valid YAML: Excessive alias count');
  });
});
