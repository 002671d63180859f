/**
 * WeChat's bill files (spec v3-more §4.3, v2 §5.6): the same text for API v2 (`downloadbill`) and
 * v3 (`tradebill`, `fundflowbill`). A header line; one detail line per payment, refund or fund
 * flow, every value prefixed by a backtick; then a summary header line and a summary values line.
 * Amounts are yuan with two decimals, read here into integer fen exactly (no floating point).
 */
import { XmlError } from '../errors.js';

/** One detail line of a trade bill. Amounts in fen. */
export interface TradeBillRow {
  /** `payment` for a payment line (`交易状态` SUCCESS, or REVOKED for a reversed one), `refund` for a refund line. */
  readonly kind: 'payment' | 'refund';
  /** `交易时间`, `yyyy-MM-dd HH:mm:ss` Beijing time: the payment time, or the refund's start. */
  readonly time: string;
  readonly appId: string;
  readonly mchId: string;
  /** `特约商户号`; undefined for a direct merchant (`0`). */
  readonly subMchId: string | undefined;
  readonly deviceInfo: string;
  readonly transactionId: string;
  readonly outTradeNo: string;
  readonly openId: string;
  readonly tradeType: string;
  /** `交易状态`: `SUCCESS`, `REFUND`, `REVOKED`… */
  readonly tradeState: string;
  readonly bankType: string;
  readonly feeType: string;
  /** `订单金额` (pre-2018 bills: `总金额`). */
  readonly totalFee: number;
  /** `应结订单金额`: the order's amount less non-cash coupons (pre-2018 bills: the order amount). */
  readonly settlementTotalFee: number;
  /** `代金券金额` (pre-2018: `代金券或立减优惠金额`). */
  readonly couponFee: number;
  /** Refund lines: `微信退款单号`. */
  readonly refundId: string | undefined;
  /** Refund lines: `商户退款单号`. */
  readonly outRefundNo: string | undefined;
  /** Refund lines: `申请退款金额` (what was asked for; pre-2018 bills: `退款金额`). */
  readonly refundFee: number | undefined;
  /** Refund lines: `退款金额` (settled; undefined when the bill has only one refund amount). */
  readonly settlementRefundFee: number | undefined;
  /** Refund lines: `退款状态` as it was when the bill was made (WeChat does not update it). */
  readonly refundStatus: string | undefined;
  /** `商品名称`. */
  readonly body: string;
  /** `商户数据包`. */
  readonly attach: string;
}

/** A parsed trade bill. */
export interface TradeBill {
  readonly rows: readonly TradeBillRow[];
  /** The summary line by its header (`总交易单数`, `应结订单总金额`…), values as written. */
  readonly summary: Readonly<Record<string, string>>;
}

/** One detail line of a fund-flow bill (资金账单). Amounts in fen. */
export interface FundFlowBillRow {
  /** `记账时间`, `yyyy-MM-dd HH:mm:ss` Beijing time. */
  readonly time: string;
  /** `微信支付业务单号`: the transaction, refund or transfer id the flow belongs to. */
  readonly bizNo: string;
  /** `资金流水单号`. */
  readonly flowNo: string;
  /** `业务名称`. */
  readonly bizName: string;
  /** `业务类型`: `交易`, `退款`, `扣除交易手续费`… */
  readonly bizType: string;
  /** `收支类型`: `收入` → income, `支出` → expense. */
  readonly direction: 'income' | 'expense';
  /** `收支金额(元)`, in fen, never negative (the direction says which way). */
  readonly amount: number;
  /** `账户结余(元)`, in fen. */
  readonly balance: number;
  /** `资金变更提交申请人`. */
  readonly applicant: string;
  /** `备注`. */
  readonly remark: string;
  /** `业务凭证号`: the merchant's order or refund number. */
  readonly voucherNo: string;
}

/** A parsed fund-flow bill. */
export interface FundFlowBill {
  readonly rows: readonly FundFlowBillRow[];
  readonly summary: Readonly<Record<string, string>>;
}

/**
 * Yuan with up to two decimals (`12.34`, `-0.5`, `0`) → integer fen. Anything else (a third
 * decimal, a thousands separator, text) → {@link XmlError} naming `column`.
 */
