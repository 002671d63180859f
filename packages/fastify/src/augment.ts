import type { WxPay } from '@wxpay-kit/core';

declare module 'fastify' {
  interface FastifyInstance {
    /** The `WxPay` instance registered by `@wxpay-kit/fastify`: events, client, config. */
    wxpay: WxPay;
  }
}
