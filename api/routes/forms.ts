import { Router, type Request, type Response } from 'express';
import type { AnyForm } from '../../domain/forms';
import { queryEnum, queryInt, queryText } from '../params';
import type { FormService } from '../services/forms';

/** Sends a form as the client asked: HTML (default), PDF (`Accept: application/pdf` or `?format=pdf`), or its fields as JSON. */
async function sendForm(req: Request, res: Response, forms: FormService, form: AnyForm, zone: string, filename: string) {
  const format = queryEnum(req, 'format', ['html', 'pdf', 'json'] as const) ?? req.accepts(['text/html', 'application/pdf', 'application/json']);
  if (format === 'pdf' || format === 'application/pdf') {
    const pdf = await forms.pdf(form, zone);
    res.type('application/pdf').set('content-disposition', `inline; filename="${filename}.pdf"`).send(pdf);
  } else if (format === 'json' || format === 'application/json') {
    res.json(form);
  } else {
    res.type('html').send(await forms.html(form, zone));
  }
}

/** The official forms: each dossier's (01–05) and the agency's register (06). */
export function formsRouter({ forms }: { forms: FormService }): Router {
  const router = Router();

  router.get('/dossiers/:code/forms/:form', async (req, res) => {
    const n = queryInt(req, 'n', { min: 1, max: 1000 });
    const { model, zone } = await forms.dossierForm(req.params.code, req.params.form, req.principal, { ordinal: n });
    await sendForm(req, res, forms, model, zone, `${req.params.form}-${req.params.code}`);
  });

  router.get('/forms/register', async (req, res) => {
    const q = (k: string) => queryText(req, k);
    const { model, zone } = await forms.register(req.principal, { agency: q('agency'), from: q('from'), to: q('to') });
    await sendForm(req, res, forms, model, zone, `so-theo-doi-${q('from')}-${q('to')}`);
  });

  return router;
}
