import { readableTime } from '../ids.js';

/** RFC 3339 in Beijing time, as API v3 writes times: `2024-01-01T12:00:00+08:00`. */
export function rfc3339(ms: number): string {
  return `${readableTime(ms).replace(' ', 'T')}+08:00`;
}

/** Parses an RFC 3339 time with an explicit offset to epoch ms; undefined when it is not one. */
export function parseRfc3339(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}
