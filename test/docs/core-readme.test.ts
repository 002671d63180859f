/**
 * The tables of packages/core/README.md against the code they describe, through the public API:
 * the errors table (every error class, its code, HTTP status and `retryable`), the top-level
 * options, and the fields of the `paid` and `refunded` payloads as a real notification delivers
 * them. A change to any of these fails here until the README says the same.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from '@wxpay-kit/core';
import { wxPayOptionsSchema } from '../../packages/core/src/config/schema.js';
import { buildPayNotification, buildRefundNotifyXml, signNotifyXml } from '@wxpay-kit/core/testing';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README = readFileSync(join(ROOT, 'packages/core/README.md'), 'utf8');

/** The text under a heading (`## Errors`, `### paid`) up to the next heading of the same or a higher level. */
function section(heading: string): string {
  const level = heading.indexOf(' ');
  const start = README.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`packages/core/README.md has no "${heading}" heading`);
  const rest = README.slice(start + heading.length + 2);
  const next = rest.search(new RegExp(`^#{1,${level}} `, 'm'));
  return next < 0 ? rest : rest.slice(0, next);
}

/** The body rows of the first table in `text`, split into cells. */
function firstTable(text: string): string[][] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (let i = start + 2; i < lines.length && lines[i]!.startsWith('|'); i++) {
    rows.push(
      lines[i]!.slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );
  }
  return rows;
}

/** The backticked names in a cell: "`appId`, `mchId`" → appId, mchId. */
const names = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

type ErrorClass = new (...args: never[]) => core.WxPayKitError;

/** One instance of every error class the package exports. */
function errorInstances(): core.WxPayKitError[] {
  const classes = Object.entries(core).filter(
    ([, value]) => typeof value === 'function' && value.prototype instanceof core.WxPayKitError,
  ) as [string, ErrorClass][];
  return classes.map(([name, Cls]) => {
    if (name === 'WxPayError') return new core.WxPayError({ errCode: 'NOTENOUGH', layer: 'result' });
    if (name === 'ListenerError') return new core.ListenerError('paid', [new Error('x')]);
    if (name === 'ConfigError') return new core.ConfigError([{ path: 'x', message: 'y' }]);
    return new (Cls as unknown as new (a: unknown) => core.WxPayKitError)('missing');
  });
}

describe('packages/core/README.md', () => {
  it('lists every error class with its code, HTTP status and retryable', () => {
    const rows = firstTable(section('## Errors'));
    const documented = new Map(rows.map((r) => [names(r[0]!)[0]!, { cls: names(r[1]!)[0], status: Number(r[2]), retryable: r[3]! }]));
    const errors = errorInstances();
    expect(errors.length).toBeGreaterThan(10);
    expect([...documented.keys()].sort()).toEqual(errors.map((e) => e.code).sort());
    for (const error of errors) {
      const doc = documented.get(error.code)!;
      expect({ code: error.code, cls: doc.cls, status: doc.status }).toEqual({
        code: error.code,
        cls: error.name,
        status: core.statusFor(error),
      });
      expect(core.statusFor(error), error.code).toBe(doc.status);
      if (error.code === 'WXPAY_ERR_WXPAY') {
        // Retryable for the codes the row names, not for others.
        for (const code of names(doc.retryable)) {
          expect(new core.WxPayError({ errCode: code, layer: 'result' }).retryable, code).toBe(true);
        }
        expect(error.retryable).toBe(false);
      } else {
        expect(`${error.code}: ${doc.retryable}`).toBe(`${error.code}: ${error.retryable ? 'yes' : 'no'}`);
      }
    }
  });

  it('gives each error code the hint the code logs with it', () => {
    const rows = firstTable(section('## Errors'));
    const hints = new Map(rows.map((r) => [names(r[0]!)[0]!, r[5]!]));
    for (const [code, hint] of Object.entries(core.ERROR_HINTS)) expect(hints.get(code), code).toBe(hint);
  });

  it('lists the WeChat codes whose status is refined, with that status', () => {
    const text = section('## Errors');
    const table = text.slice(text.indexOf('| WeChat `err_code` |'));
    const documented = new Map(firstTable(table).flatMap((r) => names(r[0]!).map((n) => [n.replace(/_/g, ''), Number(r[1])] as const)));
    expect(Object.fromEntries(documented)).toEqual(core.STATUS_BY_WECHAT_CODE);
  });

  it('documents the fields of a JSON error reply', async () => {
    const rows = firstTable(section('### Error replies'));
    const reply = JSON.parse(String(core.errorResponse(new core.ValidationError('x')).body)) as Record<string, unknown>;
    expect(rows.map((r) => names(r[0]!)[0]).sort()).toEqual(Object.keys(reply).sort());
  });

  it('documents exactly the top-level options of createWxPay', () => {
    const documented = firstTable(section('## Options')).map((r) => names(r[0]!)[0]);
    expect(documented.sort()).toEqual(Object.keys(wxPayOptionsSchema.shape).sort());
  });

  const KEY = '192006250b4c09247ec02edce69f6a2d';
  const make = () =>
    core.createWxPay({
      merchants: [{ name: 'main', mchId: '10000100', apiKey: KEY }],
      apps: [{ name: 'shop', merchant: 'main', appIds: ['wxd930ea5d5a258f4f'] }],
      notifyPayUrl: 'https://pay.example.com/wxpay/notify-pay',
      notifyRefundUrl: 'https://pay.example.com/wxpay/notify-refund',
    });
  const post = (wxpay: core.WxPay, path: string, body: string) =>
    wxpay.handle({ method: 'POST', path, headers: { 'content-type': 'text/xml' }, rawBody: Buffer.from(body) });

  it('documents every field of the paid payload', async () => {
    const wxpay = make();
    const events: core.PaidEvent[] = [];
    wxpay.on('paid', (e) => void events.push(e));
    const answer = await post(wxpay, '/notify-pay/shop', signNotifyXml(buildPayNotification(), KEY));
    expect(answer.status).toBe(200);
    expect(events).toHaveLength(1);
    const documented = firstTable(section('### paid')).flatMap((r) => names(r[0]!));
    expect(documented.sort()).toEqual(Object.keys(events[0]!).sort());
    await wxpay.close();
  });

  it('documents every field of the refunded payload', async () => {
    const wxpay = make();
    const events: core.RefundedEvent[] = [];
    wxpay.on('refunded', (e) => void events.push(e));
    const answer = await post(wxpay, '/notify-refund/shop', buildRefundNotifyXml({}, KEY));
    expect(answer.status).toBe(200);
    expect(events).toHaveLength(1);
    const documented = firstTable(section('### refunded and refund-failed')).flatMap((r) => names(r[0]!));
    expect(documented.sort()).toEqual(Object.keys(events[0]!).sort());
    await wxpay.close();
  });
});
