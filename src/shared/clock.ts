/**
 * Time comes in through a Clock so that tests can move it without sleeping. Times are stored and
 * exchanged as ISO-8601 UTC strings with millisecond precision, which sort correctly as text.
 */

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function createManualClock(start: Date | string = '2026-01-01T00:00:00.000Z'): Clock & {
  advance(ms: number): void;
  set(to: Date | string): void;
} {
  let current = new Date(start).getTime();
  return {
    now: () => new Date(current),
    advance: (ms) => {
      current += ms;
    },
    set: (to) => {
      current = new Date(to).getTime();
    },
  };
}

export function isoNow(clock: Clock): string {
  return clock.now().toISOString();
}
