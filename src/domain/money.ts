/**
 * Money as integer minor units (cents, pence, yen), never floats: an amount is read from a
 * decimal string digit by digit and written back the same way, so 0.1 + 0.2 is 30 cents and not
 * 0.30000000000000004 dollars. Each currency has its number of minor digits (ISO 4217: 2 for most,
 * 0 for the yen, 3 for the Kuwaiti dinar); a currency missing from the table has 2.
 */

import { BosunError, invalidInput } from '../shared/errors.js';

/** The currency of a project that has not chosen one. */
export const DEFAULT_CURRENCY = 'USD';

/** Currencies whose minor unit is not a hundredth (ISO 4217); every other one has 2 digits. */
const MINOR_DIGITS: Readonly<Record<string, number>> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
};

/**
 * The largest amount one value may hold, in minor units (10^13: a hundred billion dollars). Sums
 * are taken as bigints, so a budget of many such amounts still adds up exactly.
 */
export const MAX_AMOUNT_MINOR = 10_000_000_000_000;

/** A decimal amount as people type it: an optional minus, digits, an optional point and digits. */
export const DECIMAL_AMOUNT = /^-?\d+(\.\d+)?$/;
export const DECIMAL_AMOUNT_RULE =
  'must be a decimal amount such as 1200.50 or -30 (no separators)';

export const Money = {
  minorDigits(currency: string): number {
    return MINOR_DIGITS[currency] ?? 2;
  },

  /**
   * Reads a decimal string into minor units of `currency`: "1200.5" USD is 120050. More decimals
   * than the currency has, or an amount beyond MAX_AMOUNT_MINOR, is refused naming `field`.
   */
  parse(text: string, currency: string, field: string): number {
    const value = text.trim();
    if (!DECIMAL_AMOUNT.test(value)) throw invalidInput(field, DECIMAL_AMOUNT_RULE);
    const digits = Money.minorDigits(currency);
    const negative = value.startsWith('-');
    const [whole = '0', fraction = ''] = (negative ? value.slice(1) : value).split('.');
    if (fraction.length > digits) {
      const allowed = digits === 0 ? 'no decimals' : `at most ${digits} decimals`;
      throw invalidInput(field, `must have ${allowed} in ${currency}`);
    }
    const minor =
      BigInt(whole) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, '0') || '0');
    if (minor > BigInt(MAX_AMOUNT_MINOR)) {
      throw invalidInput(
        field,
        `must be at most ${Money.format(MAX_AMOUNT_MINOR, currency)} in absolute value`,
      );
    }
    const result = Number(minor);
    return negative && result !== 0 ? -result : result;
  },

  /** Minor units back to a decimal string with the currency's digits: 120050 USD is "1200.50". */
  format(minor: number | bigint, currency: string): string {
    const amount = BigInt(minor);
    const digits = Money.minorDigits(currency);
    const sign = amount < 0n ? '-' : '';
    const magnitude = (amount < 0n ? -amount : amount).toString().padStart(digits + 1, '0');
    if (digits === 0) return `${sign}${magnitude}`;
    return `${sign}${magnitude.slice(0, -digits)}.${magnitude.slice(-digits)}`;
  },

  /** A bigint sum back to a number, refusing one that a number cannot hold exactly. */
  toSafeNumber(value: bigint): number {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new BosunError('internal', `an amount of ${value} minor units is beyond exact numbers`);
    }
    return Number(value);
  },
};
