import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ValidationError, XmlError } from '../../errors.js';
import { parseFlatXml } from './xml-fast.js';

/** A flat WeChat v2 message: element names to text. Null prototype; values are never numbers. */
export type XmlRecord = Record<string, string>;

export interface ParseXmlOptions {
  /** Largest accepted input, in UTF-8 bytes. Default 64 KiB. */
  readonly maxBytes?: number;
  /** Deepest accepted element nesting (the root counts as 1). Default 8. */
  readonly maxDepth?: number;
}

export const DEFAULT_XML_MAX_BYTES = 64 * 1024;
const DEFAULT_MAX_DEPTH = 8;

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false,
  parseAttributeValue: false,
  // Only the five predefined entities and numeric character references are decoded (an object
  // here means "these named entities, plus numeric references"; an empty one adds no HTML names).
  // DOCTYPE, and so any custom entity, is refused before parsing, so nothing can expand.
  processEntities: true,
  htmlEntities: {} as unknown as boolean,
  trimValues: false,
  isArray: () => false,
});

/** Rejected before any parsing: DTDs carry entity bombs and external entities (XXE). */
const HOSTILE = /<!DOCTYPE|<!ENTITY/i;
/**
 * Names that could pollute or shadow `Object.prototype`. fast-xml-parser throws on the first three
 * and renames the others to `__<name>`; both directions refuse all of them.
 */
const FORBIDDEN_NAMES = new Set([
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  'valueOf',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

/**
 * Parses a flat WeChat XML message (`<xml><a>1</a>…</xml>`, or `<root>` for refund details) into
 * a null-prototype record of strings. Hostile or malformed input throws {@link XmlError}: DOCTYPE
 * or ENTITY declarations, input over `maxBytes`, nesting over `maxDepth`, nested or repeated
 * elements, prototype-polluting names.
 */
export function parseXml(input: string | Uint8Array, options: ParseXmlOptions = {}): XmlRecord {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const text = decodeWithin(input, options.maxBytes ?? DEFAULT_XML_MAX_BYTES);
  // WeChat's flat envelope takes the strict scanner; anything else (and every refusal) the parser below.
  if (maxDepth >= 2) {
    const flat = parseFlatXml(text);
    if (flat !== undefined) return flat;
  }
  return parseGeneral(text, maxDepth);
}

/**
 * {@link parseXml} without the flat-envelope scanner: every input through fast-xml-parser. The
 * reference that the scanner is tested against; same results, slower.
 */
export function parseXmlGeneral(input: string | Uint8Array, options: ParseXmlOptions = {}): XmlRecord {
  return parseGeneral(decodeWithin(input, options.maxBytes ?? DEFAULT_XML_MAX_BYTES), options.maxDepth ?? DEFAULT_MAX_DEPTH);
}

function decodeWithin(input: string | Uint8Array, maxBytes: number): string {
  if (byteSizeExceeds(input, maxBytes)) throw new XmlError(`XML body exceeds the limit of ${maxBytes} bytes`);
  const text = typeof input === 'string' ? input : decodeUtf8(input);
  assertFewReferences(text);
  return text;
}

/**
 * Most entity and character references (`&amp;`, `&#20013;`) one message may hold. WeChat puts
 * text with special characters in CDATA, so real messages carry few or none, while a body made of
 * tens of thousands of references costs the general parser tens of milliseconds.
 */
export const MAX_XML_REFERENCES = 1024;

function assertFewReferences(text: string): void {
  let count = 0;
  for (let i = text.indexOf('&'); i !== -1; i = text.indexOf('&', i + 1)) {
    if (++count > MAX_XML_REFERENCES) throw new XmlError(`XML holds more than ${MAX_XML_REFERENCES} entity or character references`);
  }
}

function parseGeneral(text: string, maxDepth: number): XmlRecord {
  if (HOSTILE.test(text)) throw new XmlError('XML with a DOCTYPE or ENTITY declaration is refused');
  checkDepth(text, maxDepth);
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new XmlError(`malformed XML: ${valid.err.msg} (line ${valid.err.line})`);
  let tree: unknown;
  try {
    tree = parser.parse(text);
  } catch (cause) {
    throw new XmlError('malformed or refused XML (an element name may be reserved)', { cause });
  }
  return flatten(tree);
}

/** Size check without encoding a huge string: UTF-8 needs at least 1 and at most 3 bytes per UTF-16 unit. */
function byteSizeExceeds(input: string | Uint8Array, maxBytes: number): boolean {
  if (typeof input !== 'string') return input.byteLength > maxBytes;
  if (input.length > maxBytes) return true;
  if (input.length * 3 <= maxBytes) return false;
  return Buffer.byteLength(input, 'utf8') > maxBytes;
}

/** Stateless between calls (never used in streaming mode), so one instance serves every call. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch (cause) {
    throw new XmlError('XML body is not valid UTF-8', { cause });
  }
}

/** Cheap upper bound on nesting, counted over start and end tags, so deep input never recurses. */
function checkDepth(text: string, maxDepth: number): void {
  let depth = 0;
  for (let i = text.indexOf('<'); i !== -1; i = text.indexOf('<', i + 1)) {
    const next = text.charCodeAt(i + 1);
    if (next === 0x21 /* ! */) {
      if (text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i + 9);
        if (end === -1) throw new XmlError('malformed XML: unterminated CDATA section');
        i = end + 2;
      } else if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i + 4);
        if (end === -1) throw new XmlError('malformed XML: unterminated comment');
        i = end + 2;
      }
      continue;
    }
    if (next === 0x3f /* ? */) {
      const end = text.indexOf('?>', i + 2);
      if (end === -1) throw new XmlError('malformed XML: unterminated processing instruction');
      i = end + 1;
      continue;
    }
    if (next === 0x2f /* / */) {
      depth--;
      continue;
    }
    const close = text.indexOf('>', i);
    if (close !== -1 && text.charCodeAt(close - 1) === 0x2f) continue; // <empty/>
    if (++depth > maxDepth) throw new XmlError(`XML nesting exceeds ${maxDepth} levels`);
  }
}

