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

/** What `match()` tells an adapter before it reads the body. */
export interface RouteInfo {
  /** The route pattern, e.g. `/notify-pay/:app`. */
  readonly route: string;
  /** True for routes whose body is signed or encrypted (notifications): the exact bytes matter. */
  readonly signed: boolean;
  /** Largest body the route accepts, in bytes. */
  readonly bodyLimit: number;
}
