import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ValidationError, XmlError } from '../../errors.js';
import { buildXml, parseXml } from './xml.js';

/** Characters XML 1.0 can carry (CR excluded: parsers normalize it). */
function xmlSafe(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u0008\u000B-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value);
}

/** Any code points, lone surrogates included (cheaper to set up than `unit: 'binary'`). */
const anyString = (maxLength: number) =>
  fc.array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength }).map((cps) => String.fromCodePoint(...cps));

const name = fc
  .stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/)
  .filter((n) => !['constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf'].includes(n) && !n.startsWith('__'));
const tricky = fc.constantFrom(
  ']]>',
  ']]',
  ']',
  '<![CDATA[',
  '"',
  "'",
  '<',
  '>',
  '&',
  '&amp;',
  '&#60;',
  '中文',
  '支付用户零钱',
  '\t',
  '\n',
  ' ',
  '😀',
);
const value = fc.string({ unit: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 3 }), tricky), maxLength: 12 });

function expectXmlError(fn: () => unknown): XmlError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(XmlError);
    return error as XmlError;
  }
  throw new Error('expected an XmlError');
}

describe('buildXml + parseXml round trip', () => {
  it('keeps every value, including Chinese, ]]>, quotes and surrounding spaces (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(name, value, { maxKeys: 10 }), (fields) => {
        const expected = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== ''));
        const parsed = parseXml(buildXml(fields));
        expect({ ...parsed }).toEqual(expected);
        expect(Object.getPrototypeOf(parsed)).toBeNull();
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips any XML-safe string (property)', () => {
    fc.assert(
      fc.property(
        anyString(24)
          // eslint-disable-next-line no-control-regex
          .map((s) => s.replace(/[\u0000-\u0008\u000B-\u001F\uFFFE\uFFFF]/g, ''))
          .filter(xmlSafe),
        (text) => {
          const parsed = parseXml(buildXml({ v: text }));
          expect(parsed['v'] ?? '').toBe(text);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('throws ValidationError naming the field for characters XML cannot carry (property)', () => {
    fc.assert(
      fc.property(
        anyString(10),
        fc.constantFrom('\u0000', '\u0001', '\u0008', '\u000B', '\u000C', '\r', '\u001F', '\uFFFE', '\uFFFF', '\uD800', '\uDC00'),
        anyString(10),
        (before, bad, after) => {
          const text = `${before.replace(/[\uD800-\uDBFF]$/, '')}${bad}${after.replace(/^[\uDC00-\uDFFF]/, '')}`;
          let error: unknown;
          try {
            buildXml({ body: text });
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(ValidationError);
          expect((error as ValidationError).field).toBe('body');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('writes plain values bare and special ones in CDATA, splitting ]]>', () => {
    expect(buildXml({ a: 'plain', b: 1, c: '<x>', d: 'x]]>y', e: '', f: undefined, g: null })).toBe(
      '<xml><a>plain</a><b>1</b><c><![CDATA[<x>]]></c><d><![CDATA[x]]]]><![CDATA[>y]]></d></xml>',
    );
    expect(buildXml({ a: 'v' }, 'root')).toBe('<root><a>v</a></root>');
  });

  it('refuses names that are not XML names or that shadow Object.prototype', () => {
    for (const bad of ['1a', 'a b', '<a>', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '']) {
      expect(() => buildXml({ [bad]: 'x' }), bad).toThrow(ValidationError);
      // Refused every time, not only the first (names are remembered once checked, and only good ones).
      expect(() => buildXml({ ok: 'y', [bad]: 'x' }), bad).toThrow(ValidationError);
    }
  });

  it('gives the same text when an element name comes back in another message', () => {
    const first = buildXml({ body: 'a', detail: '<b>', total_fee: 1 });
    expect(buildXml({ total_fee: 1, body: 'a', detail: '<b>' })).toBe(
      '<xml><total_fee>1</total_fee><body>a</body><detail><![CDATA[<b>]]></detail></xml>',
    );
    expect(buildXml({ body: 'a', detail: '<b>', total_fee: 1 })).toBe(first);
  });
});

describe('parseXml', () => {
  it('parses a WeChat reply with CDATA and bare values into strings', () => {
    const parsed = parseXml(
      '<xml><return_code><![CDATA[SUCCESS]]></return_code><total_fee>0100</total_fee><is_subscribe>Y</is_subscribe></xml>',
    );
    expect({ ...parsed }).toEqual({ return_code: 'SUCCESS', total_fee: '0100', is_subscribe: 'Y' });
  });

  it('accepts bytes, a declaration, a BOM, comments and empty elements', () => {
    const bytes = Buffer.from(
      '\uFEFF<?xml version="1.0" encoding="UTF-8"?><xml><!-- <a><b><c><d><e><f><g><h><i> --><a>中</a><b/><c></c></xml>',
    );
    expect({ ...parseXml(bytes) }).toEqual({ a: '中', b: '', c: '' });
  });

  it('decodes the predefined entities and numeric references once', () => {
    expect(parseXml('<xml><a>&lt;&gt;&amp;&quot;&apos;&#60;&#x4E2D;</a><b>&amp;#60;</b></xml>')['a']).toBe('<>&"\'<中');
    expect(parseXml('<xml><b>&amp;#60;</b></xml>')['b']).toBe('&#60;');
  });

  it('does not expand HTML or unknown entities', () => {
    expect(parseXml('<xml><a>&nbsp;&foo;</a></xml>')['a']).toBe('&nbsp;&foo;');
  });
});

describe('parseXml refuses hostile input with XmlError', () => {
  it('billion laughs (entity expansion)', () => {
    const lol =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
      Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('') +
      ']><lolz>&lol9;</lolz>';
    expectXmlError(() => parseXml(lol));
  });

  it('any DOCTYPE, in any case', () => {
    expectXmlError(() => parseXml('<!DOCTYPE xml><xml><a>1</a></xml>'));
    expectXmlError(() => parseXml('<!doctype xml><xml><a>1</a></xml>'));
  });

  it('an external entity (XXE)', () => {
    expectXmlError(() =>
      parseXml('<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><a>&xxe;</a></xml>'),
    );
    expectXmlError(() => parseXml('<xml><!ENTITY xxe SYSTEM "file:///etc/passwd"><a>1</a></xml>'));
  });

  it('a 50 MB body, as a string and as bytes', () => {
    const fifty = 50 * 1024 * 1024;
    expectXmlError(() => parseXml(`<xml><a>${'x'.repeat(fifty)}</a></xml>`));
    expectXmlError(() => parseXml(Buffer.alloc(fifty, 0x61)));
  });

  it('a body one byte over the limit, counted in UTF-8 bytes', () => {
    const body = '<xml><a>中</a></xml>'; // 21 bytes, 19 UTF-16 units
    expect(parseXml(body, { maxBytes: 21 })['a']).toBe('中');
    expectXmlError(() => parseXml(body, { maxBytes: 20 }));
    expect(parseXml(Buffer.from(body), { maxBytes: 21 })['a']).toBe('中');
    expectXmlError(() => parseXml(Buffer.from(body), { maxBytes: 20 }));
  });

  it('10,000-deep nesting, also when the size limit would allow it', () => {
    const deep = '<a>'.repeat(10_000) + '</a>'.repeat(10_000);
    expectXmlError(() => parseXml(deep));
    expect(expectXmlError(() => parseXml(deep, { maxBytes: 1 << 20 })).message).toMatch(/nesting/);
  });

  it('nested elements within the depth limit (messages are flat)', () => {
    expectXmlError(() => parseXml('<xml><a><b>1</b></a></xml>'));
  });

  it('__proto__, constructor, prototype and other Object.prototype names', () => {
    for (const bad of ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf']) {
      expectXmlError(() => parseXml(`<xml><${bad}>1</${bad}></xml>`));
      expectXmlError(() => parseXml(`<xml><${bad}><polluted>1</polluted></${bad}></xml>`));
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('duplicate elements', () => {
    expect(expectXmlError(() => parseXml('<xml><sign>A</sign><sign>B</sign></xml>')).message).toMatch(/more than once/);
  });

  it('bytes that are not UTF-8 (GBK)', () => {
    // "<xml><a>你</a></xml>" with 你 in GBK (C4 E3)
    const gbk = Buffer.concat([Buffer.from('<xml><a>'), Buffer.from([0xc4, 0xe3]), Buffer.from('</a></xml>')]);
    expectXmlError(() => parseXml(gbk));
  });

  it('malformed documents', () => {
    for (const bad of [
      '',
      'hello',
      '<xml>',
      '<xml><a>1</b></xml>',
      '<xml><a>1</a></xml><xml/>',
      '<xml>text</xml>',
      '<xml><a>1</a>tail</xml>',
      '<xml><![CDATA[x</xml>',
      '<xml><!-- x</xml>',
    ]) {
      expectXmlError(() => parseXml(bad));
    }
  });

  it('error messages do not echo the payload', () => {
    const secret = 'S3CR3T-VALUE-1234567890';
    for (const bad of [`<xml><a>${secret}</a><a>${secret}</a></xml>`, `<xml><a><b>${secret}</b></a></xml>`, `<xml>${secret}</xml>`]) {
      expect(expectXmlError(() => parseXml(bad)).message).not.toContain(secret);
    }
  });
});
