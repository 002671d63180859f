/**
 * The notify route of every way in, as in-process calls: `wxpay.handle()`, and the node:http,
 * express, koa and fastify routes driven by light-my-request (no sockets). `--compare` bundles this
 * checkout's file once against each build's own sources (`bundleNotifyPaths` in build.ts), and
 * notify-count.ts loads one build's bundle under valgrind; so it uses only API that every compared
 * commit has.
 */
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { inject, type DispatchFunc } from 'light-my-request';
import { createWxPay, type WxPayOptions } from '@wxpay-kit/core';
import { createNodeListener } from '@wxpay-kit/core/node';
import { wxpayExpress } from '@wxpay-kit/express';
import { wxpayPlugin } from '@wxpay-kit/fastify';
import { wxpayKoa } from '@wxpay-kit/koa';

/** Answers one notification (the body of `POST /wxpay/notify-pay/shop`) with its HTTP status. */
export type NotifyPath = (body: Buffer) => Promise<number>;

export const PATHS = ['handle()', 'node:http', 'express', 'koa', 'fastify'] as const;
export type PathName = (typeof PATHS)[number];

const ROUTE = '/wxpay/notify-pay/shop';
const headers = { 'content-type': 'text/xml' };

function viaInject(dispatch: DispatchFunc): NotifyPath {
  return async (body) => (await inject(dispatch, { method: 'POST', url: ROUTE, headers, payload: body })).statusCode;
}

/** One wxpay-kit instance per path (each with its own memory store), all from `options`. */
export async function notifyPaths(options: WxPayOptions): Promise<Record<PathName, NotifyPath>> {
  const core = createWxPay(options);
  const node = createNodeListener(createWxPay(options), { prefix: '/wxpay' });
  const ex = express();
  ex.use('/wxpay', wxpayExpress(options));
  const koa = new Koa();
  koa.use(wxpayKoa(options, { prefix: '/wxpay' }));
  const fastify = Fastify({ logger: false });
  await fastify.register(wxpayPlugin, { ...options, prefix: '/wxpay' });
  await fastify.ready();
  return {
    'handle()': async (rawBody) =>
      (await core.handle({ method: 'POST', path: '/notify-pay/shop', headers, rawBody, remoteAddress: '127.0.0.1' })).status,
    'node:http': viaInject(node as unknown as DispatchFunc),
    express: viaInject(ex as unknown as DispatchFunc),
    koa: viaInject(koa.callback() as unknown as DispatchFunc),
    fastify: async (payload) => (await fastify.inject({ method: 'POST', url: ROUTE, headers, payload })).statusCode,
  };
}
