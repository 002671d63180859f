/** Why a control call failed. */
export type SimulatorErrorCode = 'NOT_FOUND' | 'AMBIGUOUS' | 'INVALID_STATE' | 'BAD_REQUEST' | 'TIMEOUT';

const STATUS: Record<SimulatorErrorCode, number> = {
  NOT_FOUND: 404,
  AMBIGUOUS: 409,
  INVALID_STATE: 409,
  BAD_REQUEST: 400,
  TIMEOUT: 408,
};

/**
 * A control call (pay, complete a refund, …) could not be done. The control API answers it as
 * `{ "error": { "code", "message" } }` with {@link SimulatorError.status}.
 */
export class SimulatorError extends Error {
  readonly code: SimulatorErrorCode;
  readonly status: number;
  constructor(code: SimulatorErrorCode, message: string) {
    super(message);
    this.name = 'SimulatorError';
    this.code = code;
    this.status = STATUS[code];
  }
}
