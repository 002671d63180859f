import type { Logger } from '../logger.js';
import type { WxPayEventMap, WxPayEventName } from '../events/event-map.js';
import type { WxPayRequest, WxPayResponse } from '../handler/types.js';

/** A route a plugin adds; every adapter serves it through `handle()` with no change. */
export interface RouteDefinition {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Pattern relative to the mount point; `:name` segments become params. */
  readonly path: string;
  /** True when the exact body bytes matter (signed payloads). */
  readonly signed?: boolean;
  /** Internal routes are guarded by the bearer token and `authorize`; public ones are not. Default internal. */
  readonly public?: boolean;
  handle(request: WxPayRequest, params: Readonly<Record<string, string>>): Promise<WxPayResponse>;
}

/** Emits an event and resolves when every listener settled; rejects with `ListenerError` if one failed. */
export type EmitAndWait = <K extends WxPayEventName>(event: K, ...args: WxPayEventMap[K]) => Promise<void>;

/** What a plugin's `setup` receives. */
export interface PluginHost<TConfig = unknown, TClient = unknown> {
  readonly config: TConfig;
  readonly client: TClient;
  /** Secrets are masked before anything reaches it. */
  readonly logger: Logger;
  on<K extends WxPayEventName>(event: K, listener: (...args: WxPayEventMap[K]) => void | Promise<void>): void;
  emit: EmitAndWait;
  addRoute(route: RouteDefinition): void;
  onClose(teardown: () => void | Promise<void>): void;
}

/** A plugin: a name and a setup function. Build one with a factory, e.g. `forwarder(options)`. */
export interface WxPayPlugin<TConfig = unknown, TClient = unknown> {
  /** Unique, package-style, e.g. `@wxpay-kit/forwarder`. Registering the same name twice throws. */
  readonly name: string;
  setup(host: PluginHost<TConfig, TClient>): void | Promise<void>;
}

/** Identity helper that keeps a plugin's literal types. */
export const definePlugin = <P extends WxPayPlugin<never, never>>(plugin: P): P => plugin;
