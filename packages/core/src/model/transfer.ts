/**
 * Merchant transfers (商家转账, the transfer-bills API of 2025), protocol-neutral: what a transfer
 * call takes and answers, what WeChat's `MCHTRANSFER.BILL.FINISHED` callback reports, and the
 * payloads of the `transferred`, `transfer-failed` and `transfer-cancelled` events. API v3 only.
 * Amounts are integers in fen. Nothing here imports anything of ours.
 */

/**
 * A transfer bill's state. `TRANSFERING` and `CANCELING` are spelt as WeChat spells them. Terminal:
 * `SUCCESS`, `FAIL`, `CANCELLED`.
 */
export type TransferState =
  | 'ACCEPTED'
  | 'PROCESSING'
  | 'WAIT_USER_CONFIRM'
  | 'TRANSFERING'
  | 'SUCCESS'
  | 'FAIL'
  | 'CANCELING'
  | 'CANCELLED'
  | (string & {});

/** The states a transfer ends in. */
export type TransferFinalState = 'SUCCESS' | 'FAIL' | 'CANCELLED';

/** Whether `state` is final (`SUCCESS`, `FAIL`, `CANCELLED`). */
export function isFinalTransferState(state: string): state is TransferFinalState {
  return state === 'SUCCESS' || state === 'FAIL' || state === 'CANCELLED';
}

/**
 * WeChat's real-name rule: from this amount on (¥2,000, in fen) a transfer must name the payee
 * (`userName`), which WeChat checks against the account.
 */
export const TRANSFER_REAL_NAME_THRESHOLD = 200_000;

/** One row of `transfer_scene_report_infos`: the scene's fixed label and free text. */
export interface TransferSceneReport {
  /** The scene's fixed label (e.g. `活动名称` for scene `1000`), at most 15 characters. */
  readonly infoType: string;
  /** At most 32 characters. */
  readonly infoContent: string;
}

/** A merchant and app id for a transfer call (the same shape as every client call's target). */
interface TransferTarget {
  /** The merchant's configured `name`. */
  readonly merchant: string;
  /** The `appid` the payee's `openid` belongs to. */
  readonly appId: string;
}

/** Input of `WxPayClient.createTransfer` (`POST /v3/fund-app/mch-transfer/transfer-bills`). */
export interface CreateTransferInput extends TransferTarget {
  /** Merchant bill number: 1–32 letters and digits, unique per merchant. Re-sending it resumes the same transfer. */
  readonly outBillNo: string;
  /** The transfer scene granted to the merchant, e.g. `1000` (现金营销), `1005` (佣金报酬). */
  readonly transferSceneId: string;
  /** The payee under `appId`. */
  readonly openId: string;
  /** Amount in fen, a positive integer. */
  readonly transferAmount: number;
  /** Shown to the payee; at most 32 characters. */
  readonly transferRemark: string;
  /**
   * The payee's real name, in plain text: the client encrypts it (RSA-OAEP) with the WeChat Pay
   * public key or platform certificate before sending. Required from {@link TRANSFER_REAL_NAME_THRESHOLD} fen on.
   */
  readonly userName?: string | undefined;
  /** Where WeChat sends `MCHTRANSFER.BILL.FINISHED` (no query string). */
  readonly notifyUrl?: string | undefined;
  /** The reason the payee sees; must be one the scene allows. */
  readonly userRecvPerception?: string | undefined;
  /** The scene's report rows (`transfer_scene_report_infos`), in the scene's order. */
  readonly sceneReportInfos: readonly TransferSceneReport[];
}

/** Input of `WxPayClient.queryTransfer`: exactly one of the two numbers. */
export interface TransferQueryInput extends TransferTarget {
  readonly outBillNo?: string | undefined;
  /** WeChat's bill number. */
  readonly transferBillNo?: string | undefined;
}

/** Input of `WxPayClient.cancelTransfer`. */
export interface CancelTransferInput extends TransferTarget {
  readonly outBillNo: string;
}