export function yuanToFen(value: string, column: string): number {
  const m = /^([+-]?)(\d+)(?:\.(\d{1,2}))?$/.exec(value.trim());
  if (!m) throw new XmlError(`the bill's ${column} '${value.slice(0, 20)}' is not an amount in yuan with at most two decimals`);
  const fen = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  if (!Number.isSafeInteger(fen)) throw new XmlError(`the bill's ${column} is out of range`);
  return m[1] === '-' ? -fen : fen;
}

/** The lines of a bill: without a BOM, CR or blank lines. */
function linesOf(text: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
}

/**
 * A line's values. Detail and summary values each start with a backtick, so values are split at
 * `` ,` `` (a comma inside a product name stays in its value); header lines are split at commas.
 */
function cells(line: string): string[] {
  if (!line.startsWith('`')) return line.split(',').map((c) => c.trim());
  return line.slice(1).split(',`');
}

interface Sections {
  readonly header: readonly string[];
  readonly details: readonly string[][];
  readonly summary: Readonly<Record<string, string>>;
}

/**
 * Splits a bill into its header, detail lines and summary. The summary header is the first line
 * after the header that does not start with a backtick; a bill without it, or with fewer detail
 * lines than the summary's count (its first value), is incomplete and refused.
 */
function sections(text: string, kind: string): Sections {
  const lines = linesOf(text);
  if (lines.length === 0) return { header: [], details: [], summary: {} };
  const header = cells(lines[0]!);
  if (lines[0]!.startsWith('`')) throw new XmlError(`the ${kind} has no header line`);
  const details: string[][] = [];
  let i = 1;
  for (; i < lines.length && lines[i]!.startsWith('`'); i++) {
    const values = cells(lines[i]!);
    if (values.length !== header.length) {
      throw new XmlError(`line ${i + 1} of the ${kind} has ${values.length} values where the header names ${header.length}`);
    }
    details.push(values);
  }
  const summary: Record<string, string> = Object.create(null);
  if (i < lines.length) {
    const names = cells(lines[i]!);
    const values = lines[i + 1] === undefined ? [] : cells(lines[i + 1]!);
    names.forEach((name, n) => {
      summary[name] = values[n] ?? '';
    });
    // Fewer lines than the summary counts: lines were lost (a longer count is not refused, in case
    // WeChat counts only some kinds of line).
    const count = values[0];
    if (count !== undefined && /^\d+$/.test(count) && Number(count) > details.length) {
      throw new XmlError(`the ${kind} lists ${details.length} lines but its summary counts ${count}: the file is incomplete`);
    }
  } else if (details.length > 0) {
    throw new XmlError(`the ${kind} has no summary lines: the file is incomplete`);
  }
  return { header, details, summary: Object.freeze(summary) };
}

/** Column lookup over a header: the first of `names` present, or -1. */
function columns(header: readonly string[], kind: string) {
  const col = (...names: string[]): number => {
    for (const n of names) {
      const i = header.indexOf(n);
      if (i >= 0) return i;
    }
    return -1;
  };
  const need = (...names: string[]): number => {
    const i = col(...names);
    if (i < 0) throw new XmlError(`the ${kind} has no ${names[0]} column`);
    return i;
  };
  return { col, need };
}

/**
 * Parses a trade bill (`ALL`, `SUCCESS` or `REFUND`; the current or the pre-2018 columns). An
 * empty text is an empty bill. A bill without a column reconciliation needs, a value that is not
 * an amount, or a detail count that differs from the summary's → {@link XmlError}.
 */
