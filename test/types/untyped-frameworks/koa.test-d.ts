// The koa adapter keeps its types when koa's types are absent (no-types.d.ts makes `koa` an
// untyped module, as in a project without @types/koa).
import { expectTypeOf } from 'vitest';
import type { RefundedEvent, WxPay } from '@wxpay-kit/core';
import { wxpayKoa, type WxPayKoa } from '@wxpay-kit/koa';

declare const wxpay: WxPay;

const km = wxpayKoa(wxpay, { prefix: '/wxpay' });
expectTypeOf(km).not.toBeAny();
expectTypeOf<WxPayKoa>().not.toBeAny();
km.on('refunded', (event) => {
  expectTypeOf(event).toEqualTypeOf<RefundedEvent>();
});
// @ts-expect-error 'refund' is not an event
km.on('refund', () => {});
// @ts-expect-error the prefix is a string
wxpayKoa(wxpay, { prefix: 1 });
