import { describe, expect, it } from 'vitest';
import * as errors from '../errors.js';
import { STATUS_BY_CODE, errorResponse, notifyReply, statusFor } from './respond.js';
import { StoreError, ValidationError, WxPayError } from '../errors.js';

/** One instance of every concrete error class, built with whatever its constructor needs. */
function everyError(): errors.WxPayKitError[] {
  return [
    new errors.ConfigError([{ path: 'apps', message: 'required' }]),
    new errors.ValidationError('bad'),
    new errors.PayloadTooLargeError(10),
    new errors.UnsupportedMediaTypeError('bad'),
    new errors.UnauthorizedError('no'),
    new errors.NotFoundError('no'),
    new errors.MethodNotAllowedError('no'),
    new errors.XmlError('bad'),
    new errors.SignatureError('mismatch'),
    new errors.DecryptError('bad'),
    new errors.AppMismatchError('bad'),
    new errors.AmountMismatchError('bad'),
    new errors.WxPayError({ errCode: 'SYSTEMERROR', layer: 'result' }),
    new errors.TransportError('down'),
    new errors.BillIntegrityError('tradebill', 'sha1', 'a', 'b'),
    new errors.ListenerError('paid', [new Error('x')]),
    new errors.StoreError('down'),
    new errors.InternalError('bug'),
  ];
}

describe('respond', () => {
  it('maps every error code from the one table; the error classes carry no status of their own', () => {
    const all = everyError();
    expect(new Set(all.map((e) => e.code))).toEqual(new Set(Object.keys(STATUS_BY_CODE)));
    for (const error of all) {
      expect([error.code, statusFor(error)]).toEqual([error.code, STATUS_BY_CODE[error.code]]);
      expect('status' in error, error.code).toBe(false);
    }
    expect(Object.fromEntries(all.map((e) => [e.name, statusFor(e)]))).toMatchObject({
      ValidationError: 400,
      PayloadTooLargeError: 413,
      UnsupportedMediaTypeError: 415,
      UnauthorizedError: 401,
      NotFoundError: 404,
      MethodNotAllowedError: 405,
      WxPayError: 502,
      TransportError: 502,
      StoreError: 503,
      InternalError: 500,
    });
  });

  it('answers 500 with a generic message for anything that is not a wxpay-kit error', () => {
    const out = errorResponse(new Error('secret detail'));
    expect(out.status).toBe(500);
    expect(JSON.parse(out.body as string)).toEqual({ code: 500, msg: 'internal error', err_code: 'WXPAY_ERR_INTERNAL', retryable: false });
  });

  it('adds err_code and retryable to the seed envelope: WeChat codes as WeChat spells them, ours otherwise', () => {
    const body = (error: unknown) => JSON.parse(errorResponse(error).body as string) as Record<string, unknown>;
    expect(body(new ValidationError('orderId: must be a non-empty string'))).toEqual({
      code: 400,
      msg: 'orderId: must be a non-empty string',
      err_code: 'WXPAY_ERR_VALIDATION',
      retryable: false,
    });
    expect(body(new WxPayError({ errCode: 'SYSTEMERROR', errCodeDes: 'busy', layer: 'result' }))).toEqual({
      code: 502,
      msg: 'WeChat Pay answered SYSTEMERROR: busy',
      err_code: 'SYSTEMERROR',
      retryable: true,
    });
    expect(body(new WxPayError({ errCode: 'FAIL', returnMsg: '签名错误', layer: 'return' }))).toMatchObject({
      err_code: 'FAIL',
      code: 502,
    });
    expect(body(new StoreError('disk full'))).toMatchObject({ code: 503, err_code: 'WXPAY_ERR_STORE', retryable: true });
  });

  it('answers 404 for WeChat codes that say the order or refund does not exist, 409 for one in a final state', () => {
    const status = (errCode: string) => errorResponse(new WxPayError({ errCode, layer: 'result' })).status;
    expect(status('ORDERNOTEXIST')).toBe(404);
    expect(status('REFUNDNOTEXIST')).toBe(404);
    expect(status('ORDER_NOT_EXIST')).toBe(404);
    expect(status('ORDERPAID')).toBe(409);
    expect(status('ORDERCLOSED')).toBe(409);
    expect(status('NOTENOUGH')).toBe(502);
    expect(status('SIGNERROR')).toBe(502);
  });

  it('writes WeChat acknowledgements with CDATA that survives a "]]>" in the message', () => {
    expect(notifyReply(false, 'a]]>b').body).toBe(
      '<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[a]]]]><![CDATA[>b]]></return_msg></xml>',
    );
  });
});
