/**
 * The wire payload a model object was mapped from, kept for anything the model does not name:
 * API v2's verified XML record (names to text, snake_case) or API v3's verified JSON object (a
 * reply, or a notification's decrypted `resource`). Read it knowing which version the merchant
 * speaks; everything protocol-neutral is a named field of the model.
 */
export type WirePayload = Readonly<Record<string, unknown>>;

/** The two API v2 signature algorithms. `MD5` is WeChat's default when `sign_type` is absent. */
export type SignType = 'MD5' | 'HMAC-SHA256';
