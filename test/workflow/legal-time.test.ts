/**
 * Legal time on the time-skipping Temporal test server (real worker, real activities, real PostgreSQL):
 * appointment dates on a calendar with holidays and a swapped Saturday, a supplement pause moving the
 * date by exactly the paused working time, step warnings and overruns, the apology with a new date,
 * and the overdue flag.
 */
import { createDossierService } from '../../api/services/dossiers';
import { createProcedureService } from '../../api/services/procedures';
import { publishSamples } from '../../scripts/seed';
import { Validator } from '../../api/validation';
import { createCalendarStore } from '../../stores/calendar-store';
import { SA } from '../../domain/search-attributes';
import { APOLOGY_STEP } from '../../workflows/dossier';
import { completeTaskUpdate, getDossierQuery, observeDossierUpdate, supplementSignal, type Actor } from '../../workflows/messages';
import { birthRegistration } from '../support/factories';
import { keepHistory } from '../support/histories';
import { startTimeSkippingEnv, type TimeSkippingEnv } from '../support/time-skipping';

let ts: TimeSkippingEnv;
let dossiers: ReturnType<typeof createDossierService>;
const lan: Actor = { username: 'lan.motcua-mybinh' };
const binh: Actor = { username: 'binh.tuphap-mybinh' };
const cuong: Actor = { username: 'cuong.lanhdao-mybinh' };
const HOUR = 3600_000;

beforeAll(async () => {
  ts = await startTimeSkippingEnv();
  await publishSamples(ts.db);
  // 2027 as a test table: Mon 8 – Fri 12 Feb off (a Tết-like week), Saturday 13 Feb works instead
  await createCalendarStore(ts.db).saveYear(2027, {
    daysOff: ['2027-02-08', '2027-02-09', '2027-02-10', '2027-02-11', '2027-02-12'].map((date) => ({ date, name: 'Nghỉ Tết (bảng thử)' })),
    workingDays: [{ date: '2027-02-13', name: 'Làm bù (bảng thử)' }],
  }, 'test');
  dossiers = createDossierService({ db: ts.db, temporal: ts.env.client, taskQueue: ts.taskQueue,
    procedures: createProcedureService(ts.db), validator: new Validator(),
    settings: { stepWarningLeadMs: 2 * HOUR, apologyLeadMs: 4 * HOUR } });
});
afterAll(async () => {
  await ts?.db('calendar_years').where({ year: 2027 }).delete();
  await ts?.stop();
});

async function skipTo(instant: string) {
  const now = await ts.env.currentTimeMs();
  const target = Date.parse(instant);
  if (target < now) throw new Error(`the test clock is already past ${instant}`);
  await ts.env.sleep(target - now);
}

async function complete(code: string, stepId: string, outcome: string, actor: Actor, comment?: string, data?: object) {
  const handle = ts.env.client.workflow.getHandle(code);
  const view = await handle.executeUpdate(observeDossierUpdate);
  const task = view.openTasks.find((t) => t.stepId === stepId);
  if (!task) throw new Error(`no open ${stepId} task: ${JSON.stringify(view)}`);
  return handle.executeUpdate(completeTaskUpdate, { args: [{ taskId: task.taskId, outcome, actor, comment, data: data as Record<string, unknown> }] });
}

/** Background timers fire while the clock jumps; their activities land a moment later in real time. */
async function eventually<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = await probe();
    if (value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0)) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const event = (code: string, type: string) => () => ts.db('dossier_events').where({ dossier_code: code, type }).first();

test('the appointment date skips holidays and counts a swapped Saturday', async () => {
  await skipTo('2027-02-05T08:00:00+07:00');
  const { code } = await dossiers.submit(birthRegistration(), undefined);
  await skipTo('2027-02-05T15:00:00+07:00');
  const accepted = await complete(code, 'receive', 'accept', lan, 'Hồ sơ đầy đủ');
  // 1 working day = 8 h: Fri 15:00–17:00 (2 h), 8–12 Feb off, Sat 13 Feb 07:00–11:30 and 13:30–15:00 (6 h)
  expect(accepted.appointmentAt).toBe('2027-02-13T15:00:00.000+07:00');
  const row = await ts.db('dossiers').where({ code }).first();
  expect(new Date(row.appointment_at).toISOString()).toBe('2027-02-13T08:00:00.000Z');
  const described = await ts.env.client.workflow.getHandle(code).describe();
  expect(described.typedSearchAttributes.get(SA.appointmentAt)?.toISOString()).toBe('2027-02-13T08:00:00.000Z');
  await keepHistory(ts.env.client, 'holiday-appointment', code);
});

