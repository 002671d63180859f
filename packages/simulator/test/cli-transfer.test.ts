/**
 * `wxpay-simulator transfer confirm|fail|expire|cancel|show|notify <outBillNo>` and `transfers`
 * against a running simulator: each moves the bill as the payee, WeChat or the merchant platform
 * would, prints one line, and WeChat's callback goes out. `confirm`, `fail`, a refusal and `--help`
 * run as the command (a child process); the others through the same function in this process.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../src/index.js';
import { runControlCommand } from '../src/cli-commands.js';
import { merchantKeys, v3, type MerchantKeys } from './v3-helpers.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const cliPath = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const MCH_ID = '1230000109';
const APP_ID = 'wx8888888888888888';
const OPENID = 'o-MYE42l80oelYMDE34nYD456Xoy';

let sim: RunningSimulator;
let keys: MerchantKeys;
let receiver: Server;
let notifyUrl: string;
const callbacks: string[] = [];

/** Runs `wxpay-simulator ...args --url <sim>` in this process. */
async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runControlCommand([...args, '--url', sim.url], {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    env: {},
  });
  return { code, out, err };
}

/** Runs `wxpay-simulator ...args --url <sim>` as a child process, to its end. */
function cli(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cliPath, ...args, '--url', sim.url], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += String(c)));
    child.stderr.on('data', (c) => (err += String(c)));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

async function createBill(outBillNo: string): Promise<void> {
  const res = await v3(
    sim.url,
    'POST',
    '/v3/fund-app/mch-transfer/transfer-bills',
    {
      appid: APP_ID,
      out_bill_no: outBillNo,
      transfer_scene_id: '1000',
      openid: OPENID,
      transfer_amount: 150,
      transfer_remark: '新会员开通有礼',
      notify_url: notifyUrl,
      transfer_scene_report_infos: [
        { info_type: '活动名称', info_content: '新会员有礼' },
        { info_type: '奖励说明', info_content: '注册会员抽奖一等奖' },
      ],
    },
    { mchid: MCH_ID, keys },
  );
  expect(res.json).toMatchObject({ out_bill_no: outBillNo, state: 'WAIT_USER_CONFIRM' });
}

beforeAll(async () => {
  keys = merchantKeys();
  sim = await startSimulator({
    port: 0,
    timeFactor: 0.001,
    merchants: [
      {
        mchId: MCH_ID,
        apiKey: 'z'.repeat(32),
        appIds: [APP_ID],
        v3: { publicKey: keys.publicKey, serialNo: keys.serialNo, apiV3Key: 'k'.repeat(32) },
      },
    ],
  });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      callbacks.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":"SUCCESS"}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  notifyUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/notify-transfer/shop`;
});

afterAll(async () => {
  await sim?.close();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});

// Each child process compiles the command with tsx: allow for a loaded machine.
const SPAWNS = 90_000;

