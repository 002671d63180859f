import type { SignType } from '@wxpay-kit/core';
import type { SimulatorClock } from './clock.js';
import { SimulatorError } from './errors.js';
import * as ids from './ids.js';
import { micropayCase, QUERIES_BEFORE_PAID } from './micropay.js';
import { acceptRefund, MAX_REFUNDS_PER_ORDER } from './refunds.js';
import type { BalanceTransferOutcome, BalanceTransferRecord, BatchOutcome, BatchRecord, NewBalanceTransfer, NewBatch } from './payouts.js';
import {
  isExpired,
  refreshExpiry,
  TRADE_STATE_DESC,
  unpaidFields,
  type OrderRecord,
  type RefundRecord,
  type SimState,
  type TransferRecord,
} from './state.js';
import type {
  ApiVersion,
  RefundMode,
  RefundSource,
  SimCoupon,
  SimEnvironment,
  SimPayOptions,
  SimStartRefundOptions,
  SimTarget,
  SimulatorMerchant,
  SimTransferState,
} from './types.js';

/** How long a transfer bill waits for the payee before WeChat closes it (`FAIL`, `OVERDUE_CLOSE`). */
export const TRANSFER_CONFIRM_WINDOW_MS = 24 * 3600 * 1000;

/**
 * The business rules of the simulated WeChat Pay, apart from any wire format: placing, paying,
 * closing and expiring orders, accepting and finishing refunds. The v2 XML codec, the v3 JSON
 * handler and the control API all change state through it, so a rule is written once and each
 * caller only maps the outcome to its own dialect (error codes, statuses, reply fields).
 *
 * Outgoing notifications are not its business: it reports a payment or a finished refund to
 * {@link LedgerHooks}, and the simulator decides what to send. A new kind of money movement
 * (transfers, micropay) gets its own section here, beside orders and refunds.
 */
export class Ledger {
  constructor(
    /** The records, for read-only look-ups (queries, bills, control listings). Change them through the ledger. */
    readonly state: SimState,
    private readonly clock: SimulatorClock,
    private readonly merchants: ReadonlyMap<string, SimulatorMerchant>,
    private readonly hooks: LedgerHooks,
  ) {}

  // ---- orders -------------------------------------------------------------------------------

  /** Finds an order the WeChat way (`transaction_id` wins over `out_trade_no`), closing it if it has expired. */
  findOrder(environment: SimEnvironment, mchId: string, lookup: OrderLookup): OrderRecord | undefined {
    const order = this.state.findOrder(environment, mchId, lookup);
    if (order) refreshExpiry(order, this.clock.now());
    return order;
  }

  /** The one order with this number for a control call (throws `NOT_FOUND`/`AMBIGUOUS`), expiry applied. */
  pickOrder(outTradeNo: string, target?: SimTarget): OrderRecord {
    const order = this.state.pickOrder(outTradeNo, target);
    refreshExpiry(order, this.clock.now());
    return order;
  }

  /** Every order matching `filter`, expiry applied. */
  orders(filter?: SimTarget): OrderRecord[] {
    const now = this.clock.now();
    return this.state.allOrders(filter).map((o) => (refreshExpiry(o, now), o));
  }

  /**
   * Places an order, or finds the same order placed before. A number already used is refused
   * when that order is paid or closed, or when the new request differs from the first one (its
   * fingerprint, built by the codec from the parameters that define an order).
   *
   * @param lookup how to find an earlier order; default: by `outTradeNo`.
   */
  placeOrder(draft: NewOrder, lookup: OrderLookup = { outTradeNo: draft.outTradeNo }): PlaceOrderOutcome {
    const existing = this.findOrder(draft.environment, draft.mchId, lookup);
    if (existing) {
      if (isPaid(existing)) return { refused: 'paid' };
      if (existing.tradeState === 'CLOSED' || isExpired(existing, this.clock.now())) return { refused: 'closed' };
      if (existing.fingerprint !== draft.fingerprint) return { refused: 'out-trade-no-used' };
      return { order: existing, created: false };
    }
    const now = this.clock.now();
    const prepayId = ids.prepayId(now);
    const order: OrderRecord = {
      environment: draft.environment,
      apiVersion: draft.apiVersion,
      mchId: draft.mchId,
      appId: draft.appId,
      subMchId: draft.subMchId,
      subAppId: draft.subAppId,
      outTradeNo: draft.outTradeNo,
      tradeType: draft.tradeType,
      tradeState: 'NOTPAY',
      tradeStateDesc: TRADE_STATE_DESC.NOTPAY,
      body: draft.body,
      attach: draft.attach,
      deviceInfo: draft.deviceInfo,
      totalFee: draft.totalFee,
      feeType: draft.feeType,
      notifyUrl: draft.notifyUrl,
      productId: draft.productId,
      sceneInfo: draft.sceneInfo,
      signType: draft.signType,
      prepayId,
      codeUrl: draft.tradeType === 'NATIVE' ? ids.codeUrl() : undefined,
      mwebUrl: draft.tradeType === 'MWEB' ? ids.mwebUrl(prepayId) : undefined,
      createdAt: now,
      expiresAt: draft.expiresAt,
      openId: draft.openId,
      subOpenId: draft.subOpenId,
      ...unpaidFields(),
      fingerprint: draft.fingerprint,
      muted: false,
    };
    this.state.addOrder(order);
    this.hooks.log(
      {
        mchId: order.mchId,
        outTradeNo: order.outTradeNo,
        tradeType: order.tradeType,
        environment: order.environment,
        apiVersion: order.apiVersion,
      },
      'order created',
    );
    return { order, created: true };
  }

