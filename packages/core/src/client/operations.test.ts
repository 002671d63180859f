import { describe, expect, it } from 'vitest';
import { OPERATIONS, OPERATION_NAMES } from './operations.js';
import { V2_OPERATIONS } from './v2/operations.js';
import { V3_OPERATIONS } from './v3/operations.js';

describe('operations as data', () => {
  it('declares every operation once, and each version declares each one against that declaration', () => {
    expect(OPERATION_NAMES).toEqual(Object.keys(OPERATIONS));
    for (const name of OPERATION_NAMES) {
      expect(V2_OPERATIONS[name].op, `v2 ${name}`).toBe(OPERATIONS[name]);
      expect(V3_OPERATIONS[name].op, `v3 ${name}`).toBe(OPERATIONS[name]);
    }
    expect(Object.keys(V2_OPERATIONS).sort()).toEqual([...OPERATION_NAMES].sort());
    expect(Object.keys(V3_OPERATIONS).sort()).toEqual([...OPERATION_NAMES].sort());
  });

  it('retries only what is safe to repeat: never the order itself', () => {
    expect(Object.fromEntries(OPERATION_NAMES.map((n) => [n, OPERATIONS[n].retry]))).toEqual({
      unifiedOrder: 'never',
      queryOrder: 'safe',
      closeOrder: 'safe',
      refund: 'safe',
      queryRefund: 'safe',
      downloadBill: 'safe',
      downloadFundFlowBill: 'safe',
      // The same out_bill_no is the same transfer (原单重试), so a repeat cannot pay twice.
      createTransfer: 'safe',
      queryTransfer: 'safe',
      cancelTransfer: 'safe',
      micropay: 'never',
      reverse: 'safe',
      // WeChat asks for the same out_batch_no / partner_trade_no after an unknown outcome: the same batch, the same payment.
      createTransferBatch: 'safe',
      queryTransferBatch: 'safe',
      queryTransferBatchDetail: 'safe',
      transferToBalance: 'safe',
      queryTransferToBalance: 'safe',
    });
  });

  it('v2 presents the merchant certificate for refunds, the fund-flow bill, reverses and 企业付款 only', () => {
    expect(OPERATION_NAMES.filter((n) => V2_OPERATIONS[n].mtls === true)).toEqual([
      'refund',
      'downloadFundFlowBill',
      'reverse',
      'transferToBalance',
      'queryTransferToBalance',
    ]);
  });

  it('names the one version of the calls only one version has', () => {
    expect(Object.fromEntries(OPERATION_NAMES.filter((n) => OPERATIONS[n].only).map((n) => [n, OPERATIONS[n].only]))).toEqual({
      createTransfer: 'v3',
      queryTransfer: 'v3',
      cancelTransfer: 'v3',
      createTransferBatch: 'v3',
      queryTransferBatch: 'v3',
      queryTransferBatchDetail: 'v3',
      transferToBalance: 'v2',
      queryTransferToBalance: 'v2',
    });
  });
});
