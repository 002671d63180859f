/**
 * `wxpay-simulator pay|fail|refund|expire|notify|clock|orders` against a running simulator: each
 * command changes the simulator the way its control API would, and prints one line.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MERCHANT, startSimulator, type RunningSimulator } from '../src/index.js';
import { runControlCommand } from '../src/cli-commands.js';
import { FAIL_REPLY, SUCCESS_REPLY, orderFields, startReceiver, wx, type Receiver } from './helpers.js';

let sim: RunningSimulator;
let receiver: Receiver;
/** Whether the receiver acknowledges: false makes WeChat's retry schedule start. */
let acknowledge = true;
let out = '';
let err = '';
const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t), env: {} };
const cli = (...args: string[]) => runControlCommand([...args, '--url', sim.url], io);
let seq = 0;

async function createOrder(): Promise<string> {
  const outTradeNo = `CLI${Date.now()}${++seq}`;
  const merchant = sim.merchants[0]!;
  const res = await wx(sim.url, '/pay/unifiedorder', merchant, orderFields(outTradeNo, { notify_url: receiver.url }));
  expect(res.xml['result_code']).toBe('SUCCESS');
  return outTradeNo;
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(check()).toBe(true);
}

beforeAll(async () => {
  receiver = await startReceiver(() => ({ body: acknowledge ? SUCCESS_REPLY : FAIL_REPLY }));
  sim = await startSimulator({ port: 0, merchants: [DEFAULT_MERCHANT] });
});
afterAll(async () => {
  await sim?.close();
  await receiver?.close();
});
beforeEach(() => {
  out = '';
  err = '';
  acknowledge = true;
});

describe('wxpay-simulator commands', () => {
  it('pay: the order is paid and its notification reaches the merchant', async () => {
    const orderId = await createOrder();
    const before = receiver.received.length;
    expect(await cli('pay', orderId)).toBe(0);
    expect(out).toMatch(
      new RegExp(`^order ${orderId}  SUCCESS  100 fen  merchant ${DEFAULT_MERCHANT.mchId} \\(API v2\\)  transaction \\d+\\n$`),
    );
    await until(() => receiver.received.length === before + 1);
    expect(receiver.received.at(-1)!.body).toContain(orderId);
    expect((await sim.order(orderId)).tradeState).toBe('SUCCESS');
  });

  it('notify: sends the last notification of the order again', async () => {
    const orderId = await createOrder();
    await cli('pay', orderId);
    await until(() => receiver.received.filter((r) => r.body.includes(orderId)).length === 1);
    out = '';
    expect(await cli('notify', orderId)).toBe(0);
    expect(out).toMatch(new RegExp(`^notification n\\d+ \\(order ${orderId}\\) sent to ${receiver.url}`));
    await until(() => receiver.received.filter((r) => r.body.includes(orderId)).length === 2);
    const [first, second] = receiver.received.filter((r) => r.body.includes(orderId));
    expect(second!.body).toBe(first!.body);
  });

  it('fail, expire and refund change the order as WeChat would', async () => {
    const failing = await createOrder();
    expect(await cli('fail', failing)).toBe(0);
    expect(out).toContain(`order ${failing}  PAYERROR`);
    const expiring = await createOrder();
    expect(await cli('expire', expiring, '--json')).toBe(0);
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toMatchObject({ outTradeNo: expiring, tradeState: 'CLOSED' });
    const refunding = await createOrder();
    await cli('pay', refunding);
    out = '';
    expect(await cli('refund', refunding, '--fee', '30')).toBe(0);
    expect(out).toMatch(new RegExp(`^refund \\S+ of order ${refunding}  (SUCCESS|PROCESSING)  30 fen`));
    expect((await sim.refunds({})).filter((r) => r.outTradeNo === refunding).map((r) => r.refundFee)).toEqual([30]);
  });

  it('clock advance: a notification retry that falls due is sent at once', async () => {
    acknowledge = false;
    const orderId = await createOrder();
    await cli('pay', orderId);
    await until(() => receiver.received.filter((r) => r.body.includes(orderId)).length === 1);
    // WeChat's second attempt comes 15 s after the first; moving the clock 20 s makes it due now.
    const clockBefore = await sim.clock();
    out = '';
    expect(await cli('clock', 'advance', '20s')).toBe(0);
    expect(out).toMatch(/^simulator clock moved ahead 20s: now \S+ \(\d+ s ahead of real time\)\n$/);
    await until(() => receiver.received.filter((r) => r.body.includes(orderId)).length === 2);
    const clockAfter = await sim.clock();
    expect(clockAfter.offsetMs - clockBefore.offsetMs).toBe(20_000);
    expect(clockAfter.now - clockBefore.now).toBeGreaterThanOrEqual(20_000);
  });

  it('answers mistakes with one line and a non-zero exit code', async () => {
    expect(await cli('pay', 'NO-SUCH-ORDER')).toBe(1);
    expect(err).toMatch(/^wxpay-simulator: NOT_FOUND: .*NO-SUCH-ORDER/);
    err = '';
    expect(await cli('clock', 'advance', 'soon')).toBe(2);
    expect(err).toContain('"soon" is not a duration');
    err = '';
    expect(await cli('pay')).toBe(2);
    expect(err).toContain('pay needs an order number');
    err = '';
    expect(await cli('notify', await createOrder())).toBe(1);
    expect(err).toContain('no pay notification of order');
    err = '';
    expect(await runControlCommand(['orders', '--url', 'http://127.0.0.1:9'], io)).toBe(1);
    expect(err).toMatch(/^wxpay-simulator: cannot reach the simulator at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)/);
  });
});
