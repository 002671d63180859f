import type { IncomingHttpHeaders } from 'node:http';

/**
 * Node's incoming headers as the flat record `WxPayRequest.headers` expects: lower-case names,
 * repeated values joined with `, `, absent values dropped.
 */
export function toHeaderRecord(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const names = Object.keys(headers);
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const value = headers[name];
    if (value === undefined) continue;
    out[name.toLowerCase()] = typeof value === 'string' ? value : value.join(', ');
  }
  return out;
}
