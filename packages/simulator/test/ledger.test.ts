import { describe, expect, it } from 'vitest';
import { createManualClock } from '../src/clock.js';
import { Ledger, type NewOrder, type RefundRequest } from '../src/ledger.js';
import { resolveMerchants } from '../src/merchants.js';
import { SimState, type OrderRecord, type RefundRecord } from '../src/state.js';
import type { RefundMode } from '../src/types.js';

// The ledger's rules on their own: no wire format, no server, no signatures.

const MCH = '1900000109';

function setup(mode: RefundMode = 'auto') {
  const clock = createManualClock();
  const merchants = new Map(
    resolveMerchants([{ mchId: MCH, apiKey: 'k'.repeat(32), appIds: ['wx1'], refundNotifyUrl: 'https://shop.example/refund' }]).map((m) => [
      m.mchId,
      m,
    ]),
  );
  const paid: OrderRecord[] = [];
  const finished: { outRefundNo: string; status: string }[] = [];
  const settings = { mode };
  const ledger = new Ledger(new SimState(), clock, merchants, {
    refundMode: () => settings.mode,
    paid: (order) => paid.push(order),
    refundFinished: (refund) => finished.push({ outRefundNo: refund.outRefundNo, status: refund.status }),
    log: () => {},
  });
  return { ledger, clock, paid, finished, settings };
}

function draft(overrides: Partial<NewOrder> = {}): NewOrder {
  return {
    environment: 'production',
    apiVersion: 'v2',
    mchId: MCH,
    appId: 'wx1',
    subMchId: undefined,
    subAppId: undefined,
    outTradeNo: 'T1',
    tradeType: 'NATIVE',
    body: 'tea',
    attach: undefined,
    deviceInfo: undefined,
    totalFee: 1000,
    feeType: 'CNY',
    notifyUrl: 'https://shop.example/pay',
    productId: 'P1',
    sceneInfo: undefined,
    signType: 'MD5',
    expiresAt: undefined,
    openId: undefined,
    subOpenId: undefined,
    fingerprint: 'fp-1',
    ...overrides,
  };
}

function refundRequest(overrides: Partial<RefundRequest> = {}): RefundRequest {
  return {
    environment: 'production',
    apiVersion: 'v2',
    mchId: MCH,
    lookup: { outTradeNo: 'T1' },
    outRefundNo: 'R1',
    refundFee: 300,
    totalFee: 1000,
    refundFeeType: undefined,
    refundDesc: undefined,
    refundAccount: 'REFUND_SOURCE_UNSETTLED_FUNDS',
    notifyUrl: undefined,
    signType: 'MD5',
    fingerprint: 'rfp',
    ...overrides,
  };
}

/** The status a refund had when the caller rendered its reply. */
const statusAtReply = (refund: RefundRecord): string => refund.status;

