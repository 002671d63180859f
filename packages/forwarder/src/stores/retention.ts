/** How long the durable stores keep what they hold, by default. */

const DAY = 86_400_000;

/**
 * How long the orders recorded at create-pay and the refunds recorded at create-refund are kept by
 * default: 372 days. WeChat accepts a refund up to a year after the payment, and the payment may
 * come some days after create-pay (an order stays payable until it expires); a leap year adds a
 * day. A record that is gone costs a check, never a result: the notification is still delivered,
 * marked `recordChecked: false`.
 */
export const RETAIN_RECORDS_MS = 372 * DAY;
