/**
 * `wxpay-simulator <command>`: drive a running simulator from the terminal, as `stripe trigger`
 * drives Stripe's test mode. Each command is one call of the control API (`/_sim/`).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createSimulatorClient } from './control-client.js';
import { parseDuration } from './duration.js';
import { SimulatorError } from './errors.js';
import type { SimNotification, SimOrder, SimRefund, SimTarget, SimTransfer } from './types.js';

/** Where a command writes. */
export interface CommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The commands; anything else on the command line starts a simulator. */
export const CONTROL_COMMANDS = ['pay', 'fail', 'refund', 'expire', 'notify', 'clock', 'orders', 'transfer', 'transfers'] as const;

/** What `wxpay-simulator transfer <action> <outBillNo>` can do to a transfer bill (商家转账). */
export const TRANSFER_ACTIONS = ['confirm', 'fail', 'expire', 'cancel', 'show', 'notify'] as const;

export const COMMANDS_USAGE = `Commands (against a running simulator; --url, else $WXPAY_SIMULATOR_URL, else http://127.0.0.1:4010):
  wxpay-simulator pay <orderId> [--open-id ID]    the user pays the order (WeChat notifies the merchant)
  wxpay-simulator fail <orderId>                  the payment fails (PAYERROR)
  wxpay-simulator expire <orderId>                the order expires unpaid (CLOSED)
  wxpay-simulator refund <orderId> [--fee FEN] [--api]
                                                  a refund of a paid order, as from the merchant console
                                                  (--api: as if the merchant's API had asked); default all that is left
  wxpay-simulator notify <orderId> [--refund NO]  send the order's (or refund's) last notification again
  wxpay-simulator clock advance <duration>        move the simulator's clock ahead (90s, 30m, 2h, 1d, 1h30m)
  wxpay-simulator clock                           show the simulator's clock
  wxpay-simulator orders                          list the orders, oldest first
  wxpay-simulator transfer confirm <outBillNo>    the payee confirms the transfer (wx.requestMerchantTransfer):
                                                  TRANSFERING, then SUCCESS and WeChat's callback
  wxpay-simulator transfer fail <outBillNo> [--reason CODE]
                                                  WeChat fails the transfer (default OTHER_FAIL_REASON_TYPE), callback
  wxpay-simulator transfer expire <outBillNo>     the payee's 24 hours run out: FAIL (OVERDUE_CLOSE), callback
  wxpay-simulator transfer cancel <outBillNo>     the merchant cancels it (as from the merchant platform):
                                                  CANCELING, then CANCELLED and the callback
  wxpay-simulator transfer show <outBillNo>       show the bill, with the payee's name as decrypted
  wxpay-simulator transfer notify <outBillNo>     send the bill's last callback again
  wxpay-simulator transfers                       list the transfer bills, oldest first
Command options: --url URL, --mch-id ID (when several merchants use the order or bill number), --json
`;

/** `wxpay-simulator <version>`: the package's version. */
export function simulatorVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function orderLine(o: SimOrder): string {
  const txn = o.transactionId ? `  transaction ${o.transactionId}` : '';
  return `order ${o.outTradeNo}  ${o.tradeState}  ${o.totalFee} fen  merchant ${o.mchId} (API ${o.apiVersion})${txn}\n`;
}

function refundLine(r: SimRefund): string {
  return `refund ${r.outRefundNo} of order ${r.outTradeNo}  ${r.status}  ${r.refundFee} fen  refund id ${r.refundId}\n`;
}

function notificationLine(n: SimNotification): string {
  const what = n.kind === 'refund' ? `refund ${n.outRefundNo}` : `order ${n.outTradeNo}`;
  return `notification ${n.id} (${what}) sent to ${n.url}; WeChat retries it until the merchant acknowledges\n`;
}

function transferLine(t: SimTransfer): string {
  const reason = t.failReason ? ` (${t.failReason})` : '';
  return `transfer ${t.outBillNo}  ${t.state}${reason}  ${t.transferAmount} fen  to ${t.openId}  merchant ${t.mchId}  bill ${t.transferBillNo}\n`;
}

/**
 * Runs one command (`argv` without `node`, the script and nothing before the command). Resolves the
 * exit code: 0 done, 1 the simulator refused or could not be reached, 2 bad usage.
 */
