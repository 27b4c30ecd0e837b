/**
 * Every sample procedure in procedures/ runs end to end over real HTTP, with real PostgreSQL and
 * Temporal: each human task is done by the demo account of the right agency, unit and role, fees are
 * paid at the counter, a supplement is requested and given, and partner dossiers (handoffs to
 * procedures published on the platform) run to their own end. The land procedure's public posting
 * (a 15-day wait) runs on the time-skipping server in test/workflow/sample-posting.test.ts.
 */
import { readFileSync } from 'node:fs';
import { publishSamples, sampleProcedureFiles } from '../../scripts/seed';
import { DEMO_PASSWORD, startTestEnv, type TestEnv } from '../support/env';
import { birthRegistration, sampleBirthApplication } from '../support/factories';
import { httpClient, type HttpClient } from '../support/http';
import { completeTask, eventually } from '../support/tasks';

let env: TestEnv;
let http: HttpClient;
const tokens: Record<string, string> = {};

/** The demo accounts that take part, by a short name. */
const ACCOUNTS = {
  lan: 'lan.motcua-mybinh', binh: 'binh.tuphap-mybinh', cuong: 'cuong.lanhdao-mybinh', dung: 'dung.kinhte-mybinh',
  hoa: 'hoa.motcua-camybinh', tuan: 'tuan.cutru-camybinh', hai: 'hai.lanhdao-camybinh',
  mai: 'mai.motcua-bhxhlx', nga: 'nga.thuthe-bhxhlx', son: 'son.lanhdao-bhxhlx',
  thu: 'thu.motcua-pc07ag', phong: 'phong.pc07-angiang', long: 'long.lanhdao-pc07ag',
} as const;
type Who = keyof typeof ACCOUNTS;

beforeAll(async () => {
  env = await startTestEnv();
  await publishSamples(env.db);
  http = httpClient(env.apiUrl);
  for (const [who, username] of Object.entries(ACCOUNTS)) tokens[who] = await http.login(username, DEMO_PASSWORD);
});
afterAll(() => env?.stop());

const pdf = (code: string, text: string) => ({ code, fileName: `${code.toLowerCase()}.pdf`, mediaType: 'application/pdf',
  contentBase64: Buffer.from(`%PDF-1.4 ${text}`).toString('base64') });

async function submit(procedureCode: string, application: Record<string, unknown>, documents: object[] = []) {
  const res = await http.post('/api/dossiers', birthRegistration({ procedureCode, application, documents }));
  expect(res.status).toBe(201);
  return res.body as { code: string; applicantToken: string; status: number };
}

/** Completes the open task of `stepId` on a dossier from `who`'s inbox; answers the dossier as the workflow left it. */
async function done(who: Who, code: string, stepId: string, body: { outcome: string; comment?: string; data?: object }) {
  return (await completeTask(http, tokens[who], code, stepId, body)).dossier as { status: number };
}

const row = (code: string) => env.db('dossiers').where({ code }).first();

async function statusBecomes(code: string, status: number) {
  return eventually(async () => ((await row(code)).status === status ? status : undefined), `${code} to reach status ${status}`);
}

/** The counter records the fee once the dossier asks for it (status 6). */
async function payAtCounter(who: Who, code: string, feeCode: string, amount: number) {
  await statusBecomes(code, 6);
  const paid = await http.post(`/api/dossiers/${code}/payments/${feeCode}/confirm`, { receiptNo: `BL-${code}-${feeCode}` }, tokens[who]);
  expect(paid.status).toBe(200);
  expect(paid.body).toMatchObject({ feeCode, amount });
}

async function partnerOf(code: string, procedureCode: string): Promise<string> {
  return eventually(async () => (await env.db('dossiers').where({ parent_code: code, procedure_code: procedureCode }).first())?.code,
    `the ${procedureCode} partner dossier of ${code}`);
}

async function finalStatus(code: string) {
  return (await env.client.workflow.getHandle(code).result()).status;
}

const statuses = async (code: string) => (await env.db('dossier_events').where({ dossier_code: code, type: 'status' }).orderBy('id'))
  .map((e) => e.to_status);
const eventTypes = async (code: string) => (await env.db('dossier_events').where({ dossier_code: code }).orderBy('id')).map((e) => e.type);

