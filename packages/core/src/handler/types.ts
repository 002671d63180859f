export type { WxPayRequest, WxPayResponse } from '../model/http.js';

/** What `match()` tells an adapter before it reads the body. */
export interface RouteInfo {
  /** The route pattern, e.g. `/notify-pay/:app`. */
  readonly route: string;
  /** True for routes whose body is signed or encrypted (notifications): the exact bytes matter. */
  readonly signed: boolean;
  /** Largest body the route accepts, in bytes. */
  readonly bodyLimit: number;
}
