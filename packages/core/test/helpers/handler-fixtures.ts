/** Shared pieces of the handler tests: a resolved configuration, a scripted client, request builders. */
import type {
  OrderQueryResult,
  RefundQueryResult,
  RefundResult,
  UnifiedOrderInput,
  UnifiedOrderResult,
  WxPayClient,
} from '../../src/client/types.js';
import type { ResolvedApp, ResolvedConfig, ResolvedMerchant } from '../../src/config/types.js';
import type { Logger } from '../../src/logger.js';
import { jsapiPayParams } from '../../src/protocol/v2/client-params.js';
import type { DedupStore } from '../../src/stores/dedup-store.js';
import type { WxPayRequest } from '../../src/handler/types.js';

export const KEY_1 = '192006250b4c09247ec02edce69f6a2d';
export const KEY_2 = 'abcdefabcdefabcdefabcdefabcdef12';
export const APP_ID_1 = 'wxd930ea5d5a258f4f';
export const APP_ID_2 = 'wx2222222222222222';
export const MCH_1 = '10000100';
export const MCH_2 = '10000200';

export interface LogLine {
  readonly level: string;
  readonly obj: object;
  readonly msg: string | undefined;
}

export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function merchant(name: string, mchId: string, apiKey: string, signType: ResolvedMerchant['signType']): ResolvedMerchant {
  return {
    name,
    mchId,
    apiKey,
    signType,
    baseUrl: 'http://127.0.0.1:1',
    cert: undefined,
    subMchId: undefined,
    subAppId: undefined,
    sandbox: false,
    apiVersion: 'v2',
  };
}

/** Two merchants (MD5 and HMAC-SHA256) and two apps, one per merchant. */
export function testConfig(overrides: Partial<ResolvedConfig> = {}): ResolvedConfig {
  const merchants = [merchant('m1', MCH_1, KEY_1, 'MD5'), merchant('m2', MCH_2, KEY_2, 'HMAC-SHA256')];
  const apps: ResolvedApp[] = [
    { name: 'shop', merchant: 'm1', appIds: [APP_ID_1] },
    { name: 'other', merchant: 'm2', appIds: [APP_ID_2] },
  ];
  const base: ResolvedConfig = {
    merchants,
    apps,
    notifyPayUrl: 'https://pay.example.com/wxpay/notify-pay',
    notifyRefundUrl: 'https://pay.example.com/wxpay/notify-refund/',
    notifyTransferUrl: 'https://pay.example.com/wxpay/notify-transfer',
    bodyLimit: 64 * 1024,
    bearerToken: undefined,
    authorize: undefined,
    store: undefined,
    client: { timeoutMs: 1000, retries: 0, retryDelayMs: 1, connections: 1, ca: undefined },
    orderExpireMinutes: 120,
    logger: recordingLogger(),
    now: () => 1_700_000_000_000,
    nonce: () => 'n'.repeat(32),
    merchant: (name) => merchants.find((m) => m.name === name),
    app: (name) => apps.find((a) => a.name === name),
    merchantOfApp: (name) => {
      const app = apps.find((a) => a.name === name);
      return app && merchants.find((m) => m.name === app.merchant);
    },
    appsByAppId: (appId) => apps.filter((a) => a.appIds.includes(appId)),
  };
  return { ...base, ...overrides };
}

/** A client whose answers the test scripts; every call is recorded. */
export interface ScriptedClient extends WxPayClient {
  readonly calls: { method: string; input: unknown }[];
  /** What queryOrder answers next (default: a NOTPAY order). */
  orderState: Partial<OrderQueryResult> | Error;
  failNext: Error | undefined;
  /** The state queryTransfer answers (default WAIT_USER_CONFIRM). */
  transferState: string;
}

