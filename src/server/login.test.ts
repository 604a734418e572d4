import { describe, expect, it } from 'vitest';
import { createLoginCodes, LOGIN_CODE_TTL_MS, loginLink } from './login.js';

describe('one-time login codes', () => {
  it('redeems a code once, refuses unknown ones, and expires them after ten minutes', () => {
    let now = 1_000;
    const codes = createLoginCodes(() => now);
    const first = codes.issue();
    const second = codes.issue();
    expect(first).toMatch(/^[\w-]{32}$/);
    expect(first).not.toBe(second);
    expect(codes.redeem('guess')).toBe(false);
    expect(codes.redeem(first)).toBe(true);
    expect(codes.redeem(first)).toBe(false);
    now += LOGIN_CODE_TTL_MS;
    expect(codes.redeem(second)).toBe(false);
    expect(loginLink('http://127.0.0.1:7433', first)).toBe(`http://127.0.0.1:7433/#login=${first}`);
  });
});
