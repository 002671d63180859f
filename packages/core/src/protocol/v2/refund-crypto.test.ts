import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DecryptError } from '../../errors.js';
import { decryptRefundInfo, encryptRefundInfo } from './refund-crypto.js';

const KEY = '192006250b4c09247ec02edce69f6a2d';
const PLAIN =
  '<root><out_refund_no><![CDATA[R20240101000001]]></out_refund_no><out_trade_no><![CDATA[T20240101000001]]></out_trade_no><refund_account><![CDATA[REFUND_SOURCE_RECHARGE_FUNDS]]></refund_account><refund_fee><![CDATA[100]]></refund_fee><refund_id><![CDATA[50000408942024010100000000001]]></refund_id><refund_recv_accout><![CDATA[支付用户零钱]]></refund_recv_accout><refund_request_source><![CDATA[API]]></refund_request_source><refund_status><![CDATA[SUCCESS]]></refund_status><settlement_refund_fee><![CDATA[100]]></settlement_refund_fee><settlement_total_fee><![CDATA[100]]></settlement_total_fee><success_time><![CDATA[2024-01-01 12:00:00]]></success_time><total_fee><![CDATA[100]]></total_fee><transaction_id><![CDATA[4200000000202401010000000001]]></transaction_id></root>';
const REQ_INFO =
  'WBzGpzQuNpcFxIlFjUUD9BfnwwNUlVAs7bwvgHME4/RbYDxgIFt4h1/ChWvVfA2ijUF6J1J4xU4Xuo3b+lNaAs27gGtso/DIzNj/bM43hg1OPHfU9Us3tbQ7d5KdpQ1ve6fRAKr8yATlSFKJQ8wrKrCbUhvsnjY9mtgm51F8k17bQPn4gHWoi+dNtluuQaasMuqlAEE9aJlxIri4y6y2ZgJjOWpRLhdVBKINaDu2Ps8CZfEfC8TjtaKe9vre/Y4iL+RFPR4cU+XSJAjJRkx4v3HD7O2Xok05lWtq3dKlkvz1DRR2qga6+piJfdSslUFW0/vChgqvAnkXoEvFtLPtPUHhOD06x40Y5hyB7whCLQ30x64kJXoR6iMTlT6wa7TujJZYKmeRX9Wt3TosFGMDYxl/z8tvZkSYm8JM1qtGhekjliszxlYWbpqNIMQok8ni0im27BZb8amQJ0lLa1/W3Jq0Vu7bSrcCVhKZDLMnDm8Yj5HXLOrtk4k3pUbJNWtWUj8NcDLwqOkXyJvC5mU9235Ef5x/n+x/zop5M8T3Z41nkDskLVmQLDNTp4vjEEzEDwGnAhWBVoyDJInQAFcVnS0K/EAP9fTGVForzwSQ0LNxrARd++rUsjkM8nlob9pIPDc9bq908FkKBk4kpwCB5lD4gaEdQdXwW3CpZ/vnctdmGUd8VzkLW/zpaEZkz42FHpHYoK04XaJf3qW0feQGtZ/SdhVZyzGIwVnWsye8q8vhKamH+zyLVkxa8TOlhL9v4v2dix2RzE0VmEg0nsimJb9l+xxsHyNDvrs4Odf2AKKfJhSmJZEEGVQ4NzKj9Op45j+xTVNJdmidZLkQxAjIeB9f34hNvg4WQyojSd7iNibdpcV22PVZpCmap+fbvOb4qnGYQLaXt1kFvoqZVbUYtSyMdyXmYPQmTaANeNYkysGKT8hxfYxRvxf2GyRCezsvROxq4TNh04KrchVCPy2FMK/OIfue+2HvDPW6XJFxw0B4Z2OHKCrEWU2bydTfOIWynNj5dCUPNoPscFMyZY89hQ==';

describe('refund notification req_info (spec §8.3)', () => {
  it('the plaintext of the vector is the one the spec describes', () => {
    expect(Buffer.byteLength(PLAIN, 'utf8')).toBe(780);
    expect(createHash('sha256').update(PLAIN, 'utf8').digest('hex')).toBe(
      '907ed00fdfc76ec1a824c7abbc904194bacb4ed7c14d653498f2019cb7207499',
    );
    expect(REQ_INFO).toHaveLength(1048);
  });

  it('decrypts the vector', () => {
    expect(decryptRefundInfo(REQ_INFO, KEY)).toBe(PLAIN);
  });

  it('encrypts to the vector byte for byte', () => {
    expect(encryptRefundInfo(PLAIN, KEY)).toBe(REQ_INFO);
  });

  it('round-trips arbitrary text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ minLength: 32, maxLength: 32 }), (text, key) => {
        expect(decryptRefundInfo(encryptRefundInfo(text, key), key)).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  it('throws DecryptError for a wrong key', () => {
    const wrongKey = 'ffffffffffffffffffffffffffffffff';
    // A wrong key almost always breaks the PKCS#7 padding; when by chance it does not, the text is garbage.
    let error: unknown;
    try {
      const text = decryptRefundInfo(REQ_INFO, wrongKey);
      expect(text).not.toBe(PLAIN);
    } catch (e) {
      error = e;
    }
    if (error !== undefined) expect(error).toBeInstanceOf(DecryptError);
    expect(() => decryptRefundInfo(encryptRefundInfo('<root><a>1</a></root>', KEY), 'k'.repeat(32))).toThrow(DecryptError);
  });

  it('throws DecryptError for empty, truncated or non-block-sized input', () => {
    expect(() => decryptRefundInfo('', KEY)).toThrow(DecryptError);
    expect(() => decryptRefundInfo(REQ_INFO.slice(0, 100), KEY)).toThrow(DecryptError);
    expect(() => decryptRefundInfo('not base64 at all!!', KEY)).toThrow(DecryptError);
  });

  it('never puts the key in the error message', () => {
    try {
      decryptRefundInfo(REQ_INFO.slice(0, 64), KEY);
      expect.unreachable();
    } catch (e) {
      expect(String((e as Error).message)).not.toContain(KEY);
    }
  });
});
