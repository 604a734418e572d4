import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BosunError } from './errors.js';
import { parseJson, stableStringify, tryParseJson } from './json.js';
import { catchError } from '../testing/catch-error.js';

/** Compact JSON written by hand, object keys in code-unit order, arrays in their own order. */
function sortedReference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedReference).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const entries = Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${sortedReference(record[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * JSON values as a document holds them. fc.jsonValue() may produce -0, which no JSON text can
 * carry (JSON.stringify writes it as 0), so values are passed once through JSON first.
 */
const jsonDocument = fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)) as unknown);

describe('parseJson', () => {
  it('parses a well-formed document', () => {
    expect(parseJson('{"a":[1,"x",null,true]}', 'workspace.json')).toEqual({
      a: [1, 'x', null, true],
    });
  });

  it.each(['{"a":', '', 'undefined', "{'a':1}", '{"a":1,}', '[1 2]'])(
    'refuses the malformed document %j as invalid JSON naming its source',
    (text) => {
      const error = catchError(() => parseJson(text, 'workspace.json'));
      expect(error).toBeInstanceOf(BosunError);
      const bosunError = error as BosunError;
      // docs/decisions/0001: text that is not JSON at all has its own code, apart from
      // `invalid_input` (JSON that breaks a schema rule).
      expect(bosunError.code).toBe('invalid_json');
      expect(bosunError.message).toMatch(/^workspace\.json: not valid JSON \(.+\)$/);
      expect(bosunError.details).toEqual({ field: 'workspace.json', rule: 'valid JSON' });
      expect(bosunError.retryable).toBe(false);
    },
  );
});

describe('stableStringify', () => {
  it('sorts object keys at every depth', () => {
    const value = { b: 1, a: { d: [{ z: 1, y: 2 }], c: 2 } };
    expect(stableStringify(value, 0)).toBe('{"a":{"c":2,"d":[{"y":2,"z":1}]},"b":1}');
  });

  it('keeps the order of array items', () => {
    expect(stableStringify([3, 1, 2, 'b', 'a'], 0)).toBe('[3,1,2,"b","a"]');
  });

  it('indents with two spaces unless told otherwise', () => {
    expect(stableStringify({ b: 1, a: 2 })).toBe('{\n  "a": 2,\n  "b": 1\n}');
  });

  it('gives the same text for objects that differ only in key order', () => {
    expect(stableStringify({ x: 1, y: { p: 1, q: 2 } })).toBe(
      stableStringify({ y: { q: 2, p: 1 }, x: 1 }),
    );
  });

  it('keeps a key named __proto__ that came from parsed JSON', () => {
    const value = parseJson('{"__proto__":{"a":1},"b":2}', 'test');
    expect(JSON.parse(stableStringify(value, 0))).toEqual(value);
    expect(stableStringify(value, 0)).toBe('{"__proto__":{"a":1},"b":2}');
  });

  it('round-trips any JSON value through JSON.parse', () => {
    fc.assert(
      fc.property(jsonDocument, (value) => {
        expect(JSON.parse(stableStringify(value))).toEqual(value);
      }),
      { numRuns: 300 },
    );
  });

  it('writes every object with its keys in sorted order, whatever the keys look like', () => {
    // Integer-like keys such as "10" are the case to watch: a plain object lists them first.
    expect(stableStringify({ b: 1, 10: 2, 9: 3, a: 4 }, 0)).toBe(
      sortedReference({ b: 1, 10: 2, 9: 3, a: 4 }),
    );
  });

  it('writes the same text as a reference serializer with sorted keys, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(stableStringify(value, 0)).toBe(sortedReference(value));
      }),
      { numRuns: 300 },
    );
  });

  it('writes the same text whatever order the keys were inserted in', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })),
        (record) => {
          const reversed = Object.fromEntries(Object.entries(record).reverse());
          expect(stableStringify(reversed)).toBe(stableStringify(record));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('tryParseJson', () => {
  it('returns the value of a JSON document, null and false included', () => {
    expect(tryParseJson('{"a": [1, "x"]}')).toEqual({ a: [1, 'x'] });
    expect(tryParseJson('null')).toBeNull();
    expect(tryParseJson('false')).toBe(false);
  });

  it('returns undefined for text that is not JSON, the empty text included', () => {
    expect(tryParseJson('hello world')).toBeUndefined();
    expect(tryParseJson('{"a": 1')).toBeUndefined();
    expect(tryParseJson('')).toBeUndefined();
  });
});
