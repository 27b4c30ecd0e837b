import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { setTimeout as delay } from 'node:timers/promises';
import { allocateDossierCode } from '../../lib/dossier-codes';
import { SA } from '../../domain/search-attributes';
import { DossierStatus, STATUS_LABELS, isTerminal, type DossierStatusCode } from '../../domain/status';
import {
  DOSSIER_WORKFLOW,
  observeDossierUpdate,
  paymentConfirmedSignal,
  stopDossierUpdate,
  supplementSignal,
  withdrawSignal,
  type Actor,
  type DossierSettings,
  type DossierView,
  type DossierWorkflowInput,
} from '../../workflows/messages';
import type { Principal } from '../auth';
import { checkJsonSize, INPUT_LIMITS } from '../boundary';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors';
import type { Validator } from '../validation';
import { hopsOf } from './hops';
import { settledView } from './observe';
import { receiptsOf, settlePayment } from './payments';
import { withoutDocuments, type DossierDocuments } from './documents';
import type { ProcedureService } from './procedures';

export interface SubmitDossierBody {
  procedureCode: string;
  channel: 'online' | 'counter' | 'postal';
  applicant: { fullName: string; idNumber: string; organization?: string; email?: string; phone?: string; address?: string };
  application?: Record<string, unknown>;
  documents?: ({ code: string; fileName: string; contentBase64: string; mediaType?: string } | { code: string; reuse: true })[];
  returnChannel: 'electronic' | 'counter' | 'postal';
}

export const submitDossierSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['procedureCode', 'channel', 'applicant', 'returnChannel'],
  properties: {
    procedureCode: { type: 'string', minLength: 1, maxLength: 64 },
    channel: { enum: ['online', 'counter', 'postal'] },
    applicant: {
      type: 'object',
      additionalProperties: false,
      required: ['fullName', 'idNumber'],
      properties: {
        fullName: { type: 'string', minLength: 1, maxLength: 200 },
        idNumber: { type: 'string', pattern: '^[0-9A-Za-z]{6,20}$' },
        organization: { type: 'string', maxLength: 300 },
        email: { type: 'string', format: 'email' },
        phone: { type: 'string', pattern: '^\\+?[0-9 .-]{8,20}$' },
        address: { type: 'string', maxLength: 500 },
      },
    },
    application: { type: 'object' },
    documents: {
      type: 'array',
      maxItems: 50,
      items: {
        oneOf: [
          {
            type: 'object', additionalProperties: false, required: ['code', 'fileName', 'contentBase64'],
            properties: {
              code: { type: 'string', minLength: 1 },
              fileName: { type: 'string', minLength: 1, maxLength: 255 },
              mediaType: { type: 'string' },
              contentBase64: { type: 'string', contentEncoding: 'base64' },
            },
          },
          {
            type: 'object', additionalProperties: false, required: ['code', 'reuse'],
            properties: { code: { type: 'string', minLength: 1 }, reuse: { const: true } },
          },
        ],
      },
    },
    returnChannel: { enum: ['electronic', 'counter', 'postal'] },
  },
} as const;

export interface DossierServiceDeps {
  db: Knex;
  temporal: Client;
  taskQueue: string;
  procedures: ProcedureService;
  validator: Validator;
  /** lead times and limits handed to each new dossier's run */
  settings?: Partial<DossierSettings>;
  /** checks and stores documents (file store, the applicant's data store); without it, documents are refused */
  documents?: DossierDocuments;
}

const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);

/** How long a withdrawal's answer waits for the dossier's run to end. */
const WITHDRAWAL_WAIT_MS = 15_000;

function statusOf(code: number) {
  return { status: code, statusLabel: STATUS_LABELS[code as DossierStatusCode] };
}

export const supplementSchema = {
  type: 'object', additionalProperties: false,
  properties: { documents: submitDossierSchema.properties.documents, note: { type: 'string', maxLength: 2000 } },
} as const;

