/**
 * The input boundary's pieces (decoding, character and depth checks, parameters from the OpenAPI
 * document, body limits) and the error handler's mapping, on a small app over real HTTP.
 */
import express from 'express';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { decodeComponent, inputBoundary, jsonTextProblems, nestsDeeperThan, operationsOf, textProblem } from '../../api/boundary';
import { BadRequestError, errorHandler } from '../../api/errors';
import { openApiDocument } from '../../api/openapi';
import { Validator } from '../../api/validation';
import { rawClient, type RawClient } from '../support/raw-http';

describe('decodeComponent', () => {
  test('decodes UTF-8, and bytes that came unencoded', () => {
    expect(decodeComponent('Nguy%E1%BB%85n', 'path')).toBe('Nguyễn');
    expect(decodeComponent('Nguy\u00e1\u00bb\u0085n', 'path')).toBe('Nguyễn');
    expect(decodeComponent('a+b%2Bc', 'query.q', true)).toBe('a b+c');
    expect(decodeComponent('a+b', 'path')).toBe('a+b');
  });

  test.each(['%zz', '%', 'abc%4', '%E0%A4%A', '%C0%80', '%ED%A0%80', '%FF', '\u00c0\u0080'])('refuses %s with 400', (raw) => {
    expect(() => decodeComponent(raw, 'path')).toThrow(BadRequestError);
  });
});

describe('textProblem', () => {
  test('tab, line feed, carriage return and surrogate pairs pass', () => {
    expect(textProblem('Rút hồ sơ\tvì\r\nlý do 😀')).toBeUndefined();
  });
  test.each([['\u0000', 'U+0000'], ['a\u0001', 'U+0001'], ['\u001f', 'U+001F'], ['\u000b', 'U+000B'], ['x\ud800', 'U+D800'],
    ['\udc00x', 'U+DC00'], ['\ud83d\ud83d\ude00', 'U+D83D']])('%j is refused, naming %s', (text, code) => {
    expect(textProblem(text)).toContain(code);
  });
});

test('nestsDeeperThan counts arrays and objects, not brackets inside strings', () => {
  expect(nestsDeeperThan('{"a":[[1]]}', 3)).toBe(false);
  expect(nestsDeeperThan('{"a":[[[1]]]}', 3)).toBe(true);
  expect(nestsDeeperThan('{"a":"[[[[[[\\"[[[["}', 1)).toBe(false);
  expect(nestsDeeperThan(`${'['.repeat(100_000)}${']'.repeat(100_000)}`, 32)).toBe(true);
});

test('jsonTextProblems names the JSONPath of each bad string and key', () => {
  expect(jsonTextProblems({ reason: 'a\u0000', list: ['ok', { 'tên riêng': 'b\ud800' }], 'k\u0002': 1, fine: 'ok' })).toEqual([
    { path: '$.reason', message: expect.stringContaining('U+0000') },
    { path: '$.list[1]["tên riêng"]', message: expect.stringContaining('U+D800') },
    { path: '$', message: expect.stringContaining('has a key that contains the control character U+0002') },
  ]);
  expect(jsonTextProblems(Array.from({ length: 50 }, () => '\u0000'))).toHaveLength(20);
});

