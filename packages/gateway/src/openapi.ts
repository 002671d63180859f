/**
 * The gateway's OpenAPI 3.1 document, served at `GET /openapi.json` (the `openapi` endpoint). Its
 * paths come from the endpoint table ({@link GATEWAY_ENDPOINTS}) at the paths the configuration
 * gives them, and each JSON request body is the JSON Schema of the very zod schema the endpoint
 * validates with (`z.toJSONSchema`, input side), so the document cannot drift from what the
 * endpoints accept. Replies are the seed's envelopes: `{code: 200, msg: 'OK', result?}` and, for
 * every failure, `{code, msg, err_code, retryable}`.
 */
import { z } from 'zod';
import { CORE_ROUTES, PAY_TYPES } from '@wxpay-kit/core';
import type { ApiShape } from './config/seed-schema.js';
import { GATEWAY_ENDPOINTS, takesParam, type GatewayEndpoint, type GatewayEndpoints, type TransferBillsCall } from './endpoints.js';
import { SEED_NAME, TRANSFER_BILLS_ROUTES } from './transfer-bills.js';

type JsonObject = Record<string, unknown>;

/** Options of {@link buildOpenApiDocument}. */
export interface OpenApiOptions {
  /** The endpoint paths (the config's `endpoints`, defaults filled in); `''` leaves one out. */
  readonly endpoints: GatewayEndpoints;
  /** Whether the internal endpoints need `Authorization: Bearer <token>` (the config has a `bearer-token`). */
  readonly bearer: boolean;
  /** The reply shapes the JSON endpoints use (`api-shape`). */
  readonly apiShape: ApiShape;
  /** `info.version`: the gateway package's version. */
  readonly version: string;
  /** More path items, e.g. default mode's `GET /info`. */
  readonly extraPaths?: Readonly<Record<string, JsonObject>> | undefined;
}

const json = (schema: JsonObject): JsonObject => ({ 'application/json': { schema } });
const ref = (name: string): JsonObject => ({ $ref: `#/components/schemas/${name}` });

/** The JSON Schema (2020-12, as OpenAPI 3.1 uses) of what a zod schema accepts. */
export function requestJsonSchema(schema: z.ZodType): JsonObject {
  const out = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonObject;
  delete out['$schema'];
  return out;
}

/**
 * The request body of a go-wxpay-gateway transfer-bill call: the schema of the core route it runs
 * (the one that validates it), its fields under the seed's names (`appid`, `transfer_amount`,
 * `out_bills_no`, …). Query and cancel name no app id: the gateway fills it in.
 */
function seedTransferBodySchema(call: TransferBillsCall): JsonObject {
  const route = CORE_ROUTES.find((r) => r.path === TRANSFER_BILLS_ROUTES[call]);
  if (route?.body === undefined) throw new Error(`wxpay-gateway: no core route ${TRANSFER_BILLS_ROUTES[call]} with a body schema`);
  const core = requestJsonSchema(route.body) as { properties?: Record<string, JsonObject>; required?: string[] } & JsonObject;
  const names = SEED_NAME[call];
  const dropped = call === 'create' ? new Set<string>() : new Set(['appId']);
  const rename = (name: string): string => names[name] ?? name;
  const properties: Record<string, JsonObject> = {};
  for (const [name, schema] of Object.entries(core.properties ?? {})) {
    if (dropped.has(name)) continue;
    let out = schema;
    const items = schema['items'] as { properties?: Record<string, JsonObject>; required?: string[] } | undefined;
    if (name === 'sceneReportInfos' && items?.properties) {
      const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      out = {
        ...schema,
        items: {
          ...items,
          properties: Object.fromEntries(Object.entries(items.properties).map(([k, v]) => [snake(k), v])),
          ...(items.required ? { required: items.required.map(snake) } : {}),
        },
      };
    }
    properties[rename(name)] = out;
  }
  const required = (core.required ?? []).filter((n) => !dropped.has(n)).map(rename);
  return { ...core, properties, required };
}

/** go-wxpay-gateway's `v3-verify-transfer-bills` reply. */
const VERIFY_TRANSFER_BILLS_REPLY: JsonObject = {
  type: 'object',
  required: ['code', 'msg', 'respToWxpay', 'redelivery'],
  properties: {
    code: { enum: [200, 406, 500], description: '200 verified, 406 refused (forged, a replay, not this app’s), 500 failed here' },
    msg: { type: 'string' },
    respToWxpay: {
      type: 'object',
      properties: { respCode: { type: 'integer' }, respBody: {} },
      description: 'what to answer WeChat: the HTTP status and the JSON body',
    },
    result: {
      type: 'object',
      properties: { bill: { type: 'object' } },
      description: 'the decrypted bill, when verified with a final state',
    },
    redelivery: { type: 'boolean', description: "the bill's result was delivered before; no event fired again" },
  },
};