function flatten(tree: unknown): XmlRecord {
  if (tree === null || typeof tree !== 'object') throw new XmlError('XML has no root element');
  const roots = Object.keys(tree);
  if (roots.length !== 1) throw new XmlError('XML must have exactly one root element');
  const root = (tree as Record<string, unknown>)[roots[0]!];
  const out: XmlRecord = Object.create(null) as XmlRecord;
  if (typeof root === 'string') {
    if (root.trim() !== '') throw new XmlError('XML root holds text instead of elements');
    return out; // <xml></xml>
  }
  if (root === null || typeof root !== 'object') throw new XmlError('XML root is not an element');
  for (const [name, value] of Object.entries(root as Record<string, unknown>)) {
    if (name === '#text') {
      if (typeof value === 'string' && value.trim() === '') continue;
      throw new XmlError('XML root holds text outside its elements');
    }
    const original = name.startsWith('__') && FORBIDDEN_NAMES.has(name.slice(2)) ? name.slice(2) : name;
    if (FORBIDDEN_NAMES.has(original)) throw new XmlError(`XML element name '${original}' is refused`);
    if (Array.isArray(value)) throw new XmlError(`XML element '${name}' appears more than once`);
    if (typeof value !== 'string') throw new XmlError(`XML element '${name}' is nested; WeChat messages are flat`);
    out[name] = value;
  }
  return out;
}

/**
 * Characters XML 1.0 cannot carry, not even in CDATA. A carriage return is refused too: parsers
 * normalize it away, so it could not survive a round trip.
 */
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR =
  /[\u0000-\u0008\u000B\u000C\u000D\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/**
 * One cheap test per value: without any of these characters a value is written bare, and neither
 * {@link NOT_XML_CHAR} nor {@link NEEDS_CDATA} needs to run.
 */
// eslint-disable-next-line no-control-regex
const PLAIN_UNLESS = /[<>&'"\u0000-\u0008\u000B-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
/** Without any of these, {@link NOT_XML_CHAR} (slower: it pairs surrogates) cannot match. */
// eslint-disable-next-line no-control-regex
const SUSPECT_CHAR = /[\u0000-\u0008\u000B-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
const NEEDS_CDATA = /[<>&'"]/;
const VALID_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** An element's tags, made once per name. */
interface Tags {
  readonly open: string;
  readonly close: string;
  readonly openCdata: string;
  readonly closeCdata: string;
}
/** Tags of the element names already checked (WeChat's vocabulary is small); bounded. */
const tagsByName = new Map<string, Tags>();

function tagsOf(name: string): Tags {
  let tags = tagsByName.get(name);
  if (tags === undefined) {
    if (!VALID_NAME.test(name) || FORBIDDEN_NAMES.has(name)) {
      throw new ValidationError(`'${name}' cannot be an XML element name`, { field: name });
    }
    tags = { open: `<${name}>`, close: `</${name}>`, openCdata: `<${name}><![CDATA[`, closeCdata: `]]></${name}>` };
    if (tagsByName.size < 4096) tagsByName.set(name, tags);
  }
  return tags;
}

/** A value accepted by {@link buildXml}; `undefined`, `null` and `''` are left out. */
export type XmlValue = string | number | bigint | boolean | null | undefined;

/**
 * Builds a flat WeChat XML message. Strings containing XML-special characters go in CDATA, and a
 * `]]>` inside a value is split across two CDATA sections so it survives. Values with characters
 * XML cannot carry (most control characters) throw {@link ValidationError}.
 */
export function buildXml(fields: Readonly<Record<string, XmlValue>>, root = 'xml'): string {
  let out = `<${root}>`;
  for (const name of Object.keys(fields)) {
    const raw = fields[name];
    if (raw === undefined || raw === null || raw === '') continue;
    const tags = tagsOf(name);
    const value = typeof raw === 'string' ? raw : String(raw);
    out += PLAIN_UNLESS.test(value) ? special(name, tags, value) : tags.open + value + tags.close;
  }
  return `${out}</${root}>`;
}

/** An element whose value has XML-special or suspect characters: CDATA, or a refusal. */
function special(name: string, tags: Tags, value: string): string {
  if (SUSPECT_CHAR.test(value) && NOT_XML_CHAR.test(value)) {
    throw new ValidationError(`field '${name}' contains a character XML cannot carry`, { field: name });
  }
  if (!NEEDS_CDATA.test(value)) return tags.open + value + tags.close;
  return tags.openCdata + (value.includes(']]>') ? value.replaceAll(']]>', ']]]]><![CDATA[>') : value) + tags.closeCdata;
}
