/**
 * The pure parts of asking: reading a model's citations back against the passages, and cutting a
 * long text to the stretch that holds the question's words.
 */

import { describe, expect, it } from 'vitest';
import type { AskPassage } from './ask-service.js';
import { excerpt, readCitations } from './ask-service.js';

const passage = (n: number, ref: string, id: string): AskPassage => ({
  n,
  ref,
  source: ref.slice(0, ref.indexOf(':')) as AskPassage['source'],
  id,
  title: `title ${n}`,
  status: 'todo',
  snippet: `snippet ${n}`,
  text: `text ${n}`,
  named: false,
});

const PASSAGES = [
  passage(1, 'task:HOME-12', '01JQ3V7K000000000000000001'),
  passage(2, 'memory:01JQ3V7K', '01JQ3V7K9X00000000000000AB'),
  passage(3, 'run:01JQ4ABC', '01JQ4ABC0000000000000000CD'),
];

describe('reading the citations of an answer', () => {
  it('maps numbers and refs to passages, in the order first cited', () => {
    const read = readCitations(
      'Mount it read-write [2]. The test [Passage 1, 3] and [task:HOME-12] agree.',
      PASSAGES,
    );
    expect(read.text).toBe('Mount it read-write [2]. The test [1, 3] and [1] agree.');
    expect(read.citations.map((citation) => citation.ref)).toEqual([
      'memory:01JQ3V7K',
      'task:HOME-12',
      'run:01JQ4ABC',
    ]);
    expect(read.dropped).toEqual([]);
  });

  it('drops citations of passages that do not exist, keeping the rest of the group', () => {
    const read = readCitations('Fixed [4]. Retried [1, 7] [memory:01ZZZZZZ].', PASSAGES);
    expect(read.text).toBe('Fixed. Retried [1].');
    expect(read.citations.map((citation) => citation.n)).toEqual([1]);
    expect(read.dropped).toEqual(['[4]', '[7]', '[memory:01ZZZZZZ]']);
  });

  it('takes a memory item or run by more of its id, and refs written in prose', () => {
    const read = readCitations(
      'See [memory:01jq3v7k9x] and run:01JQ4ABC; HOME-12 is done, UTF-8 is not a task.',
      PASSAGES,
    );
    expect(read.citations.map((citation) => citation.n)).toEqual([2, 3, 1]);
    expect(read.dropped).toEqual([]);
  });

  it('leaves brackets that are not citations alone', () => {
    const text = 'Tick [x] the box, see [the docs](https://example.com) and [WIP] notes.';
    expect(readCitations(text, PASSAGES)).toEqual({ text, citations: [], dropped: [] });
  });
});

describe('an excerpt of a long text', () => {
  it('is the whole text when it fits', () => {
    expect(excerpt('short text', ['text'], 100)).toBe('short text');
  });

  it('is the stretch holding the most query words, with ellipses where it was cut', () => {
    const filler = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
    const text = `${filler} the restore needs the NAS mounted read-write ${filler}`;
    const cut = excerpt(text, ['restoring', 'NAS'], 120);
    expect(cut.length).toBeLessThanOrEqual(120);
    expect(cut).toMatch(/^….*the restore needs the NAS mounted.*…$/);
  });

  it('is the head of the text when no query word is in it', () => {
    const text = 'alpha '.repeat(100).trim();
    expect(excerpt(text, ['omega'], 30)).toBe(`${'alpha '.repeat(3)}alpha…`);
  });
});
