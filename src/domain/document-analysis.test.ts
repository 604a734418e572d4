import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DocAnalysisResultSchema } from './document.js';
import {
  analysisPrompt,
  datesIn,
  extractiveAnalysis,
  MODEL_TEXT_CHARS,
  readAnalysisAnswer,
} from './document-analysis.js';

describe('datesIn', () => {
  it('reads ISO dates and day-month-year and month-day-year with the month in words', () => {
    expect(
      datesIn('Ship by 2027-03-12, review 12 March 2027, sign March 14, 2027 and 1st Feb. 2028.'),
    ).toEqual(['2027-03-12', '2027-03-12', '2027-03-14', '2028-02-01']);
  });

  it('skips impossible days and forms that name no year', () => {
    expect(
      datesIn('by 2027-02-30, by 31 April 2027, by Friday, by 12/03/2027, by March 12'),
    ).toEqual([]);
  });
});

describe('extractiveAnalysis', () => {
  const TEXT = [
    '# Minutes',
    'The new office opens in spring and the move is planned in detail.',
    'The landlord might delay the keys.',
    'We agreed to hire movers.',
    '- [ ] Book the van by 2027-04-01',
    '- [x] Pack the archive',
    'Ana will call the landlord. TODO: update the address @bob',
    'The lease is due 30 June 2027.',
  ].join('\n');

  it('finds deadlines, actions, risks and decisions by keywords', () => {
    const result = extractiveAnalysis(TEXT);
    expect(result.deadlines).toEqual([
      { what: 'Book the van by 2027-04-01', date: '2027-04-01' },
      { what: 'The lease is due 30 June 2027.', date: '2027-06-30' },
    ]);
    expect(result.actions).toEqual([
      { title: 'Book the van by 2027-04-01', owner: null, due: '2027-04-01' },
      { title: 'Ana will call the landlord.', owner: 'Ana', due: null },
      { title: 'update the address @bob', owner: 'bob', due: null },
    ]);
    expect(result.risks.map((risk) => [risk.title, risk.likelihood, risk.impact])).toEqual([
      ['The landlord might delay the keys.', 3, 3],
    ]);
    expect(result.decisions).toEqual(['We agreed to hire movers.']);
    expect(result.summary).toContain('The new office opens in spring');
  });

  it('gives a valid, deterministic analysis of any text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        const result = extractiveAnalysis(text);
        expect(DocAnalysisResultSchema.safeParse(result).success).toBe(true);
        expect(extractiveAnalysis(text)).toEqual(result);
      }),
      { numRuns: 200 },
    );
  });
});

describe('readAnalysisAnswer', () => {
  const valid = { summary: 'Fine.', risks: [], actions: [], decisions: [], deadlines: [] };

  it('reads the JSON object inside a code fence, filling lists left out', () => {
    const read = readAnalysisAnswer(`\`\`\`json\n${JSON.stringify({ summary: 'Fine.' })}\n\`\`\``);
    expect(read).toEqual({ ok: true, result: valid });
  });

  it('names each field that breaks a rule', () => {
    const read = readAnalysisAnswer(
      JSON.stringify({
        ...valid,
        risks: [{ title: 'x', likelihood: 7, impact: 2 }],
        deadlines: [{ what: 'y', date: '2027-13-01' }],
      }),
    );
    expect(read.ok).toBe(false);
    expect(!read.ok && read.problems).toBe(
      'risks.0.likelihood: must be a whole number from 1 to 5; deadlines.0.date: must be a real calendar date',
    );
    expect(readAnalysisAnswer('sure!')).toEqual({ ok: false, problems: 'it holds no JSON object' });
    expect(readAnalysisAnswer('{"summary": }')).toEqual({
      ok: false,
      problems: 'it is not valid JSON',
    });
  });
});

it('gives a model only the start of a long text, and says so', () => {
  const doc = { ref: 'HOME-D1', title: 'Long', fileName: 'long.txt' };
  const { prompt, cut } = analysisPrompt(doc, 'x'.repeat(MODEL_TEXT_CHARS + 10));
  expect(cut).toBe(true);
  expect(prompt).toContain(`Only its first ${MODEL_TEXT_CHARS} characters follow.`);
  expect(prompt).not.toContain('x'.repeat(MODEL_TEXT_CHARS + 1));
});
