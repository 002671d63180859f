/**
 * @wxpay-kit/simulator: a faithful local WeChat Pay server for development and tests. It
 * speaks WeChat's v2 XML wire format on the real API paths (and their `/sandboxnew` variants)
 * and API v3 (JSON, RSA-signed requests and replies, AES-256-GCM encrypted notifications) on
 * `/v3/`, keeps order and refund state, sends notifications on WeChat's retry schedule, and
 * offers a JSON control API under `/_sim/`.
 *
 * @module
 */
export { startSimulator, type StartSimulatorOptions, type RunningSimulator } from './server.js';
export { createSimulator, type Simulator, type SimulatorRequest, type SimulatorResponse, type SimulatorEvents } from './simulator.js';
export { createSimulatorClient, type SimulatorClientOptions } from './control-client.js';
export { SimulatorError, type SimulatorErrorCode } from './errors.js';
export {
  createAdjustableClock,
  createManualClock,
  systemClock,
  type AdjustableClock,
  type ManualClock,
  type SimulatorClock,
  type TimerHandle,
} from './clock.js';
export { parseDuration } from './duration.js';
export { DEFAULT_MERCHANT, sandboxKeyFor } from './merchants.js';
export { NOTIFY_RETRY_INTERVALS_S, NOTIFY_SCHEDULE_S, TRANSFER_NOTIFY_SCHEDULE_S } from './notifier.js';
export { TRANSFER_CONFIRM_WINDOW_MS } from './ledger.js';
export { TRANSFER_SCENES } from './v3/transfers.js';
export { BALANCE_TRANSFER_MAX, BALANCE_TRANSFER_MIN, BATCH_FAIL_REASON, BATCH_STEP_MS } from './payouts.js';
export { MAX_BATCH_DETAILS } from './v3/transfer-batches.js';
export type { ClientCert, WireReply } from './api.js';
export { ERROR_HEADER } from './v2/handler.js';
export type { Endpoint } from './v2/routes.js';
export { BILL_HEADERS, BILL_SUMMARY_HEADERS } from './bill.js';
export type * from './types.js';
