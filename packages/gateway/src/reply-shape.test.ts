import { describe, expect, it } from 'vitest';
import { shapeReply } from './reply-shape.js';

const json = (status: number, body: unknown) => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify(body),
});
const parsed = (out: { body: string | Uint8Array }) => JSON.parse(String(out.body)) as unknown;

const order = { order_id: 'o1', trade_state: 'SUCCESS', total_fee: 101 };
const jsapi = { code: 200, msg: 'OK', result: { prepay_id: 'wx1', jsapi_params: { appId: 'wx', package: 'prepay_id=wx1' } } };

describe('shapeReply', () => {
  it('current: wraps query-order and confirm in {code, msg, result} and returns jsapi_params as a JSON string', () => {
    expect(parsed(shapeReply('current', '/query-order', json(200, order)))).toEqual({ code: 200, msg: 'OK', result: order });
    expect(parsed(shapeReply('current', '/confirm', json(200, order)))).toEqual({ code: 200, msg: 'OK', result: order });
    const pay = parsed(shapeReply('current', '/create-pay/:type', json(200, jsapi))) as typeof jsapi;
    expect(pay.result.jsapi_params).toBe('{"appId":"wx","package":"prepay_id=wx1"}');
    expect(pay.result.prepay_id).toBe('wx1');
  });

  it('2019, errors and other routes: unchanged', () => {
    const untouched = [
      ['2019', '/query-order', json(200, order)],
      ['2019', '/create-pay/:type', json(200, jsapi)],
      ['current', '/query-order', json(400, { code: 400, msg: 'orderId: bad' })],
      ['current', '/create-refund', json(200, { code: 200, msg: 'OK', result: {} })],
      ['current', '/create-pay/:type', json(200, { code: 200, msg: 'OK', result: { prepay_id: 'wx1', code_url: 'weixin://x' } })],
    ] as const;
    for (const [shape, route, out] of untouched) expect(shapeReply(shape, route, out)).toBe(out);
  });
});
