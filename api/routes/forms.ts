import { Router, type Request, type Response } from 'express';
import type { AnyForm } from '../../domain/forms';
import { BadRequestError } from '../errors';
import type { FormService } from '../services/forms';

/** Sends a form as the client asked: HTML (default), PDF (`Accept: application/pdf` or `?format=pdf`), or its fields as JSON. */
async function sendForm(req: Request, res: Response, forms: FormService, form: AnyForm, zone: string, filename: string) {
  const format = req.query.format ?? req.accepts(['text/html', 'application/pdf', 'application/json']);
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
    const n = req.query.n === undefined ? undefined : Number(req.query.n);
    if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new BadRequestError('n must be a positive integer (which supplement request)');
    const { model, zone } = await forms.dossierForm(req.params.code, req.params.form, req.principal, { ordinal: n });
    await sendForm(req, res, forms, model, zone, `${req.params.form}-${req.params.code}`);
  });

  router.get('/forms/register', async (req, res) => {
    const q = (k: string) => (typeof req.query[k] === 'string' ? (req.query[k] as string) : undefined);
    const { model, zone } = await forms.register(req.principal, { agency: q('agency'), from: q('from'), to: q('to') });
    await sendForm(req, res, forms, model, zone, `so-theo-doi-${q('from')}-${q('to')}`);
  });

  return router;
}
