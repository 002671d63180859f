import type { GatewayConfig } from './gateway-config.js';
import { transferKeysProblem } from './to-options.js';

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
  for (const m of config.merchants) {
    if (!m.transferKeys) continue;
    const problem = transferKeysProblem(m);
    notes.push(
      problem === undefined
        ? `merchant "${m.name}" pays on API v2; its API v3 keys (${m.transferKeys.keys.join(', ')}) are for transfers only ("api-version": "v3" moves its payments to v3)`
        : `merchant "${m.name}" pays on API v2; its API v3 keys cannot serve transfers (${problem}), so it has no API v3 transfers`,
    );
  }
  return notes;
}
