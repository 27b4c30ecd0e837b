import { Router, type Response } from 'express';
import type { Download, DocumentService } from '../services/documents';

function send(res: Response, file: Download) {
  res.setHeader('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.fileName)}`);
  res.type(file.mediaType).send(file.bytes);
}

/** Documents, results, the applicant's electronic data store and postal returns. */
export function documentsRouter({ documents }: { documents: DocumentService }): Router {
  const router = Router();
  router.get('/dossiers/:code/documents/:id/content', async (req, res) => {
    send(res, await documents.documentContent(req.params.code, req.params.id, req.principal));
  });
  router.post('/dossiers/:code/results', async (req, res) => {
    res.status(201).json(await documents.attachResult(req.params.code, req.principal, req.body));
  });
  router.get('/dossiers/:code/results', async (req, res) => { res.json(await documents.listResults(req.params.code, req.principal)); });
  router.get('/dossiers/:code/results/:result/content', async (req, res) => {
    send(res, await documents.resultContent(req.params.code, req.params.result, req.principal));
  });
  router.get('/dossiers/:code/postal', async (req, res) => { res.json(await documents.postalOrders(req.params.code, req.principal)); });
  router.post('/postal/orders/:orderId/delivered', async (req, res) => {
    res.json(await documents.delivered(req.params.orderId, req.principal, req.body ?? {}, req.header('X-Postal-Signature')));
  });
  router.get('/applicants/:applicant/documents', async (req, res) => {
    res.json(await documents.listStore(req.principal, req.params.applicant));
  });
  router.get('/applicants/:applicant/documents/:id/content', async (req, res) => {
    send(res, await documents.storeContent(req.principal, req.params.applicant, req.params.id));
  });
  return router;
}
