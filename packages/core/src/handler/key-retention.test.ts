import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { buildPayNotification, signNotifyXml } from '../testing/index.js';
import { silentLogger } from '../logger.js';
import { createHandler } from './create-handler.js';
import { APP_ID_1, KEY_1, MCH_1, bodyText, scriptedClient, testConfig, xmlRequest } from '../../test/helpers/handler-fixtures.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap in use after two full collections. */
function retainedHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('what a handled notification leaves behind', () => {
  it('keeps no notification body alive through the keys the store remembers', async () => {
    // The orders were not placed through create-pay, so each payment is logged as unchecked; the
    // test's recording logger would keep those lines, and they are not what is measured here.
    const wxpay = createHandler(testConfig({ logger: silentLogger }), scriptedClient());
    wxpay.on('paid', () => undefined);
    let n = 0;
    const handleOne = async (): Promise<void> => {
      n += 1;
      // Each body is made here and dropped after the call: whatever stays is held by the handler.
      const fields = buildPayNotification({
        appid: APP_ID_1,
        mch_id: MCH_1,
        transaction_id: `42000001232024${String(n).padStart(14, '0')}`,
        attach: '订单备注'.repeat(25),
      });
      const out = await wxpay.handle(xmlRequest('/notify-pay/shop', signNotifyXml(fields, KEY_1)));
      expect(bodyText(out.body)).toContain('SUCCESS');
    };
    for (let i = 0; i < 200; i++) await handleOne();
    const before = retainedHeap();
    const count = 4_000;
    for (let i = 0; i < count; i++) await handleOne();
    const perNotification = (retainedHeap() - before) / count;
    // A remembered key and its entry take a few hundred bytes; a kept body (here about 1.5 KB of
    // text, two bytes per character once it holds Chinese) would take several times that.
    expect(perNotification).toBeLessThan(1_024);
  });
});
