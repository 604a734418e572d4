import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';
import { BosunError } from './errors.js';
import { catchError } from '../testing/catch-error.js';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['250ms', 250],
    ['1h30m', 5_400_000],
    ['1d2h3m4s5ms', 93_784_005],
    ['1m1ms', 60_001],
    [' 15m ', 900_000],
  ])('reads %j as %i milliseconds', (text, ms) => {
    expect(parseDuration(text, 'lease')).toBe(ms);
  });

  it.each(['abc', '15', '', 'm', '1.5h', '-5m', '1h 30m', '15M', '15 m', '2w'])(
    'refuses %j as not a duration, naming the field',
    (text) => {
      const error = catchError(() => parseDuration(text, 'lease'));
      expect(error).toBeInstanceOf(BosunError);
      const bosunError = error as BosunError;
      expect(bosunError.code).toBe('invalid_input');
      expect(bosunError.message).toBe(
        `lease: '${text}' is not a duration; use e.g. 90s, 15m, 2h, 1d or 1h30m`,
      );
      expect(bosunError.details['field']).toBe('lease');
    },
  );

  it.each(['0m', '0s', '0h0m', '0ms'])('refuses the zero duration %j, naming the field', (text) => {
    const error = catchError(() => parseDuration(text, 'timeout'));
    expect(error).toBeInstanceOf(BosunError);
    const bosunError = error as BosunError;
    expect(bosunError.code).toBe('invalid_input');
    expect(bosunError.message).toBe('timeout: must be longer than zero');
    expect(bosunError.details).toEqual({ field: 'timeout', rule: 'must be longer than zero' });
  });
});
