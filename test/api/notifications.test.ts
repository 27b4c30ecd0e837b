/**
 * Notifying the applicant: real PostgreSQL, Temporal and HTTP, and a real SMTP server (smtp-server)
 * that the dispatcher sends to over the network. Emails are parsed back (mailparser) to check the
 * Vietnamese subject and body; SMS go to the local gateway; the in-app list is read with the
 * applicant token.
 */
import { simpleParser, type ParsedMail } from 'mailparser';
import { randomInt, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { createNotificationActivities } from '../../activities/notifications';
import { createTemplateRenderer } from '../../stores/notifications-templates';
import { publishSamples } from '../../scripts/seed';
import { createLogger } from '../../lib/logger';
import { createSmtpMailer } from '../../lib/mail';
import { startMailSink } from '../../lib/mail-sink';
import type { DispatcherLoop } from '../../lib/outbox';
import { startNotificationDispatcher } from '../../stores/outbox-notifications';
import { PermanentDeliveryError } from '../../lib/outbox';
import { createHttpSmsGateway, createLocalSmsGateway } from '../../lib/sms';
import { startTestEnv, type TestEnv } from '../support/env';
import { birthRegistration } from '../support/factories';
import { httpClient, type HttpClient } from '../support/http';
import { completeTask, eventually, loginDemo } from '../support/tasks';
import { publishProcedure } from '../support/procedures';

let env: TestEnv;
let http: HttpClient;
let lan: string;
let binh: string;
let cuong: string;
let ops: string;
let smtp: SMTPServer;
let dispatcher: DispatcherLoop;
const mails: ParsedMail[] = [];
/** RCPT TO answers 451 (try later) this many more times for the address */
const refuseFor = new Map<string, number>();
const rcptAttempts = new Map<string, number>();
const log = createLogger('silent');

/** A procedure that tells the applicant it hands the dossier over (a notify step), then hands it to a partner dossier. */
const HANDOFF_PROCEDURE = '9.900411';
const handoffDefinition = {
  code: HANDOFF_PROCEDURE, version: 1, name: 'Thủ tục liên thông thử thông báo', agency: 'UBND-XA-MY-BINH', serviceLevel: 'full-online',
  deadline: { workingDays: 10 }, documents: [{ code: 'DON', name: 'Đơn đề nghị', required: false }], returnChannels: ['electronic'],
  steps: [
    { id: 'receive', kind: 'reception', assignee: { unit: 'MOT-CUA', role: 'one-stop-officer' }, next: 'tell' },
    { id: 'tell', kind: 'notify', name: 'Báo chuyển liên thông', template: 'handoff-started', to: 'applicant', channels: ['email', 'in-app'], next: 'partner' },
    { id: 'partner', kind: 'handoff', name: 'Liên thông khai sinh', to: { agency: 'UBND-XA-MY-BINH' }, procedure: '1.001193',
      outcomes: { done: { next: 'give' }, refused: { stop: true } } },
    { id: 'give', kind: 'return' },
  ],
};

beforeAll(async () => {
  env = await startTestEnv();
  await publishSamples(env.db);
  await publishProcedure(env.db, handoffDefinition);
  http = httpClient(env.apiUrl);
  [lan, binh, cuong, ops] = await loginDemo(http, 'lan.motcua-mybinh', 'binh.tuphap-mybinh', 'cuong.lanhdao-mybinh', 'thietke.lanhdao-mybinh');
  smtp = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
    onRcptTo(address, _session, callback) {
      rcptAttempts.set(address.address, (rcptAttempts.get(address.address) ?? 0) + 1);
      const left = refuseFor.get(address.address) ?? 0;
      if (left > 0) {
        refuseFor.set(address.address, left - 1);
        return callback(Object.assign(new Error('mailbox busy, try again later'), { responseCode: 451 }));
      }
      callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then((mail) => { mails.push(mail); callback(); }, callback);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as { port: number }).port;
  dispatcher = startNotificationDispatcher({
    db: env.db, log, renderer: createTemplateRenderer(), sms: createLocalSmsGateway({ db: env.db, log }),
    mailer: createSmtpMailer({ url: `smtp://127.0.0.1:${port}`, from: 'Bộ phận Một cửa <no-reply@motcua.local>' }),
    retry: { baseMs: 50, maxMs: 400, maxAttempts: 6 }, pollMs: 50,
  });
});
afterAll(async () => {
  await dispatcher?.stop();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  await env?.stop();
});

const contact = () => ({ email: `an.${randomUUID().slice(0, 8)}@example.vn`, phone: `09${String(randomInt(1e8)).padStart(8, '0')}` });
const mailsTo = (address: string) => mails.filter((m) => m.to && !Array.isArray(m.to) && m.to.value.some((v) => v.address === address));

async function submit(applicant: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  const { body, status } = await http.post('/api/dossiers', birthRegistration({ applicant: { fullName: 'Nguyễn Văn An', idNumber: '089188000456', ...applicant },
    ...overrides }));
  expect(status).toBe(201);
  return body as { code: string; applicantToken: string };
}

/** Waits until the dispatcher has handled every email/SMS row of the dossier. */
async function allDelivered(code: string) {
  await eventually(async () => (await env.db('notifications').where({ dossier_code: code, state: 'pending' }).first('id')) === undefined,
    `the notifications of ${code} to be handled`);
}

test('accepted: the email reaches a real SMTP server in Vietnamese, the SMS is recorded, and the applicant sees it in the app', async () => {
  const { email, phone } = contact();
  const { code, applicantToken } = await submit({ email, phone });
  await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'Hồ sơ đầy đủ' });

  const [mail] = await eventually(async () => (mailsTo(email).length ? mailsTo(email) : undefined), 'the acceptance email');
  expect(mail.subject).toBe(`Hồ sơ ${code} đã được tiếp nhận`);
  expect(mail.from?.value[0]).toMatchObject({ address: 'no-reply@motcua.local', name: 'Bộ phận Một cửa' });
  expect(mail.text).toContain('Kính gửi Ông/Bà Nguyễn Văn An,');
  expect(mail.text).toContain('Ủy ban nhân dân phường Mỹ Bình đã tiếp nhận hồ sơ "Đăng ký khai sinh"');
  expect(mail.text).toMatch(/Ngày hẹn trả kết quả: \d{2}:\d{2} ngày \d{2}\/\d{2}\/\d{4}/);
  expect(mail.html).toContain(`<strong>${code}</strong>`);
  const appointment = (await http.get(`/api/dossiers/${code}`, lan)).body.appointmentAt;
  expect(appointment).toBeTruthy();

  const sms = await eventually(() => env.db('sms_messages').where({ to: phone }).first(), 'the acceptance SMS');
  expect(sms.text).toMatch(new RegExp(`^Hồ sơ ${code.replace(/\./g, '\\.')} đã được tiếp nhận\\. Hẹn trả kết quả: `));

  // one notification per channel, although the workflow also asked for the in-app one
  await allDelivered(code);
  const rows = await env.db('notifications').where({ dossier_code: code, template: 'accepted' }).orderBy('channel');
  expect(rows.map((r) => [r.channel, r.state])).toEqual([['email', 'sent'], ['in-app', 'sent'], ['sms', 'sent']]);
  expect(mailsTo(email)).toHaveLength(1);
  const history = (await http.get(`/api/dossiers/${code}`, lan)).body.history;
  expect(history).toEqual(expect.arrayContaining([
    expect.objectContaining({ type: 'notification', reason: `Đã gửi email thông báo: Hồ sơ ${code} đã được tiếp nhận`,
      data: { channel: 'email', template: 'accepted', outcome: 'sent' } }),
    expect.objectContaining({ type: 'notification', data: { channel: 'sms', template: 'accepted', outcome: 'sent' } }),
  ]));

  expect((await http.get('/api/notifications')).status).toBe(401);
  const inbox = await http.get('/api/notifications', applicantToken);
  expect(inbox.status).toBe(200);
  expect(inbox.body).toMatchObject({ total: 1, unread: 1 });
  const [note] = inbox.body.items;
  expect(note).toMatchObject({ dossierCode: code, template: 'accepted', title: `Hồ sơ ${code} đã được tiếp nhận`, readAt: null });
  expect(note.text).toContain('Hẹn trả kết quả');

  const other = await submit(contact());
  expect((await http.post(`/api/notifications/${note.id}/read`, {}, other.applicantToken)).status).toBe(404);
  expect((await http.post('/api/notifications/abc/read', {}, applicantToken)).status).toBe(400);
  const read = await http.post(`/api/notifications/${note.id}/read`, {}, applicantToken);
  expect(read.status).toBe(200);
  expect(read.body.readAt).toEqual(expect.any(String));
  const again = await http.post(`/api/notifications/${note.id}/read`, {}, applicantToken);
  expect(again.body.readAt).toBe(read.body.readAt);
  expect((await http.get('/api/notifications?unread=true', applicantToken)).body).toMatchObject({ total: 0, unread: 0, items: [] });
});