export function createDossierService({ db, temporal, taskQueue, procedures, validator, settings, documents: docs = withoutDocuments }: DossierServiceDeps) {
  /** The dossier, if the caller is its applicant (their token) — else 403/404. */
  async function applicantDossier(code: string, principal: Principal | undefined) {
    const row = await db('dossiers').where({ code }).first();
    if (!row) throw new NotFoundError(`no dossier ${code}`);
    if (principal?.kind !== 'applicant' || principal.dossierCode !== code) {
      throw new ForbiddenError('only the applicant (with the token given at submission) may do this');
    }
    return row;
  }

  /** Stores uploaded documents of a dossier; returns their codes. */
  async function storeDocuments(code: string, documents: NonNullable<SubmitDossierBody['documents']>, procedureCode: string, version: number,
    ownerId: string) {
    const { plan } = await procedures.version(procedureCode, version);
    const known = new Set(plan.documents.map((d) => d.code));
    const problems = documents.flatMap((d, i) => (known.has(d.code) ? [] : [{ path: `$.documents[${i}].code`,
      message: `"${d.code}" is not a document of this procedure (${[...known].join(', ')})` }]));
    const prepared = await docs.prepare(documents, { ownerId, mayReuse: true });
    problems.push(...prepared.problems);
    if (problems.length) throw new ValidationError('the documents are invalid', problems);
    await db.transaction((trx) => docs.save(trx, code, prepared.items));
    return documents.map((d) => d.code);
  }

  /**
   * Starts the run of a registered dossier unless it has one (running or ended), and waits for it to
   * settle. The dossier's row holds everything its input needs, so a submission whose process died
   * between registering the dossier and starting its run is started by its retry or by the recovery sweep.
   */
  async function ensureRun(row: Record<string, any>): Promise<DossierView | undefined> {
    const { plan } = await procedures.version(row.procedure_code, row.procedure_version);
    let receivedBy: Actor | undefined;
    if (row.channel === 'counter') {
      const submittedEvent = await db('dossier_events').where({ dossier_code: row.code, event_key: 'submitted' }).first();
      receivedBy = submittedEvent ? { username: submittedEvent.actor, fullName: submittedEvent.actor_name ?? undefined } : undefined;
    }
    const input: DossierWorkflowInput = {
      dossierCode: row.code, plan, channel: row.channel, returnChannel: row.return_channel,
      submittedAt: new Date(row.submitted_at).toISOString(), application: row.application, receivedBy, settings,
    };
    try {
      // start, then wait for it to settle (two calls: update-with-start is not on every Temporal server)
      const handle = await temporal.workflow.start(DOSSIER_WORKFLOW, {
        workflowId: row.code,
        taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        // a dossier whose run has ended is never started again
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        staticSummary: `${plan.name} (${plan.code} v${plan.version})`,
        typedSearchAttributes: [
          { key: SA.dossierCode, value: row.code },
          { key: SA.procedureCode, value: plan.code },
          { key: SA.procedureVersion, value: plan.version },
          { key: SA.agency, value: plan.agency },
          { key: SA.status, value: String(DossierStatus.Submitted) },
        ],
      });
      return await handle.executeUpdate(observeDossierUpdate);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError || err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  /** The answer to a submission: the run's view, or (its run has ended) the read model's. */
  async function submissionAnswer(code: string, view: DossierView | undefined) {
    if (view) return { code, ...statusOf(view.status), appointmentAt: view.appointmentAt ?? null, currentSteps: view.currentSteps };
    const row = await db('dossiers').where({ code }).first();
    return { code, ...statusOf(row.status), appointmentAt: iso(row.appointment_at), currentSteps: row.current_steps ?? [] };
  }

  return {
    ensureRun,

    /**
     * Registers a dossier and starts its workflow (id = dossier code); answers once the workflow has
     * settled, so a counter dossier comes back already accepted with its appointment date. A retry of
     * the same request (`requestKey`) answers with the dossier the first attempt registered.
     */
    async submit(raw: unknown, principal: Principal | undefined, requestKey?: string) {
      const body = validator.check<SubmitDossierBody>(submitDossierSchema, raw, 'the dossier');
      // the application goes whole into the workflow's input, which Temporal caps at 2 MB with the plan
      checkJsonSize(body.application, '$.application', INPUT_LIMITS.applicationBytes, 'the application');
      const { plan } = await procedures.live(body.procedureCode);
      const problems = [];
      if (!plan.returnChannels.includes(body.returnChannel)) {
        problems.push({ path: '$.returnChannel', message: `this procedure returns results by ${plan.returnChannels.join(', ')} only` });
      }
      const application = body.application ?? {};
      if (plan.applicationForm) {
        try {
          validator.check(plan.applicationForm, application, 'the application form', '$.application');
        } catch (err) {
          if (!(err instanceof ValidationError)) throw err;
          problems.push(...(err.details ?? []));
        }
      }
      const known = new Set(plan.documents.map((d) => d.code));
      (body.documents ?? []).forEach((d, i) => {
        if (!known.has(d.code)) problems.push({ path: `$.documents[${i}].code`, message: `"${d.code}" is not a document of this procedure (${[...known].join(', ')})` });
      });
      if (body.returnChannel === 'postal' && !body.applicant.address?.trim()) {
        problems.push({ path: '$.applicant.address', message: 'is required to return the result by post' });
      }

      let receivedBy: Actor | undefined;
      if (body.channel === 'counter') {
        if (principal?.kind !== 'officer' || !principal.roles.includes('one-stop-officer') || principal.agency !== plan.agency) {
          throw new ForbiddenError('a counter dossier is received by a one-stop officer of the procedure\'s agency');
        }
        receivedBy = { username: principal.username, fullName: principal.fullName };
      }
      const submitted = body.documents ?? [];
      const mayReuse = submitted.some((d) => 'reuse' in d) && await docs.mayReuse(principal, body.applicant.idNumber, Boolean(receivedBy));
      const prepared = await docs.prepare(submitted, { ownerId: body.applicant.idNumber, mayReuse });
      problems.push(...prepared.problems);
      if (problems.length) throw new ValidationError('the dossier is invalid', problems);
      if (requestKey) {
        const registered = await db('dossiers').where({ submission_key: requestKey }).first();
        if (registered) return submissionAnswer(registered.code, await ensureRun(registered));
      }
      const now = DateTime.utc();
      const submittedAt = now.toISO() as string;
      const { code } = await db.transaction(async (trx) => {
        const allocated = await allocateDossierCode(trx, plan.agency, now);
        await trx('dossiers').insert({
          code: allocated.code, procedure_code: plan.code, procedure_version: plan.version, procedure_name: plan.name,
          agency_code: plan.agency, channel: body.channel, code_rule: allocated.rule, applicant: JSON.stringify(body.applicant),
          application: JSON.stringify(application), return_channel: body.returnChannel, status: DossierStatus.Submitted,
          submitted_at: submittedAt, applicant_account: null, submission_key: requestKey ?? null,
        });
        await trx('dossier_events').insert({
          dossier_code: allocated.code, event_key: 'submitted', type: 'status', to_status: DossierStatus.Submitted,
          actor: receivedBy?.username ?? 'applicant', actor_name: receivedBy?.fullName ?? body.applicant.fullName,
          reason: `Nộp hồ sơ (${body.channel})`, at: submittedAt,
        });
        await docs.save(trx, allocated.code, prepared.items);
        return allocated;
      });

      let view: DossierView | undefined;
      try {
        view = await ensureRun(await db('dossiers').where({ code }).first());
      } catch (err) {
        // when Temporal surely has no run of it, the row goes (the code stays burnt, never reused), so nobody sees a
        // dossier without a workflow; when that cannot be known, the row stays and the recovery sweep starts its run
        const started = await temporal.workflow.getHandle(code).describe().then(() => true,
          (e: unknown) => (e instanceof WorkflowNotFoundError ? false : undefined));
        if (started === false) await db('dossiers').where({ code }).delete();
        throw err;
      }
      return submissionAnswer(code, view);
    },

    /** The officer's (or the applicant's) full view of one dossier, from the read model. */
    async get(code: string, principal: Principal | undefined) {
      const row = await db('dossiers').where({ code }).first();
      if (!row) throw new NotFoundError(`no dossier ${code}`);
      if (!principal) throw new ForbiddenError('sign in, or use the applicant token given at submission');
      if (principal.kind === 'applicant' && principal.dossierCode !== code) throw new ForbiddenError('this token is for another dossier');
      if (principal.kind === 'officer' && principal.agency !== row.agency_code) throw new ForbiddenError('this dossier belongs to another agency');
      const [events, tasks, documents, payments] = await Promise.all([
        db('dossier_events').where({ dossier_code: code }).orderBy([{ column: 'at' }, { column: 'id' }]),
        db('tasks').where({ dossier_code: code }).orderBy('created_at'),
        db('dossier_documents').where({ dossier_code: code }).select('id', 'document_code', 'file_name', 'media_type', 'size', 'sha256', 'reused',
          'digitization_code', 'digitization_result', 'digitized_by', 'digitized_at', 'metadata')
          .orderByRaw('digitization_code ASC NULLS LAST, created_at, id'),
        db('payments').where({ dossier_code: code }).orderBy('requested_at'),
      ]);
      return {
        code: row.code,
        procedure: { code: row.procedure_code, version: row.procedure_version, name: row.procedure_name },
        agency: row.agency_code,
        channel: row.channel,
        ...statusOf(row.status),
        applicant: row.applicant,
        application: row.application,
        returnChannel: row.return_channel,
        currentSteps: row.current_steps,
        supplementCount: row.supplement_count,
        submittedAt: iso(row.submitted_at),
        acceptedAt: iso(row.accepted_at),
        appointmentAt: iso(row.appointment_at),
        finishedAt: iso(row.finished_at),
        returnedAt: iso(row.returned_at),
        overdue: Boolean(row.appointment_at && !isTerminal(row.status) && new Date(row.appointment_at) < new Date()),
        documents: documents.map((d) => ({ id: d.id, code: d.document_code, fileName: d.file_name, mediaType: d.media_type,
          size: d.size, sha256: d.sha256, reused: d.reused, digitizationCode: d.digitization_code, digitizationResult: d.digitization_result,
          digitizedBy: d.digitized_by, digitizedAt: iso(d.digitized_at), metadata: d.metadata })),
        lateDelivery: row.late_delivery,
        attention: row.attention ?? null,
        fees: payments.map((p) => ({ code: p.fee_code, name: p.fee_name, amount: Number(p.amount), collect: p.collect, state: p.state,
          channel: p.channel, receiptNo: p.receipt_no, paidAt: iso(p.paid_at),
          paymentUrl: p.state === 'pending' ? p.payment_url : null })),
        receipts: await receiptsOf(db, code),
        hops: await hopsOf(db, code),
        parentCode: row.parent_code,
        tasks: tasks.map((t) => ({ id: t.id, stepId: t.step_id, stepName: t.step_name, unit: t.unit_code, role: t.role,
          state: t.state, outcome: t.outcome, comment: t.comment, completedBy: t.completed_by,
          completedAt: iso(t.completed_at), dueAt: iso(t.due_at), createdAt: iso(t.created_at) })),
        history: events.map((e) => ({ at: iso(e.at), type: e.type, fromStatus: e.from_status, toStatus: e.to_status,
          stepId: e.step_id, actor: e.actor, actorName: e.actor_name, reason: e.reason, data: e.data })),
      };
    },

    /** The applicant supplements the requested documents; the legal clock resumes. */
    async supplement(code: string, principal: Principal | undefined, raw: unknown) {
      const row = await applicantDossier(code, principal);
      const body = validator.check<{ documents?: SubmitDossierBody['documents']; note?: string }>(supplementSchema, raw, 'the supplement');
      if (row.status !== DossierStatus.SupplementRequested) {
        throw new ConflictError(`dossier ${code} is not waiting for a supplement (status ${row.status})`, 'NotWaitingForSupplementError');
      }
      const stored = await storeDocuments(code, body.documents ?? [], row.procedure_code, row.procedure_version, row.applicant.idNumber);
      const handle = temporal.workflow.getHandle(code);
      await handle.signal(supplementSignal, { actor: { username: 'applicant', fullName: row.applicant.fullName }, documents: stored, note: body.note });
      const view = await settledView(handle);
      return { code, ...statusOf(view.status), appointmentAt: view.appointmentAt ?? null };
    },

    /** The applicant withdraws the dossier (status 7) while it is not yet done. */
    async withdraw(code: string, principal: Principal | undefined, raw: unknown) {
      const row = await applicantDossier(code, principal);
      const body = validator.check<{ reason: string }>({ type: 'object', additionalProperties: false, required: ['reason'],
        properties: { reason: { type: 'string', minLength: 1, maxLength: 2000 } } }, raw, 'the withdrawal');
      if (isTerminal(row.status) || row.status === DossierStatus.Processed) {
        throw new ConflictError(`dossier ${code} can no longer be withdrawn (status ${row.status})`, 'DossierEndedError');
      }
      const handle = temporal.workflow.getHandle(code);
      await handle.signal(withdrawSignal, { actor: { username: 'applicant', fullName: row.applicant.fullName }, reason: body.reason });
      // the answer waits for the run to end, but never for ever: a dossier that takes longer says so (202) and ends later
      const waiting = new AbortController();
      const ended = await Promise.race([
        handle.result().then((r: { status: DossierStatusCode }) => r),
        delay(WITHDRAWAL_WAIT_MS, undefined, { signal: waiting.signal }).catch(() => undefined),
      ]).finally(() => waiting.abort());
      if (!ended) {
        const now = await db('dossiers').where({ code }).first('status');
        return { code, ...statusOf(now.status), withdrawal: 'pending' as const };
      }
      if (ended.status !== DossierStatus.Withdrawn) {
        throw new ConflictError(`dossier ${code} ended with status ${ended.status} before the withdrawal`, 'DossierEndedError');
      }
      return { code, ...statusOf(DossierStatus.Withdrawn) };
    },

    /** A leader of the agency stops processing (status 8) with reasons. */
    async stop(code: string, principal: Principal | undefined, raw: unknown) {
      if (principal?.kind !== 'officer' || !principal.roles.includes('leader')) throw new ForbiddenError('stopping a dossier needs a leader');
      const row = await db('dossiers').where({ code }).first();
      if (!row) throw new NotFoundError(`no dossier ${code}`);
      if (row.agency_code !== principal.agency) throw new ForbiddenError('this dossier belongs to another agency');
      const body = validator.check<{ reason: string }>({ type: 'object', additionalProperties: false, required: ['reason'],
        properties: { reason: { type: 'string', minLength: 1, maxLength: 2000 } } }, raw, 'the stop');
      const view = await temporal.workflow.getHandle(code).executeUpdate(stopDossierUpdate, {
        args: [{ actor: { username: principal.username, fullName: principal.fullName }, reason: body.reason }] });
      return { code, ...statusOf(view.status) };
    },

    /** A one-stop officer records a fee paid at the counter; the dossier goes on once every fee due is paid. */
    async confirmCounterPayment(code: string, feeCode: string, principal: Principal | undefined, raw: unknown, requestKey?: string) {
      if (principal?.kind !== 'officer' || !principal.roles.includes('one-stop-officer')) {
        throw new ForbiddenError('counter payments are recorded by a one-stop officer');
      }
      const body = validator.check<{ receiptNo?: string }>({ type: 'object', additionalProperties: false,
        properties: { receiptNo: { type: 'string', minLength: 1, maxLength: 64 } } }, raw, 'the payment');
      const row = await db('dossiers').where({ code }).first();
      if (!row) throw new NotFoundError(`no dossier ${code}`);
      if (row.agency_code !== principal.agency) throw new ForbiddenError('this dossier belongs to another agency');
      const payment = await db('payments').where({ dossier_code: code, fee_code: feeCode }).first();
      if (!payment) throw new NotFoundError(`dossier ${code} has no payment request for fee ${feeCode}`);
      const handle = temporal.workflow.getHandle(code);
      // this officer's own confirmation, retried after its answer was lost: the workflow is told again (it ignores
      // a fee it knows is paid), so a crash between the receipt and the signal never leaves the dossier waiting
      const mine = payment.state === 'paid' && payment.channel === 'counter' && payment.paid_by === principal.username
        && (!body.receiptNo || body.receiptNo === payment.receipt_no);
      if (mine && !requestKey) {
        await handle.signal(paymentConfirmedSignal, { feeCode, channel: 'counter', receiptNo: payment.receipt_no,
          actor: { username: principal.username, fullName: principal.fullName } }).catch(() => undefined);
      }
      // a retry (same Idempotency-Key) is answered as the first attempt was; a second confirmation is refused (409)
      const { receiptNo } = mine && requestKey ? { receiptNo: payment.receipt_no as string }
        : await settlePayment(db, payment.id, { channel: 'counter', receiptNo: body.receiptNo ?? `BL-${code}-${feeCode}`,
          issuedBy: principal.username });
      await handle.signal(paymentConfirmedSignal, { feeCode, channel: 'counter', receiptNo,
        actor: { username: principal.username, fullName: principal.fullName } });
      const view = await settledView(handle);
      return { code, feeCode, receiptNo, amount: Number(payment.amount), ...statusOf(view.status) };
    },

    /** Dossiers of the officer's agency, filtered and paged. */
    async list(principal: Principal | undefined, q: { status?: number; procedure?: string; unit?: string; overdue?: boolean; page: number; pageSize: number }) {
      if (principal?.kind !== 'officer') throw new ForbiddenError('the dossier list is for officers');
      const query = db('dossiers').where({ agency_code: principal.agency });
      if (q.status) query.andWhere({ status: q.status });
      if (q.procedure) query.andWhere({ procedure_code: q.procedure });
      if (q.unit) query.whereExists(db('tasks').whereRaw('tasks.dossier_code = dossiers.code').andWhere({ unit_code: q.unit }));
      if (q.overdue) query.whereNotIn('status', [3, 7, 8, 10]).andWhere('appointment_at', '<', db.fn.now());
      const [{ count }] = await query.clone().count({ count: '*' });
      const rows = await query.orderBy('submitted_at', 'desc').limit(q.pageSize).offset((q.page - 1) * q.pageSize);
      return {
        total: Number(count), page: q.page, pageSize: q.pageSize,
        items: rows.map((r) => ({ code: r.code, procedureCode: r.procedure_code, procedureName: r.procedure_name,
          ...statusOf(r.status), currentSteps: r.current_steps, submittedAt: iso(r.submitted_at), appointmentAt: iso(r.appointment_at) })),
      };
    },
  };
}

export type DossierService = ReturnType<typeof createDossierService>;
