/**
 * A Next.js App Router route handler (`app/api/wxpay/[...path]/route.ts`): every wxpay-kit route
 * under `/api/wxpay/`, served from Fetch `Request` objects. The same handler works as a Bun or
 * Deno server's `fetch`, or a worker's.
 */
import { createFetchHandler } from '@wxpay-kit/core/fetch';
import { wxpay } from '../../../../wxpay.js';

const handler = createFetchHandler(wxpay, { prefix: '/api/wxpay' });

export const POST = handler;
export const GET = handler;
