import { generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import type { SimulatorClock } from '../clock.js';
import type { OrderRecord, RefundRecord, TransferRecord } from '../state.js';
import { transferResource } from './transfers.js';
import type { SimForgery, SimulatorMerchant } from '../types.js';
import { refundEvent, refundResource, transactionObject } from './bodies.js';
import { wechatpayHeaders } from './reply.js';
import type { WechatpayKeyring } from './keys.js';
import { encryptResource } from './resource.js';
import { rfc3339 } from './time.js';

/** A v3 notification ready for the notifier: a fixed body, headers signed afresh for each attempt. */
export interface V3Notification {
  readonly body: string;
  readonly headers: () => Record<string, string>;
}

interface Deps {
  readonly keyring: WechatpayKeyring;
  readonly clock: SimulatorClock;
}

function envelope(
  deps: Deps,
  merchant: SimulatorMerchant,
  event: { eventType: string; summary: string; originalType: string; resource: Record<string, unknown> },
): V3Notification {
  const body = JSON.stringify({
    id: randomUUID(),
    create_time: rfc3339(deps.clock.now()),
    resource_type: 'encrypt-resource',
    event_type: event.eventType,
    summary: event.summary,
    resource: {
      original_type: event.originalType,
      ...encryptResource(JSON.stringify(event.resource), merchant.v3!.apiV3Key, event.originalType),
    },
  });
  return { body, headers: () => ({ ...wechatpayHeaders(deps, merchant, body), 'request-id': randomUUID() }) };
}

/** `TRANSACTION.SUCCESS` with the transaction object encrypted (spec v3 §7.1). */
export function v3PayNotification(deps: Deps, merchant: SimulatorMerchant, order: OrderRecord): V3Notification {
  return envelope(deps, merchant, {
    eventType: 'TRANSACTION.SUCCESS',
    summary: '支付成功',
    originalType: 'transaction',
    resource: transactionObject(order),
  });
}

/** `REFUND.SUCCESS` / `REFUND.ABNORMAL` / `REFUND.CLOSED` with the refund resource encrypted (spec v3 §7.1). */
export function v3RefundNotification(deps: Deps, merchant: SimulatorMerchant, refund: RefundRecord, order: OrderRecord): V3Notification {
  const { eventType, summary } = refundEvent(refund);
  return envelope(deps, merchant, { eventType, summary, originalType: 'refund', resource: refundResource(refund, order) });
}

/** `MCHTRANSFER.BILL.FINISHED` with the bill encrypted; `original_type` and `associated_data` `mch_payment` (spec v3-more §1.11). */
export function v3TransferNotification(deps: Deps, merchant: SimulatorMerchant, bill: TransferRecord): V3Notification {
  return envelope(deps, merchant, {
    eventType: 'MCHTRANSFER.BILL.FINISHED',
    summary: '商家转账单据终态通知',
    originalType: 'mch_payment',
    resource: transferResource(bill),
  });
}

let strayKey: KeyObject | undefined;

/** Spoils a genuine v3 notification the way `forgery` says (see `SimForgery`). */
export function forgeV3Notification(deps: Deps, merchant: SimulatorMerchant, genuine: V3Notification, forgery: SimForgery): V3Notification {
  const envelope = JSON.parse(genuine.body) as { summary: string; resource: { ciphertext: string } };
  switch (forgery) {
    case 'signtest':
      return {
        body: genuine.body,
        headers: () => ({ ...genuine.headers(), 'wechatpay-signature': `WECHATPAY/SIGNTEST/${randomBytes(192).toString('base64')}` }),
      };
    case 'bad-signature': {
      const body = JSON.stringify({ ...envelope, summary: `${envelope.summary}.` });
      return { body, headers: genuine.headers };
    }
    case 'unknown-serial': {
      strayKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      const key = strayKey;
      const serial = randomBytes(20).toString('hex').toUpperCase();
      return {
        body: genuine.body,
        headers: () => {
          const h = genuine.headers();
          const message = `${h['wechatpay-timestamp']}\n${h['wechatpay-nonce']}\n${genuine.body}\n`;
          return {
            ...h,
            'wechatpay-serial': serial,
            'wechatpay-signature': sign('sha256', Buffer.from(message, 'utf8'), key).toString('base64'),
          };
        },
      };
    }
    case 'stale-timestamp':
      return {
        body: genuine.body,
        headers: () => ({ ...wechatpayHeaders(deps, merchant, genuine.body, -600), 'request-id': randomUUID() }),
      };
    case 'bad-tag': {
      const data = Buffer.from(envelope.resource.ciphertext, 'base64');
      data[data.length - 1] = data[data.length - 1]! ^ 0x01;
      const body = JSON.stringify({ ...envelope, resource: { ...envelope.resource, ciphertext: data.toString('base64') } });
      return { body, headers: () => ({ ...wechatpayHeaders(deps, merchant, body), 'request-id': randomUUID() }) };
    }
  }
}
