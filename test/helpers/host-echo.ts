import type { IncomingMessage } from 'node:http';

/**
 * The body a host route received, as text: what a host parser left (a string as is, an object
 * re-serialized), or else the stream read to its end.
 */
export async function receivedBodyText(parsed: unknown, stream: IncomingMessage): Promise<string> {
  if (typeof parsed === 'string') return parsed;
  if (Buffer.isBuffer(parsed)) return parsed.toString('utf8');
  if (parsed !== undefined && parsed !== null && !stream.readable) return JSON.stringify(parsed);
  if (parsed !== undefined && parsed !== null && stream.readableDidRead) return JSON.stringify(parsed);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
