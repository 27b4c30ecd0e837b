/** The OpenAPI description of the forms and the public lookup, merged into the API's document (api/openapi.ts). */
const error = { $ref: '#/components/responses/Error' };
const bearer = [{ bearer: [] }];
const path = (name: string, description?: string) => ({ name, in: 'path', required: true, schema: { type: 'string' }, description });
const date = (name: string, description: string) => ({ name, in: 'query', required: true, schema: { type: 'string', format: 'date' }, description });
const format = { name: 'format', in: 'query', required: false, schema: { enum: ['html', 'pdf', 'json'] },
  description: 'instead of the Accept header: html (default), pdf, or json (the filled fields)' };
const formContent = (description: string) => ({
  description,
  content: {
    'text/html': { schema: { type: 'string' } },
    'application/pdf': { schema: { type: 'string', format: 'binary' } },
    'application/json': { schema: { type: 'object', description: 'the form\'s fields, as the template fills them' } },
  },
});

export const formsSchemas = {
  PublicDossier: {
    type: 'object', additionalProperties: false, required: ['code', 'qr', 'receivingAgency', 'status', 'statusLabel'],
    description: 'What anyone may see of a dossier (DOMAIN.md). A dossier never accepted (status 1, refused, or withdrawn before ' +
      'acceptance) shows only code, qr, receivingAgency, status and statusLabel.',
    properties: {
      code: { type: 'string', example: '000.31.31.H01-261123-0001' },
      qr: { type: 'string', description: 'PNG data URL; the QR links to the public lookup page' },
      receivingAgency: { type: 'string' },
      status: { $ref: '#/components/schemas/DossierStatus' },
      statusLabel: { type: 'string', example: 'Đang xử lý' },
      departments: { type: 'array', items: { type: 'string' }, description: 'units and partner agencies that handled it, in order' },
      organization: { type: ['string', 'null'] },
      applicantName: { type: 'string' },
      receivedAt: { type: 'string', format: 'date-time' },
      appointmentAt: { type: ['string', 'null'], format: 'date-time' },
    },
  },
};

export const formsPaths = {
  '/api/dossiers/{code}/forms/{form}': { get: {
    summary: 'A dossier\'s official form, filled (Vietnamese, with QR code): HTML, or PDF with Accept: application/pdf',
    description: 'Forms: receipt (Mẫu 01), supplement-request (02), refusal (03), apology (04), control-slip (05). Officers of the ' +
      'dossier\'s agency, or the applicant with the dossier\'s token. A form that does not apply to the dossier (e.g. the refusal of an ' +
      'accepted dossier) is 409 FormNotApplicableError.',
    security: bearer,
    parameters: [path('code'), { ...path('form'), schema: { enum: ['receipt', 'supplement-request', 'refusal', 'apology', 'control-slip'] } },
      { name: 'n', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000 },
        description: 'supplement-request: which request (default the latest)' },
      format],
    responses: { 200: formContent('the filled form'), 401: error, 403: error, 404: error, 409: error },
  } },
  '/api/forms/register': { get: {
    summary: 'Mẫu 06, the register of dossiers (Sổ theo dõi hồ sơ) an agency received in a period (officers of the agency)',
    security: bearer,
    parameters: [{ name: 'agency', in: 'query', required: false, schema: { type: 'string' }, description: 'default: the officer\'s agency' },
      date('from', 'first reception day (local), inclusive'), date('to', 'last reception day (local), inclusive; at most a year after from'), format],
    responses: { 200: formContent('the register'), 400: error, 401: error, 403: error },
  } },
  '/api/public/dossiers/{code}': { get: {
    summary: 'Public lookup by dossier code (no sign-in; rate limited per address)',
    description: 'Unknown and malformed codes give the same 404 answer.',
    parameters: [path('code')],
    responses: { 200: { description: 'the public fields', content: { 'application/json': { schema: { $ref: '#/components/schemas/PublicDossier' } } } },
      404: error, 429: error },
  } },
  '/tra-cuu': { get: {
    summary: 'The public lookup page (HTML, Vietnamese)',
    parameters: [{ name: 'code', in: 'query', required: false, schema: { type: 'string' } }],
    responses: { 200: { description: 'the page', content: { 'text/html': { schema: { type: 'string' } } } },
      404: { description: 'the page, saying no dossier has this code' }, 429: { description: 'too many lookups' } },
  } },
};
