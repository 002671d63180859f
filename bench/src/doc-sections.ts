/**
 * Sections of docs/benchmarks.md that other commands than the full run write, between markers, and
 * that a full `npm run bench` keeps when it rewrites the file.
 */

/** The sweeper load figures (`bench/src/sweeper-load.ts --write`). */
export const SWEEPER_BEGIN = '<!-- bench:sweeper -->';
export const SWEEPER_END = '<!-- /bench:sweeper -->';

/** The section between `begin` and `end` (markers included), or '' when the document has none. */
export function sectionOf(doc: string, begin: string, end: string): string {
  const b = doc.indexOf(begin);
  const e = doc.indexOf(end);
  return b !== -1 && e > b ? doc.slice(b, e + end.length) : '';
}

/** `doc` with the section between `begin` and `end` replaced by `text` (which carries the markers), or `text` appended. */
export function replaceSection(doc: string, begin: string, end: string, text: string): string {
  const b = doc.indexOf(begin);
  const e = doc.indexOf(end);
  return b !== -1 && e > b ? `${doc.slice(0, b)}${text}${doc.slice(e + end.length)}` : `${doc.trimEnd()}\n\n${text}\n`;
}