test('supplement needed, result ready and returned: one email each, in Vietnamese, with the reasons', async () => {
  const { email, phone } = contact();
  const { code, applicantToken } = await submit({ email, phone });
  await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'ok' });
  await completeTask(http, binh, code, 'review', { outcome: 'missing', comment: 'Thiếu giấy chứng sinh bản chính' });
  const resumed = await http.post(`/api/dossiers/${code}/supplement`, { note: 'Đã bổ sung' }, applicantToken);
  expect(resumed.body.status).toBe(4);
  await completeTask(http, binh, code, 'review', { outcome: 'approve', data: { documentsComplete: true, note: 'Đủ điều kiện' } });
  const signed = await completeTask(http, cuong, code, 'sign', { outcome: 'approve' });
  expect(signed.dossier.status).toBe(10);

  await eventually(async () => mailsTo(email).length >= 4, 'the four emails');
  await allDelivered(code);
  const byTime = mailsTo(email).sort((a, b) => (a.date?.getTime() ?? 0) - (b.date?.getTime() ?? 0));
  expect(new Set(byTime.map((m) => m.subject))).toEqual(new Set([
    `Hồ sơ ${code} đã được tiếp nhận`,
    `Hồ sơ ${code} cần bổ sung giấy tờ`,
    `Hồ sơ ${code} đã có kết quả`,
    `Hồ sơ ${code} đã trả kết quả`,
  ]));
  expect(byTime).toHaveLength(4);
  const supplement = byTime.find((m) => m.subject?.includes('cần bổ sung'));
  expect(supplement?.text).toContain('Nội dung cần bổ sung: Thiếu giấy chứng sinh bản chính');
  const ready = byTime.find((m) => m.subject?.endsWith('đã có kết quả'));
  expect(ready?.text).toContain('Kết quả được trả trực tuyến (bản điện tử).');
  const texts = (await env.db('sms_messages').where({ to: phone }).orderBy('id')).map((s) => s.text);
  expect(texts).toHaveLength(4);
  expect(texts[1]).toBe(`Hồ sơ ${code} cần bổ sung: Thiếu giấy chứng sinh bản chính`);
  const inApp = await http.get('/api/notifications', applicantToken);
  expect(inApp.body.items.map((n: { template: string }) => n.template).sort()).toEqual(['accepted', 'result-ready', 'returned', 'supplement-requested']);
});