/** The body of every JSON error reply (the core's `ErrorReplyBody`). */
const ERROR_REPLY: JsonObject = {
  type: 'object',
  required: ['code', 'msg', 'err_code', 'retryable'],
  properties: {
    code: { type: 'integer', description: 'the HTTP status, as the seed gateway has it' },
    msg: { type: 'string', description: 'what went wrong, for people; never holds secrets' },
    err_code: {
      type: 'string',
      description: "WeChat Pay's own code for its refusals (ORDERNOTEXIST, ORDERPAID, NOTENOUGH, FAIL …), otherwise a WXPAY_ERR_* code",
    },
    retryable: { type: 'boolean', description: 'whether the same request, sent again unchanged, may succeed' },
  },
};

/** The success envelope of the JSON endpoints. */
const OK_REPLY: JsonObject = {
  type: 'object',
  required: ['code', 'msg'],
  properties: {
    code: { const: 200 },
    msg: { const: 'OK' },
    result: { type: 'object', description: "the call's result, in WeChat's snake_case field names" },
  },
};

/** The flat order state of `query-order` and `confirm` (the seed's names). */
const ORDER_STATE: JsonObject = {
  type: 'object',
  description: 'trade_state: SUCCESS, NOTPAY, CLOSED, REFUND, USERPAYING, PAYERROR, REVOKED; amounts in fen',
  properties: {
    ...Object.fromEntries(
      [
        'app_id',
        'mch_id',
        'device_info',
        'trade_state',
        'trade_state_desc',
        'result_code',
        'err_code',
        'err_code_des',
        'open_id',
        'trade_type',
        'bank_type',
        'fee_type',
        'cash_fee_type',
        'transaction_id',
        'order_id',
        'attach',
        'time_end',
      ].map((k) => [k, { type: 'string' }]),
    ),
    ...Object.fromEntries(
      ['total_fee', 'settlement_total_fee', 'cash_fee', 'coupon_fee', 'coupon_count'].map((k) => [
        k,
        { type: 'integer', description: 'fen' },
      ]),
    ),
    is_subscribe: { type: 'boolean' },
    coupons: { type: ['array', 'null'], items: { type: 'object' } },
  },
};

/** go-wxpay-gateway's `verify-notify-*` reply. */
const VERIFY_NOTIFY_REPLY: JsonObject = {
  type: 'object',
  required: ['code', 'msg', 'params', 'msgForWxpay', 'statusForWxpay', 'redelivery'],
  properties: {
    code: {
      enum: [200, 406, 500],
      description: '200 verified, 406 refused (forged, not this app’s, contradicts a record), 500 failed here',
    },
    msg: { type: 'string' },
    params: { type: ['object', 'null'], description: "the verified result in the fields the app's callback would get" },
    msgForWxpay: { type: 'string', description: 'what to answer WeChat (v2 XML or v3 JSON)' },
    statusForWxpay: { type: 'integer', description: 'the HTTP status to answer WeChat with' },
    redelivery: { type: 'boolean', description: 'the result was delivered before; no event fired again' },
  },
};

const errors = (statuses: readonly number[]): JsonObject =>
  Object.fromEntries(statuses.map((s) => [String(s), { description: `error (${s})`, content: json(ref('ErrorReply')) }]));

/** Statuses a JSON endpoint may answer with besides 200 (see the core's error table). */
const JSON_ERRORS = [400, 401, 404, 409, 413, 415, 500, 502, 503] as const;

