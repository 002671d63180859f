/**
 * The demo shop page: one HTML document with its CSS and script inline, so the gateway serves it
 * without a build step or static files. It talks to the gateway's real API (create-pay,
 * create-transfer, micropay) and to the demo routes (QR code, "pay as the user", "confirm as the
 * payee", the live event stream).
 */
import { COUNTER_CSS, COUNTER_SCRIPT, counterSectionHtml } from './counter.js';

const CSS = `
:root { color-scheme: light; --green: #07c160; --ink: #1f2328; --muted: #656d76; --line: #d0d7de; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "PingFang SC", sans-serif; color: var(--ink); background: #f6f8fa; }
header { background: var(--green); color: #fff; padding: 14px 24px; }
header h1 { margin: 0; font-size: 20px; }
header p { margin: 2px 0 0; opacity: .9; font-size: 13px; }
main { display: grid; grid-template-columns: minmax(300px, 420px) 1fr; gap: 20px; padding: 20px 24px; max-width: 1200px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 18px; }
h2 { font-size: 16px; margin: 0 0 12px; }
label { display: block; font-size: 13px; color: var(--muted); margin: 10px 0 4px; }
input, select { width: 100%; padding: 8px 10px; font: inherit; border: 1px solid var(--line); border-radius: 6px; }
button { margin-top: 14px; padding: 9px 16px; font: inherit; font-weight: 600; border: 0; border-radius: 6px; background: var(--green); color: #fff; cursor: pointer; }
button[disabled] { background: #9bd8b5; cursor: default; }
button.secondary { background: #24292f; }
#status { display: inline-block; margin-top: 12px; padding: 3px 10px; border-radius: 12px; font-weight: 700; font-size: 13px; background: #eaeef2; }
#status[data-state="NOTPAY"] { background: #fff8c5; }
#status[data-state="PAID"] { background: var(--green); color: #fff; }
#status[data-state="ERROR"] { background: #ffebe9; color: #cf222e; }
#qr { margin-top: 12px; }
#qr img { width: 220px; height: 220px; border: 1px solid var(--line); border-radius: 6px; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; overflow: auto; font-size: 12px; max-height: 260px; margin: 6px 0 0; }
ol#log { list-style: none; padding: 0; margin: 0; }
ol#log li { border-top: 1px solid var(--line); padding: 8px 0; }
ol#log li:first-child { border-top: 0; }
.tag { display: inline-block; font-size: 12px; font-weight: 700; padding: 1px 8px; border-radius: 10px; background: #ddf4ff; color: #0969da; }
.tag.paid { background: #dafbe1; color: #1a7f37; }
.tag.callback { background: #fbefff; color: #8250df; }
.tag.transfer { background: #fff1e5; color: #bc4c00; }
#payout-status { display: inline-block; margin-top: 12px; padding: 3px 10px; border-radius: 12px; font-weight: 700; font-size: 13px; background: #eaeef2; }
#payout-status[data-state="WAIT_USER_CONFIRM"], #payout-status[data-state="TRANSFERING"] { background: #fff8c5; }
#payout-status[data-state="SUCCESS"] { background: var(--green); color: #fff; }
#payout-status[data-state="FAIL"], #payout-status[data-state="CANCELLED"], #payout-status[data-state="ERROR"] { background: #ffebe9; color: #cf222e; }
.muted { color: var(--muted); font-size: 13px; }
code { font-size: 12px; }
`;