test('a mail server that refuses for a while: retried with backoff, received once', async () => {
  const { email, phone } = contact();
  refuseFor.set(email, 2);
  const { code } = await submit({ email, phone });
  await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'ok' });
  await allDelivered(code);
  const row = await env.db('notifications').where({ dossier_code: code, template: 'accepted', channel: 'email' }).first();
  expect(row).toMatchObject({ state: 'sent', attempts: 3 });
  expect(rcptAttempts.get(email)).toBe(3);
  expect(mailsTo(email)).toHaveLength(1);
});

test('refused with no email or phone: those channels are skipped and recorded, the in-app notice carries the reasons', async () => {
  const { code, applicantToken } = await submit({});
  await completeTask(http, lan, code, 'receive', { outcome: 'refuse', comment: 'Không thuộc thẩm quyền giải quyết của phường' });
  await allDelivered(code);
  const rows = await env.db('notifications').where({ dossier_code: code, template: 'refused' }).orderBy('channel');
  expect(rows.map((r) => [r.channel, r.state, r.last_error])).toEqual([
    ['email', 'skipped', 'Không gửi email: người nộp hồ sơ không cung cấp địa chỉ email'],
    ['in-app', 'sent', null],
    ['sms', 'skipped', 'Không gửi SMS: người nộp hồ sơ không cung cấp số điện thoại'],
  ]);
  const history = (await http.get(`/api/dossiers/${code}`, lan)).body.history;
  expect(history.filter((e: { type: string }) => e.type === 'notification').map((e: { data: { outcome: string } }) => e.data.outcome))
    .toEqual(['skipped', 'skipped']);
  const inApp = await http.get('/api/notifications', applicantToken);
  expect(inApp.body.items).toEqual([expect.objectContaining({ template: 'refused', title: `Hồ sơ ${code} không được tiếp nhận`,
    text: `Hồ sơ ${code} không được tiếp nhận. Lý do: Không thuộc thẩm quyền giải quyết của phường` })]);

  expect((await http.get(`/api/notifications/deliveries?dossier=${code}`, lan)).status).toBe(403);
  const deliveries = await http.get(`/api/notifications/deliveries?dossier=${code}&state=skipped`, ops);
  expect(deliveries.status).toBe(200);
  expect(deliveries.body.items.map((d: { channel: string }) => d.channel).sort()).toEqual(['email', 'sms']);
  expect((await http.get('/api/notifications/deliveries?state=lost', ops)).status).toBe(400);
});