/** What one endpoint's operation looks like (the path item at its path). */
function pathItem(endpoint: GatewayEndpoint, options: OpenApiOptions): JsonObject {
  const security = options.bearer ? { security: [{ bearer: [] }] } : {};
  const operationId = endpoint.key;
  const target = endpoint.target;
  switch (target.kind) {
    case 'core': {
      if (endpoint.signed === true) {
        // A WeChat notification: public, signed; answered in WeChat's own dialect.
        return {
          post: {
            operationId,
            summary: `WeChat Pay's ${endpoint.configKey.replace('notify-', '')} notification for the app in the path (v2 signed XML, v3 JSON)`,
            parameters: [{ name: endpoint.paramName ?? 'app', in: 'path', required: true, schema: { type: 'string' } }],
            requestBody: {
              required: true,
              content: { 'text/xml': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'object' } } },
            },
            responses: {
              '200': {
                description: 'acknowledged: SUCCESS (v2 XML); v3 gets 200 or 204',
                content: { 'text/xml': { schema: { type: 'string' } } },
              },
              '400': {
                description: 'refused (bad signature, another app, malformed); FAIL',
                content: { 'text/xml': { schema: { type: 'string' } } },
              },
              '500': {
                description: 'a listener or the store failed; FAIL, WeChat delivers again',
                content: { 'text/xml': { schema: { type: 'string' } } },
              },
            },
          },
        };
      }
      const flat = target.path === '/query-order' || target.path === '/confirm';
      const ok = flat
        ? options.apiShape === 'current'
          ? { ...OK_REPLY, properties: { ...(OK_REPLY['properties'] as JsonObject), result: ref('OrderState') } }
          : ref('OrderState')
        : ref('OkReply');
      const parameters =
        endpoint.paramName === undefined
          ? undefined
          : [
              {
                name: endpoint.paramName,
                in: 'path',
                required: true,
                description: 'case-insensitive',
                schema: target.path === '/create-pay' ? { type: 'string', enum: [...PAY_TYPES] } : { type: 'string' },
              },
            ];
      return {
        post: {
          operationId,
          summary: `POST ${endpoint.configKey}`,
          ...security,
          ...(parameters ? { parameters } : {}),
          requestBody: {
            required: true,
            content: json(endpoint.request === undefined ? { type: 'object' } : requestJsonSchema(endpoint.request)),
          },
          responses: { '200': { description: 'done', content: json(ok) }, ...errors(JSON_ERRORS) },
        },
      };
    }
    case 'health':
      return {
        get: {
          operationId,
          summary: 'Liveness: 200 while the process serves HTTP',
          responses: { '200': { description: 'alive', content: json({ type: 'object', properties: { status: { const: 'ok' } } }) } },
        },
      };
    case 'ready':
      return {
        get: {
          operationId,
          summary: 'Readiness: 200 when the store is reachable, else 503',
          responses: {
            '200': {
              description: 'ready',
              content: json({
                type: 'object',
                properties: {
                  status: { const: 'ready' },
                  details: { type: 'object', description: "the sweeper's state ({state: 'on', pending, …} or {state: 'off'})" },
                },
              }),
            },
            '503': {
              description: 'not ready',
              content: json({ type: 'object', properties: { status: { const: 'not-ready' }, reason: { type: 'string' } } }),
            },
          },
        },
      };
    case 'verify-notify':
      return {
        post: {
          operationId,
          summary: `Checks a ${target.notification} notification the app received itself (posted as WeChat sent it, with its Wechatpay-* headers for API v3)`,
          ...security,
          parameters: [{ name: 'app', in: 'query', required: true, schema: { type: 'string' }, description: 'the app name' }],
          requestBody: {
            required: true,
            content: { 'text/xml': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'object' } } },
          },
          responses: {
            '200': { description: 'verified', content: json(ref('VerifyNotifyReply')) },
            '406': { description: 'refused', content: json(ref('VerifyNotifyReply')) },
            '500': { description: 'failed here; WeChat should deliver again', content: json(ref('VerifyNotifyReply')) },
            ...errors([401, 405, 413]),
          },
        },
      };
    case 'transfer-bills':
      return {
        post: {
          operationId,
          summary: `go-wxpay-gateway's ${endpoint.configKey} (商家转账, API v3 merchants), run by the core's ${TRANSFER_BILLS_ROUTES[target.call].slice(1)}`,
          ...security,
          requestBody: { required: true, content: json(seedTransferBodySchema(target.call)) },
          responses: { '200': { description: 'done', content: json(ref('OkReply')) }, ...errors(JSON_ERRORS) },
        },
      };
    case 'verify-transfer-bills':
      return {
        post: {
          operationId,
          summary: "Checks a transfer callback the app received itself (WeChat's body, with its Wechatpay-* headers)",
          ...security,
          parameters: [{ name: 'payApp', in: 'path', required: true, schema: { type: 'string' }, description: 'the app name' }],
          requestBody: { required: true, content: json({ type: 'object' }) },
          responses: {
            '200': { description: 'verified', content: json(ref('VerifyTransferBillsReply')) },
            '406': { description: 'refused', content: json(ref('VerifyTransferBillsReply')) },
            '500': { description: 'failed here; WeChat should deliver again', content: json(ref('VerifyTransferBillsReply')) },
            ...errors([401, 405, 413]),
          },
        },
      };
    case 'realname':
      return {
        post: {
          operationId,
          summary: "go-wxpay-gateway's real-name calls (url, identity, getinfo): not implemented, 501",
          ...security,
          parameters: [{ name: 'op', in: 'path', required: true, schema: { type: 'string', enum: ['url', 'identity', 'getinfo'] } }],
          responses: {
            '501': {
              description: 'not implemented',
              content: json({ type: 'object', properties: { code: { const: 501 }, msg: { type: 'string' } } }),
            },
            '400': {
              description: 'unknown op',
              content: json({ type: 'object', properties: { code: { const: 400 }, msg: { type: 'string' } } }),
            },
          },
        },
      };
    case 'metrics':
      return {
        get: {
          operationId,
          summary: 'Prometheus metrics (text exposition format)',
          ...security,
          responses: {
            '200': { description: 'the metrics', content: { 'text/plain': { schema: { type: 'string' } } } },
            ...errors([401]),
          },
        },
      };
    case 'reconcile':
      return {
        post: {
          operationId,
          summary: "Reconcile a day's trade bills with WeChat now (wxpay-gateway reconcile asks here when this gateway holds the store)",
          ...security,
          requestBody: {
            required: false,
            content: json({
              type: 'object',
              properties: {
                date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'the day, China time; default yesterday' },
                merchant: { type: 'string', description: 'one merchant; default every merchant with an app' },
              },
            }),
          },
          responses: {
            '200': {
              description: 'one report per merchant',
              content: json({
                type: 'object',
                required: ['reports'],
                properties: {
                  reports: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['date', 'merchant', 'checked', 'differences'],
                      properties: {
                        date: { type: 'string' },
                        merchant: { type: 'string' },
                        checked: { type: 'integer' },
                        differences: {
                          type: 'array',
                          items: {
                            type: 'object',
                            required: ['kind', 'orderId', 'transactionId', 'ours', 'wechat'],
                            properties: {
                              kind: { type: 'string', enum: ['missing-here', 'missing-at-wechat', 'amount', 'refund'] },
                              orderId: { type: 'string' },
                              transactionId: { type: 'string' },
                              refundId: { type: 'string' },
                              ours: { type: ['object', 'null'] },
                              wechat: { type: ['object', 'null'] },
                              app: { type: 'string' },
                              fired: { type: 'boolean' },
                            },
                          },
                        },
                      },
                    },
                  },
                },
              }),
            },
            ...errors([400, 401, 502, 503]),
          },
        },
      };
    case 'openapi':
      return {
        get: {
          operationId,
          summary: 'This document (OpenAPI 3.1)',
          responses: { '200': { description: 'the document', content: json({ type: 'object' }) } },
        },
      };
  }
}

