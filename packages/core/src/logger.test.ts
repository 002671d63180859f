import { describe, expect, it } from 'vitest';
import { createStderrLogger, loggerOrDefault, maskSecrets, maskingLogger, parseLogLevel, silentLogger, type Logger } from './logger.js';

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

describe('createStderrLogger', () => {
  function sink() {
    const lines: string[] = [];
    return { lines, stream: { write: (line: string) => void lines.push(line) } };
  }

  it('writes warn and error by default, one masked line each, and drops debug and info', () => {
    const { lines, stream } = sink();
    const log = createStderrLogger({ stream, level: 'warn' });
    log.debug({ a: 1 }, 'debug');
    log.info({ a: 1 }, 'info');
    log.warn({ apiKey: '192006250b4c09247ec02edce69f6a2d', app: 'shop', note: 'two\nlines' }, 'check it');
    log.error({ err: new Error('boom', { cause: new Error('root cause') }) }, 'failed');
    expect(lines).toEqual([
      'wxpay-kit warn: check it apiKey=[redacted] app=shop note="two\\nlines"\n',
      'wxpay-kit error: failed err="Error: boom (cause: Error: root cause)"\n',
    ]);
  });

  it('reads LOG_LEVEL when no level is given', () => {
    const saved = process.env['LOG_LEVEL'];
    try {
      const { lines, stream } = sink();
      process.env['LOG_LEVEL'] = 'info';
      createStderrLogger({ stream }).info({}, 'shown');
      process.env['LOG_LEVEL'] = 'silent';
      createStderrLogger({ stream }).error({}, 'hidden');
      process.env['LOG_LEVEL'] = 'fatal';
      createStderrLogger({ stream }).warn({}, 'hidden');
      expect(lines).toEqual(['wxpay-kit info: shown\n']);
    } finally {
      if (saved === undefined) delete process.env['LOG_LEVEL'];
      else process.env['LOG_LEVEL'] = saved;
    }
  });

  it('parses the usual level names', () => {
    expect(parseLogLevel('TRACE')).toBe('debug');
    expect(parseLogLevel(' warn ')).toBe('warn');
    expect(parseLogLevel('loud')).toBeUndefined();
  });

  it('masking leaves a level that is off a no-op, without copying', () => {
    const { lines, stream } = sink();
    const inner = createStderrLogger({ stream, level: 'error' });
    const masked = maskingLogger(inner);
    expect(masked.debug).toBe(inner.debug);
    masked.error({ sign: 'abc' }, 'x');
    expect(lines).toEqual(['wxpay-kit error: x sign=[redacted]\n']);
  });

  it('false is the silent logger; undefined the stderr default; a logger itself', () => {
    expect(loggerOrDefault(false)).toBe(silentLogger);
    expect(loggerOrDefault(silentLogger)).toBe(silentLogger);
    expect(loggerOrDefault(undefined)).not.toBe(silentLogger);
  });
});
