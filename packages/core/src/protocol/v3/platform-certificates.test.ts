import { beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../../../../../test/helpers/external-tools.js';
import { DecryptError, SignatureError } from '../../errors.js';
import {
  buildCertificatesReply,
  generateTestPlatformCertificate,
  signV3Headers,
  type TestPlatformCertificate,
} from '../../testing/v3-fixtures.js';
import { createPlatformCertificateStore, decryptCertificates, type CertificatesReply } from './platform-certificates.js';

const API_V3_KEY = '0123456789abcdef0123456789abcdef';
const DAY = 86_400_000;

describe.skipIf(skipWithout(import.meta.url, ['openssl']))('platform certificates', () => {
  let oldCert: TestPlatformCertificate;
  let newCert: TestPlatformCertificate;
  beforeAll(async () => {
    [oldCert, newCert] = await Promise.all([generateTestPlatformCertificate(), generateTestPlatformCertificate()]);
  });

  /** A fake WeChat: serves the listed certificates, signed by `signer`. */
  function fakeWechat(clock: { now: number }) {
    const state = {
      listed: [] as { cert: TestPlatformCertificate; expireTime: number }[],
      signer: undefined as TestPlatformCertificate | undefined,
      calls: 0,
      fail: false,
    };
    const download = async (): Promise<CertificatesReply> => {
      state.calls++;
      if (state.fail) throw new Error('network down');
      const body = buildCertificatesReply(
        state.listed.map((l) => ({
          serialNo: l.cert.serialNo,
          certificate: l.cert.certificate,
          effectiveTime: clock.now - DAY,
          expireTime: l.expireTime,
        })),
        API_V3_KEY,
      );
      const signer = state.signer ?? state.listed[0]!.cert;
      return {
        body: Buffer.from(body),
        headers: signV3Headers(body, { privateKey: signer.privateKey, serial: signer.serialNo, timestamp: Math.floor(clock.now / 1000) }),
      };
    };
    return { state, download };
  }

  it('decryptCertificates yields each certificate under its serial, and refuses a wrong key', () => {
    const body = buildCertificatesReply([{ serialNo: oldCert.serialNo, certificate: oldCert.certificate }], API_V3_KEY);
    const [cert] = decryptCertificates(body, API_V3_KEY);
    expect(cert?.serialNo).toBe(oldCert.serialNo);
    expect(cert?.pem).toBe(oldCert.certificate);
    expect(() => decryptCertificates(body, 'fedcba9876543210fedcba9876543210')).toThrow(DecryptError);
  });

  it('refuses a certificate listed under another serial', () => {
    const body = buildCertificatesReply([{ serialNo: newCert.serialNo, certificate: oldCert.certificate }], API_V3_KEY);
    expect(() => decryptCertificates(body, API_V3_KEY)).toThrow(DecryptError);
  });

  it('downloads on first need, then serves keys by serial without downloading again', async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const wechat = fakeWechat(clock);
    wechat.state.listed = [{ cert: oldCert, expireTime: clock.now + 365 * DAY }];
    const store = createPlatformCertificateStore({ apiV3Key: API_V3_KEY, download: wechat.download, now: () => clock.now });
    expect(store.key(oldCert.serialNo)).toBeUndefined();
    await store.ensureFresh();
    await store.ensureFresh();
    expect(wechat.state.calls).toBe(1);
    expect(store.key(oldCert.serialNo)).toBeDefined();
    expect(store.serials()).toEqual([oldCert.serialNo]);
  });

  it('rotation: downloads again before expiry, keeps the outgoing certificate until it expires', async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const wechat = fakeWechat(clock);
    const oldExpiry = clock.now + 10 * DAY;
    wechat.state.listed = [{ cert: oldCert, expireTime: oldExpiry }];
    const errors: unknown[] = [];
    const store = createPlatformCertificateStore({
      apiV3Key: API_V3_KEY,
      download: wechat.download,
      now: () => clock.now,
      onError: (e) => errors.push(e),
    });
    await store.ensureFresh();
    // WeChat issues the new certificate ahead of the old one's expiry.
    wechat.state.listed = [
      { cert: oldCert, expireTime: oldExpiry },
      { cert: newCert, expireTime: clock.now + 375 * DAY },
    ];
    clock.now += 12 * 3600_000; // the refresh interval
    await store.ensureFresh(); // starts the download in the background
    await store.refresh(); // joins it
    expect(wechat.state.calls).toBe(2);
    expect(store.serials()).toEqual([newCert.serialNo, oldCert.serialNo]);
    // WeChat stops listing the old one; messages signed with it still verify until it expires.
    wechat.state.listed = [{ cert: newCert, expireTime: clock.now + 375 * DAY }];
    wechat.state.signer = newCert;
    await store.refresh();
    expect(store.key(oldCert.serialNo)).toBeDefined();
    clock.now = oldExpiry;
    expect(store.key(oldCert.serialNo)).toBeUndefined();
    expect(store.key(newCert.serialNo)).toBeDefined();
    expect(errors).toEqual([]);
  });

  it('schedules the next download ahead of the newest certificate expiry', async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const wechat = fakeWechat(clock);
    wechat.state.listed = [{ cert: oldCert, expireTime: clock.now + 30 * 3600_000 }];
    const store = createPlatformCertificateStore({
      apiV3Key: API_V3_KEY,
      download: wechat.download,
      now: () => clock.now,
      refreshBeforeExpiryMs: 24 * 3600_000,
    });
    await store.ensureFresh();
    clock.now += 5 * 3600_000;
    await store.ensureFresh();
    expect(wechat.state.calls).toBe(1);
    clock.now += 3600_000; // 24 h before expiry
    await store.ensureFresh();
    await store.refresh().catch(() => undefined);
    expect(wechat.state.calls).toBeGreaterThanOrEqual(2);
  });

  it('an unknown serial starts one download per minRetryMs at most', async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const wechat = fakeWechat(clock);
    wechat.state.listed = [{ cert: oldCert, expireTime: clock.now + 365 * DAY }];
    const store = createPlatformCertificateStore({
      apiV3Key: API_V3_KEY,
      download: wechat.download,
      now: () => clock.now,
      minRetryMs: 60_000,
    });
    await store.ensureFresh();
    wechat.state.listed.push({ cert: newCert, expireTime: clock.now + 365 * DAY });
    // Right after the scheduled download: a rotation is still picked up at once.
    await Promise.all([store.noticeUnknownSerial(), store.noticeUnknownSerial()]); // one download, joined
    expect(wechat.state.calls).toBe(2);
    expect(store.key(newCert.serialNo)).toBeDefined();
    await store.noticeUnknownSerial(); // within minRetryMs: no download
    expect(wechat.state.calls).toBe(2);
    clock.now += 60_000;
    await store.noticeUnknownSerial();
    expect(wechat.state.calls).toBe(3);
  });

  it('refuses a download reply signed by a key it does not list or trust', async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const wechat = fakeWechat(clock);
    wechat.state.listed = [{ cert: oldCert, expireTime: clock.now + 365 * DAY }];
    wechat.state.signer = newCert;
    const store = createPlatformCertificateStore({ apiV3Key: API_V3_KEY, download: wechat.download, now: () => clock.now });
    await expect(store.ensureFresh()).rejects.toBeInstanceOf(SignatureError);
    expect(store.serials()).toEqual([]);
  });

  it('a failed background download keeps the held certificates and is reported', async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const wechat = fakeWechat(clock);
    wechat.state.listed = [{ cert: oldCert, expireTime: clock.now + 365 * DAY }];
    const errors: unknown[] = [];
    const store = createPlatformCertificateStore({
      apiV3Key: API_V3_KEY,
      download: wechat.download,
      now: () => clock.now,
      onError: (e) => errors.push(e),
    });
    await store.ensureFresh();
    wechat.state.fail = true;
    clock.now += 13 * 3600_000;
    await store.ensureFresh();
    await store.refresh().catch(() => undefined);
    expect(errors).toHaveLength(1);
    expect(store.key(oldCert.serialNo)).toBeDefined();
  });
});
