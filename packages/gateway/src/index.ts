/**
 * @module @wxpay-kit/gateway
 *
 * A standalone WeChat Pay gateway compatible with go-wxpay-gateway: its configuration file and
 * HTTP API, served by the core handler, with the forwarder delivering results to each app and the
 * simulator embedded for sandbox merchants and for the default (no config) mode.
 *
 * @example
 * ```ts
 * import { loadGatewayConfig, startGateway } from '@wxpay-kit/gateway';
 *
 * const { config } = loadGatewayConfig(process.env.CONF_FILE ?? './wxpay-gateway.conf.json');
 * const gateway = await startGateway({ config });
 * process.once('SIGTERM', () => void gateway.close());
 * ```
 */
export { loadGatewayConfig, parseGatewayConfig, formatConfigError } from './config/load-config.js';
export type { LoadedGatewayConfig, ParseGatewayConfigOptions } from './config/load-config.js';
export {
  DEFAULT_ENDPOINTS,
  DEFAULT_PORT,
  DEFAULT_STORE_DIR,
  SANDBOX_SUFFIX,
  isSandboxApp,
} from './config/gateway-config.js';
export type {
  GatewayConfig,
  GatewayApp,
  GatewayMerchant,
  GatewayEndpoints,
  GatewayMicropayTiming,
  StoreSpec,
} from './config/gateway-config.js';
export { toWxPayOptions, needsEmbeddedSimulator, merchantVariants } from './config/to-options.js';
export type { GatewayClock, GatewayWxPayOptions, ToWxPayOptionsInput, MerchantVariant } from './config/to-options.js';
export { seedConfigSchema, type SeedConfig } from './config/seed-schema.js';
export { startGateway, GatewayStartError, GATEWAY_SERVER_TIMEOUTS } from './server.js';
export type { StartGatewayOptions, GatewayHandle, ExtraHandler, ServerTimeouts } from './server.js';
export { startDefaultGateway, DEMO_APP, DEMO_APP_V3 } from './default-mode.js';
export type { DefaultGatewayOptions, DefaultGateway, DemoApp } from './default-mode.js';
export { createPathMapper, type GatewayRoute } from './routes.js';
export { createGatewayLogger, REDACT_PATHS, type GatewayLoggerOptions } from './logger.js';
export { forwarderApps, openStore } from './runtime.js';
export type { GatewayRuntime, Readiness, SimulatorSetup, SweeperState } from './runtime.js';
