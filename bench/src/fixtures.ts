/**
 * The documents every scenario uses, shaped like WeChat Pay's: an 18-field unifiedorder request
 * with Chinese text and a JSON `detail`, a 26-field pay notification (CDATA strings, bare fee
 * fields, Chinese `attach`, MD5 `sign`), and a signed unifiedorder success reply.
 */
import { hash } from 'node:crypto';
import { buildXml, sign, stringToSign } from '@wxpay-kit/core/protocol';

/** The merchant's 32-character API key. */
export const API_KEY = '192006250b4c09247ec02edce69f6a2d';
export const APP_ID = 'wxd930ea5d5a258f4f';
export const MCH_ID = '10000100';

/** The 18 request fields of a unifiedorder call (without `sign`), as strings. */
export const UNIFIED_ORDER_PARAMS: Readonly<Record<string, string>> = Object.freeze({
  appid: APP_ID,
  mch_id: MCH_ID,
  device_info: 'WEB',
  nonce_str: 'ibuaiVcKdpRxkhJA5Q1r8tGdx9V3bB6k',
  sign_type: 'MD5',
  body: '腾讯充值中心-QQ会员充值',
  detail: JSON.stringify({
    cost_price: 608800,
    receipt_id: 'wx123',
    goods_detail: [{ goods_id: '商品编码', wxpay_goods_id: '1001', goods_name: 'iPhone6s 16G "金色"', quantity: 1, price: 528800 }],
  }),
  attach: '深圳分店',
  out_trade_no: '20150806125346',
  fee_type: 'CNY',
  total_fee: '88',
  spbill_create_ip: '123.12.12.123',
  time_start: '20091225091010',
  time_expire: '20091227091010',
  goods_tag: 'WXG',
  notify_url: 'https://pay.example.com/wxpay/notify-pay/shop',
  trade_type: 'NATIVE',
  product_id: '12235413214070356458058',
});

/** The same parameters with their MD5 `sign`, as built into the request XML (19 elements). */
export const SIGNED_UNIFIED_ORDER: Readonly<Record<string, string>> = Object.freeze({
  ...UNIFIED_ORDER_PARAMS,
  sign: sign(UNIFIED_ORDER_PARAMS, API_KEY, 'MD5'),
});

/** The request XML our client sends for {@link UNIFIED_ORDER_PARAMS} (about 1 KB). */
export const UNIFIED_ORDER_XML = buildXml(SIGNED_UNIFIED_ORDER);

/** Writes every value in CDATA except the numeric fee fields, as WeChat does. */
function wechatXml(fields: Readonly<Record<string, string>>): string {
  let out = '<xml>';
  for (const [name, value] of Object.entries(fields)) {
    out += /^(total_fee|cash_fee|settlement_total_fee|coupon_fee|coupon_count|coupon_fee_\d+)$/.test(name)
      ? `<${name}>${value}</${name}>`
      : `<${name}><![CDATA[${value}]]></${name}>`;
  }
  return `${out}</xml>`;
}

/** The 25 fields of a paid notification before signing. */
export function notificationFields(transactionId = '4200000123202408150123456789'): Record<string, string> {
  return {
    appid: APP_ID,
    attach: '{"shop":"深圳南山店","channel":"小程序","memo":"会员充值 - 支付测试"}',
    bank_type: 'CMB_CREDIT',
    cash_fee: '8800',
    coupon_count: '1',
    coupon_fee: '100',
    coupon_fee_0: '100',
    coupon_id_0: '10000',
    coupon_type_0: 'CASH',
    device_info: 'WEB',
    fee_type: 'CNY',
    cash_fee_type: 'CNY',
    is_subscribe: 'Y',
    mch_id: MCH_ID,
    nonce_str: '5d2b6c2a8db53831f7eda20af46e531c',
    openid: 'oUpF8uMEb4qRXf22hE3X68TekukE',
    out_trade_no: '20150806125346',
    result_code: 'SUCCESS',
    return_code: 'SUCCESS',
    settlement_total_fee: '8800',
    time_end: '20240815120000',
    total_fee: '8900',
    trade_type: 'JSAPI',
    transaction_id: transactionId,
    sign_type: 'MD5',
  };
}

/** A signed pay notification (26 fields, about 1.2 KB). */
export function notificationXml(transactionId?: string): string {
  const fields = notificationFields(transactionId);
  return wechatXml({ ...fields, sign: sign(fields, API_KEY, 'MD5') });
}

export const NOTIFICATION_XML = notificationXml();

/**
 * `count` signed notifications with transaction ids `<prefix><8 digits>`, made from a template
 * (one MD5 each, no XML building), for load generators.
 */
export function uniqueNotifications(count: number, prefix: string): string[] {
  const MARK = 'TXID-MARK';
  const [signBefore, signAfter] = stringToSign(notificationFields(MARK), API_KEY).split(MARK) as [string, string];
  const [xmlBefore, rest] = notificationXml(MARK).split(MARK) as [string, string];
  const signAt = rest.indexOf('<sign><![CDATA[') + '<sign><![CDATA['.length;
  const xmlMiddle = rest.slice(0, signAt);
  const xmlAfter = rest.slice(signAt + 32);
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    const id = `${prefix}${String(n).padStart(8, '0')}`;
    out.push(`${xmlBefore}${id}${xmlMiddle}${hash('md5', `${signBefore}${id}${signAfter}`, 'hex').toUpperCase()}${xmlAfter}`);
  }
  return out;
}

/** The unifiedorder success reply for a NATIVE order, all CDATA, signed (about 0.5 KB). */
export const UNIFIED_ORDER_REPLY_XML = ((): string => {
  const fields: Record<string, string> = {
    return_code: 'SUCCESS',
    return_msg: 'OK',
    appid: APP_ID,
    mch_id: MCH_ID,
    device_info: 'WEB',
    nonce_str: 'IITRi8Iabbblz1Jc',
    result_code: 'SUCCESS',
    prepay_id: 'wx201411101639507cbf6ffd8b0779950874',
    trade_type: 'NATIVE',
    code_url: 'weixin://wxpay/bizpayurl?pr=8bcfb2d1c8a4b3e2f1',
  };
  return wechatXml({ ...fields, sign: sign(fields, API_KEY, 'MD5') });
})();

/** The reply a notify route sends on success. */
export const NOTIFY_SUCCESS_XML = '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>';

/** A refund success reply, signed. */
export const REFUND_REPLY_XML = ((): string => {
  const fields: Record<string, string> = {
    return_code: 'SUCCESS',
    return_msg: 'OK',
    appid: APP_ID,
    mch_id: MCH_ID,
    nonce_str: 'NfsMFbUFpdbEhPXP',
    result_code: 'SUCCESS',
    transaction_id: '1008450740201411110005820873',
    out_trade_no: '20150806125346',
    out_refund_no: 'R20150806125346',
    refund_id: '2008450740201411110000174436',
    refund_fee: '1',
    total_fee: '88',
    cash_fee: '88',
  };
  return wechatXml({ ...fields, sign: sign(fields, API_KEY, 'MD5') });
})();
