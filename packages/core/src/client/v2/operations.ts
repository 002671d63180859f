/**
 * API v2's half of each operation (spec §5): path, mutual TLS, the request's wire fields and the
 * reply's mapping to the model. {@link ./client.ts} runs them: it adds the merchant ids, nonce and
 * signature, sends, checks the two reply layers and the signature, and retries per the operation.
 */
import type { ResolvedConfig, ResolvedMerchant } from '../../config/types.js';
import { ValidationError, WxPayError, XmlError } from '../../errors.js';
import type { UnifiedOrderInput, UnifiedOrderResult } from '../../model/contract.js';
import type { MicropayResult } from '../../model/micropay.js';
import type { ClientPayParams, TradeType } from '../../model/payment.js';
import { appPayParams, jsapiPayParams, mwebPayUrl } from '../../protocol/v2/client-params.js';
import { toBalanceTransfer, toBalanceTransferResult } from '../../protocol/v2/balance-transfer.js';
import {
  optionalText,
  replyBase,
  requiredText,
  toOrderQueryResult,
  toRefundQueryResult,
  toRefundResult,
} from '../../protocol/v2/fields.js';
import type { SignType } from '../../protocol/v2/sign.js';
import type { XmlRecord, XmlValue } from '../../protocol/v2/xml.js';
import { checkSubOpenId } from '../shared.js';
import { OPERATIONS, type InputOf, type NormalizedOf, type Operation, type OperationName, type ResultOf } from '../operations.js';

/** What a mapper knows about the call besides its input. */
export interface V2Call {
  readonly config: ResolvedConfig;
  readonly merchant: ResolvedMerchant;
  /** The key the call was signed with (sandbox: the sandbox sign key). */
  readonly key: string;
  readonly signType: SignType;
}

/** A verified reply: the XML record, or for a file download its text. */
export interface V2Reply {
  readonly record: XmlRecord;
  readonly text: string | undefined;
}

/** API v2's declaration of one operation. */
export interface V2Operation<I, N, R> {
  readonly op: Operation<I, N, R>;
  /** The production path; sandbox merchants call `/sandboxnew/…` (without `/secapi`). */
  readonly path: string;
  /** Presents the merchant certificate (`/secapi/…`; not in the sandbox). */
  readonly mtls?: boolean;
  /** The reply may be a file rather than XML (bill download). */
  readonly file?: boolean;
  /** Checks needing the merchant, before anything is sent. */
  readonly check?: (input: I, merchant: ResolvedMerchant) => void;
  /**
   * The call names the merchant and app itself, under its own field names (企业付款: `mchid`,
   * `mch_appid`), and is signed with MD5 only: the executor adds just the nonce and the signature,
   * never `mch_id`, the sub-merchant ids or `sign_type`.
   */
  readonly ownIds?: boolean;
  /** The call's own wire fields, always in the same order (merchant ids, nonce and sign are added unless {@link ownIds}). */
  readonly build: (input: I, normalized: N, merchant: ResolvedMerchant) => Readonly<Record<string, XmlValue>>;
  /** The verified reply as the model. */
  readonly map: (reply: V2Reply, input: I, call: V2Call) => R;
  /** A failure that means the goal is reached (close: `ORDERCLOSED`): the call resolves. */
  readonly done?: (error: unknown) => boolean;
  /** A failure that is an answer (micropay: `USERPAYING`): the call resolves with what this returns, unless undefined. */
  readonly recover?: (error: unknown, input: I) => R | undefined;
}

/** A call API v2 does not have: refused before anything is sent, saying which version offers it. */
function v3Only<I, N, R>(op: Operation<I, N, R>, what = 'transfer bills'): V2Operation<I, N, R> {
  return {
    op,
    path: '',
    check: () => {
      throw new ValidationError(`${op.name} is an API v3 call (${what}); this merchant has no API v3 keys`, {
        field: 'merchant',
      });
    },
    build: () => ({}),
    map: () => {
      throw new XmlError(`${op.name} has no API v2 reply`);
    },
  };
}