test('stopped by a leader: the applicant is told with the reasons; the address is masked for ops', async () => {
  const { email, phone } = contact();
  const { code } = await submit({ email, phone });
  await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'ok' });
  const stopped = await http.post(`/api/dossiers/${code}/stop`, { reason: 'Hồ sơ giả mạo giấy tờ' }, cuong);
  expect(stopped.body.status).toBe(8);
  const mail = await eventually(async () => mailsTo(email).find((m) => m.subject === `Hồ sơ ${code} bị dừng xử lý`), 'the stop email');
  expect(mail.text).toContain('Lý do: Hồ sơ giả mạo giấy tờ');
  const deliveries = await http.get(`/api/notifications/deliveries?dossier=${code}&channel=email`, ops);
  expect(deliveries.body.items[0].address).toBe(`an***@example.vn`);
});

test('a notify step reaches the applicant by email; the partner agency\'s dossier of a handoff tells the applicant nothing', async () => {
  const { email, phone } = contact();
  const { code } = await submit({ email, phone }, { procedureCode: HANDOFF_PROCEDURE });
  await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'ok' });
  const partner = await eventually(async () => (await env.db('dossiers').where({ parent_code: code }).first('code'))?.code, 'the partner dossier');
  await completeTask(http, lan, partner, 'receive', { outcome: 'accept', comment: 'ok' });
  await completeTask(http, binh, partner, 'review', { outcome: 'approve', data: { documentsComplete: true } });
  await completeTask(http, cuong, partner, 'sign', { outcome: 'approve' });
  await eventually(async () => (await env.db('dossiers').where({ code }).first('status')).status === 10, 'the lead dossier returned');
  await eventually(async () => mailsTo(email).length >= 4, 'the four emails');
  await allDelivered(code);
  expect(new Set(mailsTo(email).map((m) => m.subject))).toEqual(new Set([
    `Hồ sơ ${code} đã được tiếp nhận`, `Hồ sơ ${code} được chuyển cơ quan phối hợp`, `Hồ sơ ${code} đã có kết quả`, `Hồ sơ ${code} đã trả kết quả`,
  ]));
  expect(mailsTo(email)).toHaveLength(4);
  const handoff = mailsTo(email).find((m) => m.subject?.includes('cơ quan phối hợp'));
  expect(handoff?.text).toContain('đã được chuyển đến cơ quan phối hợp giải quyết (Báo chuyển liên thông)');
  expect(await env.db('notifications').where({ dossier_code: partner, recipient_kind: 'applicant' })).toEqual([]);
});

