import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createManualClock } from './clock.js';
import type { RandomSource } from './ids.js';
import { ULID_PATTERN, createUlidGenerator, isUlid } from './ids.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function decodeTime(ulid: string): number {
  return [...ulid.slice(0, 10)].reduce((time, ch) => time * 32 + CROCKFORD.indexOf(ch), 0);
}

function constantRandom(byte: number): RandomSource {
  return (bytes) => new Uint8Array(bytes).fill(byte);
}

/** Feeds the generator the given byte arrays in turn (repeating the last one). */
function scriptedRandom(script: readonly Uint8Array[]): RandomSource {
  let call = 0;
  return (bytes) => {
    const next = script[Math.min(call++, script.length - 1)] ?? new Uint8Array(0);
    const out = new Uint8Array(bytes);
    out.set(next.subarray(0, bytes));
    return out;
  };
}

describe('createUlidGenerator', () => {
  it('makes 26-character Crockford base32 ids', () => {
    const next = createUlidGenerator();
    for (let i = 0; i < 100; i++) {
      const id = next();
      expect(id).toHaveLength(26);
      expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(isUlid(id)).toBe(true);
    }
  });

  it('encodes the clock time in the first ten characters', () => {
    const clock = createManualClock('2026-03-04T05:06:07.089Z');
    const id = createUlidGenerator(clock)();
    expect(decodeTime(id)).toBe(Date.parse('2026-03-04T05:06:07.089Z'));
  });

  it('maps every random byte to one of the 32 Crockford digits', () => {
    const clock = createManualClock();
    const randomPart = (byte: number): string =>
      createUlidGenerator(clock, constantRandom(byte))().slice(10);
    expect(randomPart(0)).toBe('0'.repeat(16));
    expect(randomPart(31)).toBe('Z'.repeat(16));
    expect(randomPart(255)).toBe('Z'.repeat(16));
    expect(randomPart(32 + 18)).toBe('J'.repeat(16));
  });

  it('makes strictly increasing ids while the clock does not move', () => {
    const clock = createManualClock();
    const next = createUlidGenerator(clock);
    let previous = next();
    for (let i = 0; i < 1_000; i++) {
      const id = next();
      expect(id > previous, `${id} > ${previous}`).toBe(true);
      expect(decodeTime(id)).toBe(decodeTime(previous));
      previous = id;
    }
  });

  it('increments the random part with a carry within one millisecond', () => {
    const clock = createManualClock();
    const script = [Uint8Array.from([...new Array<number>(15).fill(0), 31])];
    const next = createUlidGenerator(clock, scriptedRandom(script));
    expect(next().slice(10)).toBe('000000000000000Z');
    expect(next().slice(10)).toBe('0000000000000010');
  });

  it('refuses to make an id once the random part is exhausted within one millisecond', () => {
    const next = createUlidGenerator(createManualClock(), constantRandom(31));
    next();
    expect(() => next()).toThrow(/overflowed/);
  });

  it('sorts ids by time when the clock advances, whatever their random parts', () => {
    const clock = createManualClock();
    const next = createUlidGenerator(
      clock,
      scriptedRandom([new Uint8Array(16).fill(31), new Uint8Array(16).fill(0)]),
    );
    const earlier = next();
    clock.advance(1);
    const later = next();
    expect(later > earlier).toBe(true);
    expect(decodeTime(later)).toBe(decodeTime(earlier) + 1);
  });

  it('keeps ids increasing when the clock goes backwards', () => {
    const clock = createManualClock('2026-01-01T00:00:01.000Z');
    const next = createUlidGenerator(clock);
    const first = next();
    clock.set('2026-01-01T00:00:00.000Z');
    const second = next();
    expect(second > first).toBe(true);
    expect(decodeTime(second)).toBe(decodeTime(first));
  });

  it('makes strictly increasing ids for any clock steps and random bytes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            step: fc.integer({ min: -2, max: 3 }),
            bytes: fc.uint8Array({ minLength: 16, maxLength: 16, max: 30 }),
          }),
          { minLength: 2, maxLength: 50 },
        ),
        (calls) => {
          const clock = createManualClock();
          const next = createUlidGenerator(clock, scriptedRandom(calls.map((call) => call.bytes)));
          const ids: string[] = [];
          for (const { step } of calls) {
            clock.advance(step);
            ids.push(next());
          }
          for (let i = 1; i < ids.length; i++) {
            expect(ids[i]! > ids[i - 1]!, `${ids[i]} > ${ids[i - 1]}`).toBe(true);
          }
          expect(ids.every(isUlid)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('isUlid', () => {
  it('accepts an id in upper-case Crockford base32', () => {
    expect(isUlid('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBe(true);
    expect(ULID_PATTERN.test('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBe(true);
  });

  it.each([
    ['too short', '01ARZ3NDEKTSV4RRFFQ69G5FA'],
    ['too long', '01ARZ3NDEKTSV4RRFFQ69G5FAVX'],
    ['lower case', '01arz3ndektsv4rrffq69g5fav'],
    ['the letter I', '01ARZ3NDEKTSV4RRFFQ69G5FAI'],
    ['the letter L', '01ARZ3NDEKTSV4RRFFQ69G5FAL'],
    ['the letter O', '01ARZ3NDEKTSV4RRFFQ69G5FAO'],
    ['the letter U', '01ARZ3NDEKTSV4RRFFQ69G5FAU'],
  ])('refuses an id %s', (_reason, id) => {
    expect(isUlid(id)).toBe(false);
  });
});
