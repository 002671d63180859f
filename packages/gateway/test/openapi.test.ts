/**
 * `GET /openapi.json`: a valid OpenAPI 3.1 document (checked by an OpenAPI validator) that names
 * every endpoint the gateway serves, at the configured paths, with the request bodies the
 * endpoints validate with, and documents nothing the gateway does not serve.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDefaultGateway, type DefaultGateway } from '../src/default-mode.js';
import type { GatewayEndpoints } from '../src/endpoints.js';
import { createGatewayLogger } from '../src/logger.js';
import { startGateway, type GatewayHandle } from '../src/server.js';

type Doc = {
  openapi: string;
  paths: Record<
    string,
    Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> }; security?: unknown[] }>
  >;
  components: Record<string, unknown>;
};

const silent = createGatewayLogger({ level: 'silent' });
let gw: DefaultGateway;
let configured: GatewayHandle;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-openapi-'));
  gw = await startDefaultGateway({ port: 0, dataDir: join(dataDir, 'default'), logger: silent });
  // A configured gateway: its own endpoint paths, a bearer token, the current version's reply shapes.
  const config = gw.gateway.config;
  configured = await startGateway({
    config: {
      ...config,
      listenPort: 0,
      store: { kind: 'file', path: join(dataDir, 'configured') },
      bearerToken: 'openapi-test-token-0123456789',
      apiShape: { shape: 'current', reason: 'test' },
      endpoints: {
        ...config.endpoints,
        queryOrder: '/pay/queryorder',
        createPay: '/pay/create',
        realnameAuthRoot: '/realname',
        health: '',
      },
    },
    logger: silent,
  });
});

afterAll(async () => {
  await configured?.close();
  await gw?.gateway.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function documentOf(url: string): Promise<Doc> {
  const res = await fetch(`${url}/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return (await res.json()) as Doc;
}

/** A concrete path for a documented one: `{type}` → NATIVE, `{app}` → the demo app, `{op}` → url. */
function concrete(path: string, app: string): string {
  return path.replace('{type}', 'NATIVE').replace('{app}', app).replace('{payApp}', app).replace('{op}', 'url');
}

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    for (const url of [gw.gateway.url, configured.url]) {
      const doc = await documentOf(url);
      expect(doc.openapi).toBe('3.1.0');
      const result = await new Validator().validate(doc as never);
      expect(result.errors ?? [], url).toEqual([]);
      expect(result.valid).toBe(true);
    }
  });

  it('names every endpoint the gateway serves, at its configured path', async () => {
    for (const [handle, doc] of [
      [gw.gateway, await documentOf(gw.gateway.url)],
      [configured, await documentOf(configured.url)],
    ] as const) {
      const documented = Object.keys(doc.paths);
      for (const [key, path] of Object.entries(handle.config.endpoints as GatewayEndpoints)) {
        if (path === '') {
          expect(
            documented.filter((p) => p === '' || p.startsWith('/{')),
            key,
          ).toEqual([]);
          continue;
        }
        expect(
          documented.some((p) => p === path || (p.startsWith(`${path}/{`) && p.endsWith('}'))),
          `${key} (${path}) is missing from the document of ${handle.url}`,
        ).toBe(true);
      }
    }
    const doc = await documentOf(configured.url);
    expect(Object.keys(doc.paths)).toContain('/pay/queryorder');
    expect(Object.keys(doc.paths)).toContain('/pay/create/{type}');
    expect(Object.keys(doc.paths)).toContain('/realname/{op}');
    expect(Object.keys(doc.paths)).not.toContain('/health');
    // Default mode's own route.
    expect(Object.keys((await documentOf(gw.gateway.url)).paths)).toContain('/info');
  });

  it('documents nothing the gateway does not serve', async () => {
    for (const handle of [gw.gateway, configured]) {
      const doc = await documentOf(handle.url);
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const method of Object.keys(item)) {
          const res = await fetch(`${handle.url}${concrete(path, 'demo')}`, {
            method: method.toUpperCase(),
            headers: { 'content-type': 'application/json', authorization: 'Bearer openapi-test-token-0123456789' },
            ...(method === 'get' ? {} : { body: '{}' }),
          });
          await res.arrayBuffer();
          expect(res.status, `${method.toUpperCase()} ${path} on ${handle.url}`).not.toBe(404);
          expect(res.status, `${method.toUpperCase()} ${path} on ${handle.url}`).not.toBe(405);
        }
      }
    }
  });

  it('gives each JSON endpoint the request body its route validates with, and the error envelope', async () => {
    const doc = await documentOf(gw.gateway.url);
    const createPay = doc.paths['/wxpay/create-pay/{type}']?.['post'];
    const schema = createPay?.requestBody?.content['application/json']?.schema as {
      required: string[];
      properties: Record<string, Record<string, unknown>>;
    };
    expect(schema.required).toEqual(expect.arrayContaining(['appId', 'payApp', 'goods', 'orderId', 'fee', 'ip']));
    expect(schema.required).not.toContain('udd');
    expect(schema.properties['fee']).toMatchObject({ type: 'integer', exclusiveMinimum: 0 });
    expect(schema.properties['notifyUrl']).toBeDefined();
    const refund = doc.paths['/wxpay/create-refund']?.['post']?.requestBody?.content['application/json']?.schema as { required: string[] };
    expect(refund.required).toEqual(expect.arrayContaining(['refundId', 'totalFee', 'refundFee']));
    expect(doc.components['schemas']).toMatchObject({
      ErrorReply: { required: ['code', 'msg', 'err_code', 'retryable'] },
    });
    // What the document requires is what the route refuses without.
    for (const [path, item] of Object.entries(doc.paths)) {
      const body = item['post']?.requestBody?.content['application/json']?.schema as { required?: string[] } | undefined;
      if (body?.required === undefined) continue;
      const res = await fetch(`${gw.gateway.url}${concrete(path, 'demo')}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      const reply = (await res.json()) as { code: number; msg: string; err_code: string; retryable: boolean };
      expect(res.status, path).toBe(400);
      expect(reply).toMatchObject({ code: 400, err_code: 'WXPAY_ERR_VALIDATION', retryable: false });
      expect(body.required, `${path}: ${reply.msg}`).toContain(reply.msg.split(':')[0]);
    }
  });

  it('marks the internal endpoints with the bearer scheme when a token is configured, never the notifications', async () => {
    const doc = await documentOf(configured.url);
    expect(doc.components['securitySchemes']).toEqual({ bearer: { type: 'http', scheme: 'bearer' } });
    expect(doc.paths['/pay/queryorder']?.['post']?.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/wxpay/notify-pay/{app}']?.['post']?.security).toBeUndefined();
    expect((await documentOf(gw.gateway.url)).components['securitySchemes']).toBeUndefined();
  });
});
