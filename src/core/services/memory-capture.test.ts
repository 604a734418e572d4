import { describe, expect, it } from 'vitest';
import {
  EXTRACTIVE_NOTICE,
  HANDOFF_MAX_CHARS,
  RAW_MAX_CHARS,
  capText,
  condenseForHandoff,
  extractiveProjectSummary,
  extractiveTaskSummary,
  rawInteractionText,
  rollUpOf,
  stepFeatures,
} from './memory-capture.js';

const task = {
  ref: 'SHIP-7',
  title: 'Write the CSV exporter',
  description: 'Export the orders as CSV to out/orders.csv.\n\nSecond paragraph not shown.',
  acceptance: ['out/orders.csv has a header row', 'dates are ISO 8601'],
};

describe('extractiveTaskSummary', () => {
  it('says what was asked, how it is accepted and the facts its notes add, marked extractive', () => {
    const notes = [
      {
        body: [
          'Run 01J0000000000000000000000 step SHIP-7 succeeded (attempt 1).',
          '',
          '{',
          '  "title": "Write the CSV exporter",',
          '  "ref": "SHIP-7",',
          '  "result": "Wrote src/export/csv.ts and a test in test/csv.test.ts",',
          '  "note": "ERROR E_LATIN1: invalid byte sequence fixed by decoding with iconv-lite"',
          '}',
          'I think it went fine overall.',
        ].join('\n'),
      },
    ];
    const { text, digest } = extractiveTaskSummary(task, notes, '2026-03-04T05:06:07.000Z');
    expect(text.split('\n').slice(0, 2)).toEqual([
      'SHIP-7 Write the CSV exporter — done 2026-03-04',
      EXTRACTIVE_NOTICE,
    ]);
    expect(text).toContain('Asked: Export the orders as CSV to out/orders.csv.');
    expect(text).not.toContain('Second paragraph');
    expect(text).toContain('Acceptance:\n- out/orders.csv has a header row\n- dates are ISO 8601');
    expect(text).toContain('src/export/csv.ts');
    expect(text).toContain('E_LATIN1');
    expect(text).toContain('Run 01J0000000000000000000000 step SHIP-7 succeeded');
    // What the task says already is not repeated as a "fact" of its notes, nor is chatter.
    expect(text).not.toContain('"title"');
    expect(text).not.toContain('"ref"');
    expect(text).not.toContain('went fine');
    expect(digest).toContain('E_LATIN1');
  });

  it('falls back to the acceptance, then the ask, for its one-line digest', () => {
    expect(extractiveTaskSummary(task, [], '2026-03-04T00:00:00.000Z').digest).toBe(
      'out/orders.csv has a header row',
    );
    expect(
      extractiveTaskSummary({ ...task, acceptance: [] }, [], '2026-03-04T00:00:00.000Z').digest,
    ).toBe('Export the orders as CSV to out/orders.csv.');
  });

  it('keeps the last lines of the latest note when no line carries a fact', () => {
    const { text } = extractiveTaskSummary(
      { ...task, description: '', acceptance: [] },
      [{ body: 'looked around\nall good here\nnothing more' }],
      '2026-03-04T00:00:00.000Z',
    );
    expect(text).toContain(
      'Key lines from its notes:\n- looked around\n- all good here\n- nothing more',
    );
  });
});

describe('project roll-up', () => {
  it('lists the latest done tasks with their digests and counts the rest', () => {
    const text = extractiveProjectSummary(
      { key: 'SHIP', name: 'Shipping' },
      {
        tasksDone: 3,
        tasks: [
          { id: 'b', ref: 'SHIP-2', title: 'Review', done: '2026-03-05', digest: '' },
          { id: 'a', ref: 'SHIP-1', title: 'Write', done: '2026-03-04', digest: 'wrote csv.ts' },
        ],
      },
    );
    expect(text).toBe(
      [
        'SHIP Shipping — 3 tasks done',
        EXTRACTIVE_NOTICE,
        '',
        'The latest 2:',
        '- SHIP-2 Review (done 2026-03-05)',
        '- SHIP-1 Write (done 2026-03-04): wrote csv.ts',
      ].join('\n'),
    );
  });

  it('reads a previous summary’s metadata defensively', () => {
    expect(rollUpOf(undefined)).toEqual({ tasksDone: 0, tasks: [] });
    expect(rollUpOf({ tasks: [{ id: 'a', ref: 'X-1' }, 'junk', null], tasksDone: 'x' })).toEqual({
      tasksDone: 1,
      tasks: [{ id: 'a', ref: 'X-1' }],
    });
  });
});

describe('raw interactions', () => {
  it('renders an output like a prompt shows it and skips empty ones', () => {
    expect(rawInteractionText({ ok: true, output: { files: ['a.ts'], ok: true } })).toBe(
      'files:\n  - a.ts\nok: true',
    );
    expect(rawInteractionText({ ok: true, output: null })).toBeNull();
    expect(rawInteractionText({ ok: true, output: '  \n' })).toBeNull();
  });

  it('keeps a failure’s message and output tail', () => {
    expect(
      rawInteractionText({
        ok: false,
        failure: {
          kind: 'timeout',
          message: 'timed out after 5 ms',
          retryable: true,
          outputTail: 'last line',
        },
      }),
    ).toBe('Failed (timeout): timed out after 5 ms\n\nlast line');
  });

  it('caps a long output at its start and end, saying how much was cut', () => {
    const long = `${'a'.repeat(20_000)}END`;
    const capped = rawInteractionText({ ok: true, output: long })!;
    expect(capped.length).toBeLessThanOrEqual(RAW_MAX_CHARS);
    expect(capped.startsWith('aaa')).toBe(true);
    expect(capped.endsWith('END')).toBe(true);
    expect(capped).toMatch(/\[… \d+ characters cut …\]/);
    expect(capText('short', 10)).toBe('short');
  });
});

describe('condenseForHandoff', () => {
  it('passes a short output whole', () => {
    expect(condenseForHandoff('  built 3 files  ')).toBe('built 3 files');
  });

  it('keeps the lines of a long output that carry facts, its ends, and marks the gaps', () => {
    const noise = Array.from(
      { length: 300 },
      (_, i) => `[2025-01-02T10:00:00Z] DEBUG poll tick ${i}`,
    );
    const text = [
      'Starting the export check',
      ...noise.slice(0, 150),
      'ERROR E_EXPORT_17: invalid byte sequence in fixtures/latin1.csv',
      ...noise.slice(150),
      'Decision: use iconv-lite to decode the exporter input',
      'done',
    ].join('\n');
    const condensed = condenseForHandoff(text);
    expect(condensed.length).toBeLessThanOrEqual(HANDOFF_MAX_CHARS);
    expect(condensed.split('\n')).toEqual([
      'Starting the export check',
      '[… 150 lines omitted]',
      'ERROR E_EXPORT_17: invalid byte sequence in fixtures/latin1.csv',
      '[… 150 lines omitted]',
      'Decision: use iconv-lite to decode the exporter input',
      'done',
    ]);
  });
});

describe('stepFeatures', () => {
  it('takes the role from the step, the tags and size from its task, else the input’s length', () => {
    const step = { spec: { role: 'coder' } } as Parameters<typeof stepFeatures>[0];
    expect(stepFeatures(step, { tags: ['db', 'api', 'db'], estimate: 3 }, null)).toEqual({
      role: 'coder',
      tags: ['api', 'db'],
      size: 'medium',
    });
    expect(stepFeatures(step, undefined, 'x'.repeat(20_000))).toEqual({
      role: 'coder',
      tags: [],
      size: 'large',
    });
  });
});