const SCRIPT = `
const cfg = await (await fetch('/demo/config.json')).json();
const $ = (id) => document.getElementById(id);
let current = null;
for (const app of cfg.apps) {
  const option = document.createElement('option');
  option.value = app.payApp;
  option.textContent = app.payApp + ' · API ' + app.apiVersion + ' · merchant ' + app.mchId;
  $('app').append(option);
}
const appOf = (payApp) => cfg.apps.find((a) => a.payApp === payApp);
// Transfer bills are an API v3 call: only the API v3 apps can pay out.
for (const app of cfg.apps.filter((a) => a.apiVersion === 'v3')) {
  const option = document.createElement('option');
  option.value = app.payApp;
  option.textContent = app.payApp + ' · merchant ' + app.mchId;
  $('payout-app').append(option);
}
let payout = null;
function setPayout(state, text) { const s = $('payout-status'); s.dataset.state = state; s.textContent = text; }

function setStatus(state, text) { const s = $('status'); s.dataset.state = state; s.textContent = text; }
function addLog(kind, title, data) {
  const li = document.createElement('li');
  li.dataset.kind = kind;
  const tag = document.createElement('span'); tag.className = 'tag ' + kind; tag.textContent = kind;
  const t = document.createElement('span'); t.textContent = ' ' + title + ' · ' + new Date().toLocaleTimeString();
  const pre = document.createElement('pre'); pre.textContent = JSON.stringify(data, null, 2);
  li.append(tag, t, pre);
  $('log').prepend(li);
}

$('create').addEventListener('click', async () => {
  const type = $('type').value;
  const fee = Math.round(Number($('amount').value) * 100);
  if (!Number.isInteger(fee) || fee <= 0) { setStatus('ERROR', 'amount must be at least ¥0.01'); return; }
  const app = appOf($('app').value);
  const orderId = 'demo' + Date.now() + Math.floor(Math.random() * 1000);
  const body = { appId: app.appId, payApp: app.payApp, goods: $('goods').value || 'Demo goods', udd: 'demo', orderId, fee, ip: '127.0.0.1' };
  if (type === 'NATIVE') body.productId = 'demo-product';
  if (type === 'JSAPI') body.openId = 'demo-openid-' + Math.floor(Math.random() * 1e6);
  if (type === 'H5') { body.sceneInfo = { h5_info: { type: 'Wap', wap_url: location.origin, wap_name: 'Demo shop' } }; body.redirectUrl = location.origin + '/'; }
  $('create').disabled = true; $('pay').disabled = true; $('qr').innerHTML = ''; $('params').textContent = ''; $('params').dataset.kind = '';
  $('callback-state').textContent = '';
  setStatus('', 'creating…');
  try {
    const res = await fetch(cfg.endpoints.createPay + '/' + type, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = await res.json();
    addLog('api', 'POST ' + cfg.endpoints.createPay + '/' + type + ' → ' + res.status, json);
    if (!res.ok || json.code !== 200) { setStatus('ERROR', json.msg || ('HTTP ' + res.status)); return; }
    current = { orderId, type, fee, payApp: app.payApp };
    $('order').textContent = orderId + ' · ' + type + ' · ¥' + (fee / 100).toFixed(2) + ' · ' + app.payApp + ' (API ' + app.apiVersion + ')';
    $('params').dataset.kind = type;
    const r = json.result;
    if (type === 'NATIVE') {
      const img = document.createElement('img'); img.alt = 'QR code for ' + r.code_url; img.id = 'qr-img';
      img.src = '/demo/qr.svg?text=' + encodeURIComponent(r.code_url);
      $('qr').append(img);
      $('params').textContent = 'code_url: ' + r.code_url;
    } else if (type === 'JSAPI') {
      $('params').textContent = 'wx.requestPayment / WeixinJSBridge parameters:\\n' + JSON.stringify(r.jsapi_params, null, 2);
    } else if (type === 'APP') {
      $('params').textContent = 'APP SDK PayReq:\\n' + JSON.stringify(r.req_params, null, 2);
    } else {
      $('params').textContent = 'H5 pay_url (open in the mobile browser):\\n' + r.pay_url;
    }
    setStatus('NOTPAY', 'NOTPAY · waiting for the user');
    $('pay').disabled = false;
  } catch (e) {
    setStatus('ERROR', String(e));
  } finally {
    $('create').disabled = false;
  }
});

$('pay').addEventListener('click', async () => {
  if (!current) return;
  $('pay').disabled = true;
  const res = await fetch('/demo/pay', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orderId: current.orderId, payApp: current.payApp }) });
  const json = await res.json();
  addLog('api', 'user paid in the simulator → ' + res.status, json);
  if (!res.ok) { setStatus('ERROR', json.msg || ('HTTP ' + res.status)); $('pay').disabled = false; }
  else setStatus('NOTPAY', 'paid by the user · waiting for WeChat\\'s notification');
});

$('payout-create').addEventListener('click', async () => {
  const fee = Math.round(Number($('payout-amount').value) * 100);
  if (!Number.isInteger(fee) || fee <= 0) { setPayout('ERROR', 'amount must be at least ¥0.01'); return; }
  const app = appOf($('payout-app').value);
  if (!app) { setPayout('ERROR', 'no API v3 app to pay out with'); return; }
  const outBillNo = 'payout' + Date.now() + Math.floor(Math.random() * 1000);
  const body = {
    appId: app.appId, payApp: app.payApp, outBillNo, fee, sceneId: '1000', remark: 'Demo cash reward',
    openId: 'demo-openid-' + Math.floor(Math.random() * 1e6),
    sceneReportInfos: [{ infoType: '活动名称', infoContent: 'Demo shop' }, { infoType: '奖励说明', infoContent: 'Demo cash reward' }],
  };
  $('payout-create').disabled = true; $('payout-confirm').disabled = true; $('payout-params').textContent = ''; $('payout-callback').textContent = '';
  setPayout('', 'creating…');
  try {
    const res = await fetch(cfg.endpoints.createTransfer, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = await res.json();
    addLog('api', 'POST ' + cfg.endpoints.createTransfer + ' → ' + res.status, json);
    if (!res.ok || json.code !== 200) { setPayout('ERROR', json.msg || ('HTTP ' + res.status)); return; }
    const r = json.result;
    payout = { outBillNo, payApp: app.payApp, fee };
    $('payout-bill').textContent = outBillNo + ' · ¥' + (fee / 100).toFixed(2) + ' to ' + body.openId + ' · ' + app.payApp;
    $('payout-params').textContent = 'The payee confirms in WeChat: wx.requestMerchantTransfer gets\\n' + JSON.stringify(r.confirm_params || { package: r.package_info }, null, 2);
    setPayout(r.state, r.state + ' · waiting for the payee to confirm');
    $('payout-confirm').disabled = r.state !== 'WAIT_USER_CONFIRM';
  } catch (e) {
    setPayout('ERROR', String(e));
  } finally {
    $('payout-create').disabled = false;
  }
});

$('payout-confirm').addEventListener('click', async () => {
  if (!payout) return;
  $('payout-confirm').disabled = true;
  const res = await fetch('/demo/transfer/confirm', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outBillNo: payout.outBillNo, payApp: payout.payApp }) });
  const json = await res.json();
  addLog('api', 'payee confirmed in the simulator → ' + res.status, json);
  if (!res.ok) { setPayout('ERROR', json.msg || ('HTTP ' + res.status)); $('payout-confirm').disabled = false; }
  else setPayout('TRANSFERING', 'TRANSFERING · confirmed by the payee, waiting for WeChat\\'s callback');
});

const events = new EventSource('/demo/events');
events.addEventListener('transfer', (m) => {
  const e = JSON.parse(m.data);
  addLog('transfer', e.state + ' (' + e.source + ')', e);
  if (payout && e.outBillNo === payout.outBillNo) setPayout(e.state, e.state + ' · ¥' + (e.transferAmount / 100).toFixed(2) + (e.failReason ? ' · ' + e.failReason : '') + ' · ' + e.transferBillNo);
});
events.addEventListener('paid', (m) => {
  const e = JSON.parse(m.data);
  addLog('paid', 'paid event (' + e.source + ')', e);
  if (current && e.orderId === current.orderId) setStatus('PAID', 'PAID · ¥' + (e.totalFee / 100).toFixed(2) + ' · ' + e.transactionId);
});
events.addEventListener('callback', (m) => {
  const e = JSON.parse(m.data);
  addLog('callback', 'callback received by the demo app (' + e.kind + ', signature ' + (e.verified ? 'verified' : 'NOT verified') + ')', e.body);
  if (current && e.body && e.body.order_id === current.orderId) $('callback-state').textContent = 'callback delivered to the app ✓';
  if (payout && e.body && e.body.out_bill_no === payout.outBillNo) $('payout-callback').textContent = 'callback delivered to the app ✓';
});
events.addEventListener('open', () => { $('stream').textContent = 'live'; });
events.addEventListener('error', () => { $('stream').textContent = 'reconnecting…'; });
`;