describe('wxpay-simulator transfer commands', () => {
  it(
    'confirm (the command): the payee confirms, the bill succeeds and its callback is sent; notify sends it again',
    async () => {
      await createBill('CLITB1');
      const confirmed = await cli('transfer', 'confirm', 'CLITB1');
      expect(confirmed).toMatchObject({ code: 0, err: '' });
      expect(confirmed.out).toMatch(
        /^transfer CLITB1 {2}SUCCESS {2}150 fen {2}to o-MYE42l80oelYMDE34nYD456Xoy {2}merchant 1230000109 {2}bill \d+\n$/,
      );
      expect(await sim.transfer('CLITB1')).toMatchObject({ state: 'SUCCESS', history: expect.arrayContaining(['TRANSFERING', 'SUCCESS']) });
      const first = await sim.waitForNotification({ kind: 'transfer', outBillNo: 'CLITB1' });
      expect(callbacks).toContain(first.body);

      const again = await run('transfer', 'notify', 'CLITB1');
      expect(again.code).toBe(0);
      expect(again.out).toMatch(/^callback n\d+ \(transfer CLITB1\) sent to http:\/\/127\.0\.0\.1:\d+\/notify-transfer\/shop/);
      const resent = (await sim.notifications()).filter((n) => n.kind === 'transfer' && n.outBillNo === 'CLITB1');
      expect(resent).toHaveLength(2);
      expect(resent[1]!.body).toBe(first.body);

      // A bill that succeeded cannot be confirmed again.
      const twice = await run('transfer', 'confirm', 'CLITB1');
      expect(twice).toEqual({ code: 1, out: '', err: 'wxpay-simulator: INVALID_STATE: cannot confirm transfer CLITB1: it is SUCCESS\n' });
    },
    SPAWNS,
  );

  it(
    'fail (the command, with a reason), expire and cancel end the bill as WeChat and the merchant platform would',
    async () => {
      await Promise.all(['CLITB2', 'CLITB3', 'CLITB4'].map(createBill));
      const failed = await cli('transfer', 'fail', 'CLITB2', '--reason', 'BLOCK_B2C_USERLIMITAMOUNT_MONTH');
      expect(failed.code).toBe(0);
      expect(failed.out).toMatch(/^transfer CLITB2 {2}FAIL \(BLOCK_B2C_USERLIMITAMOUNT_MONTH\) {2}150 fen/);
      const expired = await run('transfer', 'expire', 'CLITB3', '--json');
      expect(expired.code).toBe(0);
      expect(JSON.parse(expired.out)).toMatchObject({ outBillNo: 'CLITB3', state: 'FAIL', failReason: 'OVERDUE_CLOSE' });
      const cancelled = await run('transfer', 'cancel', 'CLITB4');
      expect(cancelled.code).toBe(0);
      expect(cancelled.out).toMatch(/^transfer CLITB4 {2}CANCELLED \(MCH_CANCEL\)/);
      for (const outBillNo of ['CLITB2', 'CLITB3', 'CLITB4']) {
        const n = await sim.waitForNotification({ kind: 'transfer', outBillNo });
        expect(callbacks).toContain(n.body);
      }
      expect((await run('transfer', 'show', 'CLITB4')).out).toMatch(/^transfer CLITB4 {2}CANCELLED/);
      const listed = await run('transfers', '--json');
      expect((JSON.parse(listed.out) as { outBillNo: string; state: string }[]).map((t) => [t.outBillNo, t.state])).toEqual(
        expect.arrayContaining([
          ['CLITB2', 'FAIL'],
          ['CLITB3', 'FAIL'],
          ['CLITB4', 'CANCELLED'],
        ]),
      );
    },
    SPAWNS,
  );

  it(
    'answers mistakes with one line and a non-zero exit code; --help shows the transfer commands',
    async () => {
      const unknown = await cli('transfer', 'confirm', 'NO-SUCH-BILL');
      expect(unknown.code).toBe(1);
      expect(unknown.err).toMatch(/^wxpay-simulator: NOT_FOUND: .*NO-SUCH-BILL/);
      const help = await cli('transfer', '--help');
      expect(help.code).toBe(0);
      expect(help.out).toContain('wxpay-simulator transfer confirm <outBillNo>');
      expect(help.out).toContain('wxpay-simulator transfers');

      const noAction = await run('transfer', 'approve', 'CLITB1');
      expect(noAction.code).toBe(2);
      expect(noAction.err).toContain('use: transfer confirm|fail|expire|cancel|show|notify <outBillNo>');
      const noBill = await run('transfer', 'confirm');
      expect(noBill.code).toBe(2);
      expect(noBill.err).toContain('transfer confirm needs a bill number (out_bill_no)');
      const reasonless = await run('transfer', 'cancel', 'CLITB1', '--reason', 'X');
      expect(reasonless).toMatchObject({ code: 2, err: expect.stringContaining('--reason goes with transfer fail') });
      const never = await run('transfer', 'notify', 'NO-CALLBACK');
      expect(never).toMatchObject({ code: 1, err: expect.stringContaining('no callback of transfer NO-CALLBACK was sent yet') });
    },
    SPAWNS,
  );
});