test('1.001193 birth registration: a supplement, then the certificate', async () => {
  const { code, applicantToken } = await submit('1.001193', sampleBirthApplication(), [pdf('TO-KHAI', 'tờ khai')]);
  await done('lan', code, 'receive', { outcome: 'accept', comment: 'Tiếp nhận' });
  expect((await done('binh', code, 'review', { outcome: 'missing', comment: 'Thiếu giấy chứng sinh' })).status).toBe(5);
  const supplemented = await http.post(`/api/dossiers/${code}/supplement`, { documents: [pdf('GIAY-CHUNG-SINH', 'giấy chứng sinh')],
    note: 'Bổ sung giấy chứng sinh' }, applicantToken);
  expect(supplemented.body.status).toBe(4);
  await done('binh', code, 'review', { outcome: 'approve', data: { documentsComplete: true } });
  expect((await done('cuong', code, 'sign', { outcome: 'approve' })).status).toBe(10);
  expect(await statuses(code)).toEqual([1, 2, 4, 5, 4, 9, 10]);
});

test('1.001612 household business registration: fee at reception, digitized, notified, certificate', async () => {
  const { code } = await submit('1.001612', { business: { name: 'Tạp hóa Minh Khang', address: '12 Trần Hưng Đạo, phường Mỹ Bình',
    activities: ['Bán lẻ lương thực, thực phẩm'], capital: 150_000_000 } }, [pdf('GIAY-DE-NGHI', 'giấy đề nghị')]);
  await done('lan', code, 'receive', { outcome: 'accept', comment: 'Đủ hồ sơ' });
  await payAtCounter('lan', code, 'LE-PHI-DKHKD', 100000);
  await done('dung', code, 'review', { outcome: 'approve', data: { nameAvailable: true, registrationNo: '51A8012345' } });
  expect((await done('cuong', code, 'sign', { outcome: 'approve' })).status).toBe(10);
  expect(await statuses(code)).toEqual([1, 2, 6, 2, 4, 9, 10]);
  expect(await eventTypes(code)).toEqual(expect.arrayContaining(['digitized', 'notified']));
  const documents = await env.db('dossier_documents').where({ dossier_code: code });
  expect(documents.map((d) => d.digitization_code)).toEqual([`${code}-TP01`]);
  const told = await env.db('notifications').where({ dossier_code: code, template: 'result-ready', recipient_kind: 'unit-role' });
  expect(told.map((n) => [n.recipient, n.channel])).toEqual([['UBND-XA-MY-BINH/MOT-CUA/one-stop-officer', 'in-app']]);
});

test('1.009994 construction permit: parallel appraisals, a fire-safety opinion from the provincial police, fee before the permit', async () => {
  const { code } = await submit('1.009994', { construction: { address: '45 Hà Hoàng Hổ, phường Mỹ Bình', landParcel: 'Thửa 112, tờ bản đồ 27',
    floors: 7, floorArea: 620, height: 26.5 } }, [pdf('DON-DE-NGHI', 'đơn'), pdf('BAN-VE', 'bản vẽ')]);
  await done('lan', code, 'receive', { outcome: 'accept', comment: 'Tiếp nhận' });
  // both appraisals are open at once
  await done('dung', code, 'inspect-site', { outcome: 'ok', data: { siteMatches: true, minutesNo: 'BB-27/2026' } });
  await done('dung', code, 'review-papers', { outcome: 'ok', data: { fitsPlanning: true } });

  // seven floors: the decision asks the provincial fire police, whose own dossier runs its whole process
  const partner = await partnerOf(code, '1.011465');
  expect(partner.startsWith('000.00.31.G01-')).toBe(true);
  await done('thu', partner, 'receive', { outcome: 'accept', comment: 'Nhận liên thông' });
  await done('phong', partner, 'appraise', { outcome: 'approve', data: { compliant: true } });
  await done('long', partner, 'sign', { outcome: 'approve' });
  expect(await finalStatus(partner)).toBe(10);

  await done('cuong', code, 'sign', { outcome: 'approve' });
  await payAtCounter('lan', code, 'LE-PHI-GPXD', 75000);
  expect(await finalStatus(code)).toBe(10);
  expect(await statuses(code)).toEqual([1, 2, 4, 6, 4, 9, 10]);
  const hop = await env.db('handoffs').where({ dossier_code: code }).first();
  expect(hop).toMatchObject({ step_id: 'fire-opinion', to_agency: 'CA-TINH-AN-GIANG', partner_dossier_code: partner, outcome: 'done',
    received_by: ACCOUNTS.thu });
});

