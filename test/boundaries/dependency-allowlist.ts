import type { KnownCycle, KnownViolation } from './dependency-rules.js';

/*
 * Known import cycles and layer breaks that predate the rules in dependency-rules.ts. This list
 * only shrinks: the test fails on any cycle or break not listed here, and also on an entry that
 * no longer exists (delete it when the reshape removes it). Never add an entry to make a new
 * import pass; move the code instead. Paths are relative to packages/.
 */

/** Each entry: cycle[0] imports cycle[1], …, and the last imports cycle[0]. */
export const KNOWN_CYCLES: readonly KnownCycle[] = [
  {
    // the v2 client is also the front door (withV3); the v3 client borrows configuredMerchant
    // and decodeBill back from it
    cycle: ['core/src/client/client.ts', 'core/src/client/v3/dispatch.ts', 'core/src/client/v3/client.ts'],
    why: 'v2 client ↔ v3 client ↔ v3 dispatch',
  },
  {
    // v3 is translated into v2 records: the v2 field mappers build client result types, which
    // name the verified v3 notification type (one group of modules with the next entry)
    cycle: ['core/src/protocol/v2/fields.ts', 'core/src/client/types.ts', 'core/src/protocol/v3/notify.ts'],
    why: 'protocol/v2/fields ↔ client/types ↔ protocol/v3/notify',
  },
  {
    cycle: [
      'core/src/protocol/v3/notify.ts',
      'core/src/protocol/v3/fields.ts',
      'core/src/protocol/v2/fields.ts',
      'core/src/client/types.ts',
    ],
    why: 'protocol/v3/fields translates into protocol/v2/fields records',
  },
  {
    cycle: ['core/src/protocol/v2/xml.ts', 'core/src/protocol/v2/xml-fast.ts'],
    why: 'xml.ts calls the fast parser, which takes the XmlRecord type back',
  },
  {
    cycle: ['core/src/handler/route-context.ts', 'core/src/handler/once-per-key.ts'],
    why: 'once-per-key calls storeCall of the route context, which holds a OncePerKey',
  },
];

/** Imports that break a rule of dependency-rules.ts (rule name as reported). */
export const KNOWN_VIOLATIONS: readonly KnownViolation[] = [
  // upward: protocol → client types and events (v2 fields build client results and event payloads)
  { rule: 'layer-protocol', from: 'core/src/protocol/v2/fields.ts', to: 'core/src/client/types.ts', why: 'protocol → client' },
  { rule: 'layer-protocol', from: 'core/src/protocol/v2/fields.ts', to: 'core/src/events/event-map.ts', why: 'protocol → events' },
  // upward: the client's result types name event payload types
  { rule: 'layer-client', from: 'core/src/client/types.ts', to: 'core/src/events/event-map.ts', why: 'client → events' },
  // upward: the emitter uses the handler's MaybePromise helpers
  { rule: 'layer-events', from: 'core/src/events/emitter.ts', to: 'core/src/handler/maybe-promise.ts', why: 'events → handler' },
  // upward: options name the handler's request/response types
  { rule: 'layer-config', from: 'core/src/config/options.ts', to: 'core/src/handler/types.ts', why: 'config → handler' },
  // upward: the plugin API names the handler's types (the request/response contract belongs in model/)
  { rule: 'layer-flow', from: 'core/src/plugins/types.ts', to: 'core/src/handler/types.ts', why: 'plugins → handler' },
  // sideways: v3 is built as a translation into v2's wire records
  { rule: 'siblings-protocol', from: 'core/src/protocol/v3/client-params.ts', to: 'core/src/protocol/v2/client-params.ts', why: 'v3 → v2' },
  { rule: 'siblings-protocol', from: 'core/src/protocol/v3/fields.ts', to: 'core/src/protocol/v2/fields.ts', why: 'v3 → v2' },
  { rule: 'siblings-protocol', from: 'core/src/protocol/v3/fields.ts', to: 'core/src/protocol/v2/xml.ts', why: 'v3 → v2' },
  { rule: 'siblings-protocol', from: 'core/src/protocol/v3/notify.ts', to: 'core/src/protocol/v2/fields.ts', why: 'v3 → v2' },
  { rule: 'siblings-protocol', from: 'core/src/protocol/v3/notify.ts', to: 'core/src/protocol/v2/xml.ts', why: 'v3 → v2' },
];