  /** Closes an unpaid order. Closing a closed order changes nothing and says so. */
  closeOrder(order: OrderRecord): 'closed' | 'already-closed' | 'paid' {
    if (isPaid(order)) return 'paid';
    if (order.tradeState === 'CLOSED') return 'already-closed';
    order.tradeState = 'CLOSED';
    order.tradeStateDesc = TRADE_STATE_DESC.CLOSED;
    this.hooks.log({ mchId: order.mchId, outTradeNo: order.outTradeNo }, 'order closed');
    return 'closed';
  }

  /**
   * The user pays an unpaid order (control call): a transaction id, the payer, coupons and the
   * cash part are recorded, and {@link LedgerHooks.paid} hears of it unless `opts.notify` is false.
   */
  pay(outTradeNo: string, opts: SimPayOptions = {}): OrderRecord {
    const order = this.unpaidOrder(outTradeNo, opts, 'pay');
    this.settle(order, opts);
    // Payment-code payments have no notification (spec-v3-more §3.5): the cashier queries.
    if (opts.notify !== false && order.tradeType !== 'MICROPAY') this.hooks.paid(order);
    return order;
  }

  /** Records the payment of an order: transaction id, payer, coupons, cash part. */
  private settle(order: OrderRecord, opts: SimPayOptions = {}): void {
    const coupons = toCoupons(opts.coupons, order.totalFee);
    const now = this.clock.now();
    const couponFee = coupons.reduce((sum, c) => sum + c.fee, 0);
    const noCash = coupons.filter((c) => c.type === 'NO_CASH').reduce((sum, c) => sum + c.fee, 0);
    order.tradeState = 'SUCCESS';
    order.tradeStateDesc = TRADE_STATE_DESC.SUCCESS;
    order.transactionId = ids.transactionId(now);
    order.paidAt = now;
    order.timeEnd = ids.compactTime(now);
    order.openId = opts.openId ?? order.openId ?? ids.openId();
    order.bankType = opts.bankType ?? 'OTHERS';
    order.isSubscribe = opts.isSubscribe ?? false;
    order.coupons = coupons;
    order.couponFee = couponFee;
    order.cashFee = order.totalFee - couponFee;
    order.settlementTotalFee = noCash > 0 ? order.totalFee - noCash : undefined;
    this.state.indexTransaction(order);
    this.hooks.log({ mchId: order.mchId, outTradeNo: order.outTradeNo, environment: order.environment }, 'order paid');
  }

  /** The payment of an unpaid order fails (control call); the order can still be paid. */
  failPayment(outTradeNo: string, target?: SimTarget): OrderRecord {
    const order = this.unpaidOrder(outTradeNo, target, 'fail');
    order.tradeState = 'PAYERROR';
    order.tradeStateDesc = TRADE_STATE_DESC.PAYERROR;
    return order;
  }

  /** An unpaid order expires now (control call). */
  expire(outTradeNo: string, target?: SimTarget): OrderRecord {
    const order = this.unpaidOrder(outTradeNo, target, 'expire');
    order.tradeState = 'CLOSED';
    order.tradeStateDesc = TRADE_STATE_DESC.CLOSED;
    order.expiresAt = Math.min(order.expiresAt ?? Infinity, this.clock.now());
    return order;
  }

  private unpaidOrder(outTradeNo: string, target: SimTarget | undefined, action: string): OrderRecord {
    const order = this.pickOrder(outTradeNo, target);
    if (order.tradeState !== 'NOTPAY' && order.tradeState !== 'PAYERROR' && order.tradeState !== 'USERPAYING') {
      throw new SimulatorError('INVALID_STATE', `cannot ${action} order ${outTradeNo}: it is ${order.tradeState}`);
    }
    if (action === 'pay' && isExpired(order, this.clock.now())) {
      throw new SimulatorError(
        'INVALID_STATE',
        `cannot pay order ${outTradeNo}: its time_expire has passed (close it and order again under a new number)`,
      );
    }
    return order;
  }

