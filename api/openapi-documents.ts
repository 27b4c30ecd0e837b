/** OpenAPI paths of documents, results, the applicant's data store and postal return (merged into openapi.ts). */
import { INPUT_LIMITS } from './boundary';

const error = { $ref: '#/components/responses/Error' };
const bearer = [{ bearer: [] }];
const idempotencyKey = { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 200 },
  description: 'the same key gives the same answer and no second effect' };
const path = (name: string, description?: string) => ({ name, in: 'path', required: true, schema: { type: 'string' }, ...(description ? { description } : {}) });
const uuid = (name: string, description?: string) => ({ ...path(name, description), schema: { type: 'string', format: 'uuid' } });

const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const ok = (description: string, schema: object = { type: 'object' }) => ({ description, ...json(schema) });
const file = { description: 'the file (Content-Disposition: attachment)', content: { 'application/pdf': {}, 'image/*': {} } };

export const documentSchemas = {
  DocumentUpload: {
    description: 'A document of the dossier: uploaded (its media type is detected from the bytes and must be accepted, match `mediaType` ' +
      'and the file name\'s extension, and be within the size limit), or taken from the applicant\'s electronic data store ' +
      '(`reuse: true`; needs the applicant token of an earlier dossier of the same applicant, or a one-stop officer at the counter).',
    oneOf: [
      { type: 'object', required: ['code', 'fileName', 'contentBase64'], properties: { code: { type: 'string', example: 'TO-KHAI' },
        fileName: { type: 'string', example: 'to-khai.pdf' }, mediaType: { type: 'string', example: 'application/pdf' },
        contentBase64: { type: 'string', contentEncoding: 'base64' } } },
      { type: 'object', required: ['code', 'reuse'], properties: { code: { type: 'string' }, reuse: { const: true } } },
    ],
  },
  Result: { type: 'object', properties: { code: { type: 'string', example: '000.31.31.H01-261123-0001-KQ1' }, name: { type: 'string' },
    fileName: { type: 'string' }, mediaType: { type: 'string' }, size: { type: 'integer' }, sha256: { type: 'string' },
    createdBy: { type: 'string' }, unit: { type: 'string' }, createdAt: { type: 'string', format: 'date-time' },
    pushedToDataStoreAt: { type: ['string', 'null'], format: 'date-time' } } },
};

export const documentPaths = {
  '/api/dossiers/{code}/documents/{id}/content': { get: { summary: 'Download a document of the dossier (its applicant, or an officer of its agency)',
    security: bearer, parameters: [path('code'), uuid('id', 'the document id from GET /api/dossiers/{code}')],
    responses: { 200: file, 403: error, 404: error } } },
  '/api/dossiers/{code}/results': {
    post: { summary: 'Attach a result, coded <dossier code>-KQ<n> (an officer of a unit handling the dossier, or of the counter)', security: bearer,
      parameters: [path('code'), idempotencyKey], requestBody: { ...json({ type: 'object', required: ['name', 'fileName', 'contentBase64'], properties: {
        name: { type: 'string', example: 'Giấy khai sinh' }, fileName: { type: 'string', example: 'giay-khai-sinh.pdf' },
        mediaType: { type: 'string' }, contentBase64: { type: 'string', contentEncoding: 'base64' } } }), 'x-max-body-bytes': INPUT_LIMITS.uploadBodyBytes },
      responses: { 201: ok('the result', { $ref: '#/components/schemas/Result' }), 403: error, 404: error, 409: error, 422: error } },
    get: { summary: 'The dossier\'s results (officers of its agency; its applicant once the result is returned)', security: bearer,
      parameters: [path('code')], responses: { 200: ok('results', { type: 'object', properties: { items: { type: 'array',
        items: { $ref: '#/components/schemas/Result' } } } }), 403: error, 404: error } },
  },
  '/api/dossiers/{code}/results/{result}/content': { get: { summary: 'Download a result', security: bearer,
    parameters: [path('code'), path('result', 'the result code, e.g. …-KQ1')], responses: { 200: file, 403: error, 404: error } } },
  '/api/dossiers/{code}/postal': { get: { summary: 'The dossier\'s postal return orders, with the postal service\'s tracking', security: bearer,
    parameters: [path('code')], responses: { 200: ok('orders'), 403: error, 404: error } } },
  '/api/postal/orders/{orderId}/delivered': { post: {
    summary: 'The post\'s delivery report for an order: its signed callback, or a one-stop officer recording it; the dossier gets status 10 ' +
      '(a late delivery inside the province is flagged)',
    security: [...bearer, {}], parameters: [path('orderId'), idempotencyKey, { name: 'X-Postal-Signature', in: 'header', required: false,
      schema: { type: 'string', example: 'sha256=…' }, description: 'HMAC-SHA256 with POSTAL_CALLBACK_SECRET of orderId, deliveredAt and receivedBy joined by newlines' }],
    requestBody: json({ type: 'object', properties: { deliveredAt: { type: 'string', format: 'date-time', description: 'default: now' },
      receivedBy: { type: 'string' } } }),
    responses: { 200: ok('delivered: orderId, dossierCode, deliveredAt, late, status'), 401: error, 403: error, 404: error, 409: error, 422: error } } },
  '/api/applicants/{applicant}/documents': { get: {
    summary: 'An applicant\'s electronic data store: their digitized documents and results. `me` with an applicant token ' +
      '(of any of their dossiers); an identity number for one-stop officers', security: bearer,
    parameters: [path('applicant', '`me`, or the applicant\'s identity number')], responses: { 200: ok('documents'), 403: error } } },
  '/api/applicants/{applicant}/documents/{id}/content': { get: { summary: 'Download a document from the applicant\'s data store', security: bearer,
    parameters: [path('applicant'), uuid('id')], responses: { 200: file, 403: error, 404: error } } },
};
