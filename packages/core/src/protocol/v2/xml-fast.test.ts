import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { XmlError } from '../../errors.js';
import { parseFlatXml } from './xml-fast.js';
import { buildXml, parseXml, parseXmlGeneral, type ParseXmlOptions } from './xml.js';

/** A WeChat pay notification as sent on the wire: CDATA strings, bare numbers, Chinese attach. */
const NOTIFICATION =
  '<xml><appid><![CDATA[wx2421b1c4370ec43b]]></appid><attach><![CDATA[支付测试 & 附加数据]]></attach>' +
  '<bank_type><![CDATA[CFT]]></bank_type><fee_type><![CDATA[CNY]]></fee_type><is_subscribe><![CDATA[Y]]></is_subscribe>' +
  '<mch_id><![CDATA[10000100]]></mch_id><nonce_str><![CDATA[5d2b6c2a8db53831f7eda20af46e531c]]></nonce_str>' +
  '<openid><![CDATA[oUpF8uMEb4qRXf22hE3X68TekukE]]></openid><out_trade_no><![CDATA[1409811653]]></out_trade_no>' +
  '<result_code><![CDATA[SUCCESS]]></result_code><return_code><![CDATA[SUCCESS]]></return_code>' +
  '<sign><![CDATA[B552ED6B279343CB493C5DD0D78AB241]]></sign><time_end><![CDATA[20140903131540]]></time_end>' +
  '<total_fee>1</total_fee><coupon_fee><![CDATA[10]]></coupon_fee><coupon_count><![CDATA[1]]></coupon_count>' +
  '<coupon_type><![CDATA[CASH]]></coupon_type><coupon_id><![CDATA[10000]]></coupon_id><coupon_fee_0><![CDATA[100]]></coupon_fee_0>' +
  '<trade_type><![CDATA[JSAPI]]></trade_type><transaction_id><![CDATA[1004400740201409030005092168]]></transaction_id></xml>';

type Outcome = { ok: true; record: Record<string, string>; proto: unknown } | { ok: false; error: unknown };

function outcome(parse: () => Record<string, string>): Outcome {
  try {
    const record = parse();
    return { ok: true, record: { ...record }, proto: Object.getPrototypeOf(record) };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Both paths give the same record, or both refuse with an XmlError carrying the same message. */
function expectSameResult(input: string | Uint8Array, options?: ParseXmlOptions): void {
  const general = outcome(() => parseXmlGeneral(input, options));
  const fast = outcome(() => parseXml(input, options));
  if (general.ok) {
    expect(general.proto).toBeNull();
    if (!fast.ok || JSON.stringify(fast.record) !== JSON.stringify(general.record) || fast.proto !== null) expect(fast).toEqual(general);
  } else {
    if (!(general.error instanceof XmlError)) expect(general.error).toBeInstanceOf(XmlError);
    if (fast.ok || !(fast.error instanceof XmlError) || fast.error.message !== (general.error as Error).message)
      expect(fast).toEqual(general);
  }
  // Whatever the scanner accepts on its own, the general parser accepts with the same record.
  if (typeof input === 'string' && options === undefined) {
    const flat = parseFlatXml(input);
    if (flat !== undefined && (!general.ok || JSON.stringify({ ...flat }) !== JSON.stringify(general.record))) {
      expect(general).toEqual({ ok: true, record: { ...flat }, proto: null });
    }
  }
}

const names = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[a-z_][a-z0-9_]{0,12}$/) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'xml',
      'root',
      'a',
      'a.b',
      'a-b',
      'a:b',
      '中',
      '1a',
      '_',
      '__proto__',
      '__x',
      'constructor',
      'prototype',
      'toString',
      'valueOf',
      'hasOwnProperty',
      '__defineGetter__',
      'isPrototypeOf',
      'sign',
      'A',
      'a b',
      '',
    ),
  },
);
const pieces = fc.constantFrom(
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
  '&lt;',
  '&#60;',
  '&#x4E2D;',
  '&nbsp;',
  '中文',
  '支付',
  '\t',
  '\n',
  '\r',
  '\r\n',
  ' ',
  '\u00a0',
  '\u2028',
  '\uFEFF',
  '😀',
  '\u0000',
  '\u0001',
  '\uD800',
  '<!DOCTYPE x>',
  '<!ENTITY',
  '<!--',
  '-->',
  '<?',
  '?>',
  '/',
  '</a>',
  '<a>',
  '<a/>',
);
const values = fc.string({
  unit: fc.oneof({ weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 3 }) }, { weight: 2, arbitrary: pieces }),
  maxLength: 10,
});
const separators = fc.constantFrom('', '', '', ' ', '\n', '\t', ' \n\t', '\r\n', '\u00a0', 'x', '<!-- c -->', '&amp;');
const prologs = fc.constantFrom(
  '',
  '',
  ' ',
  '\n',
  '<?xml version="1.0"?>',
  '<?xml version="1.0" encoding="UTF-8"?>\n',
  "<?xml version='1.0' encoding='utf-8' standalone='yes'?>",
  '<?xml version="1.0" encoding="GBK"?>',
  '<?xml foo?>',
  '<?xml?>',
  '\uFEFF',
  '<!-- c -->',
  '<!DOCTYPE xml>',
  '<?pi x?>',
  'x',
);

