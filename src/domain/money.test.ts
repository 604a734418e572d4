import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BosunError } from '../shared/errors.js';
import { MAX_AMOUNT_MINOR, Money } from './money.js';

function refusal(work: () => unknown): BosunError {
  try {
    work();
  } catch (error) {
    if (error instanceof BosunError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('Money.parse', () => {
  it('reads decimal text into minor units digit by digit', () => {
    expect(Money.parse('1200.50', 'USD', 'amount')).toBe(120050);
    expect(Money.parse('1200.5', 'USD', 'amount')).toBe(120050);
    expect(Money.parse('1200', 'USD', 'amount')).toBe(120000);
    expect(Money.parse('0.01', 'EUR', 'amount')).toBe(1);
    expect(Money.parse('-30', 'GBP', 'amount')).toBe(-3000);
    expect(Money.parse('-0.07', 'USD', 'amount')).toBe(-7);
    expect(Money.parse('-0', 'USD', 'amount')).toBe(0);
    expect(Money.parse(' 007.10 ', 'USD', 'amount')).toBe(710);
    expect(Money.parse('1500', 'JPY', 'amount')).toBe(1500);
    expect(Money.parse('1.234', 'KWD', 'amount')).toBe(1234);
    expect(Money.parse('2.5', 'XYZ', 'amount')).toBe(250);
  });

  it('adds 0.10 and 0.20 to exactly 30 cents', () => {
    expect(Money.parse('0.10', 'USD', 'a') + Money.parse('0.20', 'USD', 'a')).toBe(30);
  });

  it('refuses more decimals than the currency has, naming the field', () => {
    const tooFine = refusal(() => Money.parse('1.005', 'USD', 'amount'));
    expect(tooFine.code).toBe('invalid_input');
    expect(tooFine.message).toBe('amount: must have at most 2 decimals in USD');
    expect(tooFine.details).toMatchObject({ field: 'amount' });
    expect(refusal(() => Money.parse('10.5', 'JPY', 'planned')).message).toBe(
      'planned: must have no decimals in JPY',
    );
  });

  it('refuses text that is not a plain decimal amount', () => {
    for (const text of ['1,200.50', '1e3', '', '.5', '5.', '+5', '12 00', 'ten', '--1', '0x10']) {
      const error = refusal(() => Money.parse(text, 'USD', 'amount'));
      expect(error.message, text).toBe(
        'amount: must be a decimal amount such as 1200.50 or -30 (no separators)',
      );
    }
  });

  it('refuses an amount beyond the largest one', () => {
    expect(Money.parse('100000000000.00', 'USD', 'amount')).toBe(MAX_AMOUNT_MINOR);
    expect(refusal(() => Money.parse('100000000000.01', 'USD', 'amount')).message).toBe(
      'amount: must be at most 100000000000.00 in absolute value',
    );
    expect(refusal(() => Money.parse('-99999999999999999999', 'USD', 'x')).details).toMatchObject({
      field: 'x',
    });
  });
});

describe('Money.format', () => {
  it('writes minor units with the currency digits', () => {
    expect(Money.format(120050, 'USD')).toBe('1200.50');
    expect(Money.format(7, 'USD')).toBe('0.07');
    expect(Money.format(-7, 'USD')).toBe('-0.07');
    expect(Money.format(0, 'EUR')).toBe('0.00');
    expect(Money.format(-3000, 'GBP')).toBe('-30.00');
    expect(Money.format(1500, 'JPY')).toBe('1500');
    expect(Money.format(-1500, 'JPY')).toBe('-1500');
    expect(Money.format(1234, 'KWD')).toBe('1.234');
    expect(Money.format(12345678901234567890n, 'USD')).toBe('123456789012345678.90');
  });

  it('round-trips every amount through its text', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -MAX_AMOUNT_MINOR, max: MAX_AMOUNT_MINOR }),
        fc.constantFrom('USD', 'JPY', 'KWD'),
        (minor, currency) => {
          expect(Money.parse(Money.format(minor, currency), currency, 'amount')).toBe(minor);
        },
      ),
    );
  });
});

describe('Money.toSafeNumber', () => {
  it('refuses a sum a number cannot hold exactly', () => {
    expect(Money.toSafeNumber(BigInt(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => Money.toSafeNumber(BigInt(Number.MAX_SAFE_INTEGER) + 1n)).toThrow(BosunError);
  });
});