  // ---- payment codes (v2 micropay, v3 codepay) ---------------------------------------------

  /**
   * A payment-code submission. The auth code picks the case ({@link micropayCase}): paid at once,
   * `USERPAYING` (then paid, failed or never, as later queries show), an unknown outcome
   * (`SYSTEMERROR` while the payment went through, `BANKERROR` while it failed), or a refusal that
   * creates no order. The same number again finds the order while the payer is still confirming;
   * a reversed, paid or closed number is refused.
   */
  submitMicropay(draft: NewMicropay): MicropayOutcome {
    const existing = this.findOrder(draft.environment, draft.mchId, { outTradeNo: draft.outTradeNo });
    if (existing) {
      if (existing.tradeState === 'REVOKED') return { refused: 'reversed' };
      if (isPaid(existing)) return { refused: 'paid' };
      if (existing.tradeState === 'CLOSED') return { refused: 'closed' };
      if (existing.fingerprint === draft.fingerprint && existing.tradeState === 'USERPAYING')
        return { answer: 'userpaying', order: existing };
      return { refused: 'out-trade-no-used' };
    }
    const kase = micropayCase(draft.authCode);
    if (kase === 'authcode-expired') return { error: 'AUTHCODEEXPIRE' };
    if (kase === 'authcode-invalid') return { error: 'AUTH_CODE_INVALID' };
    if (kase === 'notenough') return { error: 'NOTENOUGH' };
    const { order } = this.placeOrder({
      environment: draft.environment,
      apiVersion: draft.apiVersion,
      mchId: draft.mchId,
      appId: draft.appId,
      subMchId: draft.subMchId,
      subAppId: draft.subAppId,
      outTradeNo: draft.outTradeNo,
      tradeType: 'MICROPAY',
      body: draft.body,
      attach: draft.attach,
      deviceInfo: draft.deviceInfo,
      totalFee: draft.totalFee,
      feeType: draft.feeType,
      notifyUrl: '',
      productId: undefined,
      sceneInfo: undefined,
      signType: draft.signType,
      expiresAt: undefined,
      openId: undefined,
      subOpenId: undefined,
      fingerprint: draft.fingerprint,
    }) as { order: OrderRecord };
    order.micropay = { case: kase, queries: 0, reverses: 0 };
    this.hooks.log({ mchId: order.mchId, outTradeNo: order.outTradeNo, case: kase }, 'payment code submitted');
    switch (kase) {
      case 'paid':
        this.settle(order);
        return { answer: 'paid', order };
      case 'systemerror-paid':
        this.settle(order);
        return { error: 'SYSTEMERROR', order };
      case 'bankerror-payerror':
        order.tradeState = 'PAYERROR';
        order.tradeStateDesc = TRADE_STATE_DESC.PAYERROR;
        return { error: 'BANKERROR', order };
      default:
        order.tradeState = 'USERPAYING';
        order.tradeStateDesc = TRADE_STATE_DESC.USERPAYING;
        return { answer: 'userpaying', order };
    }
  }

  /**
   * An order query (either API version): {@link findOrder}, and for a payment-code order still
   * `USERPAYING`, the payer's progress: `userpaying-then-paid` is paid at the query after
   * {@link QUERIES_BEFORE_PAID}, `userpaying-then-payerror` fails at the first.
   */
  queryOrder(environment: SimEnvironment, mchId: string, lookup: OrderLookup): OrderRecord | undefined {
    const order = this.findOrder(environment, mchId, lookup);
    const progress = order?.micropay;
    if (order === undefined || progress === undefined || order.tradeState !== 'USERPAYING') return order;
    progress.queries++;
    if (progress.case === 'userpaying-then-paid' && progress.queries > QUERIES_BEFORE_PAID) this.settle(order);
    if (progress.case === 'userpaying-then-payerror') {
      order.tradeState = 'PAYERROR';
      order.tradeStateDesc = TRADE_STATE_DESC.PAYERROR;
    }
    return order;
  }

