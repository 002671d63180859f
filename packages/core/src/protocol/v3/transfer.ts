/**
 * Transfer bills on the v3 wire (商家转账): the RSA-OAEP encryption of sensitive request fields
 * (`user_name`), and the mapping of verified replies and of the decrypted
 * `MCHTRANSFER.BILL.FINISHED` resource to the model. Amounts must be whole numbers of fen;
 * anything else is refused, never rounded.
 */
import { constants, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { DecryptError, XmlError } from '../../errors.js';
import type { CreateTransferResult, TransferBill, TransferNotification } from '../../model/transfer.js';
import { type JsonObject, required, text as wireText, whole } from './fields.js';

/**
 * Encrypts a sensitive field the way WeChat documents it: RSA with OAEP padding, SHA-1 and
 * MGF1-SHA-1, over the UTF-8 text; Base64 of the ciphertext. `key` is the WeChat Pay public key or
 * a platform certificate's key; the request must name it in `Wechatpay-Serial`. Randomized: the
 * same text encrypts differently each time.
 */
export function encryptSensitiveField(plain: string, key: KeyObject): string {
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(plain, 'utf8')).toString('base64');
}

/** The inverse of {@link encryptSensitiveField} with the matching private key; a wrong key or text → {@link DecryptError}. */
export function decryptSensitiveField(ciphertext: string, key: KeyObject): string {
  try {
    return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(ciphertext, 'base64')).toString(
      'utf8',
    );
  } catch (cause) {
    throw new DecryptError('the field does not decrypt with this key', { cause });
  }
}

const text = (json: JsonObject, field: string): string | undefined => wireText(json[field], field);
const requiredText = (json: JsonObject, field: string): string => required(wireText(json[field], field), field);
const fen = (json: JsonObject, field: string): number | undefined => whole(json[field], field);

/** Who a transfer call was made for (create and cancel replies name neither). */
export interface TransferCallIdentity {
  readonly appId: string;
  readonly mchId: string;
}

/** A verified create, cancel or query reply as a {@link TransferBill}. */
export function toTransferBill(json: JsonObject, call: TransferCallIdentity): TransferBill {
  return Object.freeze({
    // Queries name the merchant `mch_id` (not `mchid`).
    mchId: text(json, 'mch_id') ?? text(json, 'mchid') ?? call.mchId,
    appId: text(json, 'appid') ?? call.appId,
    outBillNo: requiredText(json, 'out_bill_no'),
    transferBillNo: requiredText(json, 'transfer_bill_no'),
    state: requiredText(json, 'state'),
    transferAmount: fen(json, 'transfer_amount'),
    transferRemark: text(json, 'transfer_remark'),
    openId: text(json, 'openid'),
    failReason: text(json, 'fail_reason'),
    createTime: text(json, 'create_time'),
    updateTime: text(json, 'update_time'),
    raw: Object.freeze({ ...json }),
  });
}

/** A verified create reply: the bill, plus `package_info` and what `wx.requestMerchantTransfer` needs. */
export function toCreateTransferResult(json: JsonObject, call: TransferCallIdentity): CreateTransferResult {
  const bill = toTransferBill(json, call);
  const packageInfo = text(json, 'package_info');
  return Object.freeze({
    ...bill,
    packageInfo,
    confirmParams: packageInfo === undefined ? undefined : Object.freeze({ mchId: bill.mchId, appId: call.appId, package: packageInfo }),
  });
}

/** The decrypted resource of `MCHTRANSFER.BILL.FINISHED` as the model. */
export function toTransferNotification(resource: JsonObject): TransferNotification {
  const transferAmount = fen(resource, 'transfer_amount');
  if (transferAmount === undefined) throw new XmlError("field 'transfer_amount' is missing");
  const mchId = text(resource, 'mch_id') ?? text(resource, 'mchid');
  if (mchId === undefined) throw new XmlError("field 'mch_id' is missing");
  return Object.freeze({
    mchId,
    outBillNo: requiredText(resource, 'out_bill_no'),
    transferBillNo: requiredText(resource, 'transfer_bill_no'),
    state: requiredText(resource, 'state'),
    transferAmount,
    openId: text(resource, 'openid'),
    failReason: text(resource, 'fail_reason'),
    createTime: text(resource, 'create_time'),
    updateTime: text(resource, 'update_time'),
  });
}
