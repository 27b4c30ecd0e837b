import { INPUT_LIMITS } from './boundary';
import { paymentAndHandoffPaths } from './openapi-payments';
import { reportPaths, reportSchemas } from './openapi-reports';
import { deliveryPaths } from './openapi-delivery';
import { documentPaths, documentSchemas } from './openapi-documents';
import { formsPaths, formsSchemas } from './openapi-forms';
import { opsPaths } from './openapi-ops';

const error = { $ref: '#/components/responses/Error' };
const bearer = [{ bearer: [] }];
const idempotencyKey = { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 200 },
  description: 'the same key gives the same answer and no second effect' };
const page = [
  { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1, maximum: INPUT_LIMITS.page, default: 1 } },
  { name: 'pageSize', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 20 } },
];
const path = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const uuid = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string', format: 'uuid' } });
const version = { name: 'version', in: 'path', required: true, schema: { type: 'integer', minimum: 1, maximum: INPUT_LIMITS.int } };
const year = { name: 'year', in: 'path', required: true, schema: { type: 'integer', minimum: 2000, maximum: 2100 } };
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
/** a body with documents in it (base64): larger than the default limit */
const uploads = (schema: object) => ({ ...json(schema), 'x-max-body-bytes': INPUT_LIMITS.uploadBodyBytes });
const ok = (description: string, schema: object = { type: 'object' }) => ({ description, ...json(schema) });

const BOUNDARY_ANSWERS = {
  400: 'BadRequest', 404: 'NotFound', 413: 'PayloadTooLarge', 415: 'UnsupportedMediaType', 422: 'Unprocessable',
} as const;

type Operations = Record<string, Record<string, { responses: Record<string, unknown>; parameters?: { in: string }[] }>>;

/**
 * Adds the input boundary's answers (api/boundary.ts) to every operation that does not describe them
 * itself: 400 and 422 everywhere, 404 where the path has parameters, 413 and 415 where a body is sent.
 */
function withBoundaryAnswers<T extends Operations>(paths: T): T {
  for (const item of Object.values(paths)) {
    for (const [method, op] of Object.entries(item)) {
      const codes: (keyof typeof BOUNDARY_ANSWERS)[] = [400, 422];
      if (op.parameters?.some((p) => p.in === 'path')) codes.push(404);
      if (['post', 'put', 'patch'].includes(method)) codes.push(413, 415);
      for (const code of codes) op.responses[code] ??= { $ref: `#/components/responses/${BOUNDARY_ANSWERS[code]}` };
    }
  }
  return paths;
}