/** API v2 spells the fund accounts in title case (spec §5.7). */
const FUND_ACCOUNT_V2 = { BASIC: 'Basic', OPERATION: 'Operation', FEES: 'Fees' } as const;

type V2Table = { readonly [K in OperationName]: V2Operation<InputOf<K>, NormalizedOf<K>, ResultOf<K>> };

function clientParams(input: UnifiedOrderInput, record: XmlRecord, tradeType: TradeType, call: V2Call): ClientPayParams {
  const { merchant, config } = call;
  // Only JSAPI and APP payments are signed for the payer's side (a timestamp and a nonce of their own).
  const signed = (appId: string, partnerId: string) => ({
    appId,
    partnerId,
    prepayId: requiredText(record, 'prepay_id'),
    apiKey: call.key,
    signType: call.signType,
    timestamp: Math.floor(config.now() / 1000),
    nonce: config.nonce(),
  });
  switch (tradeType) {
    case 'JSAPI':
      // SP mode: the page runs in the sub-merchant's app when the order named a sub_openid (spec §6.2).
      return {
        tradeType,
        jsapi: jsapiPayParams(signed(input.subOpenId !== undefined && merchant.subAppId ? merchant.subAppId : input.appId, '')),
      };
    case 'APP':
      return { tradeType, app: appPayParams(signed(merchant.subAppId ?? input.appId, merchant.subMchId ?? merchant.mchId)) };
    case 'MWEB':
      return { tradeType, mwebUrl: mwebPayUrl(requiredText(record, 'mweb_url'), input.redirectUrl) };
    case 'NATIVE':
      return { tradeType, codeUrl: requiredText(record, 'code_url') };
  }
}

function toUnifiedOrderResult({ record }: V2Reply, input: UnifiedOrderInput, call: V2Call): UnifiedOrderResult {
  const tradeType = (optionalText(record, 'trade_type') ?? input.tradeType) as TradeType;
  if (tradeType !== input.tradeType) throw new XmlError(`reply names trade type ${tradeType}, not ${input.tradeType}`);
  // Object.assign, not a spread followed by more properties: V8 defines each of those one by one
  // through the runtime (about 1 µs a property).
  const result: UnifiedOrderResult = Object.assign(replyBase(record), {
    tradeType,
    prepayId: requiredText(record, 'prepay_id'),
    codeUrl: optionalText(record, 'code_url'),
    mwebUrl: optionalText(record, 'mweb_url'),
    deviceInfo: optionalText(record, 'device_info'),
    signType: call.signType,
    clientParams: clientParams(input, record, tradeType, call),
  });
  return Object.freeze(result);
}

/** A paid micropay reply (no `trade_state` on the wire: paid is what success means, spec §5.8) in orderquery's shape. */
function toMicropayResult({ record }: V2Reply): MicropayResult {
  const payment = toOrderQueryResult(Object.assign(Object.create(null) as XmlRecord, record, { trade_state: 'SUCCESS' }));
  if (!payment.transactionId) throw new XmlError("field 'transaction_id' is missing");
  return Object.freeze({ tradeState: 'SUCCESS', outTradeNo: payment.outTradeNo, payment });
}

/**
 * 企业付款 (spec v3-more §2.2) is a direct-merchant production call: WeChat documents no
 * service-provider variant and no sandbox path for it, and it is signed with the API v2 key.
 */
function balanceTransferMerchant(_input: unknown, merchant: ResolvedMerchant): void {
  if (merchant.subMchId !== undefined) {
    throw new ValidationError('企业付款 (transferToBalance) is for direct merchants only (this merchant has subMchId)', {
      field: 'merchant',
    });
  }
  if (merchant.sandbox) {
    throw new ValidationError('企业付款 (transferToBalance) has no WeChat sandbox; use a production merchant (or the simulator)', {
      field: 'merchant',
    });
  }
  if (!merchant.apiKey) throw new ValidationError('企业付款 needs the merchant API v2 key (apiKey)', { field: 'merchant' });
}

