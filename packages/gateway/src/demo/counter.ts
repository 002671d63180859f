/**
 * The demo shop's counter: a cashier takes a payment-code payment (付款码, `POST micropay`). The
 * cashier enters the customer's payment code (the simulator picks the case by its last three
 * digits), and the page follows the payment: it posts `micropay` with a short `waitMs`, shows the
 * `pending` state WeChat reported (USERPAYING: the customer enters a password) and posts the same
 * body again until the answer is final, paid or reversed (or refused at once).
 */

/** The simulator's payment-code cases the counter offers, by the code's last three digits. */
export const COUNTER_CASES: readonly { readonly ending: string; readonly label: string }[] = Object.freeze([
  { ending: '000', label: 'pays at once' },
  { ending: '001', label: 'USERPAYING, then paid' },
  { ending: '002', label: 'USERPAYING until the deadline, then reversed' },
  { ending: '003', label: 'USERPAYING, then PAYERROR: reversed' },
  { ending: '006', label: 'SYSTEMERROR, then paid' },
  { ending: '004', label: 'AUTHCODEEXPIRE: refused' },
]);

/** How long each `micropay` call of the page waits before it shows the state and asks again. */
export const COUNTER_WAIT_MS = 1_500;

export const COUNTER_CSS = `
#counter-status { display: inline-block; margin-top: 12px; padding: 3px 10px; border-radius: 12px; font-weight: 700; font-size: 13px; background: #eaeef2; }
#counter-status[data-state="USERPAYING"] { background: #fff8c5; }
#counter-status[data-state="PAID"] { background: var(--green); color: #fff; }
#counter-status[data-state="REVERSED"], #counter-status[data-state="FAILED"], #counter-status[data-state="ERROR"] { background: #ffebe9; color: #cf222e; }
ol#counter-steps { margin: 8px 0 0; padding-left: 20px; font-size: 13px; color: var(--muted); }
.tag.micropay { background: #fff1e5; color: #bc4c00; }
`;

export function counterSectionHtml(): string {
  const options = COUNTER_CASES.map((c) => `<option value="${c.ending}">…${c.ending} · ${c.label}</option>`).join('');
  return `
    <section style="margin-top:20px" id="counter">
      <h2>Counter · payment code</h2>
      <label for="counter-case">Customer's payment code: the simulator's case</label>
      <select id="counter-case">${options}</select>
      <label for="auth-code">Payment code (18 digits; the last three pick the case)</label>
      <input id="auth-code" inputmode="numeric" autocomplete="off" value="134567890123456001">
      <label for="counter-amount">Amount (¥)</label>
      <input id="counter-amount" type="number" min="0.01" step="0.01" value="12.00">
      <button id="charge">Charge</button>
      <div><span id="counter-status" data-state="">idle</span></div>
      <div class="muted" id="counter-order"></div>
      <ol id="counter-steps"></ol>
    </section>`;
}

export const COUNTER_SCRIPT = `
const counterCode = (ending) => '1345678901234' + String(Math.floor(Math.random() * 90) + 10) + ending;
$('counter-case').addEventListener('change', () => { $('auth-code').value = counterCode($('counter-case').value); });
$('auth-code').value = counterCode($('counter-case').value);
function counterStatus(state, text) { const s = $('counter-status'); s.dataset.state = state; s.textContent = text; }
function counterStep(text) { const li = document.createElement('li'); li.textContent = new Date().toLocaleTimeString() + ' · ' + text; $('counter-steps').append(li); }
$('charge').addEventListener('click', async () => {
  const fee = Math.round(Number($('counter-amount').value) * 100);
  if (!Number.isInteger(fee) || fee <= 0) { counterStatus('ERROR', 'amount must be at least ¥0.01'); return; }
  const app = appOf($('app').value);
  const orderId = 'till' + Date.now() + Math.floor(Math.random() * 1000);
  const body = { appId: app.appId, payApp: app.payApp, orderId, fee, goods: 'Counter sale', authCode: $('auth-code').value.trim(), ip: '127.0.0.1', udd: 'counter', waitMs: ${COUNTER_WAIT_MS} };
  $('charge').disabled = true; $('counter-steps').innerHTML = '';
  $('counter-order').textContent = orderId + ' · ¥' + (fee / 100).toFixed(2) + ' · ' + app.payApp + ' (API ' + app.apiVersion + ')';
  counterStatus('', 'submitting…');
  counterStep('code scanned, payment submitted');
  try {
    for (;;) {
      const res = await fetch(cfg.endpoints.micropay, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const json = await res.json();
      addLog('micropay', 'POST ' + cfg.endpoints.micropay + ' → ' + res.status, json);
      if (!res.ok || json.code !== 200) { counterStatus('ERROR', json.msg || ('HTTP ' + res.status)); counterStep('refused: ' + (json.msg || res.status)); return; }
      const r = json.result;
      if (r.state === 'pending') {
        const ts = r.trade_state || 'USERPAYING';
        counterStatus(ts === 'USERPAYING' ? 'USERPAYING' : '', ts + ' · waiting for the customer');
        counterStep((r.trade_state || 'no answer yet') + ': asking again');
        continue;
      }
      if (r.state === 'paid') {
        counterStatus('PAID', 'PAID · ¥' + (r.total_fee / 100).toFixed(2) + ' · ' + r.transaction_id);
        counterStep('paid: ' + r.transaction_id);
      } else if (r.state === 'reversed') {
        counterStatus('REVERSED', 'REVERSED · ' + r.reason + ' (' + r.err_code + ')');
        counterStep('not paid in time: reversed at WeChat (REVOKED)');
      } else {
        counterStatus('FAILED', 'REFUSED · ' + r.err_code + (r.err_code_des ? ' · ' + r.err_code_des : ''));
        counterStep('refused: ' + r.err_code);
      }
      return;
    }
  } catch (e) {
    counterStatus('ERROR', String(e));
  } finally {
    $('charge').disabled = false;
  }
});
events.addEventListener('micropay', (m) => {
  const e = JSON.parse(m.data);
  addLog('micropay', 'micropay-' + e.state + ' event', e);
});
`;
