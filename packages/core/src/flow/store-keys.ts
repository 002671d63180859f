/** The keys orders, payments and refunds are recorded and fired once under, in the dedup store. */

/**
 * A copy of a store key that holds no reference to the text it was cut from. Field values parsed
 * from a notification are slices of the whole decoded body, and a key joined from them would keep
 * that body (kilobytes) alive for as long as a store remembers the key (days).
 */
function detached(key: string): string {
  return Buffer.from(key, 'utf8').toString('utf8');
}

/** The key an order is recorded under: `<mchId>:<out_trade_no>`. */
export function orderKey(mchId: string, outTradeNo: string): string {
  return detached(`${mchId}:${outTradeNo}`);
}

/** The key a payment fires once under: `<mchId>:<transaction_id>`. */
export function paymentKey(mchId: string, transactionId: string): string {
  return detached(`${mchId}:${transactionId}`);
}

/** The key a refund outcome fires once under: `<mchId>:refund:<refund_id>`. */
export function refundKey(mchId: string, wxRefundId: string): string {
  return detached(`${mchId}:refund:${wxRefundId}`);
}

/**
 * The key a refund is recorded under at create-refund: `<mchId>:refund:<out_refund_no>`. It shares
 * the order records' namespace without clashing: WeChat's order and refund numbers have no `:`.
 */
export function refundRecordKey(mchId: string, outRefundNo: string): string {
  return detached(`${mchId}:refund:${outRefundNo}`);
}

/** The key that ties a recorded refund to its order: `<mchId>:refund:<out_refund_no>:order:<out_trade_no>`. */
export function refundOrderKey(mchId: string, outRefundNo: string, outTradeNo: string): string {
  return detached(`${mchId}:refund:${outRefundNo}:order:${outTradeNo}`);
}