/** How one element is written: text, CDATA (whole or split), empty forms, or broken forms. */
const renderings = fc.constantFrom(
  'text',
  'cdata',
  'cdata',
  'split',
  'self',
  'empty',
  'spaced-cdata',
  'nested',
  'attr',
  'unclosed',
  'mismatch',
);

function render(name: string, value: string, how: string): string {
  switch (how) {
    case 'text':
      return `<${name}>${value}</${name}>`;
    case 'cdata':
      return `<${name}><![CDATA[${value}]]></${name}>`;
    case 'split': {
      const half = Math.floor(value.length / 2);
      return `<${name}><![CDATA[${value.slice(0, half)}]]><![CDATA[${value.slice(half)}]]></${name}>`;
    }
    case 'self':
      return `<${name}/>`;
    case 'empty':
      return `<${name}></${name}>`;
    case 'spaced-cdata':
      return `<${name}> <![CDATA[${value}]]> </${name}>`;
    case 'nested':
      return `<${name}><b>${value}</b></${name}>`;
    case 'attr':
      return `<${name} a="1">${value}</${name}>`;
    case 'unclosed':
      return `<${name}>${value}`;
    default:
      return `<${name}>${value}</${name}x>`;
  }
}

const documents = fc
  .record({
    prolog: prologs,
    root: fc.constantFrom('xml', 'xml', 'root', 'XML', 'a', 'toString', '__proto__', 'x:y'),
    children: fc.array(fc.record({ name: names, value: values, how: renderings, sep: separators }), { maxLength: 8 }),
    tail: fc.constantFrom('', '', '\n', ' ', '<!-- c -->', '<xml/>', 'x', '\r\n'),
    close: fc.constantFrom(true, true, true, true, false),
  })
  .map(({ prolog, root, children, tail, close }) => {
    let body = `${prolog}<${root}>`;
    for (const child of children) body += child.sep + render(child.name, child.value, child.how);
    return body + (close ? `</${root}>` : '') + tail;
  });

/** A valid document with one edit: insert a token or random text, delete or repeat a span. */
function mutated(base: string): fc.Arbitrary<string> {
  const position = fc.nat({ max: base.length });
  return fc.oneof(
    fc.tuple(position, fc.oneof(pieces, fc.string({ maxLength: 4 }))).map(([at, token]) => base.slice(0, at) + token + base.slice(at)),
    fc.tuple(position, fc.nat({ max: 30 })).map(([at, n]) => base.slice(0, at) + base.slice(at + n)),
    fc.tuple(position, fc.nat({ max: 60 })).map(([at, n]) => base.slice(0, at + n) + base.slice(at, at + n) + base.slice(at + n)),
    fc
      .tuple(position, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }))
      .map(([at, ch]) => base.slice(0, at) + ch + base.slice(at + 1)),
  );
}