test('1.009994 construction permit: a low house needs no opinion', async () => {
  const { code } = await submit('1.009994', { construction: { address: '8 Lý Thái Tổ, phường Mỹ Bình', landParcel: 'Thửa 40, tờ bản đồ 12',
    floors: 3, floorArea: 180 } });
  await done('lan', code, 'receive', { outcome: 'accept', comment: 'Tiếp nhận' });
  await done('dung', code, 'review-papers', { outcome: 'ok', data: { fitsPlanning: true } });
  await done('dung', code, 'inspect-site', { outcome: 'ok', data: { siteMatches: true } });
  await done('cuong', code, 'sign', { outcome: 'approve' });
  await payAtCounter('lan', code, 'LE-PHI-GPXD', 75000);
  expect(await finalStatus(code)).toBe(10);
  expect(await env.db('handoffs').where({ dossier_code: code })).toEqual([]);
});

test('1.011465 fire-safety design appraisal on its own', async () => {
  const { code } = await submit('1.011465', {});
  await done('thu', code, 'receive', { outcome: 'accept', comment: 'Tiếp nhận' });
  await done('phong', code, 'appraise', { outcome: 'approve', data: { compliant: true, requirements: 'Bổ sung lối thoát nạn tầng 7' } });
  expect((await done('long', code, 'sign', { outcome: 'approve' })).status).toBe(10);
});

test('1.012758 first land certificate with legal papers: no posting, fee before the certificate', async () => {
  const { code } = await submit('1.012758', { land: { parcel: '215', mapSheet: '9', area: 132.5, use: 'Đất ở tại đô thị', hasLegalPapers: true } },
    [pdf('DON-DANG-KY', 'đơn 04/ĐK'), pdf('GIAY-TO-NGUON-GOC', 'giấy tờ 1980')]);
  await done('lan', code, 'receive', { outcome: 'accept', comment: 'Tiếp nhận' });
  await done('dung', code, 'verify', { outcome: 'ok', data: { disputeFree: true, fitsPlanning: true, usedSince: '1980' } });
  await done('cuong', code, 'approve', { outcome: 'approve' });
  await payAtCounter('lan', code, 'LE-PHI-GCN', 100000);
  expect(await finalStatus(code)).toBe(10);
  const documents = await env.db('dossier_documents').where({ dossier_code: code }).orderBy('digitization_code');
  expect(documents.map((d) => d.digitization_code)).toEqual([`${code}-TP01`, `${code}-TP02`]);
  expect((await env.db('tasks').where({ dossier_code: code })).map((t) => t.step_id)).not.toContain('objections');
});

test('1.004222 permanent residence for an adult: the residence fee is due', async () => {
  const { code } = await submit('1.004222', { residence: { address: '12 Trần Hưng Đạo, phường Mỹ Bình', householdHead: 'Nguyễn Văn An',
    relationToHead: 'Vợ' } }, [pdf('CT01', 'tờ khai CT01')]);
  expect(code.startsWith('000.32.31.H01-')).toBe(true);
  await done('hoa', code, 'receive', { outcome: 'accept', comment: 'Tiếp nhận' });
  await payAtCounter('hoa', code, 'LE-PHI-CU-TRU', 10000);
  await done('tuan', code, 'verify', { outcome: 'approve', data: { updated: true } });
  expect((await done('hai', code, 'sign', { outcome: 'approve' })).status).toBe(10);
});

