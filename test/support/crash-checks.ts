/**
 * The crash test's verdict on every dossier once the clients are done: the read model and the workflow
 * agree and the dossier reached its end (status 10); nothing happened twice (status events, tasks and
 * their completions in the workflow's history, notifications, portal rows, receipts, payments, handoffs,
 * partner dossiers) and nothing is lost (every dossier answered 201 is in the read model and in
 * Temporal, no other dossier exists). Each inconsistency comes with what a person needs to diagnose it.
 */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Knex } from '../../lib/db';
import { SA } from '../../domain/search-attributes';
import { DOSSIER_WORKFLOW, getDossierQuery } from '../../workflows/messages';
import { type DossierRun, type JourneyKind, type Officer, type RetryingHttp } from './crash-clients';

/** A dossier to check: a lead one of the plan, or the fire police's partner dossier of a permit. */
export interface CheckedDossier {
  code: string;
  kind: JourneyKind | 'partner';
  run: DossierRun;
}

/** One thing found wrong with one dossier (or with the whole run, `dossier: '*'`). */
export interface Inconsistency {
  dossier: string;
  what: string;
}

/** What the end of each journey must look like, per kind of dossier. */
interface Expected {
  statuses: number[];
  steps: string[];
  /** `template/recipient kind/channel` of each notification, each once */
  notifications: string[];
}

const toApplicant = (...templates: string[]) => templates.flatMap((t) => ['email', 'sms', 'in-app'].map((c) => `${t}/applicant/${c}`));

const EXPECTED: Record<CheckedDossier['kind'], Expected> = {
  birth: { statuses: [1, 2, 4, 9, 10], steps: ['receive', 'review', 'sign'], notifications: toApplicant('accepted', 'result-ready', 'returned') },
  business: { statuses: [1, 2, 6, 2, 4, 9, 10], steps: ['receive', 'review', 'sign'],
    notifications: [...toApplicant('accepted', 'fee-due', 'result-ready', 'returned'), 'result-ready/unit-role/in-app'] },
  permit: { statuses: [1, 2, 4, 6, 4, 9, 10], steps: ['receive', 'inspect-site', 'review-papers', 'sign'],
    notifications: toApplicant('accepted', 'fee-due', 'result-ready', 'returned') },
  partner: { statuses: [1, 2, 4, 9, 10], steps: ['receive', 'appraise', 'sign'], notifications: [] },
};

/** Which officer reads a dossier of each kind (one of its agency). */
const READER: Record<CheckedDossier['kind'], Officer> = { birth: 'lan', business: 'lan', permit: 'lan', partner: 'thu' };

export interface CheckDeps {
  db: Knex;
  temporal: Client;
  http: RetryingHttp;
  tokens: Record<Officer, string>;
  /** the local mail sink's folder (DATA_DIR/mail) */
  mailDir: string;
  /** where the workflow histories of dossiers found wrong are kept */
  historiesDir: string;
}

/** Redeliveries the receivers absorbed: counted, not inconsistencies (each carries the key the receiver deduplicates on). */
export interface Redeliveries {
  /** .eml files beyond the first with the same Message-ID */
  emails: number;
  /** portal deliveries beyond the first of a row (`local_portal_receipts.deliveries`) */
  portal: number;
}

export interface Verdict {
  inconsistencies: Inconsistency[];
  /** dossiers that reached status 10 in both the read model and the workflow */
  reachedEnd: number;
  /** completions and counter payments answered 409 though the workflow had applied them (truly done: not an inconsistency) */
  doubtfulButDone: string[];
  redeliveries: Redeliveries;
}

const same = (a: unknown[], b: unknown[]) => JSON.stringify(a) === JSON.stringify(b);

function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

const twice = (counts: Map<string, number>) => [...counts].filter(([, n]) => n > 1).map(([k, n]) => `${k} ×${n}`);