const builtByUs = fc
  .dictionary(
    fc.stringMatching(/^[a-z_][a-z0-9_]{0,10}$/),
    values.filter((v) => !/[\u0000-\u0008\u000B-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/.test(v)),
    { maxKeys: 8 },
  )
  .map((fields) => {
    try {
      return buildXml(fields);
    } catch {
      return '<xml></xml>';
    }
  });

describe('flat-envelope scanner against the general parser (differential)', () => {
  it('takes the fast path for a real notification and gives the same record', () => {
    expect(parseFlatXml(NOTIFICATION)).toBeDefined();
    expectSameResult(NOTIFICATION);
    expect(parseXml(NOTIFICATION)['attach']).toBe('支付测试 & 附加数据');
  });

  it('agrees on generated documents, valid and broken (property)', () => {
    fc.assert(
      fc.property(documents, (doc) => expectSameResult(doc)),
      { numRuns: 1200 },
    );
  });

  it('agrees on mutations of a real notification (property)', () => {
    fc.assert(
      fc.property(mutated(NOTIFICATION), (doc) => expectSameResult(doc)),
      { numRuns: 400 },
    );
  });

  it('agrees on mutations of documents that buildXml writes (property)', () => {
    fc.assert(
      fc.property(
        builtByUs.chain((doc) => mutated(doc)),
        (doc) => expectSameResult(doc),
      ),
      { numRuns: 800 },
    );
  });

  it('agrees on bytes, including invalid UTF-8 and a BOM (property)', () => {
    const bytes = Buffer.from(NOTIFICATION);
    const edits = fc.tuple(fc.nat({ max: bytes.length - 1 }), fc.constantFrom(0xc4, 0xe3, 0xff, 0x80, 0xef, 0x3c, 0x0d, 0x00));
    fc.assert(
      fc.property(fc.array(edits, { maxLength: 2 }), fc.boolean(), (changes, bom) => {
        const copy = Buffer.from(bytes);
        for (const [at, byte] of changes) copy[at] = byte;
        expectSameResult(bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), copy]) : copy);
      }),
      { numRuns: 300 },
    );
  });

  it('agrees under size and depth limits', () => {
    for (const maxBytes of [10, NOTIFICATION.length, Buffer.byteLength(NOTIFICATION) - 1, Buffer.byteLength(NOTIFICATION)]) {
      expectSameResult(NOTIFICATION, { maxBytes });
    }
    for (const maxDepth of [0, 1, 2, 3]) expectSameResult(NOTIFICATION, { maxDepth });
  });

  it('leaves every refusal to the general parser', () => {
    const refused = [
      '<!DOCTYPE xml><xml><a>1</a></xml>',
      '<xml><a><![CDATA[<!DOCTYPE x>]]></a></xml>',
      '<xml><a><![CDATA[<!entity x>]]></a></xml>',
      '<xml><sign>A</sign><sign>B</sign></xml>',
      '<xml><a><b>1</b></a></xml>',
      '<xml><__proto__>1</__proto__></xml>',
      '<xml><constructor>1</constructor></xml>',
      '<xml><toString>1</toString></xml>',
      '<xml><__toString>1</__toString></xml>',
      '<xml>text<a>1</a></xml>',
      '<xml><a>1</a>',
      '<xml><a>1</b></xml>',
    ];
    for (const doc of refused) {
      expect(parseFlatXml(doc), doc).toBeUndefined();
      expect(() => parseXml(doc), doc).toThrow(XmlError);
      expectSameResult(doc);
    }
  });
});
