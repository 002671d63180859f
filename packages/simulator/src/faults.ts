import { SimulatorError } from './errors.js';
import type { SimFault, SimFaultInput } from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Active faults, consumed in the order they were added. */
export class FaultList {
  private faults: Mutable<SimFault>[] = [];
  private seq = 0;

  add(input: SimFaultInput): SimFault {
    const fault = validateFault(input);
    const entry = { ...fault, id: `f${++this.seq}`, remaining: fault.times ?? 1 } as Mutable<SimFault>;
    this.faults.push(entry);
    return Object.freeze({ ...entry });
  }

  list(): SimFault[] {
    return this.faults.map((f) => Object.freeze({ ...f }));
  }

  clear(): void {
    this.faults = [];
  }

  /**
   * Takes every fault of `kind` that applies to `path` (a WeChat path without the sandbox
   * prefix, or with it), counting each one down. For `delay` the delays add up.
   */
  take(kind: SimFault['kind'], path: string, canonicalPath: string): SimFault[] {
    const hit = this.faults.filter((f) => f.kind === kind && (f.path === undefined || f.path === path || f.path === canonicalPath));
    for (const f of hit) f.remaining -= 1;
    this.faults = this.faults.filter((f) => f.remaining > 0);
    return hit;
  }
}

function validateFault(input: SimFaultInput): SimFaultInput {
  if (input === null || typeof input !== 'object') throw new SimulatorError('BAD_REQUEST', 'a fault must be an object');
  const kind = (input as { kind?: unknown }).kind;
  if (kind !== 'delay' && kind !== 'drop' && kind !== 'systemerror' && kind !== 'error' && kind !== 'corrupt-bill') {
    throw new SimulatorError('BAD_REQUEST', 'fault kind must be delay, drop, systemerror, error or corrupt-bill');
  }
  if (input.path !== undefined && (typeof input.path !== 'string' || !input.path.startsWith('/'))) {
    throw new SimulatorError('BAD_REQUEST', 'fault path must start with /');
  }
  if (input.times !== undefined && (!Number.isInteger(input.times) || input.times < 1)) {
    throw new SimulatorError('BAD_REQUEST', 'fault times must be a positive integer');
  }
  if (input.kind === 'delay' && (!Number.isFinite(input.ms) || input.ms < 0)) {
    throw new SimulatorError('BAD_REQUEST', 'a delay fault needs ms >= 0');
  }
  if (input.kind === 'error') {
    if (typeof input.code !== 'string' || !/^[A-Z_]{1,64}$/.test(input.code)) {
      throw new SimulatorError('BAD_REQUEST', 'an error fault needs code, a WeChat error code such as NOT_ENOUGH');
    }
    if (input.status !== undefined && (!Number.isInteger(input.status) || input.status < 400 || input.status > 599)) {
      throw new SimulatorError('BAD_REQUEST', 'an error fault status must be between 400 and 599');
    }
    if (input.message !== undefined && typeof input.message !== 'string')
      throw new SimulatorError('BAD_REQUEST', 'message must be a string');
    return { kind: 'error', code: input.code, status: input.status, message: input.message, path: input.path, times: input.times };
  }
  if (input.kind === 'systemerror') {
    if (input.applied !== undefined && typeof input.applied !== 'boolean')
      throw new SimulatorError('BAD_REQUEST', 'applied must be true or false');
    return { kind: 'systemerror', applied: input.applied, path: input.path, times: input.times };
  }
  return input.kind === 'delay'
    ? { kind: 'delay', ms: input.ms, path: input.path, times: input.times }
    : { kind: input.kind, path: input.path, times: input.times };
}
