import { describe, expect, it } from 'vitest';
import { maskSecrets, maskingLogger, type Logger } from './logger.js';

describe('maskSecrets', () => {
  it('redacts secret-looking fields at any depth, keeps the rest', () => {
    expect(
      maskSecrets({
        mchId: '10000100',
        apiKey: 'k',
        api_key: 'k',
        sign: 'S',
        paySign: 'S',
        sandbox_signkey: 'k',
        bearerToken: 't',
        authorization: 'Bearer t',
        nested: { passphrase: 'p', pfx: Buffer.from('x'), list: [{ req_info: 'r', out_trade_no: 'T1' }] },
      }),
    ).toEqual({
      mchId: '10000100',
      apiKey: '[redacted]',
      api_key: '[redacted]',
      sign: '[redacted]',
      paySign: '[redacted]',
      sandbox_signkey: '[redacted]',
      bearerToken: '[redacted]',
      authorization: '[redacted]',
      nested: { passphrase: '[redacted]', pfx: '[redacted]', list: [{ req_info: '[redacted]', out_trade_no: 'T1' }] },
    });
  });

  it('removes PEM blocks from strings and summarizes bytes', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----';
    expect(maskSecrets({ note: `key: ${pem} end`, data: new Uint8Array(4) })).toEqual({
      note: 'key: [redacted pem] end',
      data: '[4 bytes]',
    });
  });

  it('stops at a depth limit on cyclic or deep objects', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => maskSecrets(cyclic)).not.toThrow();
  });
});

describe('maskingLogger', () => {
  it('masks before the inner logger sees anything', () => {
    const seen: unknown[] = [];
    const inner: Logger = { debug: (o) => seen.push(o), info: (o) => seen.push(o), warn: (o) => seen.push(o), error: (o) => seen.push(o) };
    maskingLogger(inner).warn({ apiKey: 'secret', api: 'pay/orderquery' }, 'msg');
    expect(seen).toEqual([{ apiKey: '[redacted]', api: 'pay/orderquery' }]);
  });
});
