/** What the transfer routes share: the seed-style result of a bill, and WeChat's refusals with their `err_code`. */
import { WxPayError } from '../../errors.js';
import type { CreateTransferResult, TransferBill } from '../../model/transfer.js';
import { errorResponse } from '../respond.js';
import type { WxPayResponse } from '../types.js';

/** A bill as the transfer routes answer it (WeChat's field names, as the seed gateway's replies). */
export function billResult(bill: TransferBill | CreateTransferResult): Record<string, unknown> {
  const out: Record<string, unknown> = {
    mch_id: bill.mchId,
    app_id: bill.appId,
    out_bill_no: bill.outBillNo,
    transfer_bill_no: bill.transferBillNo,
    state: bill.state,
  };
  if (bill.transferAmount !== undefined) out['transfer_amount'] = bill.transferAmount;
  if (bill.transferRemark !== undefined) out['transfer_remark'] = bill.transferRemark;
  if (bill.openId !== undefined) out['openid'] = bill.openId;
  if (bill.failReason !== undefined) out['fail_reason'] = bill.failReason;
  if (bill.createTime !== undefined) out['create_time'] = bill.createTime;
  if (bill.updateTime !== undefined) out['update_time'] = bill.updateTime;
  if ('packageInfo' in bill && bill.packageInfo !== undefined) out['package_info'] = bill.packageInfo;
  if ('confirmParams' in bill && bill.confirmParams !== undefined) out['confirm_params'] = bill.confirmParams;
  return out;
}

/**
 * Runs a transfer call; WeChat's business refusal (`NOT_ENOUGH`, `NO_AUTH`, `PARAM_ERROR`, …)
 * answers the JSON error reply (`{code, msg, err_code, retryable}`, `err_code` WeChat's code) with
 * the error's status, so the caller can branch on it.
 * Other failures propagate to the handler's error answer.
 */
export async function withWeChatErrors(run: () => Promise<WxPayResponse>): Promise<WxPayResponse> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof WxPayError)) throw error;
    return errorResponse(error);
  }
}