function transferBill(input: { appId: string; merchant: string; outBillNo: string }, state: string) {
  return {
    mchId: input.merchant === 'm2' ? MCH_2 : MCH_1,
    appId: input.appId,
    outBillNo: input.outBillNo,
    transferBillNo: `1330${input.outBillNo}`,
    state,
    transferAmount: 100,
    transferRemark: 'r',
    openId: 'o1',
    failReason: state === 'FAIL' ? 'OVERDUE_CLOSE' : undefined,
    createTime: '2025-01-15T10:00:00.000+08:00',
    updateTime: '2025-01-15T10:00:00.000+08:00',
    raw: {},
  };
}

function replyBase(input: { appId: string; merchant: string }) {
  return { appId: input.appId, mchId: input.merchant === 'm2' ? MCH_2 : MCH_1, subAppId: undefined, subMchId: undefined, raw: {} };
}

export function scriptedClient(): ScriptedClient {
  const client: ScriptedClient = {
    calls: [],
    orderState: {},
    failNext: undefined,
    transferState: 'WAIT_USER_CONFIRM',
    async unifiedOrder(input: UnifiedOrderInput): Promise<UnifiedOrderResult> {
      record('unifiedOrder', input);
      const prepayId = `wx${input.outTradeNo}`;
      const clientParams: UnifiedOrderResult['clientParams'] =
        input.tradeType === 'JSAPI'
          ? {
              tradeType: 'JSAPI',
              jsapi: jsapiPayParams({ appId: input.appId, prepayId, apiKey: KEY_1, timestamp: 1_700_000_000, nonce: 'n' }),
            }
          : input.tradeType === 'APP'
            ? {
                tradeType: 'APP',
                app: {
                  appid: input.appId,
                  partnerid: MCH_1,
                  prepayid: prepayId,
                  package: 'Sign=WXPay',
                  noncestr: 'n',
                  timestamp: '1700000000',
                  sign: 'S',
                },
              }
            : input.tradeType === 'MWEB'
              ? { tradeType: 'MWEB', mwebUrl: `https://wx.tenpay.com/checkmweb?prepay_id=${prepayId}` }
              : { tradeType: 'NATIVE', codeUrl: 'weixin://wxpay/bizpayurl?pr=abc' };
      return {
        ...replyBase(input),
        tradeType: input.tradeType,
        prepayId,
        codeUrl: undefined,
        mwebUrl: undefined,
        deviceInfo: undefined,
        signType: 'MD5',
        clientParams,
      };
    },
    async queryOrder(input): Promise<OrderQueryResult> {
      record('queryOrder', input);
      if (client.orderState instanceof Error) throw client.orderState;
      return {
        ...replyBase(input),
        tradeState: 'NOTPAY',
        tradeStateDesc: undefined,
        outTradeNo: input.outTradeNo ?? '',
        transactionId: undefined,
        openId: undefined,
        subOpenId: undefined,
        isSubscribe: undefined,
        tradeType: undefined,
        bankType: undefined,
        totalFee: undefined,
        settlementTotalFee: undefined,
        feeType: undefined,
        cashFee: undefined,
        cashFeeType: undefined,
        couponFee: undefined,
        coupons: [],
        attach: undefined,
        timeEnd: undefined,
        deviceInfo: undefined,
        promotionDetail: undefined,
        ...client.orderState,
      };
    },
    async closeOrder(input) {
      record('closeOrder', input);
    },
    async refund(input): Promise<RefundResult> {
      record('refund', input);
      return {
        ...replyBase(input),
        transactionId: '4200000000202401010000000001',
        outTradeNo: input.outTradeNo ?? '',
        outRefundNo: input.outRefundNo,
        refundId: '50000408942024010100000000001',
        refundFee: input.refundFee,
        settlementRefundFee: undefined,
        totalFee: input.totalFee,
        settlementTotalFee: undefined,
        feeType: 'CNY',
        cashFee: input.totalFee,
        cashFeeType: undefined,
        cashRefundFee: input.refundFee,
        couponRefundFee: undefined,
        couponRefunds: [],
      };
    },
    async createTransfer(input) {
      record('createTransfer', input);
      if (client.failNext) throw client.failNext;
      const bill = transferBill(input, 'WAIT_USER_CONFIRM');
      return { ...bill, packageInfo: 'PKG', confirmParams: { mchId: bill.mchId, appId: input.appId, package: 'PKG' } };
    },
    async queryTransfer(input) {
      record('queryTransfer', input);
      return transferBill({ ...input, outBillNo: input.outBillNo ?? 'B1' }, client.transferState);
    },
    async cancelTransfer(input) {
      record('cancelTransfer', input);
      return transferBill(input, 'CANCELING');
    },
    async queryRefund(input): Promise<RefundQueryResult> {
      record('queryRefund', input);
      return {
        ...replyBase(input),
        transactionId: '4200000000202401010000000001',
        outTradeNo: input.outTradeNo ?? 'T1',
        totalFee: 100,
        settlementTotalFee: undefined,
        feeType: 'CNY',
        cashFee: 100,
        totalRefundCount: 1,
        refunds: [
          {
            outRefundNo: input.outRefundNo ?? 'R1',
            refundId: '50000408942024010100000000001',
            refundChannel: 'ORIGINAL',
            refundFee: 100,
            settlementRefundFee: undefined,
            refundStatus: 'SUCCESS',
            refundAccount: undefined,
            refundRecvAccount: '支付用户零钱',
            refundSuccessTime: '2024-01-01 12:00:00',
            couponRefundFee: undefined,
            coupons: [],
          },
        ],
      };
    },
    async downloadBill() {
      return '';
    },
    async downloadFundFlowBill() {
      return '';
    },
    async micropay(input) {
      record('micropay', input);
      return { tradeState: 'USERPAYING', outTradeNo: input.outTradeNo };
    },
    async reverse(input) {
      record('reverse', input);
    },
    // No route makes these calls: any use in a handler test is a mistake, and says so.
    async createTransferBatch(input) {
      record('createTransferBatch', input);
      throw new Error('createTransferBatch is not scripted');
    },
    async queryTransferBatch(input) {
      record('queryTransferBatch', input);
      throw new Error('queryTransferBatch is not scripted');
    },
    async queryTransferBatchDetail(input) {
      record('queryTransferBatchDetail', input);
      throw new Error('queryTransferBatchDetail is not scripted');
    },
    async transferToBalance(input) {
      record('transferToBalance', input);
      throw new Error('transferToBalance is not scripted');
    },
    async queryTransferToBalance(input) {
      record('queryTransferToBalance', input);
      throw new Error('queryTransferToBalance is not scripted');
    },
    async getSandboxSignKey() {
      return '';
    },
    async signKey(merchant) {
      return merchant === 'm2' ? KEY_2 : KEY_1;
    },
    async close() {
      record('close', undefined);
    },
  };
  function record(method: string, input: unknown): void {
    client.calls.push({ method, input });
    const failure = client.failNext;
    if (failure) {
      client.failNext = undefined;
      throw failure;
    }
  }
  return client;
}

const encoder = new TextEncoder();

/** A JSON request to an internal route. */
export function jsonRequest(path: string, body: unknown, headers: Record<string, string> = {}): WxPayRequest {
  return {
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', ...headers },
    rawBody: encoder.encode(typeof body === 'string' ? body : JSON.stringify(body)),
  };
}

/** An XML notification as WeChat posts it. */
export function xmlRequest(path: string, xml: string, contentType: string | undefined = 'text/xml'): WxPayRequest {
  return {
    method: 'POST',
    path,
    headers: contentType === undefined ? {} : { 'content-type': contentType },
    rawBody: encoder.encode(xml),
  };
}

/** Decodes a response body as text. */
export function bodyText(body: string | Uint8Array): string {
  return typeof body === 'string' ? body : new TextDecoder().decode(body);
}

/** A store whose every claim answers `busy`, as when another instance holds the transaction. */
export function busyStore(inner: DedupStore): DedupStore {
  return { ...inner, claim: async () => ({ state: 'busy' }) };
}
