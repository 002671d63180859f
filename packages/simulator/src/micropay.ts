import type { SimMicropayCase } from './types.js';

/**
 * The payment-code cases of the simulator, chosen by the last three digits of the auth code
 * (an 18-digit code starting with 10–15; any other code is `AUTH_CODE_INVALID`). Every other
 * ending pays at once. The README has the same table.
 */
export const MICROPAY_CASES: Readonly<Record<string, SimMicropayCase>> = {
  '001': 'userpaying-then-paid',
  '002': 'userpaying-timeout',
  '003': 'userpaying-then-payerror',
  '004': 'authcode-expired',
  '005': 'authcode-invalid',
  '006': 'systemerror-paid',
  '007': 'bankerror-payerror',
  '008': 'notenough',
  '009': 'userpaying-reverse-systemerror',
};

/** A WeChat payment code: 18 digits starting with 10–15. */
export const AUTH_CODE = /^1[0-5]\d{16}$/;

/** The case an auth code asks for. */
export function micropayCase(authCode: string): SimMicropayCase {
  if (!AUTH_CODE.test(authCode)) return 'authcode-invalid';
  return MICROPAY_CASES[authCode.slice(-3)] ?? 'paid';
}

/** How many queries a `userpaying-then-paid` order answers `USERPAYING` before it is paid. */
export const QUERIES_BEFORE_PAID = 1;