export async function runControlCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        'mch-id': { type: 'string' },
        'open-id': { type: 'string' },
        fee: { type: 'string' },
        api: { type: 'boolean' },
        refund: { type: 'string' },
        reason: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.err(`wxpay-simulator: ${(error as Error).message}\n\n${COMMANDS_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(COMMANDS_USAGE);
    return 0;
  }
  const [command, arg, extra] = positionals;
  const usage = (message: string): number => {
    io.err(`wxpay-simulator: ${message}\n\n${COMMANDS_USAGE}`);
    return 2;
  };
  const url = values.url ?? io.env['WXPAY_SIMULATOR_URL'] ?? 'http://127.0.0.1:4010';
  const sim = createSimulatorClient(url);
  const target: SimTarget = values['mch-id'] ? { mchId: values['mch-id'] } : {};
  const print = (value: unknown, text: string): void => io.out(values.json ? `${JSON.stringify(value)}\n` : text);
  const needOrder = (): string | undefined => (arg === undefined || arg === '' ? undefined : arg);
  try {
    switch (command) {
      case 'pay': {
        const orderId = needOrder();
        if (!orderId) return usage('pay needs an order number');
        const order = await sim.pay(orderId, { ...target, ...(values['open-id'] && { openId: values['open-id'] }) });
        print(order, orderLine(order));
        return 0;
      }
      case 'fail': {
        const orderId = needOrder();
        if (!orderId) return usage('fail needs an order number');
        const order = await sim.failPayment(orderId, target);
        print(order, orderLine(order));
        return 0;
      }
      case 'expire': {
        const orderId = needOrder();
        if (!orderId) return usage('expire needs an order number');
        const order = await sim.expire(orderId, target);
        print(order, orderLine(order));
        return 0;
      }
      case 'refund': {
        const orderId = needOrder();
        if (!orderId) return usage('refund needs an order number');
        let refundFee: number | undefined;
        if (values.fee !== undefined) {
          refundFee = Number(values.fee);
          if (!Number.isInteger(refundFee) || refundFee <= 0)
            return usage(`--fee must be a positive whole number of fen, not "${values.fee}"`);
        }
        const refund = await sim.startRefund(orderId, {
          ...target,
          ...(refundFee !== undefined && { refundFee }),
          ...(values.api && { source: 'api' as const }),
        });
        print(refund, refundLine(refund));
        return 0;
      }
      case 'notify': {
        const orderId = needOrder();
        if (!orderId) return usage('notify needs an order number');
        const all = await sim.notifications();
        const matching = all.filter(
          (n) =>
            n.outTradeNo === orderId &&
            n.forgery === undefined &&
            (values['mch-id'] === undefined || n.mchId === values['mch-id']) &&
            (values.refund === undefined ? n.kind === 'pay' : n.kind === 'refund' && n.outRefundNo === values.refund),
        );
        const last = matching.at(-1);
        if (!last) {
          io.err(
            `wxpay-simulator: no ${values.refund === undefined ? 'pay' : `refund ${values.refund}`} notification of order ${orderId} was sent yet (pay the order first: wxpay-simulator pay ${orderId})\n`,
          );
          return 1;
        }
        const sent = await sim.resendNotification(last.id);
        print(sent, notificationLine(sent));
        return 0;
      }
      case 'clock': {
        if (arg === undefined) {
          const clock = await sim.clock();
          print(clock, `simulator clock ${clock.iso} (${Math.round(clock.offsetMs / 1000)} s ahead of real time)\n`);
          return 0;
        }
        if (arg !== 'advance' || extra === undefined) return usage('use: clock advance <duration>, such as clock advance 2h');
        const ms = parseDuration(extra);
        const clock = await sim.advanceClock(ms);
        print(
          clock,
          `simulator clock moved ahead ${extra}: now ${clock.iso} (${Math.round(clock.offsetMs / 1000)} s ahead of real time)\n`,
        );
        return 0;
      }
      case 'orders': {
        const orders = await sim.orders(target);
        print(orders, orders.length === 0 ? 'no orders\n' : orders.map(orderLine).join(''));
        return 0;
      }
      case 'transfer': {
        const action = arg;
        if (!(TRANSFER_ACTIONS as readonly (string | undefined)[]).includes(action)) {
          return usage(`use: transfer ${TRANSFER_ACTIONS.join('|')} <outBillNo>`);
        }
        const outBillNo = extra === undefined || extra === '' ? undefined : extra;
        if (!outBillNo) return usage(`transfer ${action} needs a bill number (out_bill_no)`);
        if (values.reason !== undefined && action !== 'fail') return usage('--reason goes with transfer fail');
        if (action === 'notify') {
          const sent = (await sim.notifications()).filter(
            (n) =>
              n.kind === 'transfer' &&
              n.outBillNo === outBillNo &&
              n.forgery === undefined &&
              (values['mch-id'] === undefined || n.mchId === values['mch-id']),
          );
          const last = sent.at(-1);
          if (!last) {
            io.err(
              `wxpay-simulator: no callback of transfer ${outBillNo} was sent yet (WeChat calls back when the bill ends: wxpay-simulator transfer confirm ${outBillNo})\n`,
            );
            return 1;
          }
          const again = await sim.resendNotification(last.id);
          print(
            again,
            `callback ${again.id} (transfer ${outBillNo}) sent to ${again.url}; WeChat retries it until the merchant acknowledges\n`,
          );
          return 0;
        }
        const bill =
          action === 'confirm'
            ? await sim.confirmTransfer(outBillNo, target)
            : action === 'fail'
              ? await sim.failTransfer(outBillNo, { ...target, ...(values.reason !== undefined && { reason: values.reason }) })
              : action === 'expire'
                ? await sim.expireTransfer(outBillNo, target)
                : action === 'cancel'
                  ? await sim.cancelTransfer(outBillNo, target)
                  : await sim.transfer(outBillNo, target);
        print(bill, transferLine(bill));
        return 0;
      }
      case 'transfers': {
        const bills = await sim.transfers(target);
        print(bills, bills.length === 0 ? 'no transfers\n' : bills.map(transferLine).join(''));
        return 0;
      }
      default:
        return usage(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof SimulatorError) {
      io.err(`wxpay-simulator: ${error.code}: ${error.message}\n`);
      return error.code === 'BAD_REQUEST' && command === 'clock' ? 2 : 1;
    }
    const failure = error as { code?: string; message?: string; cause?: { code?: string } };
    const reason = failure.code ?? failure.cause?.code ?? failure.message ?? String(error);
    io.err(`wxpay-simulator: cannot reach the simulator at ${url} (${reason}); start one with wxpay-simulator, or pass --url\n`);
    return 1;
  }
}
