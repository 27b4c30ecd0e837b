/** OpenAPI paths of fees (payment provider callbacks, payment page, reconciliation) and external handoffs. */
const error = { $ref: '#/components/responses/Error' };
const bearer = [{ bearer: [] }];
const path = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const ok = (description: string, schema: object = { type: 'object' }) => ({ description, ...json(schema) });
const signature = { name: 'X-Signature', in: 'header', required: true, schema: { type: 'string', pattern: '^sha256=[0-9a-f]{64}$' },
  description: '`sha256=` and the hex HMAC-SHA256 of the raw body under the shared key' };

const discrepancy = {
  type: 'object', properties: {
    kind: { enum: ['missing-here', 'missing-at-provider', 'amount-differs'],
      description: 'paid at the provider but not on our books; on our books but not on the statement; both, with other amounts' },
    reference: { type: ['string', 'null'] }, transactionId: { type: ['string', 'null'] }, dossierCode: { type: ['string', 'null'] },
    feeCode: { type: ['string', 'null'] }, ourAmount: { type: ['integer', 'null'] }, providerAmount: { type: ['integer', 'null'] },
  },
};

export const paymentAndHandoffPaths = {
  '/api/payments/callback': { post: {
    summary: 'The payment provider\'s signed notification that a fee was paid',
    description: 'Unsigned (401), tampered or wrongly signed (403) calls are refused and logged. The amount must be the amount requested (422). ' +
      'A transaction already recorded (a replay) is refused (409 `CallbackReplayedError`) with no second effect; another ' +
      'transaction for a fee already paid is refused (409 `AlreadyPaidError`). A paid fee gets a receipt and the dossier goes on.',
    parameters: [signature],
    requestBody: { ...json({ type: 'object', required: ['provider', 'reference', 'transactionId', 'amount', 'paidAt', 'status'], properties: {
      provider: { type: 'string', example: 'local' }, reference: { type: 'string' }, transactionId: { type: 'string' },
      amount: { type: 'integer', description: 'VND' }, paidAt: { type: 'string', format: 'date-time' }, status: { const: 'paid' } } }),
    'x-max-body-bytes': 64 * 1024 },
    responses: { 200: ok('recorded; the receipt is issued', { type: 'object', properties: {
      accepted: { type: 'boolean' }, dossierCode: { type: 'string' }, feeCode: { type: 'string' },
      amount: { type: 'integer' }, receiptNo: { type: 'string' }, transactionId: { type: 'string' } } }),
    400: error, 401: error, 403: error, 404: error, 409: error, 422: error },
  } },
  '/pay/{reference}': {
    get: { summary: 'The local payment provider\'s page (embedded default): the fee and a "Thanh toán" button', parameters: [path('reference')],
      responses: { 200: { description: 'HTML page', content: { 'text/html': {} } }, 404: error } },
    post: { summary: 'Pay on the local provider: it books the payment and sends its signed callback to the platform', parameters: [path('reference')],
      responses: { 200: { description: 'HTML page: paid', content: { 'text/html': {} } }, 404: error } },
  },
  '/api/reconciliation': { get: {
    summary: 'The day\'s payment reconciliation report (ops, leaders)',
    description: 'Made each day for the day before by a Temporal Schedule; made now when the day has no report yet or is not over ' +
      '(`final: false`), or with `refresh=true`.',
    security: bearer,
    parameters: [{ name: 'date', in: 'query', schema: { type: 'string', format: 'date' }, description: 'YYYY-MM-DD (Asia/Ho_Chi_Minh); default yesterday' },
      { name: 'refresh', in: 'query', schema: { type: 'boolean' } }],
    responses: { 200: ok('the report', { type: 'object', properties: {
      date: { type: 'string', format: 'date' }, provider: { type: 'string' }, final: { type: 'boolean' }, generatedAt: { type: 'string', format: 'date-time' },
      ours: { type: 'object', properties: { count: { type: 'integer' }, total: { type: 'integer' } } },
      theirs: { type: 'object', properties: { count: { type: 'integer' }, total: { type: 'integer' } } },
      balanced: { type: 'boolean' }, discrepancies: { type: 'array', items: discrepancy } } }),
    400: error, 401: error, 403: error },
  } },
  '/api/handoffs/{id}/result': { post: {
    summary: 'An external partner agency\'s signed answer to a handoff',
    description: 'Signed with the partner\'s key (PARTNER_SECRETS, else HANDOFF_SECRET); unsigned (401) and tampered (403) answers are refused and ' +
      'logged. `refused` needs its reasons. Accepted answers go to the dossier\'s workflow (202); a handoff already answered or timed out answers 409.',
    parameters: [{ ...path('id'), schema: { type: 'string', format: 'uuid' } }, signature],
    requestBody: json({ type: 'object', required: ['outcome'], properties: {
      outcome: { enum: ['done', 'refused'] }, reason: { type: 'string' }, data: { type: 'object' },
      receivedBy: { type: 'string', description: 'who at the partner took the dossier in' }, receivedAt: { type: 'string', format: 'date-time' },
      answeredBy: { type: 'string' } } }),
    responses: { 202: ok('delivered to the dossier'), 400: error, 401: error, 403: error, 404: error, 409: error, 422: error },
  } },
};
