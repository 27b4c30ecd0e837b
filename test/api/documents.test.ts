/**
 * Digitization over real HTTP, PostgreSQL and Temporal: documents kept in the file store with their
 * SHA-256, size and detected media type; wrong types and oversize files refused naming the document;
 * the applicant's electronic data store, and a document in it reused instead of being asked for again.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createDocumentActivities } from '../../activities/documents';
import { startTestEnv, testDocuments, type TestEnv } from '../support/env';
import { birthRegistration } from '../support/factories';
import { keepHistory } from '../support/histories';
import { httpClient, type HttpClient } from '../support/http';
import { download, pdf, png, publishDocumentsProcedure, upload } from '../support/documents';
import { completeTask, eventually, loginDemo } from '../support/tasks';

let env: TestEnv;
let http: HttpClient;
let lan: string;
let binh: string;

const CODE = '9.900201';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  env = await startTestEnv();
  await publishDocumentsProcedure(env.db, CODE);
  http = httpClient(env.apiUrl);
  [lan, binh] = await loginDemo(http, 'lan.motcua-mybinh', 'binh.tuphap-mybinh');
});
afterAll(() => env?.stop());

const submission = (overrides: Record<string, unknown> = {}) => birthRegistration({ procedureCode: CODE, application: {}, ...overrides });
const digitizedEvent = async (code: string) => eventually(async () => {
  const view = await http.get(`/api/dossiers/${code}`, lan);
  return view.body.history.find((e: { type: string }) => e.type === 'digitized');
}, `the digitization of ${code}`);

test('a wrong media type, a mismatched name or an oversize file is refused with a 422 naming each document and problem', async () => {
  const applicant = birthRegistration().applicant;
  const res = await http.post('/api/dossiers', submission({ applicant, documents: [
    upload('TO-KHAI', 'to-khai.pdf', pdf('tờ khai'), 'application/pdf'),
    upload('GIAY-TO', 'cccd.pdf', png(), 'application/pdf'),
    upload('UY-QUYEN', 'uy-quyen.pdf', pdf('x'.repeat(300 * 1024))),
    upload('GIAY-TO', 'ghi-chu.txt', Buffer.from('chỉ là văn bản')),
  ] }));
  expect(res.status).toBe(422);
  expect(res.body.error.code).toBe('ValidationError');
  const problems = Object.fromEntries(res.body.error.details.map((d: { path: string; message: string }) => [d.path, d.message]));
  expect(Object.keys(problems).sort()).toEqual(['$.documents[1].fileName', '$.documents[1].mediaType', '$.documents[2].contentBase64',
    '$.documents[3].contentBase64']);
  expect(problems['$.documents[1].mediaType']).toBe('cccd.pdf: says application/pdf but the content is image/png');
  expect(problems['$.documents[1].fileName']).toMatch(/ends in \.pdf but the content is image\/png/);
  expect(problems['$.documents[2].contentBase64']).toMatch(/^uy-quyen\.pdf: is 300 KB \(307\d+ bytes\); the limit is 256 KB$/);
  expect(problems['$.documents[3].contentBase64']).toMatch(/cannot be recognised; accepted: application\/pdf, image\/jpeg/);
  expect(await env.db('dossiers').whereRaw("applicant->>'idNumber' = ?", [applicant.idNumber]).count({ n: '*' })).toEqual([{ n: '0' }]);
});

test('a supplement is checked the same way', async () => {
  const { body } = await http.post('/api/dossiers', submission({ documents: [upload('TO-KHAI', 'to-khai.pdf', pdf('tk'))] }));
  await completeTask(http, lan, body.code, 'receive', { outcome: 'accept', comment: 'ok' });
  await completeTask(http, binh, body.code, 'review', { outcome: 'missing', comment: 'Thiếu giấy tờ tùy thân' });
  const bad = await http.post(`/api/dossiers/${body.code}/supplement`, { documents: [upload('GIAY-TO', 'cccd.jpg', png())] }, body.applicantToken);
  expect(bad.status).toBe(422);
  expect(bad.body.error.details).toEqual([{ path: '$.documents[0].fileName', message: 'cccd.jpg: ends in .jpg but the content is image/png (.png)' }]);
  const good = await http.post(`/api/dossiers/${body.code}/supplement`, { documents: [upload('GIAY-TO', 'cccd.png', png(), 'image/png')] },
    body.applicantToken);
  expect(good.status).toBe(200);
  expect(good.body.status).toBe(4);
  const view = await http.get(`/api/dossiers/${body.code}`, lan);
  expect(view.body.documents.map((d: { code: string; mediaType: string }) => [d.code, d.mediaType]))
    .toEqual([['TO-KHAI', 'application/pdf'], ['GIAY-TO', 'image/png']]);
});

test('documents are stored in the file store, digitized with officer, metadata and code, and put in the applicant\'s data store', async () => {
  const toKhai = pdf(`tờ khai ${Math.random()}`);
  const giayTo = pdf(`căn cước ${Math.random()}`);
  const { body } = await http.post('/api/dossiers', submission({ documents: [upload('TO-KHAI', 'to-khai.pdf', toKhai),
    upload('GIAY-TO', 'cccd.pdf', giayTo, 'application/pdf')] }));
  const { code, applicantToken } = body;
  await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'ok' });
  const event = await digitizedEvent(code);
  expect(event).toMatchObject({ actor: 'lan.motcua-mybinh', data: { digitized: ['TO-KHAI', 'GIAY-TO'], missing: [], reused: [] } });

  const view = (await http.get(`/api/dossiers/${code}`, lan)).body;
  const idNumber = view.applicant.idNumber;
  expect(view.documents).toEqual([
    expect.objectContaining({ code: 'TO-KHAI', fileName: 'to-khai.pdf', mediaType: 'application/pdf', size: toKhai.length, sha256: sha(toKhai),
      reused: false, digitizationCode: `${code}-TP01`, digitizationResult: 'uploaded', digitizedBy: 'lan.motcua-mybinh',
      metadata: expect.objectContaining({ documentType: 'TO-KHAI', documentName: 'Tờ khai', ownerId: idNumber, digitizedBy: 'lan.motcua-mybinh' }) }),
    expect.objectContaining({ code: 'GIAY-TO', sha256: sha(giayTo), digitizationCode: `${code}-TP02`, digitizationResult: 'uploaded' }),
  ]);
  const rows = await env.db('dossier_documents').where({ dossier_code: code });
  expect(rows.every((r) => r.content === null && r.storage_key === r.sha256)).toBe(true);
  expect(existsSync(join(process.env.TEST_RUN_DIR!, 'documents', sha(toKhai).slice(0, 2), sha(toKhai).slice(2, 4), sha(toKhai)))).toBe(true);

  const file = await download(env.apiUrl, `/api/dossiers/${code}/documents/${view.documents[0].id}/content`, applicantToken);
  expect(file).toMatchObject({ status: 200, type: 'application/pdf' });
  expect(file.bytes.equals(toKhai)).toBe(true);
  const other = await http.post('/api/dossiers', submission());
  expect((await download(env.apiUrl, `/api/dossiers/${code}/documents/${view.documents[0].id}/content`, other.body.applicantToken)).status).toBe(403);

  const store = await http.get('/api/applicants/me/documents', applicantToken);
  expect(store.status).toBe(200);
  expect(store.body.applicant).toBe(idNumber);
  expect(store.body.items.map((d: { documentCode: string; sha256: string; source: string }) => [d.documentCode, d.sha256, d.source]).sort())
    .toEqual([['GIAY-TO', sha(giayTo), 'dossier'], ['TO-KHAI', sha(toKhai), 'dossier']].sort());
  // an identity number is only a claim until an officer has accepted the dossier at reception
  const unchecked = await http.get('/api/applicants/me/documents', other.body.applicantToken);
  expect(unchecked.status).toBe(403);
  expect(unchecked.body.error.message).toMatch(/accepted at reception/);
  expect((await http.get(`/api/applicants/${idNumber}/documents`, lan)).body.items).toHaveLength(2);
  expect((await http.get(`/api/applicants/${idNumber}/documents`, binh)).status).toBe(403);
  expect((await http.get(`/api/applicants/${idNumber}/documents`, other.body.applicantToken)).status).toBe(403);
  const stored = store.body.items.find((d: { documentCode: string }) => d.documentCode === 'GIAY-TO');
  const fromStore = await download(env.apiUrl, `/api/applicants/me/documents/${stored.id}/content`, applicantToken);
  expect(fromStore.bytes.equals(giayTo)).toBe(true);
});

test('a document in the applicant\'s data store is reused: not uploaded, not asked for again', async () => {
  const toKhai = pdf(`tờ khai ${Math.random()}`);
  const giayTo = pdf(`căn cước ${Math.random()}`);
  const first = await http.post('/api/dossiers', submission({ documents: [upload('TO-KHAI', 'to-khai.pdf', toKhai), upload('GIAY-TO', 'cccd.pdf', giayTo)] }));
  const applicant = (await env.db('dossiers').where({ code: first.body.code }).first()).applicant;
  await completeTask(http, lan, first.body.code, 'receive', { outcome: 'accept', comment: 'ok' });
  await digitizedEvent(first.body.code);

  // the applicant proves who they are with the token of their earlier dossier, and gives only one document by reference
  const second = await http.post('/api/dossiers', submission({ applicant, documents: [{ code: 'TO-KHAI', reuse: true }] }),
    first.body.applicantToken);
  expect(second.status).toBe(201);
  const { code } = second.body;
  await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'ok' });
  const event = await digitizedEvent(code);
  expect(event.data).toEqual({ digitized: ['TO-KHAI', 'GIAY-TO'], missing: [], reused: ['TO-KHAI', 'GIAY-TO'] });
  const view = (await http.get(`/api/dossiers/${code}`, lan)).body;
  expect(view.documents).toEqual([
    expect.objectContaining({ code: 'TO-KHAI', reused: true, sha256: sha(toKhai), digitizationResult: 'reused', digitizationCode: `${code}-TP01` }),
    expect.objectContaining({ code: 'GIAY-TO', reused: true, sha256: sha(giayTo), digitizationResult: 'reused', digitizationCode: `${code}-TP02` }),
  ]);
  // nothing was asked of the applicant: the dossier went straight on to the review
  await eventually(async () => (await http.get(`/api/dossiers/${code}`, lan)).body.currentSteps.includes('review'), 'the review');
  expect(view.history.map((e: { toStatus: number | null }) => e.toStatus)).not.toContain(5);
  const file = await download(env.apiUrl, `/api/dossiers/${code}/documents/${view.documents[1].id}/content`, second.body.applicantToken);
  expect(file.bytes.equals(giayTo)).toBe(true);
  // the data store still holds one copy of each
  expect(await env.db('applicant_documents').where({ applicant_id: applicant.idNumber }).count({ n: '*' })).toEqual([{ n: '2' }]);

  // at the counter the one-stop officer checks the person and may take from the store too
  const counter = await http.post('/api/dossiers', submission({ applicant, channel: 'counter', documents: [{ code: 'GIAY-TO', reuse: true }] }), lan);
  expect(counter.status).toBe(201);
  expect(counter.body.status).toBe(4);
  await keepHistory(env.client, 'digitize-reuse-counter', counter.body.code);
  const counterView = (await http.get(`/api/dossiers/${counter.body.code}`, lan)).body;
  expect(counterView.documents).toEqual([
    expect.objectContaining({ code: 'TO-KHAI', reused: true, sha256: sha(toKhai), digitizationResult: 'reused', digitizedBy: 'lan.motcua-mybinh' }),
    expect.objectContaining({ code: 'GIAY-TO', reused: true, sha256: sha(giayTo), digitizationResult: 'reused', digitizedBy: 'lan.motcua-mybinh' }),
  ]);
});

test('reusing is refused with a clear error when the document is not in the store or the caller is not its owner', async () => {
  const first = await http.post('/api/dossiers', submission({ documents: [upload('TO-KHAI', 'to-khai.pdf', pdf(`${Math.random()}`))] }));
  const applicant = (await env.db('dossiers').where({ code: first.body.code }).first()).applicant;
  await completeTask(http, lan, first.body.code, 'receive', { outcome: 'accept', comment: 'ok' });
  await digitizedEvent(first.body.code);

  const missing = await http.post('/api/dossiers', submission({ applicant, documents: [{ code: 'TO-KHAI', reuse: true }, { code: 'UY-QUYEN', reuse: true }] }),
    first.body.applicantToken);
  expect(missing.status).toBe(422);
  expect(missing.body.error.details).toEqual([{ path: '$.documents[1].code',
    message: '"UY-QUYEN" is not in the applicant\'s electronic data store: upload it' }]);

  const anonymous = await http.post('/api/dossiers', submission({ applicant, documents: [{ code: 'TO-KHAI', reuse: true }] }));
  expect(anonymous.status).toBe(422);
  expect(anonymous.body.error.details).toEqual([{ path: '$.documents[0].reuse', message: expect.stringMatching(/needs the applicant token/) }]);

  const someoneElse = await http.post('/api/dossiers', submission({ documents: [{ code: 'TO-KHAI', reuse: true }] }), first.body.applicantToken);
  expect(someoneElse.status).toBe(422);
  expect(someoneElse.body.error.details[0].path).toBe('$.documents[0].reuse');

  // a dossier not yet accepted at reception proves nothing about who holds its token
  const claim = await http.post('/api/dossiers', submission({ applicant }));
  const viaClaim = await http.post('/api/dossiers', submission({ applicant, documents: [{ code: 'TO-KHAI', reuse: true }] }), claim.body.applicantToken);
  expect(viaClaim.status).toBe(422);
  expect(viaClaim.body.error.details[0].path).toBe('$.documents[0].reuse');
  // nor does digitization take from the store for it before an officer has accepted it
  const activities = createDocumentActivities({ db: env.db, ...testDocuments(env.db) });
  expect(await activities.digitize({ dossierCode: claim.body.code, stepId: 'scan', documents: 'all', actor: { username: 'lan.motcua-mybinh' } }))
    .toEqual({ digitized: [], missing: ['TO-KHAI', 'GIAY-TO'], reused: [] });
});

test('digitizing twice has one effect, and a document kept in the database from before moves to the file store', async () => {
  const { body } = await http.post('/api/dossiers', submission({ documents: [upload('TO-KHAI', 'to-khai.pdf', pdf(`${Math.random()}`))] }));
  const old = pdf(`giấy tờ cũ ${Math.random()}`);
  const [row] = await env.db('dossier_documents').insert({ dossier_code: body.code, document_code: 'GIAY-TO', file_name: 'cu.pdf',
    media_type: 'application/pdf', size: old.length, sha256: sha(old), content: old }).returning('id');
  const before = await download(env.apiUrl, `/api/dossiers/${body.code}/documents/${row.id}/content`, lan);
  expect(before.bytes.equals(old)).toBe(true);

  const activities = createDocumentActivities({ db: env.db, ...testDocuments(env.db) });
  const input = { dossierCode: body.code, stepId: 'scan', documents: 'all' as const, actor: { username: 'lan.motcua-mybinh' } };
  const once = await activities.digitize(input);
  const snapshot = async () => ({
    documents: await env.db('dossier_documents').where({ dossier_code: body.code }).orderBy('digitization_code')
      .select('document_code', 'digitization_code', 'storage_key', 'content'),
    store: await env.db('applicant_documents').where({ dossier_code: body.code }).orderBy('document_code').select('id', 'document_code'),
  });
  const afterOnce = await snapshot();
  expect(await activities.digitize(input)).toEqual(once);
  expect(await snapshot()).toEqual(afterOnce);
  expect(afterOnce.documents).toEqual([
    { document_code: 'TO-KHAI', digitization_code: `${body.code}-TP01`, storage_key: expect.any(String), content: null },
    { document_code: 'GIAY-TO', digitization_code: `${body.code}-TP02`, storage_key: sha(old), content: null },
  ]);
  expect(afterOnce.store.map((d) => d.document_code)).toEqual(['GIAY-TO', 'TO-KHAI']);
  const after = await download(env.apiUrl, `/api/dossiers/${body.code}/documents/${row.id}/content`, lan);
  expect(after.bytes.equals(old)).toBe(true);
});