/** The workflow's accepted `completeTask` Updates: task id → update ids. */
function acceptedCompletions(history: temporal.api.history.v1.IHistory): Map<string, string[]> {
  const byTask = new Map<string, string[]>();
  for (const event of history.events ?? []) {
    const request = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
    if (request?.input?.name !== 'completeTask') continue;
    const payload = request.input.args?.payloads?.[0];
    const input = payload ? defaultPayloadConverter.fromPayload<{ taskId: string }>(payload) : undefined;
    const taskId = input?.taskId ?? '?';
    byTask.set(taskId, [...(byTask.get(taskId) ?? []), request.meta?.updateId ?? '?']);
  }
  return byTask;
}

/** `eventType` as its name, without the prefix: `WORKFLOW_TASK_FAILED`. */
const eventName = (e: temporal.api.history.v1.IHistoryEvent) =>
  (temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '');

/** The local activity a marker records (`core_local_activity` markers carry its type in their `data`). */
function markerActivity(e: temporal.api.history.v1.IHistoryEvent): string | undefined {
  const payload = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0];
  if (!payload) return undefined;
  const data = defaultPayloadConverter.fromPayload<{ activity_type?: string; seq?: number }>(payload);
  return `${data.activity_type ?? '?'}#${data.seq ?? '?'}`;
}

/**
 * What the workflow's history says about a run that did not end: the last workflow task failure (a
 * nondeterminism error names the local activity it expected), the local activities recorded in history
 * order, and the last events.
 */
function historyTrouble(history: temporal.api.history.v1.IHistory, runId: string): string[] {
  const events = history.events ?? [];
  const lines: string[] = [`workflow run ${runId}: ${events.length} history events`];
  const failed = [...events].reverse().find((e) => e.workflowTaskFailedEventAttributes);
  if (failed) {
    const a = failed.workflowTaskFailedEventAttributes!;
    const cause = temporal.api.enums.v1.WorkflowTaskFailedCause[a.cause ?? 0] ?? a.cause;
    lines.push(`last workflow task failure (event ${failed.eventId}, ${cause}): ${(a.failure?.message ?? '').slice(0, 400)}`);
  }
  const markers = events.map((e) => markerActivity(e)).filter((m): m is string => m !== undefined);
  lines.push(`local activities recorded, in history order: ${markers.join(', ')}`);
  lines.push(`last events: ${events.slice(-14).map((e) => {
    const update = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name
      ?? e.workflowExecutionSignaledEventAttributes?.signalName ?? markerActivity(e);
    return `${e.eventId} ${eventName(e)}${update ? ` (${update})` : ''}`;
  }).join(', ')}`);
  return lines;
}

