import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { MerchantCertOptions } from '@wxpay-kit/core';
import { generateTestCertificates } from '@wxpay-kit/core/testing';
import { DEFAULT_MERCHANT, startSimulator } from '@wxpay-kit/simulator';
import { DEFAULT_ENDPOINTS, type GatewayConfig, type GatewayMerchant } from './config/gateway-config.js';
import { createDemoShop, DEMO_PATHS, type DemoApp } from './demo/demo-shop.js';
import { createGatewayLogger, type PinoLogger } from './logger.js';
import { startGateway, type GatewayHandle } from './server.js';
import { gatewayVersion, packageVersion } from './package-version.js';

/**
 * The timing of payment codes in default mode, short enough to watch on the demo counter: a query
 * every 2 s, reversed 12 s after the submission (or at once once it failed).
 */
const DEMO_MICROPAY_TIMING = Object.freeze({ queryIntervalMs: 2_000, deadlineMs: 12_000, reverseAfterMs: 0 });

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
  /**
   * Where the demo apps' pay, refund and transfer callbacks go: the developer's own receiver (an
   * absolute http(s) URL). Default: the demo shop's own callback paths.
   */
  readonly forwardTo?: string | undefined;
  /** The embedded simulator's port. Default 0: a free port. */
  readonly simPort?: number | undefined;
}

/** Default mode's `GET` route with the versions and the simulator's URL. */
export const INFO_PATH = '/info';

const SIMULATOR_PACKAGE_JSON = pathToFileURL(createRequire(import.meta.url).resolve('@wxpay-kit/simulator/package.json')).href;

/** The demo app's name (`payApp`): its merchant uses WeChat Pay API v2. */
export const DEMO_APP = 'demo';

/** The second demo app's name (`payApp`): its merchant uses WeChat Pay API v3. */
export const DEMO_APP_V3 = 'demo-v3';

/** The API v3 demo merchant: the merchant id and appId of WeChat's API v3 documentation examples. */
const DEMO_V3 = Object.freeze({ mchId: '1230000109', appId: 'wxd678efh567hg6787' });

const generateRsaKeyPair = promisify(generateKeyPair);

export type { DemoApp } from './demo/demo-shop.js';

/** A gateway in default mode, and where everything is. */
export interface DefaultGateway {
  readonly gateway: GatewayHandle;
  readonly simulatorUrl: string;
  readonly dataDir: string;
  /** The secret every callback is signed with (Standard Webhooks, `whsec_…`). */
  readonly callbackSecret: string;
  /** Where callbacks go when `forwardTo` was given. */
  readonly forwardTo: string | undefined;
  /** The API v2 demo merchant and app, as a client of the API sends them. */
  readonly demo: { readonly payApp: string; readonly appId: string; readonly mchId: string };
  /** Every demo app: the API v2 one ({@link DEMO_APP}) first, then the API v3 one ({@link DEMO_APP_V3}). */
  readonly demoApps: readonly DemoApp[];
  /** Human-readable summary of the URLs, printed by the CLI. */
  readonly banner: string;
}