  /**
   * Reverses a payment-code order (v2 reverse, v3 codepay reverse): paid or not, it ends
   * `REVOKED` (a paid one refunds the payer). Reversing again changes nothing and succeeds. Only
   * payment-code orders, within 7 days; the `userpaying-reverse-systemerror` case answers its
   * first reverse with `SYSTEMERROR`.
   */
  reverse(environment: SimEnvironment, mchId: string, lookup: OrderLookup): ReverseOutcome {
    const order = this.findOrder(environment, mchId, lookup);
    if (order === undefined) return { refused: 'not-found' };
    if (order.micropay === undefined) return { refused: 'not-micropay' };
    if (this.clock.now() - order.createdAt > REVERSE_WINDOW_MS) return { refused: 'expired' };
    order.micropay.reverses++;
    if (order.micropay.case === 'userpaying-reverse-systemerror' && order.micropay.reverses === 1) return { error: 'SYSTEMERROR', order };
    if (order.refunds.length > 0) return { refused: 'refunded' };
    if (order.tradeState !== 'REVOKED') {
      const was = order.tradeState;
      order.tradeState = 'REVOKED';
      order.tradeStateDesc = TRADE_STATE_DESC.REVOKED;
      this.hooks.log({ mchId: order.mchId, outTradeNo: order.outTradeNo, was }, 'order reversed');
    }
    return { order };
  }

  // ---- refunds ------------------------------------------------------------------------------

  /**
   * A merchant's refund request (either API version). The same `outRefundNo` with the same order
   * and amounts finds the refund made before; otherwise the amounts are checked against what is
   * left of the order. A new refund starts `PROCESSING`; `reply` renders the caller's answer at
   * that moment (WeChat answers before the refund settles), and only then does the `auto` refund
   * mode complete it.
   */
  requestRefund<T>(request: RefundRequest, reply: (refund: RefundRecord, order: OrderRecord) => T): RefundOutcome<T> {
    const order = this.findOrder(request.environment, request.mchId, request.lookup);
    if (!order || !isPaid(order)) return { refused: 'order-not-found' };
    const existing = this.state.refund(request.environment, order.mchId, request.outRefundNo);
    if (existing) {
      if (existing.outTradeNo !== order.outTradeNo || existing.refundFee !== request.refundFee || existing.totalFee !== request.totalFee) {
        return { refused: 'differs-from-earlier' };
      }
      return { reply: reply(existing, order), created: false };
    }
    if (request.totalFee !== order.totalFee) return { refused: 'total-mismatch' };
    if (request.refundFee > order.totalFee) return { refused: 'exceeds-total' };
    if (order.refundedFee + request.refundFee > order.totalFee) return { refused: 'not-enough' };
    if (order.refunds.length >= MAX_REFUNDS_PER_ORDER) return { refused: 'too-many' };

    const record = acceptRefund(this.state, this.clock.now(), order, {
      outRefundNo: request.outRefundNo,
      refundFee: request.refundFee,
      refundFeeType: request.refundFeeType ?? order.feeType,
      refundDesc: request.refundDesc,
      refundAccount: request.refundAccount,
      notifyUrl: request.notifyUrl,
      signType: request.signType,
      fingerprint: request.fingerprint,
      apiVersion: request.apiVersion,
      source: 'api',
    });
    this.hooks.log(
      {
        mchId: order.mchId,
        outTradeNo: order.outTradeNo,
        outRefundNo: request.outRefundNo,
        refundFee: request.refundFee,
        apiVersion: request.apiVersion,
      },
      'refund accepted',
    );
    const answer = reply(record, order);
    if (this.hooks.refundMode() === 'auto') this.finishRefund(record, 'SUCCESS');
    return { reply: answer, created: true };
  }

  /**
   * A refund started from WeChat's side (control call: the merchant console, or an API refund
   * made up for a test). Defaults: the whole amount left, a generated `outRefundNo`, the console.
   */
  startRefund(outTradeNo: string, opts: SimStartRefundOptions = {}): RefundRecord {
    const order = this.pickOrder(outTradeNo, opts);
    if (!isPaid(order)) {
      throw new SimulatorError('INVALID_STATE', `cannot refund order ${outTradeNo}: it is ${order.tradeState}`);
    }
    const left = order.totalFee - order.refundedFee;
    const refundFee = opts.refundFee ?? left;
    if (!Number.isInteger(refundFee) || refundFee <= 0)
      throw new SimulatorError('BAD_REQUEST', 'refundFee must be a positive integer (fen)');
    if (refundFee > left) throw new SimulatorError('INVALID_STATE', `order ${outTradeNo} has only ${left} fen left to refund`);
    const source: RefundSource = opts.source ?? 'console';
    if (source !== 'console' && source !== 'api') throw new SimulatorError('BAD_REQUEST', 'source must be console or api');
    const now = this.clock.now();
    const outRefundNo =
      opts.outRefundNo ?? `${source === 'console' ? 'C' : 'R'}${ids.compactTime(now)}${ids.randomString(8, '0123456789')}`;
    if (this.state.refund(order.environment, order.mchId, outRefundNo)) {
      throw new SimulatorError('INVALID_STATE', `refund ${outRefundNo} exists already`);
    }
    const record = acceptRefund(this.state, now, order, {
      outRefundNo,
      refundFee,
      refundFeeType: order.feeType,
      refundDesc: opts.reason,
      refundAccount: 'REFUND_SOURCE_UNSETTLED_FUNDS',
      notifyUrl: opts.notifyUrl ?? this.merchants.get(order.mchId)?.refundNotifyUrl,
      signType: order.signType,
      fingerprint: '',
      apiVersion: order.apiVersion,
      source,
    });
    this.hooks.log({ mchId: order.mchId, outTradeNo, outRefundNo, refundFee, source }, 'refund started');
    if (this.hooks.refundMode() === 'auto') this.finishRefund(record, 'SUCCESS');
    return record;
  }

