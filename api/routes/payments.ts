import { Router, type RequestHandler } from 'express';
import Handlebars from 'handlebars';
import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { signBody, SIGNATURE_HEADER } from '../../lib/integrations';
import { createLocalPaymentProvider } from '../../lib/payments/local-provider';
import { isDay, PAYMENT_ZONE, vietnamDay } from '../../lib/payments/provider';
import { requireOfficer } from '../auth';
import { BadRequestError, NotFoundError } from '../errors';
import { queryBool, queryText } from '../params';
import type { PaymentService } from '../services/payments';

const page = Handlebars.compile(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Thanh toán phí, lệ phí – {{dossierCode}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
dt{color:#555}dd{margin:0 0 .8rem;font-weight:600}button{font-size:1.1rem;padding:.6rem 2rem;background:#c8102e;color:#fff;border:0;border-radius:.3rem}
.paid{color:#1a7f37}</style></head>
<body><h1>Cổng thanh toán (thử nghiệm)</h1>
<dl><dt>Hồ sơ</dt><dd>{{dossierCode}}</dd><dt>Nội dung</dt><dd>{{description}}</dd>
<dt>Số tiền</dt><dd>{{amountText}} đồng</dd><dt>Mã thanh toán</dt><dd>{{reference}}</dd></dl>
{{#if paid}}<p class="paid">Đã thanh toán lúc {{paidAt}} – mã giao dịch {{transactionId}}.</p>
{{#if notice}}<p>{{notice}}</p>{{/if}}
{{else}}<form method="post" action="/pay/{{reference}}"><button type="submit">Thanh toán</button></form>{{/if}}
</body></html>`);

export interface PaymentsRouterDeps {
  db: Knex;
  payments: PaymentService;
  /** signs the local provider's callbacks */
  paymentSecret?: string;
  /** reads the caller's token (the router is mounted ahead of authentication) */
  authenticate: RequestHandler;
}

/**
 * Fees: the payment provider's signed callback, the local provider's payment page (the embedded
 * default), and the daily reconciliation report. The callback's signature is checked over the raw body
 * the input boundary kept (`req.rawBody`), within the limit the OpenAPI document gives it.
 */
export function paymentsRouter({ db, payments, paymentSecret, authenticate }: PaymentsRouterDeps): Router {
  const router = Router();
  const provider = createLocalPaymentProvider({ db, publicUrl: '' });

  router.post('/api/payments/callback', async (req, res) => {
    res.json(await payments.callback(req.rawBody ?? Buffer.alloc(0), req.get(SIGNATURE_HEADER), req.ip));
  });

  async function render(reference: string, notice?: string) {
    const line = await provider.find(reference);
    if (!line) throw new NotFoundError(`no payment ${reference}`);
    const paidAt = line.paidAt ? DateTime.fromISO(line.paidAt).setZone(PAYMENT_ZONE).toFormat('HH:mm dd/MM/yyyy') : null;
    return page({ ...line, paidAt, amountText: line.amount.toLocaleString('vi-VN'), paid: line.state === 'paid', notice });
  }

  router.get('/pay/:reference', async (req, res) => {
    res.type('html').send(await render(req.params.reference));
  });

  // the applicant pressed "Thanh toán": the provider books it, then notifies the platform like a real provider would
  router.post('/pay/:reference', async (req, res) => {
    const callback = await provider.pay(req.params.reference);
    if (!callback) throw new NotFoundError(`no payment ${req.params.reference}`);
    let notice = 'Không gửi được thông báo cho hệ thống; hệ thống sẽ đối soát cuối ngày.';
    if (paymentSecret) {
      const body = JSON.stringify(callback);
      const answer = await fetch(`${req.protocol}://${req.get('host')}/api/payments/callback`, {
        method: 'POST', body, headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signBody(paymentSecret, body) },
      }).catch(() => undefined);
      if (answer?.ok) notice = 'Hệ thống đã ghi nhận, biên lai điện tử đã được cấp.';
    }
    res.type('html').send(await render(req.params.reference, notice));
  });

  router.get('/api/reconciliation', authenticate, async (req, res) => {
    requireOfficer(req, 'ops', 'leader');
    const date = queryText(req, 'date') ?? vietnamDay(new Date(), -1);
    if (!isDay(date)) throw new BadRequestError(`date must be a day as YYYY-MM-DD, not "${date}"`);
    res.json(await payments.reconciliation(date, queryBool(req, 'refresh')));
  });

  return router;
}