test('officers see the notifications of their unit and role in the app; email to a unit is skipped with the reason', async () => {
  const { code } = await submit(contact());
  const { notify } = createNotificationActivities({ db: env.db });
  await notify({ key: `${code}:review:due-soon`, dossierCode: code, template: 'step-due-soon', channels: ['in-app', 'email'],
    to: { agency: 'UBND-XA-MY-BINH', unit: 'TU-PHAP', role: 'specialist' }, data: { stepName: 'Thẩm định', dueAt: '2026-11-24T08:00:00.000Z' } });
  const inbox = await http.get('/api/notifications?pageSize=200', binh);
  const note = inbox.body.items.find((n: { dossierCode: string }) => n.dossierCode === code);
  expect(note).toMatchObject({ template: 'step-due-soon', title: `Hồ sơ ${code}: bước "Thẩm định" sắp đến hạn`,
    text: `Hồ sơ ${code}: bước "Thẩm định" sắp đến hạn (15:00 ngày 24/11/2026).` });
  const others = await http.get('/api/notifications?pageSize=200', lan);
  expect(others.body.items.some((n: { dossierCode: string }) => n.dossierCode === code)).toBe(false);
  expect((await http.post(`/api/notifications/${note.id}/read`, {}, lan)).status).toBe(404);
  expect((await http.post(`/api/notifications/${note.id}/read`, {}, binh)).status).toBe(200);
  await allDelivered(code);
  const email = await env.db('notifications').where({ key: `${code}:review:due-soon:email` }).first();
  expect(email).toMatchObject({ state: 'skipped', last_error: 'Không gửi email: cán bộ được thông báo trong ứng dụng' });
});

test('the embedded default\'s mail sink is a real SMTP server that keeps each mail as an .eml file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mail-sink-'));
  const sink = await startMailSink({ dir, log });
  const mailer = createSmtpMailer({ url: sink.url, from: 'Bộ phận Một cửa <no-reply@motcua.local>' });
  try {
    const rendered = createTemplateRenderer().render('returned', { dossierCode: 'X-1', procedureName: 'Đăng ký khai sinh', applicantName: 'Lê Thị Hoa' });
    await mailer.send({ to: 'hoa@example.vn', subject: rendered.subject, text: rendered.text, html: rendered.html, messageId: '<x-1@onestop>' });
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    const parsed = await simpleParser(readFileSync(join(dir, files[0])));
    expect(parsed.subject).toBe('Hồ sơ X-1 đã trả kết quả');
    expect(parsed.messageId).toBe('<x-1@onestop>');
    expect(parsed.text).toContain('Kính gửi Ông/Bà Lê Thị Hoa,');
  } finally {
    mailer.close();
    await sink.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the HTTP SMS gateway sends the key for idempotency, and tells a refusal for good from a failure worth retrying', async () => {
  const seen: { headers: Record<string, unknown>; body: unknown }[] = [];
  const answers = [503, 200, 400];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      seen.push({ headers: req.headers, body: JSON.parse(body) });
      const status = answers.shift() ?? 500;
      res.writeHead(status, { 'content-type': 'application/json' }).end(status === 200 ? '{"id":"sms-42"}' : '{"error":"no"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const gateway = createHttpSmsGateway({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}/sms`, token: 'secret' });
    const message = { to: '0912345678', text: 'Hồ sơ X đã được tiếp nhận.', key: 'X:accepted:wf-3:sms' };
    const busy = await gateway.send(message).catch((err: unknown) => err);
    expect(busy).toBeInstanceOf(Error);
    expect(busy).not.toBeInstanceOf(PermanentDeliveryError);
    expect(await gateway.send(message)).toEqual({ id: 'sms-42' });
    await expect(gateway.send(message)).rejects.toBeInstanceOf(PermanentDeliveryError);
    expect(seen[1]).toMatchObject({ headers: { 'idempotency-key': message.key, authorization: 'Bearer secret' }, body: message });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