describe('the boundary and the error handler, on a small app', () => {
  let server: Server;
  let raw: RawClient;
  const logged: Record<string, any>[] = [];
  const document = {
    paths: {
      '/things/{id}': { get: { parameters: [{ name: 'id', in: 'path', schema: { type: 'string', format: 'uuid' } }], responses: {} } },
      '/things/latest': { get: { responses: {} } },
      '/versions/{version}': { get: { parameters: [{ name: 'version', in: 'path', schema: { type: 'integer', minimum: 1 } }], responses: {} } },
      '/list': { get: { parameters: [{ name: 'page', in: 'query', schema: { type: 'integer', minimum: 1 } },
        { name: 'since', in: 'query', schema: { type: 'string', format: 'date-time' } },
        { name: 'kind', in: 'query', required: true, schema: { enum: ['a', 'b'] } }], responses: {} } },
      '/echo': { post: { requestBody: { 'x-max-body-bytes': 100 }, responses: {} } },
      '/fail/{kind}': { post: { responses: {} } },
    },
  };

  beforeAll(async () => {
    const sink = new Writable({ write(chunk, _enc, done) { logged.push(JSON.parse(String(chunk))); done(); } });
    const app = express();
    app.use(inputBoundary({ validator: new Validator(), document }));
    app.get('/things/latest', (_req, res) => { res.json({ latest: true }); });
    app.get('/things/:id', (req, res) => { res.json({ id: req.params.id }); });
    app.get('/versions/:version', (req, res) => { res.json({ version: req.params.version }); });
    app.get('/list', (req, res) => { res.json({ query: req.query }); });
    app.get('/free/:anything', (req, res) => { res.json({ anything: req.params.anything, query: req.query }); });
    app.post('/echo', (req, res) => { res.json({ body: req.body ?? null, raw: req.rawBody?.toString('utf8') ?? null }); });
    app.post('/fail/:kind', (req) => {
      const errors: Record<string, Error> = {
        bug: new TypeError('cannot read properties of undefined'),
        database: Object.assign(new Error('invalid input syntax for type integer'), { code: '22P02', severity: 'ERROR' }),
        charset: Object.assign(new Error('unsupported charset "LATIN1"'), { status: 415, type: 'charset.unsupported', expose: true }),
        decode: Object.assign(new URIError("Failed to decode param '%zz'"), { status: 400 }),
        unavailable: Object.assign(new Error('upstream down'), { status: 503 }),
      };
      throw errors[req.params.kind];
    });
    app.use(errorHandler(pino({ level: 'warn' }, sink)));
    server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
    raw = rawClient(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
  });
  afterAll(async () => {
    raw.close();
    await new Promise((r) => server.close(r));
  });

  test('a path parameter is checked against the operation the router picks', async () => {
    expect((await raw.get('/things/latest')).body).toEqual({ latest: true });
    expect((await raw.get('/things/0b6f6c1e-3a57-4d7e-9d44-1c7f3f2b9a10')).status).toBe(200);
    const notUuid = await raw.get('/things/abcdef012345abcdef012345abcdef012345');
    expect(notUuid.status).toBe(404);
    expect(notUuid.body.error.message).toContain('must match format "uuid"');
    expect((await raw.get('/things/urn:uuid:0b6f6c1e-3a57-4d7e-9d44-1c7f3f2b9a10')).status).toBe(404);
    const version = await raw.get('/versions/2147483648');
    expect(version.status).toBe(400);
    expect(version.body.error.details).toEqual([{ path: 'path.version', message: expect.stringContaining('2147483647') }]);
    expect((await raw.get('/versions/1e3')).status).toBe(400);
  });

  test('query parameters: typed and ranged; which values and whether needed stay the route\'s to say', async () => {
    expect((await raw.get('/list?page=2&since=2026-12-01T08:00:00%2B07:00&kind=z')).body).toEqual({
      query: { page: '2', since: '2026-12-01T08:00:00+07:00', kind: 'z' } });
    expect((await raw.get('/list?page=')).status).toBe(200);
    for (const [query, where] of [['page=9223372036854775808', 'query.page'], ['page=0x10', 'query.page'], ['since=01', 'query.since'],
      ['since=-1', 'query.since'], ['since=0000-01-01T00:00:00Z', 'query.since'], ['since=2026-02-30T00:00:00Z', 'query.since']]) {
      const res = await raw.get(`/list?${query}`);
      expect({ query, status: res.status, details: res.body.error.details }).toEqual({ query, status: 400, details: [expect.objectContaining({ path: where })] });
    }
    const twice = await raw.get('/list?kind=a&kind=b');
    expect(twice.status).toBe(400);
    expect(twice.body.error.details).toEqual([{ path: 'query.kind', message: 'give it once' }]);
  });

  test('undocumented routes get the generic checks', async () => {
    expect((await raw.get('/free/Nguy%E1%BB%85n?x=a+b')).body).toEqual({ anything: 'Nguyễn', query: { x: 'a b' } });
    expect((await raw.get('/free/%zz')).status).toBe(400);
    const nul = await raw.get('/free/ok?x=%00');
    expect(nul.status).toBe(422);
    expect(nul.body.error.details).toEqual([{ path: 'query.x', message: expect.stringContaining('U+0000') }]);
    const controlName = await raw.get('/free/ok?%01=1');
    expect(controlName.body.error.details).toEqual([{ path: 'query', message: expect.stringContaining('U+0001') }]);
  });

  test('bodies: JSON in UTF-8 within the limit, raw bytes kept', async () => {
    expect((await raw.post('/echo', '{"a":"b"}', undefined, { 'content-type': 'application/json; charset=UTF-8' })).body)
      .toEqual({ body: { a: 'b' }, raw: '{"a":"b"}' });
    expect((await raw.send('POST', '/echo', { body: '{"a":1}', headers: { 'content-type': 'application/merge-patch+json' } })).body.body).toEqual({ a: 1 });
    expect((await raw.send('POST', '/echo')).body).toEqual({ body: null, raw: '' });
    const cases: [string, string | Buffer, Record<string, string>, number][] = [
      ['latin1', '{}', { 'content-type': 'application/json; charset=latin1' }, 415],
      ['utf-16', '{}', { 'content-type': 'application/json; charset="utf-16"' }, 415],
      ['form', 'a=b', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
      ['gzip?', '{}', { 'content-type': 'application/json', 'content-encoding': 'compress' }, 415],
      ['not UTF-8', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), {}, 400],
      ['not JSON', '{"a":', {}, 400],
      ['too deep', `${'['.repeat(33)}${']'.repeat(33)}`, {}, 400],
      ['too large', `"${'x'.repeat(200)}"`, {}, 413],
      ['NUL', '{"a":"\\u0000"}', {}, 422],
    ];
    for (const [what, body, headers, status] of cases) {
      expect({ what, status: (await raw.send('POST', '/echo', { body, headers })).status }).toEqual({ what, status });
    }
    expect((await raw.send('POST', '/echo', { body: `${'['.repeat(32)}${']'.repeat(32)}` })).status).toBe(200);
    expect((await raw.send('POST', '/echo', { body: `"${'x'.repeat(200)}"` })).body.error.message).toContain('100 bytes, the limit of POST /echo');
  });

  test('a 500 says it is our bug and gives the id it is logged under; no retry invited', async () => {
    const res = await raw.post('/fail/bug', '{}');
    expect(res.status).toBe(500);
    expect(res.body.error).toEqual({ code: 'InternalError', id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      message: `an unexpected error on our side (logged as ${res.body.error.id}); this is a bug, not a problem with your request` });
    expect(res.body.error.message).not.toMatch(/retr/i);
    expect(logged).toContainEqual(expect.objectContaining({ level: 50, errorId: res.body.error.id, msg: 'unhandled error' }));
  });

  test('errors that carry a 4xx status keep it; PostgreSQL data exceptions are 400, logged as a missing check', async () => {
    expect((await raw.post('/fail/charset', '{}')).body.error).toEqual({ code: 'UnsupportedMediaTypeError', message: 'unsupported charset "LATIN1"' });
    expect((await raw.post('/fail/decode', '{}')).status).toBe(400);
    expect((await raw.post('/fail/unavailable', '{}')).status).toBe(500);
    const database = await raw.post('/fail/database', '{}');
    expect(database.status).toBe(400);
    expect(database.body.error.message).not.toContain('syntax');
    expect(logged).toContainEqual(expect.objectContaining({ level: 40, msg: expect.stringContaining('input boundary should have refused') }));
  });
});

describe('the OpenAPI document as the boundary reads it', () => {
  const operations = Object.entries(openApiDocument.paths as Record<string, Record<string, any>>)
    .flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));
  const validator = new Validator();

  test('every parameter schema compiles, and every integer parameter has a bound within PostgreSQL\'s integer', () => {
    const unbounded: string[] = [];
    for (const op of operationsOf(openApiDocument)) {
      for (const spec of [...op.path.values(), ...op.query.values()]) {
        expect(() => validator.problems(spec.schema, 'x')).not.toThrow();
        if (spec.schema.type === 'integer' && !(spec.schema.maximum <= 2_147_483_647)) unbounded.push(`${op.method} ${op.template} ${spec.name}`);
      }
    }
    expect(unbounded).toEqual([]);
  });

  test('every operation describes the boundary\'s answers', () => {
    for (const { path, method, op } of operations) {
      const codes = Object.keys(op.responses);
      expect({ op: `${method} ${path}`, codes }).toEqual({ op: `${method} ${path}`, codes: expect.arrayContaining(['400', '422']) });
      if (['post', 'put'].includes(method)) expect(codes).toEqual(expect.arrayContaining(['413', '415']));
    }
  });

  test('ids the database keeps as UUIDs are documented as such', () => {
    const ids = operations.flatMap(({ path, op }) => (op.parameters ?? [])
      .filter((p: { in: string; name: string }) => p.in === 'path' && p.name === 'id' && /^\/api\/(tasks|handoffs|dossiers|applicants)\//.test(path))
      .map((p: { schema: { format?: string } }) => `${path}: ${p.schema.format}`));
    expect(ids.length).toBeGreaterThan(5);
    for (const id of ids) expect(id).toMatch(/: uuid$/);
  });
});
