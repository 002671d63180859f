/** Request body pieces shared by the JSON routes (field names of the seed gateway's API). */
import { z } from 'zod';
import { text } from '../../flow/call-input.js';

export { fen, notifyUrlField, optionalText, orderIdFields, orderRef, text, type OrderRef } from '../../flow/call-input.js';

/**
 * `appId` + `payApp`: every internal route names the app and the app id it acts for. `debug`
 * (go-wxpay-gateway's flag to echo the XML exchanged with WeChat) is accepted and changes nothing.
 */
export const targetFields = { appId: text, payApp: text, debug: z.boolean('must be true or false').optional() };
