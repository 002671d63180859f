/**
 * How the sweeper's findings fire: `paid` and the refund events through the same
 * once-per-transaction flows as notifications and `confirm`; `closed` once per order.
 */
import type { ClosedEvent } from '../events/event-map.js';
import type { SweepFlows } from './sweeper.js';
import { paidFromQuery, refundFromQuery } from './event-payloads.js';
import { finishMicropay } from './micropay-flow.js';
import { firePaid, fireRefund, warnIfUnheard } from './paid-flow.js';
import type { FlowContext as HandlerContext } from './context.js';

/** The key `closed` fires once under: `<mchId>:closed:<out_trade_no>`. */
export function closedKey(mchId: string, outTradeNo: string): string {
  return `${mchId}:closed:${outTradeNo}`;
}

export function sweepFlows(ctx: HandlerContext): SweepFlows {
  return {
    async paid(record, result) {
      const facts = {
        app: record.app,
        mchId: record.mchId,
        outTradeNo: result.outTradeNo,
        totalFee: result.totalFee ?? 0,
        transactionId: result.transactionId ?? '',
      };
      return firePaid(ctx, facts, (redelivery, checked) => paidFromQuery(result, record.app, redelivery, checked, 'sweep'));
    },
    async closed(record, outTradeNo, reason, tradeState) {
      return ctx.once.run(closedKey(record.mchId, outTradeNo), (redelivery) => {
        if (warnIfUnheard(ctx, 'closed')) return undefined;
        const event: ClosedEvent = Object.freeze({
          app: record.app,
          appId: record.appId,
          mchId: record.mchId,
          orderId: outTradeNo,
          totalFee: record.totalFee,
          createdAt: record.createdAt,
          expiresAt: record.expiresAt,
          reason,
          tradeState,
          source: 'sweep' as const,
          redelivery,
        });
        return ctx.emitter.emitSettling('closed', event);
      });
    },
    async micropay(record, outTradeNo) {
      const app = ctx.config.app(record.app);
      const merchant = ctx.config.merchantOfApp(record.app);
      if (app === undefined || merchant === undefined) return undefined;
      const target = { app, merchant, appId: record.appId, orderId: outTradeNo, fee: record.totalFee };
      const outcome = await finishMicropay(ctx, target, record.createdAt);
      return outcome.state === 'paid' ? 'paid' : outcome.state === 'pending' ? undefined : 'closed';
    },
    async refund(record, result, item) {
      const facts = {
        app: record.app,
        mchId: record.mchId,
        refund: {
          outTradeNo: result.outTradeNo,
          outRefundNo: item.outRefundNo,
          refundId: item.refundId,
          totalFee: result.totalFee,
          refundFee: item.refundFee,
        },
        recorded: record,
      };
      return fireRefund(ctx, facts, (redelivery, checked) => refundFromQuery(result, item, record.app, redelivery, checked));
    },
  };
}
