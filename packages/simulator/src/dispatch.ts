import type { ClientCert, WireReply } from './api.js';
import { textReply } from './api.js';
import { handleControl } from './control.js';
import type { SimulatorControl, SimulatorMerchant } from './types.js';
import { handleWire, type WireDeps } from './v2/handler.js';
import { resolveWireRoute } from './v2/routes.js';
import { handleV3, type V3Deps } from './v3/handler.js';
import { isV3Path, resolveV3Route } from './v3/routes.js';

/** A request as handed to `Simulator.handle`. */
export interface SimulatorRequest {
  readonly method: string;
  /** The request path, with or without a query string. */
  readonly path: string;
  /** The body bytes (XML for WeChat APIs, JSON for `/_sim/`). */
  readonly body?: Uint8Array | string;
  /** Same as `body`, so a core `WxPayRequest` can be passed as it is. Ignored when `body` is given. */
  readonly rawBody?: Uint8Array;
  /** Request headers (names in lower case); `/v3/` calls need `authorization`. */
  readonly headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** What the transport verified of a TLS client certificate. Default `{ state: 'not-tls' }`. */
  readonly clientCert?: ClientCert;
}

/** The answer of `Simulator.handle`. */
export interface SimulatorResponse extends WireReply {
  /** A `drop` fault hit: the transport should close the connection without answering. */
  readonly drop?: boolean;
}

/** What {@link createDispatch} routes to. */
export interface DispatchDeps {
  readonly basePath: string;
  readonly control: SimulatorControl;
  readonly merchants: readonly SimulatorMerchant[];
  readonly wire: WireDeps;
  readonly v3: V3Deps;
}

const dropped = (): SimulatorResponse => ({ status: 0, headers: {}, body: '', drop: true });

/**
 * One request in, one answer out: the base path is stripped, then `/_sim/` goes to the control
 * API, `/v3/` to the v3 handler and the rest to the v2 codec. The injected `delay` and `drop`
 * faults apply to the WeChat APIs (matched on the path as received or its canonical form).
 * Never rejects: a failure answers 500.
 */
export function createDispatch(deps: DispatchDeps): (request: SimulatorRequest) => Promise<SimulatorResponse> {
  const { basePath, control, merchants, wire, v3 } = deps;
  const { clock, faults, logger } = wire;

  /** Applies `delay` faults; true when a `drop` fault says to close the connection instead of answering. */
  const faultsSayDrop = async (path: string, canonical: string): Promise<boolean> => {
    const delay = faults.take('delay', path, canonical).reduce((sum, f) => sum + (f.kind === 'delay' ? f.ms : 0), 0);
    if (delay > 0) await new Promise<void>((resolve) => clock.setTimeout(resolve, delay));
    if (faults.take('drop', path, canonical).length === 0) return false;
    logger.info({ path }, 'dropping the connection (injected fault)');
    return true;
  };

  return async (request) => {
    try {
      const url = new URL(request.path, 'http://simulator.invalid');
      let path = url.pathname;
      if (basePath) {
        if (path !== basePath && !path.startsWith(`${basePath}/`)) return textReply(404, 'Not Found');
        path = path.slice(basePath.length) || '/';
      }
      const given = request.body ?? request.rawBody;
      const body = typeof given === 'string' ? Buffer.from(given, 'utf8') : (given ?? new Uint8Array());
      const method = request.method.toUpperCase();
      if (path === '/_sim' || path.startsWith('/_sim/')) {
        return await handleControl(control, merchants, method, path, url.searchParams, body);
      }
      if (isV3Path(path)) {
        const route = resolveV3Route(method, path);
        if (await faultsSayDrop(path, route?.canonicalPath ?? path)) return dropped();
        const asReceived = request.path.startsWith('/') ? request.path : `${url.pathname}${url.search}`;
        const relative = `${path}${url.search}`;
        const auth = request.headers?.['authorization'];
        const serial = request.headers?.['wechatpay-serial'];
        const host = request.headers?.['host'];
        const scheme = request.clientCert === undefined || request.clientCert.state === 'not-tls' ? 'http' : 'https';
        return handleV3(v3, route, {
          method,
          path,
          targets: asReceived === relative ? [relative] : [asReceived, relative],
          query: url.searchParams,
          authorization: typeof auth === 'string' ? auth : auth?.[0],
          wechatpaySerial: typeof serial === 'string' ? serial : serial?.[0],
          body,
          origin: typeof host === 'string' && host !== '' ? `${scheme}://${host}${basePath}` : undefined,
        });
      }
      const route = resolveWireRoute(path);
      if (!route) return textReply(404, 'Not Found');
      if (await faultsSayDrop(path, route.canonicalPath)) return dropped();
      return handleWire(wire, route, method, body, request.clientCert ?? { state: 'not-tls' }, path);
    } catch (cause) {
      logger.error({ path: request.path, err: cause instanceof Error ? cause.message : String(cause) }, 'simulator failed');
      return textReply(500, 'Internal Server Error');
    }
  };
}