/**
 * Starts the gateway with no configuration: the embedded WeChat Pay simulator, two demo merchants
 * on it (one on API v2, one on API v3, with keys made at start-up), a demo app for each whose
 * callbacks come back to the gateway, the forwarder on a file store, and the demo shop page at `/`.
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
  const v3Keys = await demoV3Keys();
  const simulator = await startSimulator({
    port: options.simPort ?? 0,
    merchants: [
      DEFAULT_MERCHANT,
      {
        mchId: DEMO_V3.mchId,
        apiKey: v3Keys.apiKey,
        appIds: [DEMO_V3.appId],
        v3: { publicKey: v3Keys.publicKey, serialNo: v3Keys.serialNo, apiV3Key: v3Keys.apiV3Key },
      },
    ],
    ...(options.timeFactor === undefined ? {} : { timeFactor: options.timeFactor }),
    logger: logger.child({ component: 'simulator' }),
  });
  let gateway: GatewayHandle | undefined;
  try {
    const merchant = simulator.merchants.find((m) => m.mchId === DEFAULT_MERCHANT.mchId);
    if (!merchant) throw new Error('the simulator started without the demo merchant');
    const appId = merchant.appIds[0] ?? '';
    const callbackSecret = `whsec_${randomBytes(24).toString('base64')}`;
    const cert = await demoCertificate(merchant.mchId, logger);
    const wechatpay = await simulator.wechatpayKeys();
    const v3Merchant: GatewayMerchant = {
      name: 'demo-merchant-v3',
      mchId: DEMO_V3.mchId,
      // The v2 key reads refunds started in the merchant console, which WeChat notifies in v2 XML.
      apiKey: v3Keys.apiKey,
      fetchSandboxKey: false,
      signType: 'MD5',
      baseUrl: simulator.url,
      cert: undefined,
      v3: {
        privateKey: v3Keys.privateKey,
        certSerialNo: v3Keys.serialNo,
        apiV3Key: v3Keys.apiV3Key,
        wechatpayPublicKey: wechatpay.publicKey,
        wechatpayPublicKeyId: wechatpay.publicKeyId,
        platformCertificates: false,
      },
    };
    const demoApps: DemoApp[] = [
      { payApp: DEMO_APP, appId, mchId: merchant.mchId, apiVersion: 'v2' },
      { payApp: DEMO_APP_V3, appId: DEMO_V3.appId, mchId: DEMO_V3.mchId, apiVersion: 'v3' },
    ];
    const config: GatewayConfig = {
      source: '(built-in default)',
      listenHost: options.host ?? '127.0.0.1',
      listenPort: options.port ?? 7080,
      notifyPayUrl: undefined,
      notifyRefundUrl: undefined,
      notifyTransferUrl: undefined,
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
        v3Merchant,
      ],
      apps: demoApps.map((app) => ({
        name: app.payApp,
        merchant: app.apiVersion === 'v3' ? v3Merchant.name : 'demo-merchant',
        sandbox: false,
        appIds: [app.appId],
        // Relative: the gateway's own receiver, so the demo page can show what an app receives.
        payCallback: options.forwardTo ?? DEMO_PATHS.payCallback,
        refundCallback: options.forwardTo ?? DEMO_PATHS.refundCallback,
        transferCallback: options.forwardTo ?? DEMO_PATHS.transferCallback,
        callbackSecret,
      })),
      store: { kind: 'file', path: dataDir },
      bearerToken: undefined,
      bodyLimit: undefined,
      leaseMs: undefined,
      orderExpireMinutes: undefined,
      // The demo counter's payment codes: WeChat's schedule (every 5 s, 45 s) shortened to watch it.
      micropay: DEMO_MICROPAY_TIMING,
    };
    const shop = createDemoShop({
      apps: demoApps,
      simulatorUrl: simulator.url,
      endpoints: config.endpoints,
      callbackSecret,
      logger,
    });
    const info = {
      name: 'wxpay-gateway',
      mode: 'default',
      versions: { gateway: gatewayVersion(), simulator: packageVersion(SIMULATOR_PACKAGE_JSON) },
      simulatorUrl: simulator.url,
      simulatorControl: `${simulator.url}/_sim/`,
      forwardTo: options.forwardTo ?? null,
      demoApps,
      dataDir,
    };
    gateway = await startGateway({
      config,
      logger,
      attachSimulator: simulator,
      extra: async (req, res, url) => {
        if (url.pathname !== INFO_PATH || (req.method !== 'GET' && req.method !== 'HEAD')) return shop.handle(req, res, url);
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : JSON.stringify({ ...info, gatewayUrl: gateway?.url }));
        return true;
      },
      openapiPaths: {
        [INFO_PATH]: {
          get: {
            operationId: 'info',
            summary: 'Default mode: the versions, the embedded simulator and its control API, the demo apps',
            responses: { '200': { description: 'where everything is', content: { 'application/json': { schema: { type: 'object' } } } } },
          },
        },
      },
      onClose: shop.close,
      beforeListen: (runtime) => shop.attach(runtime.wxpay),
    });
    const url = gateway.url;
    // Refunds started from WeChat's side (the merchant console, `wxpay-simulator refund`) are
    // notified where the merchant platform says: here, the demo apps' notify-refund URLs.
    for (const app of demoApps) {
      simulator.setRefundNotifyUrl(app.mchId, `${url}${config.endpoints.notifyRefund}/${encodeURIComponent(app.payApp)}`);
    }
    const banner = [
      '',
      `  wxpay-gateway is running in default mode (no config file)`,
      '',
      `  Demo shop            ${url}/`,
      `  Gateway API          ${url}${config.endpoints.createPay}/<JSAPI|NATIVE|APP|H5>, ${url}${config.endpoints.queryOrder}, …`,
      `  Health / readiness   ${url}${config.endpoints.health}  ${url}${config.endpoints.ready}`,
      `  WeChat Pay simulator ${simulator.url}  (control API under ${simulator.url}/_sim/; versions and URLs: ${url}${INFO_PATH})`,
      `  Demo app (API v2)    payApp "${DEMO_APP}", appId "${appId}", merchant ${merchant.mchId}`,
      `  Demo app (API v3)    payApp "${DEMO_APP_V3}", appId "${DEMO_V3.appId}", merchant ${DEMO_V3.mchId}`,
      `  Store (file)         ${dataDir}`,
      options.forwardTo
        ? `  Callbacks            forwarded to ${options.forwardTo}`
        : `  Callbacks            to the demo shop (--forward-to <url> sends them to your own receiver)`,
      `  Signing secret       ${callbackSecret}  (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature)`,
      '',
      `  Drive the simulator: wxpay-simulator pay|fail|refund|expire|notify <orderId> --url ${simulator.url}`,
      '',
      `  Try: curl -s -X POST ${url}${config.endpoints.createPay}/NATIVE -H 'content-type: application/json' \\`,
      `         -d '{"appId":"${appId}","payApp":"${DEMO_APP}","goods":"coffee","orderId":"o-${Date.now()}","fee":1,"ip":"127.0.0.1","productId":"p1"}'`,
      '',
      '  Use a config file for real merchants: wxpay-gateway --config wxpay-gateway.conf.json (see --help).',
      '',
    ].join('\n');
    return {
      gateway,
      simulatorUrl: simulator.url,
      dataDir,
      callbackSecret,
      forwardTo: options.forwardTo,
      demo: { payApp: DEMO_APP, appId, mchId: merchant.mchId },
      demoApps,
      banner: `${banner}\n`,
    };
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

/** The API v3 demo merchant's keys, made for each run (PEM text; keys of 32 characters). */
interface DemoV3Keys {
  /** The merchant API private key: the gateway signs its calls with it. */
  readonly privateKey: string;
  /** Its public half: the simulator checks the merchant's signatures with it. */
  readonly publicKey: string;
  /** The merchant API certificate's serial number. */
  readonly serialNo: string;
  readonly apiV3Key: string;
  /** The API v2 key (refunds started in the merchant console are notified in v2 XML). */
  readonly apiKey: string;
}

async function demoV3Keys(): Promise<DemoV3Keys> {
  const { privateKey, publicKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    serialNo: randomBytes(20).toString('hex').toUpperCase(),
    apiV3Key: randomBytes(16).toString('hex'),
    apiKey: randomBytes(16).toString('hex'),
  };
}
