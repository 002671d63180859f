import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { MerchantCertOptions } from '@wxpay-kit/core';
import { generateTestCertificates } from '@wxpay-kit/core/testing';
import { startSimulator } from '@wxpay-kit/simulator';
import { DEFAULT_ENDPOINTS, type GatewayConfig } from './config/gateway-config.js';
import { createDemoShop, DEMO_PATHS } from './demo/demo-shop.js';
import { createGatewayLogger, type PinoLogger } from './logger.js';
import { startGateway, type GatewayHandle } from './server.js';

/** Options of {@link startDefaultGateway}. */
export interface DefaultGatewayOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string | undefined;
  /** Default 7080; 0 picks a free port. */
  readonly port?: number | undefined;
  /** Where the embedded store lives; default a new directory under the system temp dir. */
  readonly dataDir?: string | undefined;
  readonly logger?: PinoLogger | undefined;
  /** Multiplies the simulator's notification retry schedule. Default 1. */
  readonly timeFactor?: number | undefined;
}

/** The demo app's name (`payApp`). */
export const DEMO_APP = 'demo';

/** A gateway in default mode, and where everything is. */
export interface DefaultGateway {
  readonly gateway: GatewayHandle;
  readonly simulatorUrl: string;
  readonly dataDir: string;
  /** The demo merchant and app, as a client of the API sends them. */
  readonly demo: { readonly payApp: string; readonly appId: string; readonly mchId: string };
  /** Human-readable summary of the URLs, printed by the CLI. */
  readonly banner: string;
}

/**
 * Starts the gateway with no configuration: the embedded WeChat Pay simulator, a demo merchant on
 * it, a demo app whose callbacks come back to the gateway, the forwarder on a file store, and the
 * demo shop page at `/`.
 *
 * @example
 * ```ts
 * const { gateway, banner } = await startDefaultGateway({ port: 0 });
 * console.log(banner);
 * ```
 */
export async function startDefaultGateway(options: DefaultGatewayOptions = {}): Promise<DefaultGateway> {
  const logger = options.logger ?? createGatewayLogger();
  const dataDir = options.dataDir ? resolve(options.dataDir) : mkdtempSync(join(tmpdir(), 'wxpay-gateway-'));
  const simulator = await startSimulator({
    port: 0,
    ...(options.timeFactor === undefined ? {} : { timeFactor: options.timeFactor }),
    logger: logger.child({ component: 'simulator' }),
  });
  let gateway: GatewayHandle | undefined;
  try {
    const merchant = simulator.merchants[0];
    if (!merchant) throw new Error('the simulator started without a merchant');
    const appId = merchant.appIds[0] ?? '';
    const callbackSecret = `whsec_${randomBytes(24).toString('base64')}`;
    const cert = await demoCertificate(merchant.mchId, logger);
    const config: GatewayConfig = {
      source: '(built-in default)',
      listenHost: options.host ?? '127.0.0.1',
      listenPort: options.port ?? 7080,
      notifyPayUrl: undefined,
      notifyRefundUrl: undefined,
      endpoints: DEFAULT_ENDPOINTS,
      merchants: [
        {
          name: 'demo-merchant',
          mchId: merchant.mchId,
          apiKey: merchant.apiKey,
          fetchSandboxKey: false,
          signType: 'MD5',
          baseUrl: simulator.url,
          cert,
        },
      ],
      apps: [
        {
          name: DEMO_APP,
          merchant: 'demo-merchant',
          sandbox: false,
          appIds: [appId],
          // Relative: the gateway's own receiver, so the demo page can show what an app receives.
          payCallback: DEMO_PATHS.payCallback,
          refundCallback: DEMO_PATHS.refundCallback,
          callbackSecret,
        },
      ],
      store: { kind: 'file', path: dataDir },
      bearerToken: undefined,
      bodyLimit: undefined,
      leaseMs: undefined,
    };
    const shop = createDemoShop({
      payApp: DEMO_APP,
      appId,
      mchId: merchant.mchId,
      simulatorUrl: simulator.url,
      endpoints: config.endpoints,
      callbackSecret,
      logger,
    });
    gateway = await startGateway({
      config,
      logger,
      attachSimulator: simulator,
      extra: shop.handle,
      onClose: shop.close,
    });
    shop.attach(gateway.wxpay);
    const url = gateway.url;
    const banner = [
      '',
      `  wxpay-gateway is running in default mode (no config file)`,
      '',
      `  Demo shop            ${url}/`,
      `  Gateway API          ${url}${config.endpoints.createPay}/<JSAPI|NATIVE|APP|H5>, ${url}${config.endpoints.queryOrder}, …`,
      `  Health / readiness   ${url}${config.endpoints.health}  ${url}${config.endpoints.ready}`,
      `  WeChat Pay simulator ${simulator.url}  (control API under ${simulator.url}/_sim/)`,
      `  Demo app             payApp "${DEMO_APP}", appId "${appId}", merchant ${merchant.mchId}`,
      `  Store (file)         ${dataDir}`,
      '',
      `  Try: curl -s -X POST ${url}${config.endpoints.createPay}/NATIVE -H 'content-type: application/json' \\`,
      `         -d '{"appId":"${appId}","payApp":"${DEMO_APP}","goods":"coffee","orderId":"o-${Date.now()}","fee":1,"ip":"127.0.0.1","productId":"p1"}'`,
      '',
      '  Use a config file for real merchants: wxpay-gateway --config wxpay-gateway.conf.json (see --help).',
      '',
    ].join('\n');
    return { gateway, simulatorUrl: simulator.url, dataDir, demo: { payApp: DEMO_APP, appId, mchId: merchant.mchId }, banner: `${banner}\n` };
  } catch (error) {
    if (gateway) await gateway.close();
    else await simulator.close();
    throw error;
  }
}

/**
 * A throwaway merchant certificate, so refunds work in the demo (the simulator over plain HTTP
 * does not check it, but the client only sends refunds with one). Needs `openssl`; without it
 * the demo runs and refunds answer that the merchant has no certificate.
 */
async function demoCertificate(mchId: string, logger: PinoLogger): Promise<MerchantCertOptions | undefined> {
  try {
    const certs = await generateTestCertificates({ mchId });
    return { cert: certs.clientCert, key: certs.clientKey };
  } catch (error) {
    logger.warn({ err: { message: (error as Error).message } }, 'no openssl: the demo merchant has no certificate, so refunds are refused');
    return undefined;
  }
}
