import type { WxPayClient } from '../client/types.js';
import type { ResolvedConfig } from '../config/types.js';
import type { Logger } from '../logger.js';
import type { WxPayEventMap, WxPayEventName } from '../events/event-map.js';
import type { WxPayRequest, WxPayResponse } from '../model/http.js';

/** A route a plugin adds; every adapter serves it through `handle()` with no change. */
export interface RouteDefinition {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Pattern relative to the mount point; `:name` segments become params. */
  readonly path: string;
  /** True when the exact body bytes matter (signed payloads). */
  readonly signed?: boolean;
  /** Internal routes are guarded by the bearer token and `authorize`; public ones are not. Default internal. */
  readonly public?: boolean;
  /** Largest body accepted, in bytes. Default the instance's `bodyLimit`. */
  readonly bodyLimit?: number;
  handle(request: WxPayRequest, params: Readonly<Record<string, string>>): Promise<WxPayResponse>;
}

/** Emits an event and resolves when every listener settled; rejects with `ListenerError` if one failed. */
export type EmitAndWait = <K extends WxPayEventName>(event: K, ...args: WxPayEventMap[K]) => Promise<void>;

/** What a plugin's `setup` receives. */
export interface PluginHost {
  readonly config: ResolvedConfig;
  readonly client: WxPayClient;
  /** Secrets are masked before anything reaches it. */
  readonly logger: Logger;
  /** Registers a listener on the instance (typed, including events plugins declare). */
  on<K extends WxPayEventName>(event: K, listener: (...args: WxPayEventMap[K]) => void | Promise<void>): void;
  /** Awaited dispatch, for events the plugin declares itself. */
  emit: EmitAndWait;
  /** Adds a route that every adapter serves through `handle()`. Throws when it is already taken. */
  addRoute(route: RouteDefinition): void;
  /** Registers a teardown; `close()` runs them in reverse order of registration. */
  onClose(teardown: () => void | Promise<void>): void;
}

/** A plugin: a name and a setup function. Build one with a factory, e.g. `forwarder(options)`. */
export interface WxPayPlugin {
  /** Unique, package-style, e.g. `@wxpay-kit/forwarder`. Registering the same name twice throws. */
  readonly name: string;
  setup(host: PluginHost): void | Promise<void>;
}

/**
 * Identity helper that keeps a plugin's literal types.
 *
 * @example
 * export const audit = (options: AuditOptions) =>
 *   definePlugin({ name: 'audit', setup(host) { host.on('paid', (e) => options.write(e)); } });
 */
export const definePlugin = <P extends WxPayPlugin>(plugin: P): P => plugin;
