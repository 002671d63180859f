import { describe, expect, it } from 'vitest';
import { XmlError } from '../../errors.js';
import { toTransferBatch, toTransferBatchCreated, toTransferBatchDetail } from './transfer-batch.js';

const call = { appId: 'wxAPP', mchId: '1230000109' };

describe('transfer batch replies', () => {
  it('maps the create reply and names a missing field', () => {
    expect(toTransferBatchCreated({ out_batch_no: 'B1', batch_id: '1030', batch_status: 'ACCEPTED' })).toMatchObject({
      outBatchNo: 'B1',
      batchId: '1030',
      batchStatus: 'ACCEPTED',
    });
    expect(() => toTransferBatchCreated({ out_batch_no: 'B1' })).toThrow("field 'batch_id' is missing");
  });

  it('maps a batch query with its detail list; amounts must be whole fen', () => {
    const transfer_batch = { out_batch_no: 'B1', batch_id: '1030', batch_status: 'FINISHED', total_amount: 300, total_num: 2, fail_num: 1 };
    const batch = toTransferBatch(
      { transfer_batch, transfer_detail_list: [{ detail_id: '1040', out_detail_no: 'D1', detail_status: 'FAIL' }] },
      call,
    );
    expect(batch).toMatchObject({ mchId: '1230000109', appId: 'wxAPP', totalAmount: 300, failNum: 1, successNum: undefined });
    expect(batch.details).toEqual([{ detailId: '1040', outDetailNo: 'D1', detailStatus: 'FAIL' }]);
    expect(toTransferBatch({ transfer_batch }, call).details).toEqual([]);
    for (const total_amount of [1.5, -1, '300']) {
      expect(() => toTransferBatch({ transfer_batch: { ...transfer_batch, total_amount } }, call)).toThrow(XmlError);
    }
    expect(() => toTransferBatch({}, call)).toThrow("field 'transfer_batch' is missing");
  });

  it('maps a detail query', () => {
    const detail = {
      out_batch_no: 'B1',
      batch_id: '1030',
      out_detail_no: 'D1',
      detail_id: '1040',
      detail_status: 'FAIL',
      transfer_amount: 300,
      fail_reason: 'ACCOUNT_FROZEN',
    };
    expect(toTransferBatchDetail(detail, call)).toMatchObject({ detailStatus: 'FAIL', failReason: 'ACCOUNT_FROZEN', transferAmount: 300 });
    expect(() => toTransferBatchDetail({ ...detail, transfer_amount: 3.5 }, call)).toThrow("field 'transfer_amount' is not a whole number");
  });
});