  /**
   * Settles a refund: `SUCCESS`, `CHANGE` (failed; may still succeed or close) or `REFUNDCLOSE`
   * (closed: its amount is refundable again). {@link LedgerHooks.refundFinished} hears of it.
   */
  finishRefund(refund: RefundRecord, status: 'SUCCESS' | 'CHANGE' | 'REFUNDCLOSE'): void {
    const allowed = status === 'CHANGE' ? ['PROCESSING'] : ['PROCESSING', 'CHANGE'];
    if (!allowed.includes(refund.status)) {
      throw new SimulatorError('INVALID_STATE', `refund ${refund.outRefundNo} is ${refund.status}`);
    }
    refund.status = status;
    if (status === 'SUCCESS') refund.successTime = ids.readableTime(this.clock.now());
    if (status === 'REFUNDCLOSE') {
      const order = this.state.order(refund.environment, refund.mchId, refund.outTradeNo);
      if (order) order.refundedFee -= refund.refundFee;
    }
    this.hooks.log({ outRefundNo: refund.outRefundNo, status }, 'refund finished');
    this.hooks.refundFinished(refund);
  }

  // ---- transfers ----------------------------------------------------------------------------

  /**
   * A merchant's transfer bill (商家转账). A new bill is accepted and, the operating account
   * having the funds, waits for the payee at once: `ACCEPTED` → `PROCESSING` →
   * `WAIT_USER_CONFIRM`, with a `package_info` and 24 hours to confirm. The same `outBillNo` with
   * the same request (the name compared decrypted) finds the bill made before, in whatever state
   * it is now (WeChat's 原单重试); with another request it is refused.
   */
  createTransfer(draft: NewTransfer): TransferOutcome {
    const existing = this.findTransfer(draft.mchId, { outBillNo: draft.outBillNo });
    if (existing) {
      if (existing.fingerprint !== draft.fingerprint) return { refused: 'out-bill-no-used' };
      return { bill: existing, created: false };
    }
    const now = this.clock.now();
    const bill: TransferRecord = {
      ...draft,
      transferBillNo: ids.transferBillNo(now),
      state: 'ACCEPTED',
      history: ['ACCEPTED'],
      failReason: undefined,
      packageInfo: ids.packageInfo(),
      createdAt: now,
      updatedAt: now,
      expiresAt: now + TRANSFER_CONFIRM_WINDOW_MS,
      timer: undefined,
    };
    this.state.transfers.add(bill);
    this.move(bill, 'PROCESSING');
    this.move(bill, 'WAIT_USER_CONFIRM');
    bill.timer = this.clock.setTimeout(() => {
      bill.timer = undefined;
      if (this.state.transfers.byOutBillNo(bill.mchId, bill.outBillNo) === bill) this.refreshTransfer(bill);
    }, TRANSFER_CONFIRM_WINDOW_MS);
    this.hooks.log({ mchId: bill.mchId, outBillNo: bill.outBillNo, transferAmount: bill.transferAmount }, 'transfer bill created');
    return { bill, created: true };
  }

  /** A bill the WeChat way (`transfer_bill_no` or `out_bill_no`), closed first if its 24 hours ran out. */
  findTransfer(mchId: string, lookup: { outBillNo?: string | undefined; transferBillNo?: string | undefined }): TransferRecord | undefined {
    const book = this.state.transfers;
    const bill = lookup.transferBillNo
      ? book.byTransferBillNo(mchId, lookup.transferBillNo)
      : book.byOutBillNo(mchId, lookup.outBillNo ?? '');
    if (bill) this.refreshTransfer(bill);
    return bill;
  }

  /** The one bill with this number for a control call (throws `NOT_FOUND`/`AMBIGUOUS`), expiry applied. */
  pickTransfer(outBillNo: string, target?: SimTarget): TransferRecord {
    const bill = this.state.transfers.pick(outBillNo, target);
    this.refreshTransfer(bill);
    return bill;
  }

