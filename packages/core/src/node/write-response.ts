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
  // One flat [name, value, ...] list: node:http takes it as is when no header was set before, and
  // merges it into those a host set otherwise (the same as setHeader for each).
  const names = Object.keys(headers);
  const list: string[] = new Array<string>(names.length * 2 + 2);
  let i = 0;
  for (const name of names) {
    list[i++] = name;
    list[i++] = headers[name]!;
  }
  list[i++] = 'content-length';
  list[i] = String(typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.byteLength);
  res.writeHead(out.status, list);
  res.end(body);
}
