/**
 * 企业付款到零钱 on the v2 wire (spec v3-more §2.2): the mapping of its two verified XML replies to
 * the model. The pay reply names the merchant `mchid` and the app `mch_appid`; the query reply uses
 * the usual `mch_id` and `appid`. Amounts must be whole numbers of fen; anything else is refused.
 */
import type { BalanceTransfer, BalanceTransferResult } from '../../model/balance-transfer.js';
import { freezeRecord, optionalText, requiredFen, requiredText } from './fields.js';
import type { XmlRecord } from './xml.js';

/** Who the call was made for, when the reply leaves a name out. */
export interface BalanceTransferCall {
  readonly appId: string;
  readonly mchId: string;
}

/** A successful `/mmpaymkttransfers/promotion/transfers` reply. */
export function toBalanceTransferResult(record: Readonly<XmlRecord>, call: BalanceTransferCall): BalanceTransferResult {
  return Object.freeze({
    appId: optionalText(record, 'mch_appid') ?? call.appId,
    mchId: optionalText(record, 'mchid') ?? call.mchId,
    partnerTradeNo: requiredText(record, 'partner_trade_no'),
    paymentNo: requiredText(record, 'payment_no'),
    paymentTime: optionalText(record, 'payment_time'),
    raw: freezeRecord(record),
  });
}

/** A successful `/mmpaymkttransfers/gettransferinfo` reply. */
export function toBalanceTransfer(record: Readonly<XmlRecord>, call: BalanceTransferCall): BalanceTransfer {
  return Object.freeze({
    appId: optionalText(record, 'appid') ?? call.appId,
    mchId: optionalText(record, 'mch_id') ?? call.mchId,
    partnerTradeNo: requiredText(record, 'partner_trade_no'),
    detailId: requiredText(record, 'detail_id'),
    status: requiredText(record, 'status'),
    reason: optionalText(record, 'reason'),
    openId: optionalText(record, 'openid'),
    transferName: optionalText(record, 'transfer_name'),
    paymentAmount: requiredFen(record, 'payment_amount'),
    transferTime: optionalText(record, 'transfer_time'),
    paymentTime: optionalText(record, 'payment_time'),
    desc: optionalText(record, 'desc'),
    raw: freezeRecord(record),
  });
}
