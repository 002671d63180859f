import type { WxPayClient } from '../client/types.js';
import type { ResolvedConfig } from '../config/types.js';
import type { WxPayEmitter } from '../events/emitter.js';
import type { Logger } from '../logger.js';
import type { PluginHost, RouteDefinition, WxPayPlugin } from './types.js';

/** What the registry needs from its `WxPay` instance. */
export interface PluginRegistryOptions {
  readonly config: ResolvedConfig;
  readonly client: WxPayClient;
  readonly emitter: WxPayEmitter;
  /** Adds a plugin route to the instance's router; throws when the route is taken. */
  readonly addRoute: (route: RouteDefinition, plugin: string) => void;
}

/** Adds `{ plugin: name }` to everything a plugin logs (the inner logger already masks secrets). */
function pluginLogger(inner: Logger, plugin: string): Logger {
  const wrap =
    (level: keyof Logger) =>
    (obj: object, msg?: string): void =>
      inner[level]({ plugin, ...obj }, msg);
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}

/**
 * The plugins of one `WxPay` instance: unique names, each setup started at `use()` and tracked,
 * teardowns run in reverse order at `close()`.
 */
export class PluginRegistry {
  readonly #options: PluginRegistryOptions;
  readonly #names = new Set<string>();
  readonly #setups: Promise<void>[] = [];
  readonly #teardowns: (() => void | Promise<void>)[] = [];
  #pending = 0;
  #failure: { readonly error: unknown } | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: PluginRegistryOptions) {
    this.#options = options;
  }

  /** Registers `plugin` and starts its setup. Throws for a malformed plugin, a taken name, or after close. */
  use(plugin: WxPayPlugin): void {
    if (this.#closing) throw new Error('@wxpay-kit/core: use() after close()');
    if (plugin === null || typeof plugin !== 'object' || typeof plugin.name !== 'string' || typeof plugin.setup !== 'function') {
      throw new TypeError('@wxpay-kit/core: a plugin is an object with a name and a setup function');
    }
    if (this.#names.has(plugin.name)) throw new Error(`@wxpay-kit/core: a plugin named '${plugin.name}' is already registered`);
    this.#names.add(plugin.name);
    const { config, client, emitter, addRoute } = this.#options;
    const host: PluginHost = {
      config,
      client,
      logger: pluginLogger(config.logger, plugin.name),
      on: (event, listener) => emitter.on(event, listener),
      emit: (event, ...args) => emitter.emitAndWait(event, ...args),
      addRoute: (route) => addRoute(route, plugin.name),
      onClose: (teardown) => {
        this.#teardowns.push(teardown);
      },
    };
    this.#pending++;
    const setup = (async () => plugin.setup(host))().then(
      () => {
        this.#pending--;
      },
      (error: unknown) => {
        this.#pending--;
        this.#failure ??= { error };
        config.logger.error({ plugin: plugin.name, err: error }, 'plugin setup failed');
        throw error;
      },
    );
    setup.catch(() => {}); // surfaced through ready() and settled()
    this.#setups.push(setup);
  }

  /** Resolves when every setup so far finished; rejects with the first failure. */
  async ready(): Promise<void> {
    await Promise.all(this.#setups);
  }

  /**
   * Waits for setups still running, then reports the first setup failure, if any. The handler
   * calls it before serving, so no request slips past a plugin's listeners or routes. Answers at
   * once (no promise) when no setup is running.
   */
  settled(): { readonly error: unknown } | undefined | Promise<{ readonly error: unknown } | undefined> {
    if (this.#pending > 0) return Promise.allSettled(this.#setups).then(() => this.#failure);
    return this.#failure;
  }

  /** Runs every teardown, last registered first; failures are logged, never thrown. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled(this.#setups);
      for (const teardown of [...this.#teardowns].reverse()) {
        try {
          await teardown();
        } catch (error) {
          this.#options.config.logger.error({ err: error }, 'a plugin teardown failed');
        }
      }
    })();
    return this.#closing;
  }
}
