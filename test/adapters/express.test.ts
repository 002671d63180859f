import express from 'express';
import { wxpayExpress } from '@wxpay-kit/express';
import { defineAdapterSuite } from '../conformance/adapter-suite.js';
import { receivedBodyText } from '../helpers/host-echo.js';
import { listenLoopback } from '../helpers/loopback.js';

defineAdapterSuite(
  'express',
  async (wxpay, { prefix, hostBodyParser }) => {
    const app = express();
    if (hostBodyParser) app.use(express.json(), express.text({ type: ['text/xml', 'application/xml'] }));
    if (prefix) app.use(prefix, wxpayExpress(wxpay));
    else app.use(wxpayExpress(wxpay));
    const echo: express.RequestHandler = (req, res, next) => {
      receivedBodyText(req.body, req).then((text) => res.type('text/plain').send(text), next);
    };
    app.post('/host-echo', echo);
    if (prefix) app.post(`${prefix}/host-echo`, echo);
    return listenLoopback(app);
  },
  { parsedSignedBody: 'refused' },
);