test('2.000986 joint birth – residence – health insurance: both partner dossiers complete, then the lead one', async () => {
  const application = { ...sampleBirthApplication(), residence: { address: '12 Trần Hưng Đạo, phường Mỹ Bình', householdHead: 'Nguyễn Văn An',
    relationToHead: 'Con' }, insurance: { hospital: 'Bệnh viện Đa khoa tỉnh An Giang' } };
  const { code } = await submit('2.000986', application, [pdf('TO-KHAI-LIEN-THONG', 'tờ khai'), pdf('GIAY-CHUNG-SINH', 'giấy chứng sinh')]);
  await done('lan', code, 'receive', { outcome: 'accept', comment: 'Tiếp nhận liên thông' });
  await done('binh', code, 'review', { outcome: 'approve', data: { documentsComplete: true, personalId: '089226000123' } });
  await done('cuong', code, 'sign', { outcome: 'approve' });

  // the police register the child's residence (a child pays no fee) and social insurance issues the card, at once
  const residence = await partnerOf(code, '1.004222');
  const insurance = await partnerOf(code, '1.011512');
  await done('hoa', residence, 'receive', { outcome: 'accept', comment: 'Nhận liên thông' });
  await done('mai', insurance, 'receive', { outcome: 'accept', comment: 'Nhận liên thông' });
  await done('nga', insurance, 'issue', { outcome: 'issued', data: { cardNumber: 'TE1890000123456', validUntil: '2032-11-09' } });
  await done('tuan', residence, 'verify', { outcome: 'approve', data: { updated: true } });
  await done('son', insurance, 'sign', { outcome: 'approve' });
  await done('hai', residence, 'sign', { outcome: 'approve' });
  expect(await finalStatus(residence)).toBe(10);
  expect(await finalStatus(insurance)).toBe(10);
  expect(await env.db('payments').where({ dossier_code: residence })).toEqual([]);

  expect(await finalStatus(code)).toBe(10);
  expect(await statuses(code)).toEqual([1, 2, 4, 9, 10]);
  const hops = await env.db('handoffs').where({ dossier_code: code }).orderBy('step_id');
  expect(hops.map((h) => [h.step_id, h.to_agency, h.partner_dossier_code, h.outcome])).toEqual([
    ['insurance', 'BHXH-CS-LONG-XUYEN', insurance, 'done'],
    ['residence', 'CA-PHUONG-MY-BINH', residence, 'done'],
  ]);
  expect((await row(residence)).application).toMatchObject({ child: { fullName: application.child.fullName } });
  const counter = await env.db('notifications').where({ dossier_code: insurance, template: 'result-ready', recipient_kind: 'unit-role' });
  expect(counter.map((n) => n.recipient)).toEqual(['BHXH-CS-LONG-XUYEN/MOT-CUA/one-stop-officer']);
  // the parents hear that the dossier went to the police and social insurance, before the partners answer
  const types = await eventTypes(code);
  expect(types).toEqual(expect.arrayContaining(['digitized', 'handoff-sent', 'handoff-returned', 'notified']));
  expect(types.indexOf('notified')).toBeLessThan(types.indexOf('handoff-sent'));
  const told = await env.db('notifications').where({ dossier_code: code, template: 'handoff-started', recipient_kind: 'applicant' }).pluck('channel');
  expect(told).toEqual(expect.arrayContaining(['in-app']));
});

test('every sample has a diagram a person can read: each step, who does it, and the decisions in words', async () => {
  const svgText = (s: string) => s.replace(/&/g, '&amp;').replace(/-/g, '&#45;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  for (const file of sampleProcedureFiles()) {
    const definition = JSON.parse(readFileSync(file, 'utf8'));
    const res = await fetch(`${env.apiUrl}/api/procedures/${definition.code}/versions/${definition.version}/diagram`);
    expect(res.status).toBe(200);
    const svg = await res.text();
    const walk = (steps: { name?: string; assignee?: { unit: string; role: string }; branches?: { steps: [] }[] }[]): void => steps.forEach((s) => {
      if (s.name) expect(svg).toContain(svgText(s.name));
      if (s.assignee) expect(svg).toContain(svgText(`${s.assignee.unit} / ${s.assignee.role}`));
      s.branches?.forEach((b) => walk(b.steps));
    });
    walk(definition.steps);
  }
  const permit = await (await fetch(`${env.apiUrl}/api/procedures/1.009994/versions/1/diagram`)).text();
  expect(permit).toContain('construction.floors ≥ 7 hoặc construction.height ≥ 25');
  expect(permit).toContain('hạn: 7 ngày làm việc');
});
