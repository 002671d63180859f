import Fastify from 'fastify';
import Koa from 'koa';
import express from 'express';
import { expectTypeOf } from 'vitest';
import type { PaidEvent, WxPay } from '@wxpay-kit/core';
import { createNodeListener } from '@wxpay-kit/core/node';
import { wxpayExpress } from '@wxpay-kit/express';
import { wxpayKoa } from '@wxpay-kit/koa';
import { wxpayPlugin } from '@wxpay-kit/fastify';

declare const wxpay: WxPay;

// Listeners infer their payload from the event name.
wxpay.on('paid', (event) => {
  expectTypeOf(event).toEqualTypeOf<PaidEvent>();
  expectTypeOf(event.transactionId).toEqualTypeOf<string>();
  expectTypeOf(event.totalFee).toEqualTypeOf<number>();
  expectTypeOf(event.source).toEqualTypeOf<'notify' | 'confirm' | 'sweep' | 'micropay' | 'reconcile'>();
});
wxpay.on('refund-failed', (event) => {
  expectTypeOf(event.refundStatus).toEqualTypeOf<'CHANGE' | 'REFUNDCLOSE'>();
});
wxpay.once('error', async (event) => {
  expectTypeOf(event.error.code).toBeString();
});

// An unknown event name does not compile.
// @ts-expect-error 'payed' is not an event of WxPay
wxpay.on('payed', () => {});
// @ts-expect-error a 'paid' listener gets a PaidEvent, not a string
wxpay.on('paid', (event: string) => void event);

// The express middleware is the emitter; chaining returns the middleware.
const mw = wxpayExpress(wxpay);
expectTypeOf(mw.on('paid', (event) => void event.orderId)).toEqualTypeOf(mw);
expectTypeOf(mw.wxpay).toEqualTypeOf<WxPay>();
express().use('/wxpay', mw);
// @ts-expect-error unknown event on the middleware too
mw.on('unknown', () => {});

// The koa middleware, likewise.
const km = wxpayKoa(wxpay, { prefix: '/wxpay' });
km.off('refunded', (event) => {
  expectTypeOf(event.refundFee).toEqualTypeOf<number>();
});
new Koa().use(km);
// @ts-expect-error prefix is a string
wxpayKoa(wxpay, { prefix: 1 });

// The node:http listener.
createNodeListener(wxpay).on('paid', (event) => {
  expectTypeOf(event.app).toEqualTypeOf<string>();
});

// fastify.wxpay exists once @wxpay-kit/fastify is imported, typed as WxPay.
const app = Fastify();
expectTypeOf(app.wxpay).toEqualTypeOf<WxPay>();
app.wxpay.on('paid', (event) => {
  expectTypeOf(event.cashFee).toEqualTypeOf<number>();
});
void app.register(wxpayPlugin, { instance: wxpay, prefix: '/wxpay' });
// @ts-expect-error the prefix is a string
void app.register(wxpayPlugin, { instance: wxpay, prefix: 42 });