const isResultCode = (error: unknown, code: string): boolean =>
  error instanceof WxPayError && error.layer === 'result' && error.errCode === code;

/** API v2's operations, one declaration each. */
export const V2_OPERATIONS: V2Table = {
  unifiedOrder: {
    op: OPERATIONS.unifiedOrder,
    path: '/pay/unifiedorder',
    check: checkSubOpenId,
    build: (input, normalized) => ({
      appid: input.appId,
      device_info: input.deviceInfo,
      body: input.body,
      detail: normalized.detail,
      attach: input.attach,
      out_trade_no: input.outTradeNo,
      fee_type: input.feeType,
      total_fee: input.totalFee,
      spbill_create_ip: input.spbillCreateIp,
      time_start: normalized.timeStart,
      time_expire: normalized.timeExpire,
      goods_tag: input.goodsTag,
      notify_url: input.notifyUrl,
      trade_type: input.tradeType,
      product_id: input.productId,
      limit_pay: input.limitPay,
      openid: input.openId,
      sub_openid: input.subOpenId,
      receipt: input.receipt === undefined ? undefined : input.receipt ? 'Y' : undefined,
      scene_info: normalized.sceneInfo,
      profit_sharing: input.profitSharing === undefined ? undefined : input.profitSharing ? 'Y' : 'N',
    }),
    map: toUnifiedOrderResult,
  },
  queryOrder: {
    op: OPERATIONS.queryOrder,
    path: '/pay/orderquery',
    build: (input) => ({ appid: input.appId, transaction_id: input.transactionId, out_trade_no: input.outTradeNo }),
    map: (reply) => toOrderQueryResult(reply.record),
  },
  closeOrder: {
    op: OPERATIONS.closeOrder,
    path: '/pay/closeorder',
    build: (input) => ({ appid: input.appId, out_trade_no: input.outTradeNo }),
    map: () => undefined,
    // Already closed: the goal is reached (spec §5.3). A retried close may see this too.
    done: (error) => error instanceof WxPayError && error.layer === 'result' && error.errCode === 'ORDERCLOSED',
  },
  refund: {
    op: OPERATIONS.refund,
    path: '/secapi/pay/refund',
    mtls: true,
    build: (input) => ({
      appid: input.appId,
      transaction_id: input.transactionId,
      out_trade_no: input.outTradeNo,
      out_refund_no: input.outRefundNo,
      total_fee: input.totalFee,
      refund_fee: input.refundFee,
      refund_fee_type: input.refundFeeType,
      refund_desc: input.refundDesc,
      refund_account: input.refundAccount,
      notify_url: input.notifyUrl,
    }),
    map: (reply) => toRefundResult(reply.record),
  },
  queryRefund: {
    op: OPERATIONS.queryRefund,
    path: '/pay/refundquery',
    build: (input) => ({
      appid: input.appId,
      refund_id: input.refundId,
      out_refund_no: input.outRefundNo,
      transaction_id: input.transactionId,
      out_trade_no: input.outTradeNo,
      offset: input.offset,
    }),
    map: (reply) => toRefundQueryResult(reply.record),
  },
  downloadBill: {
    op: OPERATIONS.downloadBill,
    path: '/pay/downloadbill',
    file: true,
    build: (input) => ({
      appid: input.appId,
      bill_date: input.billDate,
      bill_type: input.billType ?? 'ALL',
      tar_type: input.gzip ? 'GZIP' : undefined,
    }),
    map: (reply) => {
      // An XML reply that passed the checks is not a bill: WeChat only answers XML on failure.
      if (reply.text === undefined) throw new XmlError('downloadbill answered XML instead of a bill');
      return reply.text;
    },
  },
  downloadFundFlowBill: {
    op: OPERATIONS.downloadFundFlowBill,
    path: '/pay/downloadfundflow',
    mtls: true,
    file: true,
    // WeChat accepts only HMAC-SHA256 here (spec §5.7), and the sandbox has no fund-flow bill.
    check: (_input, merchant) => {
      if (merchant.sandbox || merchant.signType !== 'HMAC-SHA256') {
        throw new ValidationError(
          "downloadFundFlowBill needs a production merchant with signType 'HMAC-SHA256' (WeChat accepts no other)",
          {
            field: 'merchant',
          },
        );
      }
    },
    build: (input) => ({
      appid: input.appId,
      bill_date: input.billDate,
      account_type: FUND_ACCOUNT_V2[input.accountType ?? 'BASIC'],
      tar_type: input.gzip ? 'GZIP' : undefined,
    }),
    map: (reply) => {
      if (reply.text === undefined) throw new XmlError('downloadfundflow answered XML instead of a bill');
      return reply.text;
    },
  },
  createTransfer: v3Only(OPERATIONS.createTransfer),
  queryTransfer: v3Only(OPERATIONS.queryTransfer),
  cancelTransfer: v3Only(OPERATIONS.cancelTransfer),
  micropay: {
    op: OPERATIONS.micropay,
    path: '/pay/micropay',
    build: (input) => ({
      appid: input.appId,
      device_info: input.deviceInfo,
      body: input.body,
      attach: input.attach,
      out_trade_no: input.outTradeNo,
      total_fee: input.totalFee,
      fee_type: input.feeType,
      spbill_create_ip: input.spbillCreateIp,
      goods_tag: input.goodsTag,
      limit_pay: input.limitPay,
      auth_code: input.authCode,
    }),
    map: toMicropayResult,
    // The payer must enter a password: not a failure, the answer "query until final" (spec §5.8).
    recover: (error, input) =>
      isResultCode(error, 'USERPAYING') ? Object.freeze({ tradeState: 'USERPAYING' as const, outTradeNo: input.outTradeNo }) : undefined,
  },
  reverse: {
    op: OPERATIONS.reverse,
    path: '/secapi/pay/reverse',
    mtls: true,
    build: (input) => ({ appid: input.appId, transaction_id: input.transactionId, out_trade_no: input.outTradeNo }),
    map: ({ record }) => {
      // `recall=Y`: WeChat asks for the reverse to be called again (spec §5.9): retried like SYSTEMERROR.
      if (record['recall'] === 'Y') {
        throw new WxPayError({ layer: 'result', errCode: 'SYSTEMERROR', errCodeDes: 'reverse answered recall=Y: call it again' });
      }
      return undefined;
    },
  },
  createTransferBatch: v3Only(OPERATIONS.createTransferBatch, 'transfer batches'),
  queryTransferBatch: v3Only(OPERATIONS.queryTransferBatch, 'transfer batches'),
  queryTransferBatchDetail: v3Only(OPERATIONS.queryTransferBatchDetail, 'transfer batches'),
  transferToBalance: {
    op: OPERATIONS.transferToBalance,
    path: '/mmpaymkttransfers/promotion/transfers',
    mtls: true,
    ownIds: true,
    check: balanceTransferMerchant,
    // The unusual names are WeChat's: `mch_appid` and `mchid`, not `appid` and `mch_id`.
    build: (input, normalized, merchant) => ({
      mch_appid: input.appId,
      mchid: merchant.mchId,
      device_info: input.deviceInfo,
      partner_trade_no: input.partnerTradeNo,
      openid: input.openId,
      check_name: normalized.checkName,
      re_user_name: normalized.reUserName,
      amount: input.amount,
      desc: input.desc,
      spbill_create_ip: input.spbillCreateIp,
    }),
    map: ({ record }, input, call) => toBalanceTransferResult(record, { appId: input.appId, mchId: call.merchant.mchId }),
  },
  queryTransferToBalance: {
    op: OPERATIONS.queryTransferToBalance,
    path: '/mmpaymkttransfers/gettransferinfo',
    mtls: true,
    ownIds: true,
    check: balanceTransferMerchant,
    build: (input, _n, merchant) => ({ appid: input.appId, mch_id: merchant.mchId, partner_trade_no: input.partnerTradeNo }),
    map: ({ record }, input, call) => toBalanceTransfer(record, { appId: input.appId, mchId: call.merchant.mchId }),
  },
};