test('a supplement pause moves the appointment by exactly the paused working time', async () => {
  await skipTo('2027-03-01T06:30:00+07:00');
  const { code } = await dossiers.submit(birthRegistration(), undefined);
  await skipTo('2027-03-01T07:00:00+07:00');
  const accepted = await complete(code, 'receive', 'accept', lan, 'ok');
  expect(accepted.appointmentAt).toBe('2027-03-01T17:00:00.000+07:00');
  await skipTo('2027-03-01T08:00:00+07:00');
  const paused = await complete(code, 'review', 'missing', binh, 'Thiếu giấy chứng sinh');
  expect(paused.status).toBe(5);
  await skipTo('2027-03-02T09:00:00+07:00');
  const handle = ts.env.client.workflow.getHandle(code);
  await handle.signal(supplementSignal, { actor: { username: 'applicant' }, note: 'Đã bổ sung' });
  const resumed = await handle.executeUpdate(observeDossierUpdate);
  expect(resumed.status).toBe(4);
  expect(resumed.openTasks.map((t) => t.stepId)).toEqual(['review']);
  // paused: Mon 08:00–11:30 and 13:30–17:00 (7 h) + Tue 07:00–09:00 (2 h) = 9 h; Mon 17:00 + 9 h → Wed 08:00
  expect(resumed.appointmentAt).toBe('2027-03-03T08:00:00.000+07:00');
  const row = await ts.db('dossiers').where({ code }).first();
  expect(row.supplement_count).toBe(1);
  expect(new Date(row.appointment_at).toISOString()).toBe('2027-03-03T01:00:00.000Z');
  await keepHistory(ts.env.client, 'supplement-shift', code);
});

test('a late step warns, is recorded against its unit, and the dossier gets an apology and a new date', async () => {
  await skipTo('2027-03-04T06:30:00+07:00');
  const { code } = await dossiers.submit(birthRegistration(), undefined);
  await skipTo('2027-03-04T07:00:00+07:00');
  const accepted = await complete(code, 'receive', 'accept', lan, 'ok');
  expect(accepted.appointmentAt).toBe('2027-03-04T17:00:00.000+07:00');

  // the review is due after 4 working hours (11:00); the warning comes 2 hours before
  await skipTo('2027-03-04T09:30:00+07:00');
  const warned = await eventually(event(code, 'step-due-soon'), 'the warning');
  expect(warned).toMatchObject({ step_id: 'review' });
  const notes = await eventually(() => ts.db('notifications').where({ dossier_code: code, template: 'step-due-soon' }).orderBy('id'), 'notifications');
  expect(notes.map((n) => n.recipient).sort()).toEqual(['UBND-XA-MY-BINH/LANH-DAO/leader', 'UBND-XA-MY-BINH/TU-PHAP/specialist']);

  await skipTo('2027-03-04T11:30:00+07:00');
  const overran = await eventually(event(code, 'step-overdue'), 'the overrun');
  expect(overran).toMatchObject({ step_id: 'review' });
  expect(overran.data).toMatchObject({ unit: 'TU-PHAP', role: 'specialist' });

  // four hours before the appointment the leader must apologise with a new date
  await skipTo('2027-03-04T13:05:00+07:00');
  const handle = ts.env.client.workflow.getHandle(code);
  const apologyTask = await eventually(async () => (await handle.query(getDossierQuery)).openTasks.find((t) => t.stepId === APOLOGY_STEP), 'the apology task');
  const taskRow = await ts.db('tasks').where({ id: apologyTask.taskId }).first();
  expect(taskRow).toMatchObject({ unit_code: 'LANH-DAO', role: 'leader', state: 'open' });
  const apologised = await handle.executeUpdate(completeTaskUpdate, { args: [{ taskId: apologyTask.taskId, outcome: 'issued', actor: cuong,
    data: { newAppointmentAt: '2027-03-05T17:00:00+07:00', reason: 'Cần xác minh thêm với cơ sở y tế' } }] });
  expect(apologised.appointmentAt).toBe('2027-03-05T10:00:00.000Z');
  const row = await ts.db('dossiers').where({ code }).first();
  expect(new Date(row.original_appointment_at).toISOString()).toBe('2027-03-04T10:00:00.000Z');
  expect(new Date(row.appointment_at).toISOString()).toBe('2027-03-05T10:00:00.000Z');
  const told = await ts.db('notifications').where({ dossier_code: code, template: 'apology', recipient_kind: 'applicant' });
  expect(told.map((n) => n.channel).sort()).toEqual(['email', 'in-app', 'sms']);

  // still not done after the new date: the dossier is flagged overdue, in the read model and for ops
  await skipTo('2027-03-05T17:30:00+07:00');
  await eventually(event(code, 'dossier-overdue'), 'the overdue flag');
  const late = await handle.query(getDossierQuery);
  expect(late.overdue).toBe(true);
  expect((await ts.db('dossiers').where({ code }).first()).overdue).toBe(true);
  const described = await handle.describe();
  expect(described.typedSearchAttributes.get(SA.overdue)).toBe(true);
  await keepHistory(ts.env.client, 'late-apology-overdue', code);
});
