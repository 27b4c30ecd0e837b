/** OpenAPI paths of ops' repair of dossiers whose step failed for good. */
const error = { $ref: '#/components/responses/Error' };
const bearer = [{ bearer: [] }];
const json = (schema: object) => ({ content: { 'application/json': { schema } } });

export const attentionSchema = {
  type: ['object', 'null'],
  description: 'set while a step has failed for good (retries exhausted, or an error no retry cures); the dossier waits for ops',
  properties: {
    activity: { type: 'string' }, type: { type: 'string', example: 'DataError' }, message: { type: 'string' },
    steps: { type: 'array', items: { type: 'string' } }, since: { type: 'string', format: 'date-time' },
  },
};

export const opsPaths = {
  '/api/ops/attention': { get: {
    summary: 'Dossiers whose step failed for good and wait for ops (the `NeedsAttention = true` search attribute in the Temporal UI)',
    security: bearer,
    responses: { 200: { description: 'the dossiers, oldest failure first', ...json({ type: 'object', properties: { items: { type: 'array',
      items: { type: 'object', properties: { code: { type: 'string' }, procedureCode: { type: 'string' }, agency: { type: 'string' },
        status: { type: 'integer' }, attention: attentionSchema, since: { type: 'string', format: 'date-time' } } } } } }) },
    401: error, 403: error },
  } },
  '/api/ops/recovery': { post: {
    summary: 'Runs the recovery sweep now (it runs every half minute): starts the run of a dossier registered without one, ' +
      'tells a dossier still waiting for a fee recorded as paid',
    security: bearer,
    responses: { 200: { description: 'what the pass did', ...json({ type: 'object', properties: {
      started: { type: 'integer' }, paymentsResent: { type: 'integer' } } }) }, 401: error, 403: error },
  } },
  '/api/dossiers/{code}/repair': { post: {
    summary: 'Retries the step that failed for good, once its cause is fixed (ops)',
    description: 'The same as sending the signal `repairDossier` in the Temporal UI. To give up instead, cancel the run in the ' +
      'Temporal UI: the dossier stops (status 8) and its open tasks, payments and partner hops are closed.',
    security: bearer,
    parameters: [{ name: 'code', in: 'path', required: true, schema: { type: 'string' } }],
    requestBody: json({ type: 'object', additionalProperties: false, properties: { note: { type: 'string', maxLength: 2000 } } }),
    responses: { 202: { description: 'the dossier tries the step again', ...json({ type: 'object' }) }, 401: error, 403: error, 404: error,
      409: error },
  } },
};