/** What the payee's client needs to confirm the transfer: `wx.requestMerchantTransfer({ mchId, appId, package })`. */
export interface TransferConfirmParams {
  readonly mchId: string;
  readonly appId: string;
  /** `package_info` from WeChat. */
  readonly package: string;
}

/** A transfer bill as WeChat answered a create, cancel or query. */
export interface TransferBill {
  readonly mchId: string;
  readonly appId: string;
  readonly outBillNo: string;
  /** WeChat's bill number. */
  readonly transferBillNo: string;
  readonly state: TransferState;
  /** In fen; absent from create and cancel replies. */
  readonly transferAmount: number | undefined;
  readonly transferRemark: string | undefined;
  readonly openId: string | undefined;
  /** Why the bill failed (`FAIL`), e.g. `OVERDUE_CLOSE`, `NAME_NOT_CORRECT`; unknown values pass through. */
  readonly failReason: string | undefined;
  /** RFC 3339, as WeChat sends it. */
  readonly createTime: string | undefined;
  readonly updateTime: string | undefined;
  /** The verified JSON reply as received. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** A created (or resumed) transfer bill. */
export interface CreateTransferResult extends TransferBill {
  /** `package_info`, only while the bill waits for the payee (`WAIT_USER_CONFIRM`). */
  readonly packageInfo: string | undefined;
  /** What `wx.requestMerchantTransfer` needs, when there is a `package_info`. */
  readonly confirmParams: TransferConfirmParams | undefined;
}

/** The decrypted resource of a `MCHTRANSFER.BILL.FINISHED` callback. Amounts in fen. */
export interface TransferNotification {
  readonly mchId: string;
  readonly outBillNo: string;
  readonly transferBillNo: string;
  readonly state: TransferState;
  readonly transferAmount: number;
  readonly openId: string | undefined;
  readonly failReason: string | undefined;
  readonly createTime: string | undefined;
  readonly updateTime: string | undefined;
}

/** How a transfer's result reached us: WeChat's callback, or an active query from `confirm-transfer`. */
export type TransferEventSource = 'notify' | 'confirm';

/** Fields of every transfer event. Emitted once per transfer bill. */
export interface TransferEventBase {
  /** The app name from the configuration (the `<app>` of `notify-transfer/<app>`). */
  readonly app: string;
  /** The app id create-transfer recorded for the bill, else the app's first listed id, else `''`. */
  readonly appId: string;
  readonly mchId: string;
  readonly outBillNo: string;
  readonly transferBillNo: string;
  /** In fen. */
  readonly transferAmount: number;
  readonly openId: string | undefined;
  readonly failReason: string | undefined;
  readonly createTime: string | undefined;
  readonly updateTime: string | undefined;
  readonly source: TransferEventSource;
  /** True when an earlier handling of this bill's result was interrupted while a listener ran. */
  readonly redelivery: boolean;
  /**
   * True when the result was checked against the transfer create-transfer recorded (its app and
   * amount), and agreed; false when there was no such record (a transfer made elsewhere, or older
   * than the store keeps records): verified, but compare it with your own records.
   */
  readonly recordChecked: boolean;
  /** The verified wire payload: the callback's decrypted `resource`, or the query reply. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** The money reached the payee (`SUCCESS`). */
export interface TransferredEvent extends TransferEventBase {
  readonly state: 'SUCCESS';
}

/** The transfer failed (`FAIL`): see `failReason` (`OVERDUE_CLOSE` when the payee never confirmed). */
export interface TransferFailedEvent extends TransferEventBase {
  readonly state: 'FAIL';
}

/** The merchant's cancel completed (`CANCELLED`); the locked funds went back. */
export interface TransferCancelledEvent extends TransferEventBase {
  readonly state: 'CANCELLED';
}

export type TransferEvent = TransferredEvent | TransferFailedEvent | TransferCancelledEvent;