/** Checks one dossier; its inconsistencies, and whether it reached its end on both sides. */
async function checkDossier(d: CheckedDossier, deps: CheckDeps, doubtfulButDone: string[]): Promise<{ found: string[]; ended: boolean }> {
  const { db } = deps;
  const expected = EXPECTED[d.kind];
  const found: string[] = [];

  const view = await deps.http.get(d.code, `/api/dossiers/${encodeURIComponent(d.code)}`, deps.tokens[READER[d.kind]]);
  if (view.status !== 200) return { found: [`the read model does not have it: GET answered ${view.status} ${view.text.slice(0, 200)}`], ended: false };
  const handle = deps.temporal.workflow.getHandle(d.code);
  const described = await handle.describe().catch((err: Error) => err);
  if (described instanceof Error) return { found: [`Temporal does not have its workflow: ${described.message}`], ended: false };
  const saStatus = described.typedSearchAttributes.get(SA.status);
  const result = described.status.name === 'COMPLETED' ? (await handle.result()) as { status: number } : undefined;
  const readStatus = view.body.status as number;
  if (String(readStatus) !== saStatus || (result && result.status !== readStatus)) {
    found.push(`read-model status ${readStatus} ≠ workflow status (DossierStatus "${saStatus}", run ${described.status.name}` +
      `${result ? `, result ${result.status}` : ''})`);
  }
  const ended = readStatus === 10 && saStatus === '10' && result?.status === 10;
  if (!ended) found.push(`did not reach its end: read model ${readStatus}, workflow ${described.status.name} with DossierStatus "${saStatus}"`);

  const events = await db('dossier_events').where({ dossier_code: d.code }).orderBy('id');
  const statuses = events.filter((e) => e.to_status !== null).map((e) => e.to_status as number);
  if (!same(statuses, expected.statuses)) found.push(`status history ${statuses.join('→')} (expected ${expected.statuses.join('→')})`);
  const once = events.filter((e) => ['task-opened', 'task-completed', 'result-delivered', 'handoff-sent', 'handoff-returned'].includes(e.type));
  const what = (e: { type: string; step_id: string | null }) => `${e.type}${e.step_id ? ` ${e.step_id}` : ''}`;
  for (const dup of twice(countBy(once, what))) {
    const rows = once.filter((e) => dup.startsWith(`${what(e)} ×`));
    found.push(`history rows twice: ${dup}: ${rows.map((e) => `event_key ${e.event_key} at ${new Date(e.at).toISOString()} by ${e.actor}`).join('; ')}`);
  }

  const tasks = await db('tasks').where({ dossier_code: d.code });
  const steps = tasks.map((t) => `${t.step_id}#${t.iteration}`).sort();
  if (!same(steps, expected.steps.map((s) => `${s}#1`).sort())) found.push(`tasks ${steps.join(', ')} (expected ${expected.steps.join(', ')}, once each)`);
  const open = tasks.filter((t) => t.state !== 'completed');
  if (open.length) found.push(`tasks not completed in the read model: ${open.map((t) => `${t.step_id} ${t.state}`).join(', ')}`);
  const history = await handle.fetchHistory();
  const completions = acceptedCompletions(history);
  for (const t of tasks) {
    const updates = completions.get(t.id) ?? [];
    if (updates.length > 1) found.push(`task ${t.step_id} completed ${updates.length} times in the workflow (updates ${updates.join(', ')})`);
    if (t.state === 'completed' && updates.length === 0) found.push(`task ${t.step_id} is completed in the read model, but the workflow never accepted its completion`);
    if (t.state !== 'completed' && updates.length > 0) found.push(`task ${t.step_id} was completed in the workflow, but the read model says ${t.state}`);
  }
  const isLead = d.code === d.run.code;
  for (const doubt of d.run.doubtful.filter((x) => (x.taskId ? tasks.some((t) => t.id === x.taskId) : isLead))) {
    const task = tasks.find((t) => t.id === doubt.taskId);
    const done = doubt.taskId ? (completions.get(doubt.taskId) ?? []).length === 1 && task?.state === 'completed'
      : ended && same(statuses, expected.statuses);
    if (done) doubtfulButDone.push(`${d.code} ${doubt.step}: ${doubt.answer}`);
    else found.push(`${doubt.step} was answered "${doubt.answer}", and it was not applied`);
  }

  const notifications = await db('notifications').where({ dossier_code: d.code });
  const told = countBy(notifications, (n) => `${n.template}/${n.recipient_kind}/${n.channel}`);
  const notifiedTwice = twice(countBy(notifications, (n) => `${n.template}/${n.recipient_kind}/${n.recipient}/${n.channel}`));
  if (notifiedTwice.length) found.push(`notifications twice: ${notifiedTwice.join(', ')}`);
  const missing = expected.notifications.filter((n) => !told.has(n));
  const unexpected = [...told.keys()].filter((n) => !expected.notifications.includes(n));
  if (missing.length || unexpected.length) found.push(`notifications missing: [${missing.join(', ')}], unexpected: [${unexpected.join(', ')}]`);
  const unsent = notifications.filter((n) => n.state !== 'sent');
  if (unsent.length) found.push(`notifications not delivered: ${unsent.map((n) => `${n.template}/${n.channel} ${n.state} ${n.last_error ?? ''}`).join(', ')}`);

  const outbox = await db('portal_outbox').where({ dossier_code: d.code }).orderBy('sequence');
  const portal = await db('local_portal_receipts').where({ dossier_code: d.code }).orderBy('sequence');
  const sequences = statuses.map((_, i) => i + 1);
  if (!same(outbox.map((r) => r.sequence), sequences) || outbox.some((r) => r.state !== 'delivered')) {
    found.push(`portal outbox ${outbox.map((r) => `${r.sequence}:${r.state}`).join(' ')} (expected one delivered row per status change, 1..${statuses.length})`);
  }
  const portalStatuses = portal.map((r) => r.payload.status as number);
  if (!same(portal.map((r) => r.sequence), sequences) || !same(portalStatuses, statuses)) {
    found.push(`the portal received statuses ${portalStatuses.join('→')} as ${portal.map((r) => r.sequence).join(',')} (expected ${statuses.join('→')})`);
  }

  const feeCode = d.kind === 'business' ? 'LE-PHI-DKHKD' : d.kind === 'permit' ? 'LE-PHI-GPXD' : undefined;
  const payments = await db('payments').where({ dossier_code: d.code });
  const receipts = await db('receipts').where({ dossier_code: d.code });
  const ledger = await db('local_payment_ledger').where({ dossier_code: d.code });
  if (feeCode) {
    const paid = payments.filter((p) => p.state === 'paid');
    if (payments.length !== 1 || paid.length !== 1 || paid[0].fee_code !== feeCode || paid[0].channel !== d.run.plan.pay) {
      found.push(`payments ${payments.map((p) => `${p.fee_code} ${p.state} ${p.channel ?? ''}`).join(', ')} (expected ${feeCode} paid ${d.run.plan.pay}, once)`);
    }
    if (receipts.length !== 1 || receipts[0].fee_code !== feeCode) found.push(`receipts ${receipts.map((r) => `${r.fee_code} ${r.receipt_no}`).join(', ')} (expected one for ${feeCode})`);
    const paidAtProvider = ledger.filter((l) => l.state === 'paid');
    const expectedAtProvider = d.run.plan.pay === 'online' ? 1 : 0;
    if (ledger.length !== 1 || paidAtProvider.length !== expectedAtProvider
      || (expectedAtProvider && paidAtProvider[0].transaction_id !== paid[0]?.provider_txn_id)) {
      found.push(`the provider's ledger ${ledger.map((l) => `${l.fee_code} ${l.state} ${l.transaction_id ?? ''}`).join(', ')} ` +
        `(expected ${expectedAtProvider ? 'one paid line, the transaction of our payment' : 'one line, unpaid: paid at the counter'})`);
    }
  } else if (payments.length || receipts.length) {
    found.push(`payments or receipts on a dossier without fees: ${payments.length} payments, ${receipts.length} receipts`);
  }

  if (d.kind === 'permit') {
    const hops = await db('handoffs').where({ dossier_code: d.code });
    const partners = await db('dossiers').where({ parent_code: d.code }).pluck('code');
    if (hops.length !== 1 || hops[0].outcome !== 'done' || hops[0].partner_dossier_code !== d.run.partnerCode) {
      found.push(`handoffs ${hops.map((h) => `${h.step_id} → ${h.partner_dossier_code} ${h.outcome}`).join(', ')} (expected one, done, to ${d.run.partnerCode})`);
    }
    if (partners.length !== 1) found.push(`partner dossiers ${partners.join(', ')} (expected one)`);
  }
  if (!ended && described.status.name === 'RUNNING') {
    // a task the read model shows open that the workflow does not know can never be completed
    const openHere = tasks.filter((t) => t.state !== 'completed').map((t) => `${t.step_id} ${t.id}`);
    const openThere = await handle.query(getDossierQuery).then((v) => v.openTasks.map((t) => `${t.stepId} ${t.taskId}`),
      (err: Error) => [`(the workflow does not answer its query: ${err.message.slice(0, 200)})`]);
    found.push(`open tasks: read model [${openHere.join(', ')}], workflow [${openThere.join(', ')}]`);
  }
  if (found.length) {
    found.push(...historyTrouble(history, described.runId));
    mkdirSync(deps.historiesDir, { recursive: true });
    const file = join(deps.historiesDir, `${d.code}.history.bin`);
    writeFileSync(file, temporal.api.history.v1.History.encode(history).finish());
    found.push(`its history is kept in ${file} (protobuf, as test/histories: Worker.runReplayHistory replays it)`);
  }
  return { found, ended };
}