describe('ledger: orders', () => {
  it('places an order once; the same request finds it again, another request with its number is refused', () => {
    const { ledger } = setup();
    const first = ledger.placeOrder(draft());
    expect(first.created).toBe(true);
    expect(first.order).toMatchObject({ tradeState: 'NOTPAY', totalFee: 1000, outTradeNo: 'T1', refundedFee: 0 });
    expect(first.order!.codeUrl).toMatch(/^weixin:\/\//);
    expect(first.order!.mwebUrl).toBeUndefined();

    const again = ledger.placeOrder(draft());
    expect(again.created).toBe(false);
    expect(again.order).toBe(first.order);

    expect(ledger.placeOrder(draft({ totalFee: 999, fingerprint: 'fp-2' }))).toEqual({ refused: 'out-trade-no-used' });
    // Another merchant's or system's number space is separate.
    expect(ledger.placeOrder(draft({ environment: 'sandbox', fingerprint: 'fp-2' })).created).toBe(true);
  });

  it('refuses a paid or closed order number, and closes only unpaid orders', () => {
    const { ledger, paid } = setup();
    ledger.placeOrder(draft());
    ledger.placeOrder(draft({ outTradeNo: 'T2' }));
    const order = ledger.pay('T1', { mchId: MCH, environment: 'production' });
    expect(order).toMatchObject({ tradeState: 'SUCCESS', cashFee: 1000, couponFee: 0 });
    expect(order.transactionId).toMatch(/^\d{28}$/);
    expect(paid.map((o) => o.outTradeNo)).toEqual(['T1']);
    expect(ledger.placeOrder(draft())).toEqual({ refused: 'paid' });
    expect(ledger.closeOrder(order)).toBe('paid');

    const unpaid = ledger.findOrder('production', MCH, { outTradeNo: 'T2' })!;
    expect(ledger.closeOrder(unpaid)).toBe('closed');
    expect(unpaid.tradeState).toBe('CLOSED');
    expect(ledger.closeOrder(unpaid)).toBe('already-closed');
    expect(ledger.placeOrder(draft({ outTradeNo: 'T2' }))).toEqual({ refused: 'closed' });
  });

  it('finds a paid order by transaction id; an unpaid one past its expiry stays NOTPAY until closed, and cannot be paid', () => {
    const { ledger, clock } = setup();
    ledger.placeOrder(draft());
    ledger.placeOrder(draft({ outTradeNo: 'T2', expiresAt: clock.now() + 300_000 }));
    const order = ledger.pay('T1', { notify: false });
    expect(ledger.findOrder('production', MCH, { transactionId: order.transactionId, outTradeNo: 'nope' })).toBe(order);
    expect(ledger.findOrder('production', '1900000999', { transactionId: order.transactionId })).toBeUndefined();

    expect(ledger.findOrder('production', MCH, { outTradeNo: 'T2' })!.tradeState).toBe('NOTPAY');
    clock.advance(300_001);
    const expired = ledger.findOrder('production', MCH, { outTradeNo: 'T2' })!;
    expect(expired.tradeState).toBe('NOTPAY');
    expect(() => ledger.pay('T2')).toThrow(/time_expire has passed/);
    expect(ledger.placeOrder(draft({ outTradeNo: 'T2', expiresAt: expired.expiresAt }))).toEqual({ refused: 'closed' });
    expect(ledger.closeOrder(expired)).toBe('closed');
  });

  it('pays with coupons: the cash part and the settlement amount follow the coupon types', () => {
    const { ledger } = setup();
    ledger.placeOrder(draft());
    const order = ledger.pay('T1', { coupons: [{ fee: 100 }, { fee: 200, type: 'NO_CASH' }], notify: false });
    expect(order).toMatchObject({ couponFee: 300, cashFee: 700, settlementTotalFee: 800 });
    expect(() => ledger.pay('T1')).toThrow(/cannot pay order T1: it is SUCCESS/);
  });
});

describe('ledger: refunds', () => {
  function paidOrder(mode: RefundMode = 'auto') {
    const s = setup(mode);
    s.ledger.placeOrder(draft());
    s.ledger.pay('T1', { notify: false });
    return s;
  }

  it('answers while the refund is PROCESSING, then the auto mode completes it and reports it', () => {
    const { ledger, finished } = paidOrder('auto');
    const outcome = ledger.requestRefund(refundRequest(), statusAtReply);
    expect(outcome).toEqual({ reply: 'PROCESSING', created: true });
    expect(finished).toEqual([{ outRefundNo: 'R1', status: 'SUCCESS' }]);
    const order = ledger.findOrder('production', MCH, { outTradeNo: 'T1' })!;
    expect(order).toMatchObject({ tradeState: 'REFUND', refundedFee: 300, refunds: ['R1'] });
    const refund = ledger.state.refund('production', MCH, 'R1')!;
    expect(refund).toMatchObject({ status: 'SUCCESS', refundFeeType: 'CNY', source: 'api', apiVersion: 'v2' });
  });

  it('in the manual mode a refund stays PROCESSING until it is finished', () => {
    const { ledger, finished } = paidOrder('manual');
    ledger.requestRefund(refundRequest(), statusAtReply);
    const refund = ledger.state.refund('production', MCH, 'R1')!;
    expect(refund.status).toBe('PROCESSING');
    expect(finished).toEqual([]);
    ledger.finishRefund(refund, 'CHANGE');
    expect(() => ledger.finishRefund(refund, 'CHANGE')).toThrow(/refund R1 is CHANGE/);
    ledger.finishRefund(refund, 'REFUNDCLOSE');
    // A closed refund gives its amount back.
    expect(ledger.findOrder('production', MCH, { outTradeNo: 'T1' })!.refundedFee).toBe(0);
    expect(finished.map((f) => f.status)).toEqual(['CHANGE', 'REFUNDCLOSE']);
    expect(() => ledger.finishRefund(refund, 'SUCCESS')).toThrow(/refund R1 is REFUNDCLOSE/);
  });

  it('finds a repeated refund request again, and refuses one that differs from it', () => {
    const { ledger, finished } = paidOrder();
    ledger.requestRefund(refundRequest(), statusAtReply);
    expect(ledger.requestRefund(refundRequest(), statusAtReply)).toEqual({ reply: 'SUCCESS', created: false });
    expect(ledger.requestRefund(refundRequest({ refundFee: 301 }), statusAtReply)).toEqual({ refused: 'differs-from-earlier' });
    expect(finished).toHaveLength(1);
    expect(ledger.findOrder('production', MCH, { outTradeNo: 'T1' })!.refundedFee).toBe(300);
  });

  it('checks amounts against the order and what is left of it', () => {
    const { ledger } = paidOrder();
    expect(ledger.requestRefund(refundRequest({ lookup: { outTradeNo: 'T9' } }), statusAtReply)).toEqual({ refused: 'order-not-found' });
    expect(ledger.requestRefund(refundRequest({ totalFee: 999 }), statusAtReply)).toEqual({ refused: 'total-mismatch' });
    expect(ledger.requestRefund(refundRequest({ refundFee: 1001 }), statusAtReply)).toEqual({ refused: 'exceeds-total' });
    expect(ledger.requestRefund(refundRequest({ refundFee: 800 }), statusAtReply).created).toBe(true);
    expect(ledger.requestRefund(refundRequest({ outRefundNo: 'R2', refundFee: 201 }), statusAtReply)).toEqual({ refused: 'not-enough' });
    expect(ledger.requestRefund(refundRequest({ outRefundNo: 'R2', refundFee: 200 }), statusAtReply).created).toBe(true);
  });

  it('refuses a refund of an unpaid order, and more than 50 refunds of one order', () => {
    const { ledger } = setup();
    ledger.placeOrder(draft());
    expect(ledger.requestRefund(refundRequest(), statusAtReply)).toEqual({ refused: 'order-not-found' });
    ledger.pay('T1', { notify: false });
    for (let n = 0; n < 50; n++) {
      expect(ledger.requestRefund(refundRequest({ outRefundNo: `R${n}`, refundFee: 1 }), statusAtReply).created).toBe(true);
    }
    expect(ledger.requestRefund(refundRequest({ outRefundNo: 'R50', refundFee: 1 }), statusAtReply)).toEqual({ refused: 'too-many' });
  });

  it('starts a console refund of what is left, with the merchant refund notify URL', () => {
    const { ledger } = paidOrder('manual');
    ledger.requestRefund(refundRequest(), statusAtReply);
    const refund = ledger.startRefund('T1');
    expect(refund).toMatchObject({ refundFee: 700, source: 'console', notifyUrl: 'https://shop.example/refund', status: 'PROCESSING' });
    expect(refund.outRefundNo).toMatch(/^C\d{14}\d{8}$/);
    expect(() => ledger.startRefund('T1', { refundFee: 1 })).toThrow(/has only 0 fen left/);
  });
});
