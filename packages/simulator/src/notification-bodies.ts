import { sign } from '@wxpay-kit/core/protocol';
import { encryptRefundInfo } from '@wxpay-kit/core/testing';
import { nonceStr } from './ids.js';
import type { OrderRecord, RefundRecord } from './state.js';
import { wechatXml } from './wechat-xml.js';

type Fields = Record<string, string | number | undefined>;

/** The payment fields shared by orderquery replies and pay notifications (spec §5.2, §7.1). */
export function paymentFields(order: OrderRecord): Fields {
  const fields: Fields = {
    openid: order.openId,
    sub_openid: order.subOpenId,
    is_subscribe: order.isSubscribe === undefined ? undefined : order.isSubscribe ? 'Y' : 'N',
    trade_type: order.tradeType,
    bank_type: order.bankType,
    total_fee: order.totalFee,
    settlement_total_fee: order.settlementTotalFee,
    fee_type: order.feeType,
    cash_fee: order.cashFee,
    cash_fee_type: order.feeType,
    coupon_fee: order.coupons.length > 0 ? order.couponFee : undefined,
    coupon_count: order.coupons.length > 0 ? order.coupons.length : undefined,
  };
  order.coupons.forEach((c, n) => {
    fields[`coupon_type_${n}`] = c.type;
    fields[`coupon_id_${n}`] = c.id;
    fields[`coupon_fee_${n}`] = c.fee;
  });
  fields['transaction_id'] = order.transactionId;
  fields['out_trade_no'] = order.outTradeNo;
  fields['attach'] = order.attach;
  fields['time_end'] = order.timeEnd;
  return fields;
}

/**
 * The pay notification WeChat posts to `notify_url` (spec §7.1): signed with the algorithm the
 * order was placed with; `sign_type` is included only for HMAC-SHA256 (spec §2.2).
 */
export function payNotificationXml(order: OrderRecord, key: string): string {
  const fields: Fields = {
    return_code: 'SUCCESS',
    return_msg: 'OK',
    appid: order.appId,
    mch_id: order.mchId,
    sub_appid: order.subAppId,
    sub_mch_id: order.subMchId,
    device_info: order.deviceInfo,
    nonce_str: nonceStr(),
    result_code: 'SUCCESS',
    ...paymentFields(order),
  };
  if (order.signType === 'HMAC-SHA256') fields['sign_type'] = 'HMAC-SHA256';
  fields['sign'] = sign(fields, key, order.signType);
  return wechatXml(fields);
}

/** The decrypted `req_info` of a refund notification (spec §8.2): a `<root>` document. */
export function refundInfoXml(refund: RefundRecord, order: OrderRecord): string {
  return wechatXml(
    {
      out_refund_no: refund.outRefundNo,
      out_trade_no: refund.outTradeNo,
      refund_account: refund.refundAccount,
      refund_fee: String(refund.refundFee),
      refund_id: refund.refundId,
      refund_recv_accout: refund.recvAccount,
      refund_request_source: refund.source === 'console' ? 'VENDOR_PLATFORM' : 'API',
      refund_status: refund.status,
      settlement_refund_fee: String(refund.settlementRefundFee),
      settlement_total_fee: String(order.settlementTotalFee ?? order.totalFee),
      success_time: refund.successTime,
      total_fee: String(refund.totalFee),
      transaction_id: refund.transactionId,
    },
    'root',
  );
}

/** The refund notification (spec §8.1): no `sign`; the details travel encrypted in `req_info`. */
export function refundNotificationXml(refund: RefundRecord, order: OrderRecord, key: string): string {
  return wechatXml({
    return_code: 'SUCCESS',
    appid: order.appId,
    mch_id: order.mchId,
    sub_appid: order.subAppId,
    sub_mch_id: order.subMchId,
    nonce_str: nonceStr(),
    req_info: encryptRefundInfo(refundInfoXml(refund, order), key),
  });
}
