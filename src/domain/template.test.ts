import { describe, expect, it } from 'vitest';
import { BosunError } from '../shared/errors.js';
import { catchError } from '../testing/catch-error.js';
import type { TemplateScope } from './template.js';
import { listReferencedSteps, renderTemplate, templateReferences } from './template.js';

const scope: TemplateScope = {
  input: { version: '1.2', count: 3, flags: { dry: true }, empty: null },
  steps: {
    build: { output: { artifact: 'app.tar', files: ['a.js', 'b.js'], size: 42 } },
    'lint-all': { output: 'clean' },
  },
};

describe('templateReferences', () => {
  it('finds input and step references at any depth, with where each one sits', () => {
    const references = templateReferences({
      command: 'deploy {{ input.version }}',
      nested: { list: ['x', '{{steps.build.output.files.0}} and {{ steps.lint-all.output }}'] },
    });
    expect(references).toEqual([
      {
        kind: 'input',
        name: 'version',
        path: [],
        at: ['command'],
        expression: '{{ input.version }}',
      },
      {
        kind: 'step',
        step: 'build',
        path: ['files', 0],
        at: ['nested', 'list', 1],
        expression: '{{steps.build.output.files.0}}',
      },
      {
        kind: 'step',
        step: 'lint-all',
        path: [],
        at: ['nested', 'list', 1],
        expression: '{{ steps.lint-all.output }}',
      },
    ]);
  });

  it('returns nothing for values without templates', () => {
    expect(templateReferences({ a: [1, true, null, 'plain {text}'] })).toEqual([]);
  });

  it.each([
    ['an unknown root', '{{ env.HOME }}', 'is not a template expression'],
    ['a step reference without .output', '{{ steps.build }}', 'is not a template expression'],
    ['a filter', '{{ input.version | upper }}', 'is not a template expression'],
    ['code', '{{ input.count + 1 }}', 'is not a template expression'],
    ['an empty expression', 'x {{  }} y', 'is an empty template expression'],
    ['an unclosed expression', 'deploy {{ input.version', "'{{' is never closed with '}}'"],
  ])('refuses %s, naming where it is', (_label, text, rule) => {
    const error = catchError(() => templateReferences({ steps: [{ run: text }] }));
    expect(error).toBeInstanceOf(BosunError);
    const bosunError = error as BosunError;
    expect(bosunError.code).toBe('invalid_input');
    expect(bosunError.details['path']).toEqual(['steps', 0, 'run']);
    expect(bosunError.details['rule']).toContain(rule);
    expect(bosunError.message).toContain('steps.0.run: ');
  });

  it('reads a backslash before {{ as a literal {{', () => {
    expect(templateReferences("docker inspect --format '\\{{.State.Status}}'")).toEqual([]);
  });
});

describe('listReferencedSteps', () => {
  it('lists each referenced step once, in order of first appearance', () => {
    expect(
      listReferencedSteps({
        a: '{{ steps.test.output }} {{ input.version }}',
        b: ['{{ steps.build.output.x }}', '{{ steps.test.output.y }}'],
      }),
    ).toEqual(['test', 'build']);
  });
});

describe('renderTemplate', () => {
  it('replaces a whole-value expression with the referenced value itself', () => {
    expect(renderTemplate('{{ steps.build.output }}', scope)).toEqual(scope.steps['build']!.output);
    expect(renderTemplate('{{ input.count }}', scope)).toBe(3);
    expect(renderTemplate('{{input.flags}}', scope)).toEqual({ dry: true });
  });

  it('interpolates strings as-is, other values as JSON and null as nothing', () => {
    expect(
      renderTemplate(
        'v={{ input.version }} n={{ input.count }} f={{ input.flags }} e=[{{ input.empty }}] ' +
          'files={{ steps.build.output.files }}',
        scope,
      ),
    ).toBe('v=1.2 n=3 f={"dry":true} e=[] files=["a.js","b.js"]');
  });

  it('follows key and index paths', () => {
    expect(renderTemplate('{{ steps.build.output.files.1 }}', scope)).toBe('b.js');
    expect(renderTemplate('size {{ steps.build.output.size }}', scope)).toBe('size 42');
  });

  it('renders a path that does not exist as null in whole position and empty inside text', () => {
    expect(renderTemplate('{{ steps.build.output.missing.deeper }}', scope)).toBeNull();
    expect(renderTemplate('{{ steps.build.output.files.9 }}', scope)).toBeNull();
    expect(renderTemplate('{{ steps.build.output.files.name }}', scope)).toBeNull();
    expect(renderTemplate('{{ steps.lint-all.output.x }}', scope)).toBeNull();
    expect(renderTemplate('{{ steps.never-ran.output }}', scope)).toBeNull();
    expect(renderTemplate('[{{ steps.build.output.missing }}]', scope)).toBe('[]');
  });

  it('never reaches into JavaScript object internals', () => {
    expect(renderTemplate('{{ input.flags.constructor }}', scope)).toBeNull();
    expect(renderTemplate('{{ input.flags.__proto__ }}', scope)).toBeNull();
    expect(renderTemplate('{{ input.toString }}', scope)).toBeNull();
  });

  it('renders objects and lists recursively, leaving keys alone', () => {
    expect(
      renderTemplate(
        { '{{ input.version }}': ['{{ input.count }}', { deep: 'v{{ input.version }}' }, 7] },
        scope,
      ),
    ).toEqual({ '{{ input.version }}': [3, { deep: 'v1.2' }, 7] });
  });

  it('returns values without templates unchanged and unallocated', () => {
    const value = { command: 'make', env: { A: '1' }, args: ['x', 2, null, false] };
    expect(renderTemplate(value, scope)).toBe(value);
    const partly = { keep: { a: 'x' }, change: '{{ input.count }}' };
    const rendered = renderTemplate(partly, scope) as Record<string, unknown>;
    expect(rendered).toEqual({ keep: { a: 'x' }, change: 3 });
    expect(rendered['keep']).toBe(partly.keep);
  });

  it('writes \\{{ as a literal {{ and leaves a lone }} alone', () => {
    expect(renderTemplate("--format '\\{{.State}}' {{ input.version }} }}", scope)).toBe(
      "--format '{{.State}}' 1.2 }}",
    );
  });

  it('treats a string with text around a single expression as interpolation', () => {
    expect(renderTemplate(' {{ input.count }}', scope)).toBe(' 3');
    expect(renderTemplate('{{ input.count }}{{ input.count }}', scope)).toBe('33');
  });

  it('refuses a malformed expression at render time too', () => {
    const error = catchError(() => renderTemplate({ a: '{{ nope }}' }, scope)) as BosunError;
    expect(error.code).toBe('invalid_input');
    expect(error.details['path']).toEqual(['a']);
  });
});
