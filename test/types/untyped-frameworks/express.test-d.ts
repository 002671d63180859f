// The express adapter keeps its types when express's types are absent (no-types.d.ts makes
// `express` an untyped module, as in a project without @types/express).
import { expectTypeOf } from 'vitest';
import type { PaidEvent, WxPay } from '@wxpay-kit/core';
import { wxpayExpress, type WxPayExpress } from '@wxpay-kit/express';

declare const wxpay: WxPay;

const mw = wxpayExpress(wxpay);
expectTypeOf(mw).not.toBeAny();
expectTypeOf<WxPayExpress>().not.toBeAny();
expectTypeOf(mw.wxpay).toEqualTypeOf<WxPay>();
mw.on('paid', (event) => {
  expectTypeOf(event).toEqualTypeOf<PaidEvent>();
});
// @ts-expect-error 'payed' is not an event
mw.on('payed', () => {});
// @ts-expect-error a middleware takes (req, res, next)
mw('not a request');