/** The OpenAPI 3.1 description of the HTTP API (contract: shared/spec/API.md), served at /api/openapi.json. */
export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Một cửa: dossier workflows API',
    version: '0.1.0',
    description: 'Procedures, dossiers and officer tasks of the one-stop-shop platform. Errors are `{error: {code, message, details?}}`; ' +
      '`details` lists every problem with its JSONPath (`$.…` in the body, `query.<name>`, `path`, `path.<name>`, `header.<name>`).\n\n' +
      'One input boundary checks every request before any route: broken percent-encoding or bytes that are not UTF-8 → 400; ' +
      'a body in another charset or not JSON → 415; a control character other than tab, CR and LF, or a lone surrogate, in the ' +
      `path, the query, a header the API reads, or any key or string of the body → 422; JSON nested deeper than ${INPUT_LIMITS.depth} → 400; ` +
      `a body over its operation's \`x-max-body-bytes\` (${INPUT_LIMITS.bodyBytes / 1024} KB unless stated) → 413; a parameter out of its ` +
      'schema\'s range, format or pattern → 400 (an id not of its form: 404). A 500 is a bug of ours, never a problem with the request; ' +
      'its `id` is in our log.',
  },
  servers: [{ url: '/' }],
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    responses: {
      Error: ok('an error', {
        type: 'object',
        properties: { error: { type: 'object', required: ['code', 'message'], properties: {
          code: { type: 'string' }, message: { type: 'string' },
          details: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
          id: { type: 'string', format: 'uuid', description: 'a 500 only: where our log has it' },
        } } },
      }),
      BadRequest: { description: 'malformed: the URL or body is not percent-encoded UTF-8 or not JSON, nests too deep, or a parameter is out of range',
        $ref: '#/components/responses/Error' },
      NotFound: { description: 'nothing there, or a path parameter not of its form (e.g. a task id that is not a UUID)', $ref: '#/components/responses/Error' },
      PayloadTooLarge: { description: 'the body is over the operation\'s limit (`x-max-body-bytes`)', $ref: '#/components/responses/Error' },
      UnsupportedMediaType: { description: 'the body is not JSON in UTF-8', $ref: '#/components/responses/Error' },
      Unprocessable: { description: 'a control character or lone surrogate where `details` says, or a value breaking a rule',
        $ref: '#/components/responses/Error' },
    },
    schemas: {
      DossierStatus: { type: 'integer', minimum: 1, maximum: 10, description: '1 Mới đăng ký … 10 Đã trả kết quả (DOMAIN.md)' },
      SubmitDossier: {
        type: 'object', required: ['procedureCode', 'channel', 'applicant', 'returnChannel'],
        properties: {
          procedureCode: { type: 'string', example: '1.001193' },
          channel: { enum: ['online', 'counter', 'postal'] },
          applicant: { type: 'object', required: ['fullName', 'idNumber'], properties: {
            fullName: { type: 'string' }, idNumber: { type: 'string' }, organization: { type: 'string' },
            email: { type: 'string' }, phone: { type: 'string' }, address: { type: 'string' } } },
          application: { type: 'object' },
          documents: { type: 'array', items: { $ref: '#/components/schemas/DocumentUpload' } },
          returnChannel: { enum: ['electronic', 'counter', 'postal'] },
        },
      },
      ...documentSchemas,
      CompleteTask: {
        type: 'object', required: ['outcome'],
        properties: { outcome: { type: 'string' }, data: { type: 'object' }, comment: { type: 'string', maxLength: 4000 } },
      },
      ...reportSchemas,
      ...formsSchemas,
    },
  },
  paths: withBoundaryAnswers({
    '/api/health': { get: { summary: 'Liveness and each dependency', responses: { 200: ok('healthy'), 503: ok('a dependency is down') } } },
    '/api/auth/me': { get: { summary: 'Who the token belongs to: account, unit and roles (officer) or dossier (applicant)', security: bearer,
      responses: { 200: ok('the principal'), 401: error } } },
    '/api/openapi.json': { get: { summary: 'This document', responses: { 200: ok('the OpenAPI document') } } },
    '/api/schemas/procedure.schema.json': { get: { summary: 'The JSON Schema (2020-12) of procedure definitions, for editors',
      responses: { 200: { description: 'the schema', content: { 'application/schema+json': { schema: { type: 'object' } } } } } } },
    '/api/auth/login': { post: {
      summary: 'Sign in an officer', requestBody: json({ type: 'object', required: ['username', 'password'],
        properties: { username: { type: 'string', example: 'lan.motcua-mybinh' }, password: { type: 'string' } } }),
      responses: { 200: ok('a signed token', { type: 'object', properties: { token: { type: 'string' } } }), 401: error, 429: error },
    } },
    '/api/procedures': {
      get: { summary: 'Every procedure version', responses: { 200: ok('versions') } },
      post: { summary: 'Upload a draft version', security: bearer, parameters: [idempotencyKey],
        requestBody: json({ $ref: '/api/schemas/procedure.schema.json' }),
        responses: { 201: ok('stored as draft'), 200: ok('the same definition was stored before'), 409: error, 422: error } },
    },
    '/api/procedures/validate': { post: { summary: 'Check a definition without storing it (every problem with its path)',
      requestBody: json({ $ref: '/api/schemas/procedure.schema.json' }), responses: { 200: ok('no problem'), 422: error } } },
    '/api/procedures/{code}': { get: { summary: 'The published version', parameters: [path('code')], responses: { 200: ok('definition'), 404: error } } },
    '/api/procedures/{code}/versions/{version}': { get: { summary: 'One version with its plan',
      parameters: [path('code'), version], responses: { 200: ok('version'), 404: error } } },
    '/api/procedures/{code}/versions/{version}/diagram': { get: { summary: 'The process as a picture (SVG)',
      parameters: [path('code'), version], responses: { 200: { description: 'SVG', content: { 'image/svg+xml': {} } }, 404: error } } },
    '/api/procedures/{code}/versions/{version}/publish': { post: { summary: 'Make a version live', security: bearer,
      parameters: [path('code'), version], responses: { 200: ok('published'), 404: error, 422: error } } },
    '/api/dossiers': {
      post: { summary: 'Submit a dossier (online: no sign-in; counter: a one-stop officer)', parameters: [idempotencyKey],
        requestBody: uploads({ $ref: '#/components/schemas/SubmitDossier' }),
        responses: { 201: ok('the dossier code, its status and an applicant token'), 404: error, 422: error } },
      get: { summary: "Dossiers of the officer's agency", security: bearer, parameters: [
        { name: 'status', in: 'query', schema: { $ref: '#/components/schemas/DossierStatus' } },
        { name: 'procedure', in: 'query', schema: { type: 'string' } }, { name: 'unit', in: 'query', schema: { type: 'string' } },
        { name: 'overdue', in: 'query', schema: { type: 'boolean' } }, ...page], responses: { 200: ok('a page of dossiers') } },
    },
    '/api/dossiers/{code}': { get: { summary: 'One dossier with its tasks, fees (with payment links), receipts, hops (form 05) and full history', security: bearer,
      parameters: [path('code')], responses: { 200: ok('the dossier'), 403: error, 404: error } } },
    '/api/dossiers/{code}/supplement': { post: { summary: 'The applicant supplements the requested documents (applicant token)',
      parameters: [path('code'), idempotencyKey],
      requestBody: uploads({ type: 'object', properties: { documents: { type: 'array' }, note: { type: 'string', maxLength: 2000 } } }),
      responses: { 200: ok('the dossier resumes'), 403: error, 409: error, 422: error } } },
    '/api/dossiers/{code}/withdraw': { post: { summary: 'The applicant withdraws the dossier: status 7 (applicant token)',
      parameters: [path('code'), idempotencyKey],
      requestBody: json({ type: 'object', required: ['reason'], properties: { reason: { type: 'string', minLength: 1, maxLength: 2000 } } }),
      responses: { 200: ok('withdrawn'), 403: error, 409: error } } },
    '/api/dossiers/{code}/payments/{feeCode}/confirm': { post: { summary: 'A one-stop officer records a counter payment', security: bearer,
      parameters: [path('code'), path('feeCode'), idempotencyKey], requestBody: json({ type: 'object', properties: { receiptNo: { type: 'string' } } }),
      responses: { 200: ok('paid; the dossier goes on'), 403: error, 404: error, 409: error } } },
    '/api/dossiers/{code}/stop': { post: { summary: 'A leader stops processing: status 8', security: bearer,
      parameters: [path('code'), idempotencyKey],
      requestBody: json({ type: 'object', required: ['reason'], properties: { reason: { type: 'string', minLength: 1, maxLength: 2000 } } }),
      responses: { 200: ok('stopped'), 403: error, 409: error } } },
    '/api/tasks': { get: { summary: "The caller's inbox", security: bearer, parameters: [
      { name: 'state', in: 'query', schema: { enum: ['open', 'claimed', 'completed', 'cancelled'] } },
      { name: 'procedure', in: 'query', schema: { type: 'string' } },
      { name: 'dossier', in: 'query', description: 'only the tasks of this dossier code', schema: { type: 'string' } },
      { name: 'dueBefore', in: 'query', description: 'an ISO-8601 instant with its offset', schema: { type: 'string', format: 'date-time' } }, ...page],
      responses: { 200: ok('a page of tasks') } } },
    '/api/tasks/{id}': { get: { summary: 'One task', security: bearer, parameters: [uuid('id')], responses: { 200: ok('task'), 403: error, 404: error } } },
    '/api/tasks/{id}/claim': { post: { summary: 'Claim a task', security: bearer, parameters: [uuid('id')], responses: { 200: ok('claimed'), 409: error } } },
    '/api/tasks/{id}/release': { post: { summary: 'Release a claimed task', security: bearer, parameters: [uuid('id')],
      responses: { 200: ok('released'), 409: error } } },
    '/api/agencies': {
      get: { summary: 'The org registry: agencies with their units', security: bearer, responses: { 200: ok('agencies') } },
      post: { summary: 'Add an agency (ops)', security: bearer, requestBody: json({ type: 'object', required: ['code', 'name', 'nationalCode'] }),
        responses: { 201: ok('added'), 403: error, 422: error } },
    },
    '/api/agencies/{code}/units': { post: { summary: 'Add a unit (ops)', security: bearer, parameters: [path('code')],
      requestBody: json({ type: 'object', required: ['code', 'name', 'slug'] }), responses: { 201: ok('added'), 403: error, 422: error } } },
    '/api/agencies/{code}': { put: { summary: 'Change an agency (ops)', security: bearer, parameters: [path('code')],
      requestBody: json({ type: 'object', required: ['code', 'name', 'nationalCode'] }), responses: { 200: ok('changed'), 403: error, 404: error, 422: error } } },
    '/api/agencies/{code}/units/{unit}': { put: { summary: 'Change a unit (ops)', security: bearer, parameters: [path('code'), path('unit')],
      requestBody: json({ type: 'object', required: ['code', 'name', 'slug'] }), responses: { 200: ok('changed'), 403: error, 404: error, 422: error } } },
    '/api/roles': { get: { summary: 'Roles', security: bearer, responses: { 200: ok('roles') } } },
    '/api/accounts': {
      get: { summary: "Accounts (a unit admin: their unit's; ops: all)", security: bearer, parameters: [
        { name: 'agency', in: 'query', description: 'ops: only this agency', schema: { type: 'string' } },
        { name: 'unit', in: 'query', description: 'ops: only this unit', schema: { type: 'string' } }], responses: { 200: ok('accounts') } },
      post: { summary: 'Create an account tencanhan.tendonvi in your unit', security: bearer,
        requestBody: json({ type: 'object', required: ['username', 'fullName', 'password', 'roles'] }),
        responses: { 201: ok('created'), 403: error, 409: error, 422: error } },
    },
    '/api/accounts/{username}': { get: { summary: 'One account (its unit admin, or ops)', security: bearer, parameters: [path('username')],
      responses: { 200: ok('the account'), 403: error, 404: error } } },
    '/api/accounts/{username}/disable': { post: { summary: 'Disable an account; its tokens stop working at once', security: bearer,
      parameters: [path('username')], responses: { 200: ok('disabled'), 403: error } } },
    '/api/accounts/{username}/enable': { post: { summary: 'Enable an account', security: bearer, parameters: [path('username')], responses: { 200: ok('enabled'), 403: error } } },
    '/api/accounts/{username}/roles': { put: { summary: "Replace an account's roles", security: bearer, parameters: [path('username')],
      requestBody: json({ type: 'object', required: ['roles'] }), responses: { 200: ok('roles set'), 403: error, 422: error } } },
    '/api/accounts/{username}/password': { post: { summary: 'Reset a password', security: bearer, parameters: [path('username')],
      requestBody: json({ type: 'object', required: ['password'] }), responses: { 200: ok('reset'), 403: error, 422: error } } },
    '/api/calendar/{year}': {
      get: { summary: "The year's holidays and working Saturdays (pre-filled until an admin saves it)",
        parameters: [year], responses: { 200: ok('the holiday table') } },
      put: { summary: "Replace the year's table (ops)", security: bearer, parameters: [year],
        requestBody: json({ type: 'object', required: ['daysOff', 'workingDays'], properties: {
          daysOff: { type: 'array', items: { type: 'object', properties: { date: { type: 'string', format: 'date' }, name: { type: 'string' } } } },
          workingDays: { type: 'array', items: { type: 'object', properties: { date: { type: 'string', format: 'date' }, name: { type: 'string' } } } } } }),
        responses: { 200: ok('saved'), 403: error, 422: error } },
    },
    '/api/calendar/agencies/{agency}': {
      get: { summary: "An agency's office sessions, working weekdays and zone (the province default until set)", security: bearer,
        parameters: [path('agency')], responses: { 200: ok('office hours'), 404: error } },
      put: { summary: "Set an agency's office hours (ops); its new deadlines follow them", security: bearer, parameters: [path('agency')],
        requestBody: json({ type: 'object', required: ['zone', 'sessions', 'weekdays'] }), responses: { 200: ok('saved'), 403: error, 404: error, 422: error } },
    },
    '/api/tasks/{id}/assign': { post: { summary: "A leader of the task's unit assigns it to one of the unit's officers", security: bearer,
      parameters: [uuid('id')], requestBody: json({ type: 'object', required: ['username'], properties: { username: { type: 'string' } } }),
      responses: { 200: ok('assigned (claimed for that officer)'), 403: error, 409: error, 422: error } } },
    '/api/tasks/{id}/complete': { post: {
      summary: 'Complete a task; answers after the workflow accepted it, with the dossier\'s new status', security: bearer,
      parameters: [uuid('id'), idempotencyKey], requestBody: json({ $ref: '#/components/schemas/CompleteTask' }),
      responses: { 200: ok('the dossier after the completion'), 403: error, 409: error, 422: error } } },
    ...reportPaths,
    ...paymentAndHandoffPaths,
    ...deliveryPaths,
    ...documentPaths,
    ...formsPaths,
    ...opsPaths,
  }),
};
