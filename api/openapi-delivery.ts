/** OpenAPI paths of notifications and portal sync (merged into api/openapi.ts). */
import { INPUT_LIMITS } from './boundary';

const error = { $ref: '#/components/responses/Error' };
const bearer = [{ bearer: [] }];
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const ok = (description: string, schema: object = { type: 'object' }) => ({ description, ...json(schema) });
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[1-9][0-9]{0,17}$' } };
const page = [
  { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1, maximum: INPUT_LIMITS.page, default: 1 } },
  { name: 'pageSize', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 20 } },
];
const dossier = { name: 'dossier', in: 'query', schema: { type: 'string' }, description: 'one dossier code' };

const notification = {
  type: 'object', properties: {
    id: { type: 'string' }, dossierCode: { type: 'string' },
    template: { type: 'string', example: 'accepted' }, title: { type: 'string', example: 'Hồ sơ 000.31.31.H01-261123-0001 đã được tiếp nhận' },
    text: { type: 'string' }, createdAt: { type: 'string', format: 'date-time' }, readAt: { type: ['string', 'null'], format: 'date-time' },
  },
};

export const portalStatusChange = {
  type: 'object', required: ['receiverKey', 'dossierCode', 'sequence', 'status', 'at'],
  properties: {
    receiverKey: { type: 'string', example: '000.31.31.H01-261123-0001:2', description: '`<dossier code>:<sequence>`: the receiver keeps one change per key' },
    dossierCode: { type: 'string' }, sequence: { type: 'integer', minimum: 1, description: '1, 2, 3… per dossier, in the order of the changes' },
    status: { type: 'integer', minimum: 1, maximum: 10 }, statusLabel: { type: 'string', example: 'Được tiếp nhận' },
    previousStatus: { type: ['integer', 'null'] }, at: { type: 'string', format: 'date-time' }, reason: { type: ['string', 'null'] },
    procedureCode: { type: 'string' }, agencyCode: { type: 'string', description: "the receiving agency's national code" },
    appointmentAt: { type: ['string', 'null'], format: 'date-time' },
  },
};

export const deliveryPaths = {
  '/api/notifications': { get: {
    summary: "In-app notifications: the applicant's (applicant token) or those of the officer's unit and roles, newest first",
    security: bearer, parameters: [{ name: 'unread', in: 'query', schema: { type: 'boolean' } }, ...page],
    responses: { 200: ok('a page of notifications with the unread count', { type: 'object', properties: {
      items: { type: 'array', items: notification }, total: { type: 'integer' }, unread: { type: 'integer' } } }), 401: error },
  } },
  '/api/notifications/{id}/read': { post: { summary: 'Mark one of your notifications read (the first time counts)', security: bearer,
    parameters: [id], responses: { 200: ok('the notification', notification), 400: error, 401: error, 404: error } } },
  '/api/notifications/deliveries': { get: {
    summary: 'Delivery state of every notification row, per channel (ops): pending, sent, skipped (no address) or failed',
    security: bearer, parameters: [{ name: 'state', in: 'query', schema: { enum: ['pending', 'sent', 'skipped', 'failed'] } },
      { name: 'channel', in: 'query', schema: { enum: ['email', 'sms', 'in-app'] } }, dossier, ...page],
    responses: { 200: ok('a page of deliveries (addresses masked)'), 400: error, 403: error },
  } },
  '/api/sync/outbox': { get: {
    summary: 'The national-portal sync outbox (ops): one row per status change, numbered per dossier; `stuck` rows hold back later ones',
    security: bearer, parameters: [{ name: 'state', in: 'query', schema: { enum: ['pending', 'delivered', 'stuck'] } }, dossier, ...page],
    responses: { 200: ok('a page of rows and the count per state'), 400: error, 403: error },
  } },
  '/api/sync/outbox/{id}/retry': { post: { summary: 'Try a pending or stuck row again now (ops)', security: bearer, parameters: [id],
    responses: { 200: ok('scheduled now'), 403: error, 404: error, 409: error } } },
  '/api/local-portal/receive': { post: {
    summary: 'The local stand-in for the national portal (embedded default; from this machine only): keeps one change per receiver key',
    requestBody: json(portalStatusChange),
    responses: { 200: ok('received, or a duplicate of a received change', { type: 'object', properties: {
      receiverKey: { type: 'string' }, duplicate: { type: 'boolean' } } }), 403: error, 409: ok('the previous sequence was not received yet'), 422: error },
  } },
  '/api/local-portal/received': { get: { summary: 'What the local portal receiver holds (ops)', security: bearer, parameters: [dossier, ...page],
    responses: { 200: ok('received changes in order'), 403: error } } },
};
