/**
 * ULIDs: 128-bit, lexicographically sortable by creation time, Crockford base32. The generator is
 * monotonic within a millisecond so that ids created in one process sort in creation order.
 */

import type { Clock } from './clock.js';
import { systemClock } from './clock.js';

const ENCODING = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export type IdGenerator = () => string;

export type RandomSource = (bytes: number) => Uint8Array;

/** Random bytes drawn from the system in blocks: one call per id costs more than the id. */
function createPooledRandom(blockSize = 4096): RandomSource {
  let pool = new Uint8Array(0);
  let offset = 0;
  return (bytes) => {
    if (offset + bytes > pool.length) {
      pool = crypto.getRandomValues(new Uint8Array(Math.max(blockSize, bytes)));
      offset = 0;
    }
    offset += bytes;
    return pool.subarray(offset - bytes, offset);
  };
}

const defaultRandom: RandomSource = createPooledRandom();

export function createUlidGenerator(
  clock: Clock = systemClock,
  random: RandomSource = defaultRandom,
): IdGenerator {
  let lastTime = -1;
  let lastRandom: number[] = [];
  return () => {
    const time = clock.now().getTime();
    if (time <= lastTime) {
      lastRandom = increment(lastRandom);
    } else {
      lastTime = time;
      lastRandom = Array.from(random(16), (byte) => byte % 32);
    }
    return encodeTime(Math.max(time, lastTime)) + lastRandom.map((d) => ENCODING[d]).join('');
  };
}

function encodeTime(time: number): string {
  let out = '';
  let rest = time;
  for (let i = 0; i < 10; i++) {
    out = ENCODING[rest % 32]! + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

function increment(digits: number[]): number[] {
  const next = [...digits];
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i]! < 31) {
      next[i]! += 1;
      return next;
    }
    next[i] = 0;
  }
  throw new Error('ULID random component overflowed within one millisecond');
}

export const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function isUlid(value: string): boolean {
  return ULID_PATTERN.test(value);
}
