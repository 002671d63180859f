/**
 * A strict scanner for the one XML shape WeChat Pay v2 sends: a flat envelope such as
 * `<xml><a><![CDATA[…]]></a><b>1</b></xml>`. It accepts a narrow grammar and answers `undefined`
 * for anything outside it, so that {@link parseXml} hands the input to the general parser, which
 * then gives the same record or the same refusal. It never accepts what the general path refuses.
 *
 * Accepted: optional leading whitespace and a plain `<?xml version="1.x" …?>` declaration; one root
 * element with no attributes; children separated by spaces, tabs or line feeds, each either
 * `<name/>`, `<name>text</name>` with no `&` in the text, or `<name>` + one CDATA section +
 * `</name>`; then trailing whitespace. Names are ASCII
 * (`[A-Za-z_][A-Za-z0-9_.-]*`), unique, and none of the names that shadow `Object.prototype`.
 * Anything else (comments, entities, attributes, carriage returns, `<!` inside CDATA, a value split
 * over several CDATA sections, nesting, duplicates, a BOM in a string) goes to the general path.
 */
/** Field names to text, as `xml.ts` names it `XmlRecord` (declared here too, so this module imports nothing back). */
type XmlRecord = Record<string, string>;

const LT = 0x3c; // <
const GT = 0x3e; // >
const SLASH = 0x2f; // /
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;

/**
 * One child element, anchored where the previous one ended: optional separating whitespace, then
 * `<name/>`, `<name>` + one CDATA section with no `]]>` inside + `</name>`, or `<name>` + text
 * without `<`, `&` or CR + `</name>`. Anything else stops the loop (and so leaves the input to the
 * general path, unless it is the root's end tag).
 */
const ELEMENT = /[ \t\n]*<([A-Za-z_][A-Za-z0-9_.-]*)(?:\/>|>(?:<!\[CDATA\[((?:[^\]]|\](?!\]>))*)\]\]>|([^<&\r]*))<\/\1>)/y;

/** `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` and its plain variants only. */
const DECLARATION =
  /^<\?xml[ \t\n]+version=(?:"1\.[0-9]"|'1\.[0-9]')(?:[ \t\n]+encoding=(?:"[Uu][Tt][Ff]-8"|'[Uu][Tt][Ff]-8'))?(?:[ \t\n]+standalone=(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\n]*\?>/;

/**
 * Names refused by the general path (prototype pollution and shadowing). Every name starting
 * with `__` is left to the general path too, which refuses `__<one of these>`.
 */
const SHADOWING = new Set([
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  'valueOf',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
]);

/** Index just past an ASCII XML name starting at `start` (equal to `start` when there is none). */
function nameEnd(text: string, start: number): number {
  let i = start;
  let c = text.charCodeAt(i);
  // First character: A-Z, a-z or _.
  if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f)) return start;
  c = text.charCodeAt(++i);
  // Then also digits, '.' and '-'.
  while ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d) {
    c = text.charCodeAt(++i);
  }
  return i;
}

function refusedName(name: string): boolean {
  return (name.charCodeAt(0) === 0x5f && name.charCodeAt(1) === 0x5f) || SHADOWING.has(name);
}

/** Whether `text` has `</name>` at `at`. */
function closesAt(text: string, at: number, name: string): boolean {
  return (
    text.charCodeAt(at) === LT &&
    text.charCodeAt(at + 1) === SLASH &&
    text.startsWith(name, at + 2) &&
    text.charCodeAt(at + 2 + name.length) === GT
  );
}

/**
 * Parses a flat WeChat envelope, or returns `undefined` when the input is anything else (the
 * caller then uses the general parser). Size, encoding and DOCTYPE checks are the caller's.
 */
export function parseFlatXml(text: string): XmlRecord | undefined {
  // Carriage returns are normalized by XML parsers; leave that to the general path.
  if (text.indexOf('\r') !== -1) return undefined;
  const length = text.length;
  let i = 0;
  let c = text.charCodeAt(0);
  while (c === SPACE || c === TAB || c === LF) c = text.charCodeAt(++i);
  if (c === LT && text.charCodeAt(i + 1) === 0x3f /* ? */) {
    const match = DECLARATION.exec(i === 0 ? text : text.slice(i));
    if (match === null) return undefined;
    i += match[0].length;
    c = text.charCodeAt(i);
    while (c === SPACE || c === TAB || c === LF) c = text.charCodeAt(++i);
  }
  if (c !== LT) return undefined;
  const rootEnd = nameEnd(text, i + 1);
  if (rootEnd === i + 1 || text.charCodeAt(rootEnd) !== GT) return undefined;
  const root = text.slice(i + 1, rootEnd);
  if (refusedName(root)) return undefined;
  i = rootEnd + 1;

  const out = Object.create(null) as XmlRecord;
  const element = ELEMENT;
  for (;;) {
    element.lastIndex = i;
    const match = element.exec(text);
    if (match === null) break;
    const name = match[1]!;
    if (out[name] !== undefined || refusedName(name)) return undefined;
    const cdata = match[2];
    // `<!DOCTYPE` or `<!ENTITY` anywhere makes the general path refuse the whole input.
    if (cdata !== undefined && cdata.indexOf('<!') !== -1) return undefined;
    out[name] = cdata ?? match[3] ?? '';
    i = element.lastIndex;
  }
  // Only the root's end tag and trailing whitespace may follow.
  c = text.charCodeAt(i);
  while (c === SPACE || c === TAB || c === LF) c = text.charCodeAt(++i);
  if (!closesAt(text, i, root)) return undefined;
  i += root.length + 3;
  while (i < length) {
    c = text.charCodeAt(i++);
    if (c !== SPACE && c !== TAB && c !== LF) return undefined;
  }
  return out;
}
