/**
 * The request/response contract between the core and every adapter: what an adapter hands over
 * and what it writes back. Framework-neutral; no adapter parses or maps anything itself.
 */

/** What every adapter hands to the core. */
export interface WxPayRequest {
  /** Upper-case. */
  readonly method: string;
  /** Relative to where the host mounted the handler; starts with `/`; no query string. */
  readonly path: string;
  /** Lower-case names; repeated values joined with `, `. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The exact bytes received; empty for GET. */
  readonly rawBody: Uint8Array;
  readonly remoteAddress?: string | undefined;
}

/** What the core hands back. `headers` always includes `content-type`. */
export interface WxPayResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
}
