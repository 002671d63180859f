import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isWxPayKitError } from '@wxpay-kit/core';
import { computeSignature, signWebhook, verifyWebhook, webhookIdFor, WebhookVerificationError } from './standard-webhooks.js';

// The example from the Standard Webhooks specification.
const SPEC = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

describe('signWebhook', () => {
  it('matches the Standard Webhooks reference vector', () => {
    const headers = signWebhook({ id: SPEC.id, timestamp: SPEC.timestamp, body: SPEC.body, secret: SPEC.secret });
    expect(headers).toEqual({ 'webhook-id': SPEC.id, 'webhook-timestamp': String(SPEC.timestamp), 'webhook-signature': SPEC.signature });
  });

  it('uses a plain secret as its UTF-8 bytes', () => {
    const expected = createHmac('sha256', 'plain-secret').update('id.1.{}').digest('base64');
    expect(computeSignature('plain-secret', 'id', 1, '{}')).toBe(expected);
  });

  it('derives the same id for the same result and different ids for different ones', () => {
    expect(webhookIdFor(['paid', '1900', 't1'])).toBe(webhookIdFor(['paid', '1900', 't1']));
    expect(webhookIdFor(['paid', '1900', 't1'])).not.toBe(webhookIdFor(['paid', '1900', 't2']));
    expect(webhookIdFor(['paid', '1900', 't1'])).toMatch(/^msg_[A-Za-z0-9_-]{27}$/);
  });
});

describe('verifyWebhook', () => {
  const now = () => SPEC.timestamp * 1000;
  const headers = { 'webhook-id': SPEC.id, 'webhook-timestamp': String(SPEC.timestamp), 'webhook-signature': SPEC.signature };
  const fails = (options: Parameters<typeof verifyWebhook>[0]): WebhookVerificationError => {
    try {
      verifyWebhook(options);
    } catch (error) {
      expect(error).toBeInstanceOf(WebhookVerificationError);
      expect(isWxPayKitError(error)).toBe(true);
      return error as WebhookVerificationError;
    }
    throw new Error('verifyWebhook accepted it');
  };

  it('accepts a genuine delivery and returns its id, timestamp and parsed body', () => {
    expect(verifyWebhook({ payload: SPEC.body, headers, secret: SPEC.secret, now })).toEqual({
      id: SPEC.id,
      timestamp: SPEC.timestamp,
      body: { test: 2432232314 },
    });
    expect(verifyWebhook({ payload: Buffer.from(SPEC.body), headers, secret: SPEC.secret, now }).id).toBe(SPEC.id);
  });

  it('accepts headers in any case, a fetch Headers object, several signatures and several secrets', () => {
    const upper = { 'Webhook-Id': SPEC.id, 'Webhook-Timestamp': String(SPEC.timestamp), 'Webhook-Signature': `v1,AAAA ${SPEC.signature}` };
    expect(verifyWebhook({ payload: SPEC.body, headers: upper, secret: ['whsec_b2xk', SPEC.secret], now }).id).toBe(SPEC.id);
    expect(verifyWebhook({ payload: SPEC.body, headers: new Headers(headers), secret: SPEC.secret, now }).id).toBe(SPEC.id);
  });

  it('rejects a changed body, a wrong secret and a changed id as a mismatch', () => {
    expect(fails({ payload: '{"test": 2432232315}', headers, secret: SPEC.secret, now }).reason).toBe('mismatch');
    expect(fails({ payload: SPEC.body, headers, secret: 'whsec_b3RoZXI=', now }).reason).toBe('mismatch');
    expect(fails({ payload: SPEC.body, headers: { ...headers, 'webhook-id': 'msg_other' }, secret: SPEC.secret, now }).reason).toBe(
      'mismatch',
    );
  });

  it('rejects missing headers and signatures of unknown versions', () => {
    const { 'webhook-signature': _s, ...noSignature } = headers;
    expect(fails({ payload: SPEC.body, headers: noSignature, secret: SPEC.secret, now }).reason).toBe('missing');
    expect(fails({ payload: SPEC.body, headers: { ...headers, 'webhook-signature': 'v2,abc' }, secret: SPEC.secret, now }).reason).toBe(
      'missing',
    );
    expect(fails({ payload: SPEC.body, headers: { ...headers, 'webhook-timestamp': 'soon' }, secret: SPEC.secret, now }).reason).toBe(
      'missing',
    );
  });

  it('rejects timestamps outside the tolerance, either way', () => {
    expect(fails({ payload: SPEC.body, headers, secret: SPEC.secret, now: () => now() + 301_000 }).reason).toBe('stale');
    expect(fails({ payload: SPEC.body, headers, secret: SPEC.secret, now: () => now() - 301_000 }).reason).toBe('stale');
    expect(verifyWebhook({ payload: SPEC.body, headers, secret: SPEC.secret, now: () => now() + 299_000 }).id).toBe(SPEC.id);
    expect(fails({ payload: SPEC.body, headers, secret: SPEC.secret, toleranceSec: 10, now: () => now() + 11_000 }).reason).toBe('stale');
  });

  it('explains a parsed body instead of a raw one', () => {
    const error = fails({ payload: JSON.parse(SPEC.body) as never, headers, secret: SPEC.secret, now });
    expect(error.reason).toBe('unparsed-body');
    expect(error.message).toContain('raw request body');
  });

  it('never puts the secret or the body in its message', () => {
    const error = fails({ payload: SPEC.body, headers, secret: 'whsec_b3RoZXI=', now });
    expect(error.message).not.toContain('b3RoZXI');
    expect(error.message).not.toContain('2432232314');
  });
});
