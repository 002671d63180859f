import type { Logger } from '@wxpay-kit/core';
import type { SimulatorClock } from './clock.js';
import { SimulatorError } from './errors.js';
import { payNotificationXml, refundNotificationXml } from './notification-bodies.js';
import type { Notifier } from './notifier.js';
import type { OrderRecord, RefundRecord, SimState } from './state.js';
import type { SimEnvironment, SimForgeOptions, SimNotification, SimulatorMerchant } from './types.js';
import type { WechatpayKeyring } from './v3/keys.js';
import { forgeV3Notification, v3PayNotification, v3RefundNotification } from './v3/notifications.js';

/** What the notifications to merchants need. */
export interface NoticeDeps {
  readonly state: SimState;
  readonly merchants: ReadonlyMap<string, SimulatorMerchant>;
  readonly notifier: Notifier;
  readonly keyring: WechatpayKeyring;
  /** The clock of signature timestamps and notification times: real time, also when the business clock was moved ahead. */
  readonly wireClock: SimulatorClock;
  readonly logger: Logger;
}

/** The notifications WeChat sends a merchant, each in the dialect of the order's or refund's API version. */
export interface Notices {
  /** Sends the pay notification of a paid order. */
  paid(order: OrderRecord): void;
  /** Sends the notification of a finished refund (none when it has no notify URL). */
  refundFinished(refund: RefundRecord): void;
  /** Sends one spoiled v3 notification once and resolves when it settled. */
  forge(opts: SimForgeOptions): Promise<SimNotification>;
}

const FORGERIES = ['signtest', 'bad-signature', 'unknown-serial', 'stale-timestamp', 'bad-tag'];

export function createNotices(deps: NoticeDeps): Notices {
  const { state, merchants, notifier, keyring, wireClock, logger } = deps;
  const signer = { keyring, clock: wireClock };

  const keyFor = (environment: SimEnvironment, mchId: string): string => {
    const merchant = merchants.get(mchId)!;
    return environment === 'sandbox' ? merchant.sandboxKey : merchant.apiKey;
  };

  /** What a pay notification is about and where it goes. */
  const payAddress = (order: OrderRecord) =>
    ({ kind: 'pay', environment: order.environment, mchId: order.mchId, outTradeNo: order.outTradeNo, url: order.notifyUrl }) as const;
  /** What a refund notification is about; `url` is the refund's notify URL, checked by the caller. */
  const refundAddress = (refund: RefundRecord, url: string) =>
    ({
      kind: 'refund',
      environment: refund.environment,
      mchId: refund.mchId,
      outTradeNo: refund.outTradeNo,
      outRefundNo: refund.outRefundNo,
      url,
    }) as const;

  const v3Merchant = (mchId: string): SimulatorMerchant => {
    const merchant = merchants.get(mchId)!;
    if (!merchant.v3) throw new SimulatorError('INVALID_STATE', `merchant ${mchId} is not a v3 merchant`);
    return merchant;
  };

  return {
    paid(order) {
      const merchant = merchants.get(order.mchId)!;
      if (order.apiVersion === 'v3' && merchant.v3) {
        notifier.send({ ...payAddress(order), format: 'json', ...v3PayNotification(signer, merchant, order) });
      } else {
        notifier.send({ ...payAddress(order), body: payNotificationXml(order, keyFor(order.environment, order.mchId)) });
      }
    },

    refundFinished(refund) {
      const order = state.order(refund.environment, refund.mchId, refund.outTradeNo)!;
      if (!refund.notifyUrl) {
        logger.warn(
          { outRefundNo: refund.outRefundNo },
          'refund has no notify_url and its merchant no refundNotifyUrl; no notification sent',
        );
        return;
      }
      const merchant = merchants.get(refund.mchId)!;
      // Refunds started from the merchant console are notified in v2 XML even to v3 merchants.
      if (refund.apiVersion === 'v3' && refund.source === 'api' && merchant.v3) {
        notifier.send({
          ...refundAddress(refund, refund.notifyUrl),
          format: 'json',
          ...v3RefundNotification(signer, merchant, refund, order),
        });
        return;
      }
      notifier.send({
        ...refundAddress(refund, refund.notifyUrl),
        body: refundNotificationXml(refund, order, keyFor(refund.environment, refund.mchId)),
      });
    },

    async forge(opts) {
      if (!FORGERIES.includes(opts?.forgery)) throw new SimulatorError('BAD_REQUEST', `forgery must be one of ${FORGERIES.join(', ')}`);
      if (opts.outRefundNo !== undefined) {
        const refund = state.pickRefund(opts.outRefundNo, opts);
        const order = state.order(refund.environment, refund.mchId, refund.outTradeNo)!;
        if (refund.status === 'PROCESSING') throw new SimulatorError('INVALID_STATE', `refund ${refund.outRefundNo} is still PROCESSING`);
        if (!refund.notifyUrl) throw new SimulatorError('INVALID_STATE', `refund ${refund.outRefundNo} has no notify URL`);
        const merchant = v3Merchant(refund.mchId);
        return notifier.sendAndSettle({
          ...refundAddress(refund, refund.notifyUrl),
          format: 'json',
          once: true,
          forgery: opts.forgery,
          ...forgeV3Notification(signer, merchant, v3RefundNotification(signer, merchant, refund, order), opts.forgery),
        });
      }
      if (opts.outTradeNo === undefined) throw new SimulatorError('BAD_REQUEST', 'give outTradeNo or outRefundNo');
      const order = state.pickOrder(opts.outTradeNo, opts);
      if (order.tradeState !== 'SUCCESS' && order.tradeState !== 'REFUND') {
        throw new SimulatorError('INVALID_STATE', `order ${order.outTradeNo} is ${order.tradeState}; only paid orders are notified`);
      }
      const merchant = v3Merchant(order.mchId);
      return notifier.sendAndSettle({
        ...payAddress(order),
        format: 'json',
        once: true,
        forgery: opts.forgery,
        ...forgeV3Notification(signer, merchant, v3PayNotification(signer, merchant, order), opts.forgery),
      });
    },
  };
}
