/**
 * The land sample (1.012758) without legal papers, end to end on the time-skipping Temporal test server
 * (real worker, real activities, real PostgreSQL): the decision sends it to the 15-day public posting
 * (a `wait`), after which the objections task opens, then the signature, the fee and the certificate.
 */
import { createDossierService } from '../../api/services/dossiers';
import { createProcedureService } from '../../api/services/procedures';
import { publishSamples } from '../../scripts/seed';
import { Validator } from '../../api/validation';
import { createCalendarStore } from '../../stores/calendar-store';
import { addWorkingTime, workingTimeBetween } from '../../domain/calendar';
import type { Principal } from '../../api/auth';
import { completeTaskUpdate, getDossierQuery, observeDossierUpdate, type Actor } from '../../workflows/messages';
import { birthRegistration } from '../support/factories';
import { keepHistory } from '../support/histories';
import { startTimeSkippingEnv, type TimeSkippingEnv } from '../support/time-skipping';

let ts: TimeSkippingEnv;
let dossiers: ReturnType<typeof createDossierService>;
const lan: Actor = { username: 'lan.motcua-mybinh' };
const dung: Actor = { username: 'dung.kinhte-mybinh' };
const cuong: Actor = { username: 'cuong.lanhdao-mybinh' };
const counter: Principal = { kind: 'officer', username: 'lan.motcua-mybinh', fullName: 'Nguyễn Thị Lan', agency: 'UBND-XA-MY-BINH',
  unit: 'MOT-CUA', roles: ['one-stop-officer'] };
const DAY = 24 * 3600_000;

beforeAll(async () => {
  ts = await startTimeSkippingEnv();
  await publishSamples(ts.db);
  dossiers = createDossierService({ db: ts.db, temporal: ts.env.client, taskQueue: ts.taskQueue,
    procedures: createProcedureService(ts.db), validator: new Validator() });
});
afterAll(() => ts?.stop());

/**
 * Lets the step's deadline watcher finish its activity first: the time-skipping test server answers a
 * cancellation racing an activity's completion with ACTIVITY_UNKNOWN, which stalls the run.
 */
async function quiet(code: string) {
  const handle = ts.env.client.workflow.getHandle(code);
  for (let i = 0; i < 100 && (await handle.describe()).raw.pendingActivities?.length; i++) await new Promise((r) => setTimeout(r, 50));
}

async function complete(code: string, stepId: string, outcome: string, actor: Actor, comment?: string, data?: object) {
  const handle = ts.env.client.workflow.getHandle(code);
  await quiet(code);
  const view = await handle.executeUpdate(observeDossierUpdate);
  const task = view.openTasks.find((t) => t.stepId === stepId);
  if (!task) throw new Error(`no open ${stepId} task: ${JSON.stringify(view)}`);
  return handle.executeUpdate(completeTaskUpdate, { args: [{ taskId: task.taskId, outcome, actor, comment, data: data as Record<string, unknown> }] });
}

const eventAt = async (code: string, type: string, stepId: string) =>
  Date.parse((await ts.db('dossier_events').where({ dossier_code: code, type, step_id: stepId }).orderBy('id').first()).at);

test('land without legal papers is posted publicly for 15 days before the certificate', async () => {
  const { code } = await dossiers.submit(birthRegistration({ procedureCode: '1.012758',
    application: { land: { parcel: '87', mapSheet: '14', area: 96, use: 'Đất ở tại đô thị', hasLegalPapers: false } } }), undefined);
  await complete(code, 'receive', 'accept', lan, 'Tiếp nhận');
  const verified = await complete(code, 'verify', 'ok', dung, undefined, { disputeFree: true, fitsPlanning: true, usedSince: '2003' });
  expect(verified.currentSteps).toEqual(['post']);
  expect(verified.openTasks).toEqual([]);

  const handle = ts.env.client.workflow.getHandle(code);
  await ts.env.sleep(14 * DAY);
  expect((await handle.query(getDossierQuery)).currentSteps).toEqual(['post']);
  await ts.env.sleep(2 * DAY);
  const posted = await handle.executeUpdate(observeDossierUpdate);
  expect(posted.openTasks.map((t) => t.stepId)).toEqual(['objections']);
  const waited = (await eventAt(code, 'task-opened', 'objections')) - (await eventAt(code, 'task-completed', 'verify'));
  // the posting runs from the minute (legal time counts whole minutes) the verification ended
  expect(waited).toBeGreaterThanOrEqual(15 * DAY - 60_000);
  expect(waited).toBeLessThan(16 * DAY);

  // the law does not count the posting (pausesClock): the appointment moved by exactly the posted working time
  const resumed = await ts.db('dossier_events').where({ dossier_code: code, type: 'clock-resumed', step_id: 'post' }).first();
  const { pausedFrom, pausedTo, previousAppointmentAt, appointmentAt } = resumed.data;
  expect(Date.parse(pausedTo) - Date.parse(pausedFrom)).toBeGreaterThanOrEqual(15 * DAY - 60_000);
  expect(previousAppointmentAt).toBe(verified.appointmentAt);
  const calendar = await createCalendarStore(ts.db).calendarFor('UBND-XA-MY-BINH');
  expect(workingTimeBetween(calendar, pausedFrom, pausedTo)).toBeGreaterThan(10 * 8 * 3600_000);
  expect(appointmentAt).toBe(addWorkingTime(calendar, previousAppointmentAt, workingTimeBetween(calendar, pausedFrom, pausedTo)));
  expect(posted.appointmentAt).toBe(appointmentAt);
  expect(posted.overdue).toBe(false);
  expect(new Date((await ts.db('dossiers').where({ code }).first()).appointment_at).toISOString()).toBe(new Date(appointmentAt).toISOString());

  await complete(code, 'objections', 'none', dung);
  await complete(code, 'approve', 'approve', cuong);
  expect((await handle.query(getDossierQuery)).status).toBe(6);
  await dossiers.confirmCounterPayment(code, 'LE-PHI-GCN', counter, { receiptNo: 'BL-GCN-0001' });
  expect(await handle.result()).toEqual({ status: 10 });
  await keepHistory(ts.env.client, 'land-posting-pauses-clock', code);
  const notified = await ts.db('dossier_events').where({ dossier_code: code, type: 'notified', step_id: 'tell' });
  expect(notified).toHaveLength(1);
});
