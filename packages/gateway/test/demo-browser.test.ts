/**
 * The demo shop in headless Chromium (Debian's package, driven by playwright-core): the page
 * loads, a NATIVE order is created and shown as a QR code, "pay as the user" pays it, and the
 * page shows it paid and the app's callback arriving; then a JSAPI order with the API v3 demo
 * app shows the parameters a WeChat client pays with, and is paid the same way; the pay-out panel
 * creates a transfer bill, shows the payee's confirmation parameters and confirms it. Screenshots
 * are kept under test-output/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, skipWithout } from '../../../test/helpers/external-tools.js';
import { requireBuild, ROOT, runCli, type GatewayProcess } from './helpers.js';

/** CHROMIUM_PATH, else `chromium` on the PATH (Debian's package: /usr/bin/chromium). */
const CHROMIUM = chromiumPath();

let gateway: GatewayProcess;
let base: string;
let browser: BrowserContext | undefined;
let dataDir: string;
let profileDir: string;

beforeAll(async () => {
  requireBuild();
  dataDir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-browser-'));
  profileDir = mkdtempSync(join(tmpdir(), 'wxpay-gateway-chromium-'));
  gateway = runCli(['--port', '0', '--data-dir', dataDir]);
  base = (await gateway.waitFor(/Demo shop\s+(http:\/\/127\.0\.0\.1:\d+)\//))[1]!;
  // A fresh profile directory per run.
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM!,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  if (gateway && gateway.child.exitCode === null) {
    gateway.child.kill('SIGTERM');
    await gateway.exited;
  }
  for (const d of [dataDir, profileDir]) if (d) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(skipWithout(import.meta.url, ['chromium']))('demo shop in a browser', () => {
  it('creates a NATIVE order, pays it as the user, and shows it paid', async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/`);
    await expect.poll(() => page.textContent('#stream')).toBe('live');
    expect(await page.title()).toBe('wxpay-kit demo shop');

    await page.fill('#amount', '0.02');
    await page.selectOption('#type', 'NATIVE');
    await page.click('#create');
    await page.waitForSelector('#qr-img');
    // The server-rendered SVG loaded and has a size.
    await expect.poll(() => page.$eval('#qr-img', (img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    expect(await page.getAttribute('#status', 'data-state')).toBe('NOTPAY');

    await page.click('#pay');
    await page.waitForSelector('#status[data-state="PAID"]');
    expect(await page.textContent('#status')).toContain('¥0.02');
    await page.waitForSelector('#log li[data-kind="callback"]');
    expect(await page.textContent('#callback-state')).toContain('callback delivered');
    expect(errors).toEqual([]);

    mkdirSync(join(ROOT, 'test-output'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-output', 'gateway-demo-shop.png'), fullPage: true });
    await page.close();
  });

  it('creates a JSAPI order with the API v3 app, shows its client parameters, pays it and shows it paid', async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/`);
    await expect.poll(() => page.textContent('#stream')).toBe('live');

    await page.selectOption('#app', 'demo-v3');
    await page.fill('#amount', '0.03');
    await page.selectOption('#type', 'JSAPI');
    await page.click('#create');
    await page.waitForSelector('#status[data-state="NOTPAY"]');
    expect(await page.getAttribute('#params', 'data-kind')).toBe('JSAPI');
    const shown = (await page.textContent('#params')) ?? '';
    const params = JSON.parse(shown.slice(shown.indexOf('{'))) as Record<string, string>;
    // API v3: the merchant's RSA signature over appId, timeStamp, nonceStr and package.
    expect(params).toMatchObject({ appId: 'wxd678efh567hg6787', signType: 'RSA', package: expect.stringMatching(/^prepay_id=wx/) });
    expect(params['paySign']).toMatch(/^[A-Za-z0-9+/]{300,}={0,2}$/);
    expect(await page.$('#qr-img')).toBeNull();

    await page.click('#pay');
    await page.waitForSelector('#status[data-state="PAID"]');
    expect(await page.textContent('#status')).toContain('¥0.03');
    await expect.poll(() => page.textContent('#callback-state')).toContain('callback delivered');
    expect(errors).toEqual([]);

    await page.screenshot({ path: join(ROOT, 'test-output', 'gateway-demo-shop-jsapi-v3.png'), fullPage: true });
    await page.close();
  });

  it('pays out: creates a transfer, shows what wx.requestMerchantTransfer gets, confirms as the payee and shows it SUCCESS', async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/`);
    await expect.poll(() => page.textContent('#stream')).toBe('live');

    await page.fill('#payout-amount', '1.50');
    await page.click('#payout-create');
    await page.waitForSelector('#payout-status[data-state="WAIT_USER_CONFIRM"]');
    const shown = (await page.textContent('#payout-params')) ?? '';
    expect(shown).toContain('wx.requestMerchantTransfer');
    const params = JSON.parse(shown.slice(shown.indexOf('{'))) as Record<string, string>;
    expect(params).toMatchObject({ mchId: '1230000109', appId: 'wxd678efh567hg6787', package: expect.any(String) });
    expect(params['package']!.length).toBeGreaterThan(0);

    await page.click('#payout-confirm');
    // SUCCESS comes with WeChat's callback. When a loaded machine makes the first one fail, the
    // simulator sends it again 15 s later, as WeChat does: leave room for that one retry.
    await page.waitForSelector('#payout-status[data-state="SUCCESS"]', { timeout: 45_000 });
    expect(await page.textContent('#payout-status')).toContain('¥1.50');
    await expect.poll(() => page.textContent('#payout-callback')).toContain('callback delivered');
    expect(errors).toEqual([]);

    await page.screenshot({ path: join(ROOT, 'test-output', 'gateway-demo-shop-payout.png'), fullPage: true });
    await page.close();
  }, 60_000);

  it('takes payment codes at the counter: USERPAYING, then paid; USERPAYING until the deadline, then reversed', async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/`);
    await expect.poll(() => page.textContent('#stream')).toBe('live');

    const seen: string[] = [];
    const watch = async (until: string) => {
      for (;;) {
        const state = (await page.getAttribute('#counter-status', 'data-state')) ?? '';
        if (seen[seen.length - 1] !== state) seen.push(state);
        if (state === until || state === 'ERROR') return;
        await page.waitForTimeout(100);
      }
    };

    await page.selectOption('#counter-case', '001');
    expect(await page.inputValue('#auth-code')).toMatch(/^1[0-5]\d{13}001$/);
    await page.fill('#counter-amount', '12.34');
    await page.click('#charge');
    await watch('PAID');
    expect(seen).toContain('USERPAYING');
    expect(seen[seen.length - 1]).toBe('PAID');
    expect(await page.textContent('#counter-status')).toContain('¥12.34');
    await page.waitForSelector('#log li[data-kind="paid"]');

    seen.length = 0;
    await page.selectOption('#counter-case', '002');
    await page.click('#charge');
    await watch('REVERSED');
    expect(seen).toContain('USERPAYING');
    expect(seen[seen.length - 1]).toBe('REVERSED');
    expect(await page.textContent('#counter-status')).toContain('timeout');
    await page.waitForSelector('#log li[data-kind="micropay"]');
    expect(errors).toEqual([]);

    await page.screenshot({ path: join(ROOT, 'test-output', 'gateway-demo-shop-counter.png'), fullPage: true });
    await page.close();
  }, 60_000);
});
