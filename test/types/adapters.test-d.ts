import Fastify from 'fastify';
import Koa from 'koa';
import express from 'express';
import { expectTypeOf } from 'vitest';
import type { ClientPayParams, CreatePayCall, OrderQueryResult, PaidEvent, RefundQueryResult, TransferBill, WxPay } from '@wxpay-kit/core';
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

// The server-side calls take typed inputs and resolve typed results.
async function serverSideCalls(): Promise<void> {
  const call: CreatePayCall = { app: 'shop', type: 'NATIVE', orderId: 'o1', fee: 1, goods: 'g', ip: '127.0.0.1' };
  const order = await wxpay.createPay(call);
  expectTypeOf(order.notifyUrl).toEqualTypeOf<string>();
  expectTypeOf(order.expiresAt).toEqualTypeOf<Date>();
  expectTypeOf(order.clientParams).toEqualTypeOf<ClientPayParams>();
  // @ts-expect-error 'CARD' is not a payment type
  await wxpay.createPay({ ...call, type: 'CARD' });
  // @ts-expect-error fee is a number of fen
  await wxpay.createPay({ ...call, fee: '1' });
  expectTypeOf(await wxpay.queryOrder({ app: 'shop', orderId: 'o1' })).toEqualTypeOf<OrderQueryResult>();
  expectTypeOf(await wxpay.confirm({ app: 'shop', transactionId: '4200' })).toEqualTypeOf<OrderQueryResult>();
  expectTypeOf(await wxpay.closeOrder({ app: 'shop', orderId: 'o1' })).toEqualTypeOf<void>();
  const refund = await wxpay.refund({ app: 'shop', orderId: 'o1', refundId: 'r1', totalFee: 2, refundFee: 1 });
  expectTypeOf(refund.notifyUrl).toEqualTypeOf<string>();
  expectTypeOf(refund.refundFee).toEqualTypeOf<number>();
  // @ts-expect-error refundId is required
  await wxpay.refund({ app: 'shop', orderId: 'o1', totalFee: 2, refundFee: 1 });
  expectTypeOf(await wxpay.queryRefund({ app: 'shop', refundId: 'r1' })).toEqualTypeOf<RefundQueryResult>();
  expectTypeOf(await wxpay.confirmTransfer({ app: 'shop', outBillNo: 'b1' })).toEqualTypeOf<TransferBill>();
}
void serverSideCalls;