  /** Every bill matching `filter`, expiry applied. */
  transfers(filter?: SimTarget): TransferRecord[] {
    return this.state.transfers.all(filter).map((b) => (this.refreshTransfer(b), b));
  }

  /** The payee confirms: `WAIT_USER_CONFIRM` → `TRANSFERING` → `SUCCESS`, and the callback goes out. */
  confirmTransfer(bill: TransferRecord): TransferRecord {
    if (bill.state !== 'WAIT_USER_CONFIRM') {
      throw new SimulatorError('INVALID_STATE', `cannot confirm transfer ${bill.outBillNo}: it is ${bill.state}`);
    }
    this.move(bill, 'TRANSFERING');
    this.finishTransfer(bill, 'SUCCESS', undefined);
    return bill;
  }

  /** WeChat fails the bill (risk control, a wrong name, …): → `FAIL` with `reason`, and the callback. */
  failTransfer(bill: TransferRecord, reason = 'OTHER_FAIL_REASON_TYPE'): TransferRecord {
    if (!['ACCEPTED', 'PROCESSING', 'WAIT_USER_CONFIRM', 'TRANSFERING'].includes(bill.state)) {
      throw new SimulatorError('INVALID_STATE', `cannot fail transfer ${bill.outBillNo}: it is ${bill.state}`);
    }
    this.finishTransfer(bill, 'FAIL', reason);
    return bill;
  }

  /** The payee's confirmation window ends now: → `FAIL` (`OVERDUE_CLOSE`), and the callback. */
  expireTransfer(bill: TransferRecord): TransferRecord {
    if (!['ACCEPTED', 'PROCESSING', 'WAIT_USER_CONFIRM'].includes(bill.state)) {
      throw new SimulatorError('INVALID_STATE', `cannot expire transfer ${bill.outBillNo}: it is ${bill.state}`);
    }
    bill.expiresAt = Math.min(bill.expiresAt, this.clock.now());
    this.finishTransfer(bill, 'FAIL', 'OVERDUE_CLOSE');
    return bill;
  }

  /**
   * The merchant cancels a bill the payee has not confirmed: → `CANCELING`; `reply` renders the
   * answer at that moment, then the bill is `CANCELLED` (funds unlocked) and the callback goes out.
   * Cancelling a cancelled bill answers it again. A bill being transferred or finished cannot be
   * cancelled.
   */
  cancelTransfer<T>(bill: TransferRecord, reply: (bill: TransferRecord) => T): { reply: T } | { refused: TransferCancelRefusal } {
    if (bill.state === 'CANCELLED' || bill.state === 'CANCELING') return { reply: reply(bill) };
    if (!['ACCEPTED', 'PROCESSING', 'WAIT_USER_CONFIRM'].includes(bill.state)) return { refused: 'not-cancellable' };
    this.move(bill, 'CANCELING');
    const answer = reply(bill);
    this.finishTransfer(bill, 'CANCELLED', 'MCH_CANCEL');
    return { reply: answer };
  }

  // ---- transfer batches and 企业付款 (the older pay-out products; rules in payouts.ts) ---------

  /** A transfer batch (`/v3/transfer/batches`): new, the same batch re-sent, or refused. */
  createTransferBatch(draft: NewBatch): BatchOutcome {
    const outcome = this.state.payouts.createBatch(draft, this.clock);
    if ('batch' in outcome && outcome.created) {
      this.hooks.log({ mchId: draft.mchId, outBatchNo: draft.outBatchNo, totalAmount: draft.totalAmount }, 'transfer batch accepted');
    }
    return outcome;
  }

  /** A batch by `out_batch_no` or `batch_id`, its state brought up to business time. */
  findTransferBatch(mchId: string, lookup: { outBatchNo?: string | undefined; batchId?: string | undefined }): BatchRecord | undefined {
    return this.state.payouts.batch(mchId, lookup, this.clock);
  }

  /** Every batch, brought up to business time. */
  transferBatches(): BatchRecord[] {
    return this.state.payouts.allBatches(this.clock);
  }

  /** A 企业付款: paid at once, the same transfer again for the same request, or refused. */
  payToBalance(draft: NewBalanceTransfer): BalanceTransferOutcome {
    const outcome = this.state.payouts.payToBalance(draft, this.clock);
    if ('transfer' in outcome && outcome.created) {
      this.hooks.log({ mchId: draft.mchId, partnerTradeNo: draft.partnerTradeNo, amount: draft.amount }, '企业付款 paid');
    }
    return outcome;
  }