export function parseTradeBill(text: string): TradeBill {
  const kind = 'trade bill';
  const { header, details, summary } = sections(text, kind);
  if (header.length === 0) return Object.freeze({ rows: Object.freeze([]), summary });
  const { col, need } = columns(header, kind);
  const c = {
    time: need('交易时间'),
    appId: need('公众账号ID'),
    mchId: need('商户号'),
    subMchId: col('特约商户号', '子商户号'),
    deviceInfo: col('设备号'),
    transactionId: need('微信订单号'),
    outTradeNo: need('商户订单号'),
    openId: col('用户标识'),
    tradeType: col('交易类型'),
    tradeState: need('交易状态'),
    bankType: col('付款银行'),
    feeType: col('货币种类'),
    totalFee: need('订单金额', '总金额'),
    settlementTotalFee: col('应结订单金额'),
    couponFee: col('代金券金额', '代金券或立减优惠金额'),
    refundId: col('微信退款单号'),
    outRefundNo: col('商户退款单号'),
    requestedRefundFee: col('申请退款金额'),
    refundFee: col('退款金额'),
    refundStatus: col('退款状态'),
    body: col('商品名称'),
    attach: col('商户数据包'),
  };
  const rows = details.map((v): TradeBillRow => {
    const at = (i: number): string => (i >= 0 ? (v[i] ?? '') : '');
    const fen = (i: number, name: string): number => (at(i) === '' ? 0 : yuanToFen(at(i), name));
    const refundId = at(c.refundId);
    const isRefund = refundId !== '' && refundId !== '0';
    const totalFee = fen(c.totalFee, '订单金额');
    const subMchId = at(c.subMchId);
    const requested = c.requestedRefundFee >= 0 ? fen(c.requestedRefundFee, '申请退款金额') : undefined;
    const settled = fen(c.refundFee, '退款金额');
    return Object.freeze({
      kind: isRefund ? 'refund' : 'payment',
      time: at(c.time),
      appId: at(c.appId),
      mchId: at(c.mchId),
      subMchId: subMchId === '' || subMchId === '0' ? undefined : subMchId,
      deviceInfo: at(c.deviceInfo),
      transactionId: at(c.transactionId),
      outTradeNo: at(c.outTradeNo),
      openId: at(c.openId),
      tradeType: at(c.tradeType),
      tradeState: at(c.tradeState),
      bankType: at(c.bankType),
      feeType: at(c.feeType),
      totalFee,
      settlementTotalFee: c.settlementTotalFee >= 0 ? fen(c.settlementTotalFee, '应结订单金额') : totalFee,
      couponFee: fen(c.couponFee, '代金券金额'),
      refundId: isRefund ? refundId : undefined,
      outRefundNo: isRefund ? at(c.outRefundNo) : undefined,
      refundFee: isRefund ? (requested ?? settled) : undefined,
      settlementRefundFee: isRefund && requested !== undefined ? settled : undefined,
      refundStatus: isRefund ? at(c.refundStatus) : undefined,
      body: at(c.body),
      attach: at(c.attach),
    });
  });
  return Object.freeze({ rows: Object.freeze(rows), summary });
}

/**
 * Parses a fund-flow bill (资金账单, spec v3-more §4.3). An empty text is an empty bill; a missing
 * column, a bad amount or an incomplete file → {@link XmlError}.
 */
export function parseFundFlowBill(text: string): FundFlowBill {
  const kind = 'fund-flow bill';
  const { header, details, summary } = sections(text, kind);
  if (header.length === 0) return Object.freeze({ rows: Object.freeze([]), summary });
  const { col, need } = columns(header, kind);
  const c = {
    time: need('记账时间'),
    bizNo: need('微信支付业务单号'),
    flowNo: need('资金流水单号'),
    bizName: col('业务名称'),
    bizType: need('业务类型'),
    direction: need('收支类型'),
    amount: need('收支金额(元)'),
    balance: need('账户结余(元)'),
    applicant: col('资金变更提交申请人'),
    remark: col('备注'),
    voucherNo: col('业务凭证号'),
  };
  const rows = details.map((v, n): FundFlowBillRow => {
    const at = (i: number): string => (i >= 0 ? (v[i] ?? '') : '');
    const direction = at(c.direction);
    if (direction !== '收入' && direction !== '支出') {
      throw new XmlError(`line ${n + 2} of the fund-flow bill has 收支类型 '${direction.slice(0, 10)}', not 收入 or 支出`);
    }
    return Object.freeze({
      time: at(c.time),
      bizNo: at(c.bizNo),
      flowNo: at(c.flowNo),
      bizName: at(c.bizName),
      bizType: at(c.bizType),
      direction: direction === '收入' ? 'income' : 'expense',
      amount: Math.abs(yuanToFen(at(c.amount), '收支金额(元)')),
      balance: yuanToFen(at(c.balance), '账户结余(元)'),
      applicant: at(c.applicant),
      remark: at(c.remark),
      voucherNo: at(c.voucherNo),
    });
  });
  return Object.freeze({ rows: Object.freeze(rows), summary });
}