/** Message-IDs of the mails the sink kept, with how many files each. */
function mailsByMessageId(dir: string): Map<string, number> {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
  } catch {
    return new Map();
  }
  return countBy(files, (f) => /^Message-ID:\s*(\S+)/im.exec(readFileSync(join(dir, f), 'utf8'))?.[1] ?? f);
}

/**
 * Checks every dossier of the run and the run as a whole.
 *
 * @param dossiers - the lead dossiers answered 201, and the partner dossiers they handed off to
 * @param runs - every journey of the plan (those without a code never got their 201)
 */
export async function checkRun(dossiers: CheckedDossier[], runs: DossierRun[], deps: CheckDeps): Promise<Verdict> {
  const inconsistencies: Inconsistency[] = [];
  const doubtfulButDone: string[] = [];
  let reachedEnd = 0;
  for (const d of dossiers) {
    const { found, ended } = await checkDossier(d, deps, doubtfulButDone);
    if (ended) reachedEnd += 1;
    inconsistencies.push(...found.map((what) => ({ dossier: d.code, what })));
  }

  for (const run of runs.filter((r) => r.failure)) inconsistencies.push({ dossier: run.code ?? run.plan.label, what: `the client could not finish: ${run.failure}` });

  // nothing lost, nothing extra: the read model and Temporal hold exactly the dossiers of the run
  const known = new Set(dossiers.map((d) => d.code));
  const rows = await deps.db('dossiers').select('code', 'procedure_code', 'parent_code', 'applicant');
  for (const row of rows.filter((r) => !known.has(r.code))) {
    const twin = runs.find((r) => r.code && rows.some((o) => o.code === r.code && o.applicant?.idNumber === row.applicant?.idNumber));
    inconsistencies.push({ dossier: row.code, what: `a dossier no client was answered for (${row.procedure_code}${row.parent_code ? `, partner of ${row.parent_code}` : ''})` +
      `${twin ? `: the same applicant as ${twin.code} (${twin.plan.label}), a submission registered twice` : ''}` });
  }
  const workflows = new Set<string>();
  for await (const w of deps.temporal.workflow.list({ query: `WorkflowType = '${DOSSIER_WORKFLOW}'` })) workflows.add(w.workflowId);
  for (const code of workflows) if (!rows.some((r) => r.code === code)) inconsistencies.push({ dossier: code, what: 'a workflow with no dossier in the read model' });
  for (const code of known) if (!workflows.has(code)) inconsistencies.push({ dossier: code, what: 'missing from Temporal\'s list of dossier workflows' });
  const expectedCodes = dossiers.map((d) => d.code);
  for (const code of expectedCodes) if (!rows.some((r) => r.code === code)) inconsistencies.push({ dossier: code, what: 'answered 201 but missing from the read model' });

  // every email the outbox sent reached the mail sink; the same Message-ID twice is a redelivery the mail client folds
  const mails = mailsByMessageId(deps.mailDir);
  const sentEmails = await deps.db('notifications').where({ channel: 'email', state: 'sent' }).pluck('key');
  for (const key of sentEmails) {
    const id = `<${String(key).replace(/[^A-Za-z0-9.-]/g, '.')}@onestop>`;
    if (!mails.has(id)) inconsistencies.push({ dossier: String(key).split(':')[0], what: `email ${key} is marked sent but the mail sink never got it` });
  }
  const emailRedeliveries = [...mails.values()].reduce((sum, n) => sum + n - 1, 0);
  const [{ extra }] = await deps.db('local_portal_receipts').select(deps.db.raw('coalesce(sum(deliveries - 1), 0)::int AS extra'));
  return { inconsistencies, reachedEnd, doubtfulButDone, redeliveries: { emails: emailRedeliveries, portal: extra } };
}
