import type { GatewayConfig } from './gateway-config.js';
import { appsCheckNotifications } from './api-shape.js';
import { missingTransferKeys } from './to-options.js';

/**
 * The start-up lines that say how the gateway reads a go-wxpay-gateway file: which reply shapes
 * it answers in, what the keys it accepts without a use here mean, and what an API v2 merchant's
 * v3 keys are for. One line each; the server logs them at `info` before it listens.
 */
export function startupNotes(config: GatewayConfig): string[] {
  const notes: string[] = [];
  if (config.apiShape) notes.push(`reply shapes: "${config.apiShape.shape}" (${config.apiShape.reason})`);
  if (config.workerNum !== undefined) {
    notes.push(`"worker-num" (${config.workerNum}) has no meaning here: one Node.js event loop serves every request`);
  }
  if (config.payLogFile !== undefined) {
    notes.push(
      `"pay-log-file" (${config.payLogFile}) is not written: results are the JSON log lines on stdout and the records in the store`,
    );
  }
  const shape = config.apiShape?.shape;
  if (shape !== undefined && appsCheckNotifications(shape, config.endpoints)) {
    const bare = config.apps.filter((a) => !a.payCallback).map((a) => `"${a.name}"`);
    if (bare.length > 0) {
      notes.push(
        `app${bare.length > 1 ? 's' : ''} ${bare.join(', ')} without "notify-pay-callback": results reach ${bare.length > 1 ? 'them' : 'it'} by verify-notify-pay (${config.endpoints.verifyNotifyPay}?app=<name>) for orders placed with the app's own notifyUrl; results of other orders are kept in the outbox until a callback is set`,
      );
    }
  }
  for (const m of config.merchants) {
    if (!m.transferKeys) continue;
    const keys = m.transferKeys.keys.join(', ');
    const missing = missingTransferKeys(m.transferKeys);
    notes.push(
      missing.length === 0
        ? `merchant "${m.name}" pays on API v2; its API v3 keys (${keys}) are for the calls only API v3 has, such as transfer bills ("api-version": "v3" moves its payments to v3)`
        : `merchant "${m.name}" pays on API v2; its API v3 keys (${keys}) are not used: transfers need ${missing.join(', ')} too`,
    );
  }
  return notes;
}
