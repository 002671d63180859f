/** Request body pieces shared by the JSON routes (field names of the seed gateway's API). */
import { z } from 'zod';

/** A required, non-empty string. */
export const text = z.string().min(1, 'must be a non-empty string');
/** An optional string; `''` counts as absent. */
export const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));
/** An amount in fen: a positive safe integer. */
export const fen = z.number().int('must be an integer number of fen').positive('must be positive').max(Number.MAX_SAFE_INTEGER);

/** `appId` + `payApp`: every internal route names the app and the app id it acts for. */
export const targetFields = { appId: text, payApp: text };
