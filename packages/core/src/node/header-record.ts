import type { IncomingHttpHeaders } from 'node:http';

/**
 * Node's incoming headers as the flat record `WxPayRequest.headers` expects: lower-case names,
 * repeated values joined with `, `, absent values dropped.
 */
export function toHeaderRecord(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