  findBalanceTransfer(mchId: string, partnerTradeNo: string): BalanceTransferRecord | undefined {
    return this.state.payouts.balanceTransfer(mchId, partnerTradeNo);
  }

  /** An unconfirmed bill past its 24 hours closes (`FAIL`, `OVERDUE_CLOSE`) the moment anyone looks, or when its timer fires. */
  private refreshTransfer(bill: TransferRecord): void {
    if (bill.state === 'WAIT_USER_CONFIRM' && this.clock.now() >= bill.expiresAt) this.finishTransfer(bill, 'FAIL', 'OVERDUE_CLOSE');
  }

  private move(bill: TransferRecord, state: SimTransferState): void {
    bill.state = state;
    bill.history.push(state);
    bill.updatedAt = this.clock.now();
  }

  private finishTransfer(bill: TransferRecord, state: 'SUCCESS' | 'FAIL' | 'CANCELLED', reason: string | undefined): void {
    this.move(bill, state);
    bill.failReason = state === 'SUCCESS' ? undefined : reason;
    if (bill.timer !== undefined) {
      this.clock.clearTimeout(bill.timer);
      bill.timer = undefined;
    }
    this.hooks.log({ mchId: bill.mchId, outBillNo: bill.outBillNo, state, failReason: bill.failReason }, 'transfer bill finished');
    this.hooks.transferFinished(bill);
  }
}

/** A transfer bill as the v3 codec read it; the ledger adds numbers, state and times. */
export interface NewTransfer {
  readonly mchId: string;
  readonly appId: string;
  readonly outBillNo: string;
  readonly transferSceneId: string;
  readonly openId: string;
  readonly transferAmount: number;
  readonly transferRemark: string;
  readonly userName: string | undefined;
  readonly userNameSerial: string | undefined;
  readonly userRecvPerception: string | undefined;
  readonly sceneReportInfos: { infoType: string; infoContent: string }[];
  readonly notifyUrl: string | undefined;
  /** What makes a re-sent create "the same transfer". */
  readonly fingerprint: string;
}

/** Why an `out_bill_no` cannot be used again. */
export type TransferRefusal = 'out-bill-no-used';

/** Why a bill cannot be cancelled. */
export type TransferCancelRefusal = 'not-cancellable';

export type TransferOutcome =
  | { readonly bill: TransferRecord; readonly created: boolean; readonly refused?: undefined }
  | { readonly refused: TransferRefusal; readonly bill?: undefined; readonly created?: undefined };

/** What the ledger tells the simulator. */
export interface LedgerHooks {
  /** The refund mode in force (`auto` completes each new refund at once). */
  refundMode(): RefundMode;
  /** An order was paid and its notification is wanted. */
  paid(order: OrderRecord): void;
  /** A refund reached SUCCESS, CHANGE or REFUNDCLOSE. */
  refundFinished(refund: RefundRecord): void;
  /** A transfer bill reached SUCCESS, FAIL or CANCELLED. */
  transferFinished(bill: TransferRecord): void;
  /** An info line about a state change. */
  log(fields: Record<string, unknown>, message: string): void;
}

/** How WeChat finds an order: by `transaction_id` when given, else by `out_trade_no`. */
export interface OrderLookup {
  readonly transactionId?: string | undefined;
  readonly outTradeNo?: string | undefined;
}

/** An order as a codec read it from a request; the ledger adds ids, state and timestamps. */
export interface NewOrder {
  readonly environment: SimEnvironment;
  readonly apiVersion: ApiVersion;
  readonly mchId: string;
  readonly appId: string;
  readonly subMchId: string | undefined;
  readonly subAppId: string | undefined;
  readonly outTradeNo: string;
  readonly tradeType: string;
  readonly body: string;
  readonly attach: string | undefined;
  readonly deviceInfo: string | undefined;
  readonly totalFee: number;
  readonly feeType: string;
  readonly notifyUrl: string;
  readonly productId: string | undefined;
  readonly sceneInfo: string | undefined;
  readonly signType: SignType;
  readonly expiresAt: number | undefined;
  readonly openId: string | undefined;
  readonly subOpenId: string | undefined;
  /** What makes a re-submission "the same order" (the codec's canonical form of the request). */
  readonly fingerprint: string;
}

/** A payment-code submission as a codec read it. */
export interface NewMicropay {
  readonly environment: SimEnvironment;
  readonly apiVersion: ApiVersion;
  readonly mchId: string;
  readonly appId: string;
  readonly subMchId: string | undefined;
  readonly subAppId: string | undefined;
  readonly outTradeNo: string;
  readonly body: string;
  readonly attach: string | undefined;
  readonly deviceInfo: string | undefined;
  readonly totalFee: number;
  readonly feeType: string;
  readonly signType: SignType;
  readonly authCode: string;
  readonly fingerprint: string;
}