/** The path an endpoint is documented at: `{param}` for the segment that follows it. */
function documentedPath(endpoint: GatewayEndpoint, path: string): string {
  const target = endpoint.target;
  if (!takesParam(target)) return path;
  if (target.kind === 'realname') return `${path}/{op}`;
  if (target.kind === 'verify-transfer-bills') return `${path}/{payApp}`;
  return `${path}/{${endpoint.paramName ?? 'param'}}`;
}

/** The OpenAPI 3.1 document of a gateway with these endpoints. */
export function buildOpenApiDocument(options: OpenApiOptions): JsonObject {
  const paths: JsonObject = {};
  for (const endpoint of GATEWAY_ENDPOINTS) {
    const path = options.endpoints[endpoint.key];
    if (!path) continue;
    paths[documentedPath(endpoint, path)] = pathItem(endpoint, options);
  }
  Object.assign(paths, options.extraPaths);
  return {
    openapi: '3.1.0',
    info: {
      title: 'wxpay-gateway',
      version: options.version,
      description:
        "WeChat Pay gateway with go-wxpay-gateway's HTTP API. Amounts are integers in fen. Every JSON error reply is {code, msg, err_code, retryable} with the HTTP status as code.",
    },
    paths,
    components: {
      schemas: {
        ErrorReply: ERROR_REPLY,
        OkReply: OK_REPLY,
        OrderState: ORDER_STATE,
        VerifyNotifyReply: VERIFY_NOTIFY_REPLY,
        VerifyTransferBillsReply: VERIFY_TRANSFER_BILLS_REPLY,
      },
      ...(options.bearer ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } : {}),
    },
  };
}
