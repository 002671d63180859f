import type { ServerResponse } from 'node:http';
import type { WxPayResponse } from '../handler/types.js';

/**
 * Writes a core response to a node:http (or express) response: status, then every header
 * (content-type included, so nothing is sniffed), then the body with its exact length.
 * A response whose headers already went out is ended as it is.
 *
 * A string body is handed to node:http as a string, which sends it in the same write as the
 * headers; a byte body goes out as it is.
 */
export function writeResponse(res: ServerResponse, out: WxPayResponse): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = out.body;
  const headers = out.headers;
  res.statusCode = out.status;
  const names = Object.keys(headers);
  for (let i = 0; i < names.length; i++) res.setHeader(names[i]!, headers[names[i]!]!);
  res.setHeader('content-length', typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.byteLength);
  res.end(body);
}
