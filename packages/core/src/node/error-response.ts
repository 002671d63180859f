import { errorResponse, notifyFailure } from '../handler/respond.js';
import type { RouteInfo, WxPayResponse } from '../handler/types.js';

/**
 * The core's answer to an error raised outside `handle()` (the body could not be read, no
 * route): on a signed route WeChat's FAIL acknowledgement, elsewhere the `{code, msg}` envelope,
 * both with the error's status. Adapters answer through this and never map errors themselves.
 */
export function respondToError(error: unknown, route?: RouteInfo): WxPayResponse {
  return route?.signed ? notifyFailure(error) : errorResponse(error);
}