/** The demo shop's HTML. */
export function demoPageHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wxpay-kit demo shop</title>
<style>${CSS}${COUNTER_CSS}</style>
</head>
<body>
<header>
  <h1>wxpay-kit demo shop</h1>
  <p>A payment (and a pay-out) through the gateway's API, paid (confirmed) in the embedded WeChat Pay simulator, with the result and the app's callback arriving live.</p>
</header>
<main>
  <div>
    <section>
      <h2>1 · Create an order</h2>
      <label for="goods">Goods</label>
      <input id="goods" value="Demo coffee">
      <label for="amount">Amount (¥)</label>
      <input id="amount" type="number" min="0.01" step="0.01" value="0.01">
      <label for="app">App and merchant</label>
      <select id="app"></select>
      <label for="type">Trade type</label>
      <select id="type">
        <option value="NATIVE" selected>NATIVE (QR code)</option>
        <option value="JSAPI">JSAPI (official account / mini-program)</option>
        <option value="APP">APP</option>
        <option value="H5">H5 (mobile browser)</option>
      </select>
      <button id="create">Create order</button>
    </section>
    <section style="margin-top:20px">
      <h2>2 · Pay</h2>
      <div class="muted" id="order">no order yet</div>
      <div id="qr"></div>
      <pre id="params"></pre>
      <button id="pay" class="secondary" disabled>Pay as the user</button>
      <div><span id="status" data-state="">idle</span></div>
      <div class="muted" id="callback-state"></div>
    </section>
    <section style="margin-top:20px">
      <h2>Pay out · 商家转账</h2>
      <label for="payout-amount">Amount (¥)</label>
      <input id="payout-amount" type="number" min="0.01" step="0.01" value="1.00">
      <label for="payout-app">App and merchant (API v3)</label>
      <select id="payout-app"></select>
      <button id="payout-create">Create transfer</button>
      <div class="muted" id="payout-bill" style="margin-top:10px">no transfer yet</div>
      <pre id="payout-params"></pre>
      <button id="payout-confirm" class="secondary" disabled>Confirm as the payee</button>
      <div><span id="payout-status" data-state="">idle</span></div>
      <div class="muted" id="payout-callback"></div>
    </section>${counterSectionHtml()}
  </div>
  <section>
    <h2>3 · What happened <span class="muted">(event stream: <span id="stream">connecting…</span>)</span></h2>
    <ol id="log"></ol>
  </section>
</main>
<script type="module">${SCRIPT}${COUNTER_SCRIPT}</script>
</body>
</html>
`;
}