/** What a payment-code submission answers; each codec words it in its own dialect. */
export type MicropayOutcome =
  | { readonly answer: 'paid' | 'userpaying'; readonly order: OrderRecord; readonly error?: undefined; readonly refused?: undefined }
  | {
      readonly error: 'SYSTEMERROR' | 'BANKERROR' | 'AUTHCODEEXPIRE' | 'AUTH_CODE_INVALID' | 'NOTENOUGH';
      readonly order?: OrderRecord | undefined;
      readonly answer?: undefined;
      readonly refused?: undefined;
    }
  | { readonly refused: OrderRefusal | 'reversed'; readonly answer?: undefined; readonly error?: undefined; readonly order?: undefined };

/** What a reverse answers. */
export type ReverseOutcome =
  | { readonly order: OrderRecord; readonly error?: undefined; readonly refused?: undefined }
  | { readonly error: 'SYSTEMERROR'; readonly order: OrderRecord; readonly refused?: undefined }
  | { readonly refused: 'not-found' | 'not-micropay' | 'expired' | 'refunded'; readonly order?: undefined; readonly error?: undefined };

/** Reverse only within 7 days of the payment (spec §5.9). */
export const REVERSE_WINDOW_MS = 7 * 24 * 3600_000;

/** Why an order number cannot be used (again); each codec words it in its own error codes. */
export type OrderRefusal = 'paid' | 'closed' | 'out-trade-no-used';

/** A placed (or found again) order, or why the number cannot be used. */
export type PlaceOrderOutcome =
  | { readonly order: OrderRecord; readonly created: boolean; readonly refused?: undefined }
  | { readonly refused: OrderRefusal; readonly order?: undefined; readonly created?: undefined };

/** A merchant's refund request as a codec read it. */
export interface RefundRequest {
  readonly environment: SimEnvironment;
  readonly apiVersion: ApiVersion;
  readonly mchId: string;
  readonly lookup: OrderLookup;
  readonly outRefundNo: string;
  readonly refundFee: number;
  /** The order's amount as the request states it; must match the order. */
  readonly totalFee: number;
  /** Default: the order's currency. */
  readonly refundFeeType: string | undefined;
  readonly refundDesc: string | undefined;
  readonly refundAccount: string;
  readonly notifyUrl: string | undefined;
  readonly signType: SignType;
  readonly fingerprint: string;
}

/** Why a refund request is refused; each codec words it in its own error codes. */
export type RefundRefusal =
  /** No such order, or it is not paid. */
  | 'order-not-found'
  /** `outRefundNo` was used before with another order or other amounts. */
  | 'differs-from-earlier'
  /** The stated order amount is not the order's. */
  | 'total-mismatch'
  /** The refund is larger than the order. */
  | 'exceeds-total'
  /** The refund is larger than what is left of the order. */
  | 'not-enough'
  /** The order has {@link MAX_REFUNDS_PER_ORDER} refunds already. */
  | 'too-many';

/** The caller's reply for an accepted (or found again) refund, or why it was refused. */
export type RefundOutcome<T> =
  | { readonly reply: T; readonly created: boolean; readonly refused?: undefined }
  | { readonly refused: RefundRefusal; readonly reply?: undefined; readonly created?: undefined };

/** An order that has been paid (refunded in part or whole counts as paid). */
export const isPaid = (order: OrderRecord): boolean => order.tradeState === 'SUCCESS' || order.tradeState === 'REFUND';

function toCoupons(input: SimPayOptions['coupons'], totalFee: number): SimCoupon[] {
  if (input === undefined) return [];
  if (!Array.isArray(input)) throw new SimulatorError('BAD_REQUEST', 'coupons must be an array');
  const coupons = input.map((c, n): SimCoupon => {
    if (!Number.isInteger(c?.fee) || c.fee <= 0)
      throw new SimulatorError('BAD_REQUEST', `coupons[${n}].fee must be a positive integer (fen)`);
    if (c.type !== undefined && c.type !== 'CASH' && c.type !== 'NO_CASH') {
      throw new SimulatorError('BAD_REQUEST', `coupons[${n}].type must be CASH or NO_CASH`);
    }
    return Object.freeze({ id: c.id ?? String(10000 + n), type: c.type ?? 'CASH', fee: c.fee });
  });
  if (coupons.reduce((s, c) => s + c.fee, 0) >= totalFee) {
    throw new SimulatorError('BAD_REQUEST', 'coupons must leave a cash amount above zero');
  }
  return coupons;
}
