/** The OpenAPI paths and schemas of the reports and /metrics (merged into api/openapi.ts). */
const error = { $ref: '#/components/responses/Error' };
const bearer = [{ bearer: [] }];
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const csv = { 'text/csv': { schema: { type: 'string', description: 'UTF-8 with a byte order mark, a header row, CRLF line ends' } } };

const bound = (name: 'from' | 'to', description: string) => ({ name, in: 'query', required: true, description,
  schema: { type: 'string', examples: [name === 'from' ? '2026-03-01' : '2026-04-01'] } });
const agency = { name: 'agency', in: 'query', description: 'only this agency (code in the org registry)', schema: { type: 'string' } };
const format = { name: 'format', in: 'query', description: 'csv for a spreadsheet (or send Accept: text/csv)', schema: { enum: ['json', 'csv'] } };
const period = [
  bound('from', 'start of the period, inclusive: YYYY-MM-DD (00:00 Asia/Ho_Chi_Minh) or an ISO-8601 instant'),
  bound('to', 'end of the period, exclusive: YYYY-MM-DD (00:00 Asia/Ho_Chi_Minh) or an ISO-8601 instant'),
];
const month = (required: boolean) => ({ name: 'month', in: 'query', required, schema: { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])$' } });
const count = { type: 'integer', minimum: 0 };
const percent = { type: ['number', 'null'], description: 'percent, two decimals; null when the denominator is 0' };

export const reportSchemas = {
  PunctualityFigures: {
    type: 'object', description: 'definitions: docs/reports.md',
    properties: {
      received: { ...count, description: 'tiếp nhận mới: accepted (tasks: opened) in the period' },
      carriedOver: { ...count, description: 'kỳ trước chuyển sang: accepted before the period, not finished when it began' },
      done: { type: 'object', description: 'đã giải quyết (status 9/10)', properties: { total: count, early: count, onTime: count, late: count } },
      inProgress: { type: 'object', description: 'đang giải quyết at the end of the period',
        properties: { total: count, late: count, dueSoon: count, notDue: count, paused: count } },
      excluded: { type: 'object', description: 'ended without a result (dossiers only)', properties: { refused: count, withdrawn: count, stopped: count } },
      stepOverdue: { ...count, description: 'step-overdue events in the period' },
      onTimeRate: { ...percent, description: '(early + on time) / done, percent' },
    },
  },
  PunctualityRow: { allOf: [ref('PunctualityFigures'), { type: 'object', properties: {
    agency: { type: 'string' }, agencyName: { type: ['string', 'null'] }, unit: { type: 'string' }, unitName: { type: ['string', 'null'] },
    officer: { type: 'string' }, officerName: { type: ['string', 'null'] } } }] },
  LateList: { type: 'object', properties: {
    month: { type: 'string' }, from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' },
    agencies: { type: 'array', items: ref('PunctualityRow') }, units: { type: 'array', items: ref('PunctualityRow') },
    officers: { type: 'array', items: ref('PunctualityRow') }, producedBy: { type: 'string' }, producedAt: { type: 'string', format: 'date-time' } } },
};

export const reportPaths = {
  '/api/reports/punctuality': { get: {
    summary: 'Punctuality per agency (dossiers), unit or officer (tasks) for a period', security: bearer,
    parameters: [...period, { name: 'groupBy', in: 'query', schema: { enum: ['agency', 'unit', 'officer'], default: 'agency' } }, agency,
      { name: 'dueSoonHours', in: 'query', description: 'working hours before the due time that count as due soon', schema: { type: 'number', default: 8 } },
      format],
    responses: {
      200: { description: 'one row per group and the total', content: {
        'application/json': { schema: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' }, groupBy: { type: 'string' },
          agency: { type: ['string', 'null'] }, dueSoonHours: { type: 'number' }, rows: { type: 'array', items: ref('PunctualityRow') },
          total: ref('PunctualityFigures') } } },
        ...csv } },
      400: error, 401: error, 404: error,
    },
  } },
  '/api/reports/indicators': { get: {
    summary: 'QĐ 766 indicators per agency: on-time, online, digitization and online payment rates', security: bearer,
    parameters: [...period, agency, format],
    responses: { 200: { description: 'one row per agency', content: { 'application/json': { schema: { type: 'object' } }, ...csv } },
      400: error, 401: error, 404: error },
  } },
  '/api/reports/late': {
    get: { summary: 'The kept monthly public list of late agencies, units and officers (no sign-in)', parameters: [month(true)],
      responses: { 200: { description: 'the list', content: { 'application/json': { schema: ref('LateList') } } }, 400: error,
        404: { ...error, description: 'not produced yet' } } },
    post: { summary: 'Produce (or produce again) the month\'s list now, through the monthly workflow (ops)', security: bearer,
      parameters: [month(true)], responses: { 200: { description: 'the list', content: { 'application/json': { schema: ref('LateList') } } },
        400: error, 403: error } },
  },
  '/metrics': { get: {
    summary: 'Prometheus metrics: onestop_dossiers, onestop_tasks_open, onestop_tasks_overdue, onestop_task_completion_seconds, onestop_activity_failures_total',
    responses: { 200: { description: 'the text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } },
  } },
};
