import type { Logger } from '@wxpay-kit/core';
import type { SimulatorClock } from './clock.js';
import type { FaultList } from './faults.js';
import type { Ledger } from './ledger.js';
import type { SimulatorMerchant } from './types.js';

/** What the transport knows about the caller's TLS client certificate. */
export type ClientCert =
  /** The simulator is not serving HTTPS (or is embedded in a plain HTTP host): nothing was checked. */
  | { readonly state: 'not-tls' }
  | { readonly state: 'verified'; readonly commonName: string | undefined }
  | { readonly state: 'rejected'; readonly reason: string };

/** A response as the simulator hands it to the transport. */
export interface WireReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
}

/** What the WeChat API codecs of both API versions need from the simulator. */
export interface ApiDeps {
  /** Orders and refunds: every state change goes through it. */
  readonly ledger: Ledger;
  readonly merchants: ReadonlyMap<string, SimulatorMerchant>;
  readonly clock: SimulatorClock;
  readonly logger: Logger;
  readonly faults: FaultList;
  readonly bodyLimit: number;
}

/** A plain-text reply, for paths nothing answers and for the simulator's own failures. */
export function textReply(status: number, body: string): WireReply {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body };
}
