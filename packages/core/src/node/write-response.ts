import type { ServerResponse } from 'node:http';
import type { WxPayResponse } from '../handler/types.js';

/**
 * Writes a core response to a node:http (or express) response: status, then every header
 * (content-type included, so nothing is sniffed), then the body with its exact length.
 * A response whose headers already went out is ended as it is.
 */
export function writeResponse(res: ServerResponse, out: WxPayResponse): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = typeof out.body === 'string' ? Buffer.from(out.body, 'utf8') : out.body;
  res.statusCode = out.status;
  for (const [name, value] of Object.entries(out.headers)) res.setHeader(name, value);
  res.setHeader('content-length', body.byteLength);
  res.end(body);
}
