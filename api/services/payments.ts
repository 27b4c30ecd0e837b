import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Knex } from 'knex';
import type { Logger } from '../../lib/logger';
import { verifyBody } from '../../lib/integrations';
import type { PaymentCallbackBody } from '../../lib/payments/local-provider';
import { paymentConfirmedSignal, RECONCILIATION_WORKFLOW, type Actor } from '../../workflows/messages';
import { ApiError, ConflictError, NotFoundError, UnauthorizedError, ForbiddenError, ValidationError, BadRequestError } from '../errors';
import type { Validator } from '../validation';

const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);

export interface Settlement {
  channel: 'counter' | 'online' | 'bank-transfer' | 'postal';
  receiptNo: string;
  issuedBy: string;
  paidAt?: string;
  providerTxnId?: string;
}

/**
 * Marks a pending payment request paid and issues its receipt, in one transaction; 409 when it is
 * no longer pending or the receipt number is taken.
 */
export async function settlePayment(db: Knex, paymentId: string, s: Settlement): Promise<{ receiptNo: string; paidAt: string }> {
  return db.transaction(async (trx) => {
    const payment = await trx('payments').where({ id: paymentId }).forUpdate().first();
    if (!payment) throw new NotFoundError(`no payment request ${paymentId}`);
    if (payment.state !== 'pending') {
      throw new ConflictError(`fee ${payment.fee_code} of dossier ${payment.dossier_code} is already ${payment.state}`,
        payment.state === 'paid' ? 'AlreadyPaidError' : 'PaymentCancelledError');
    }
    if (await trx('receipts').where({ receipt_no: s.receiptNo }).first()) {
      throw new ConflictError(`receipt number ${s.receiptNo} is already used`, 'ReceiptNumberTakenError');
    }
    const paidAt = s.paidAt ?? new Date().toISOString();
    await trx('payments').where({ id: paymentId }).update({ state: 'paid', channel: s.channel, paid_by: s.issuedBy, receipt_no: s.receiptNo,
      paid_at: paidAt, provider_txn_id: s.providerTxnId ?? null });
    await trx('receipts').insert({ receipt_no: s.receiptNo, payment_id: paymentId, dossier_code: payment.dossier_code, fee_code: payment.fee_code,
      fee_name: payment.fee_name, amount: payment.amount, channel: s.channel, issued_by: s.issuedBy, provider_txn_id: s.providerTxnId ?? null,
      paid_at: paidAt });
    return { receiptNo: s.receiptNo, paidAt };
  });
}

/** The receipts issued for a dossier's fees, for the dossier's view. */
export async function receiptsOf(db: Knex, dossierCode: string) {
  const rows = await db('receipts').where({ dossier_code: dossierCode }).orderBy('issued_at');
  return rows.map((r) => ({ receiptNo: r.receipt_no, feeCode: r.fee_code, feeName: r.fee_name, amount: Number(r.amount), channel: r.channel,
    paidAt: iso(r.paid_at), issuedBy: r.issued_by, providerTransactionId: r.provider_txn_id, issuedAt: iso(r.issued_at) }));
}

const PROVIDER: Actor = { username: 'payment-provider', fullName: 'Cổng thanh toán' };

const callbackSchema = {
  type: 'object', additionalProperties: false, required: ['provider', 'reference', 'transactionId', 'amount', 'paidAt', 'status'],
  properties: {
    provider: { type: 'string', minLength: 1, maxLength: 64 },
    reference: { type: 'string', minLength: 1, maxLength: 128 },
    transactionId: { type: 'string', minLength: 1, maxLength: 128 },
    amount: { type: 'integer', minimum: 0 },
    paidAt: { type: 'string', format: 'date-time' },
    status: { const: 'paid' },
  },
} as const;

export interface CallbackLogEntry {
  source: 'payment' | 'handoff';
  outcome: string;
  reason?: string;
  reference?: string;
  remoteAddress?: string;
  signature?: string;
  body: Buffer;
}

/** Text as PostgreSQL's `text` takes it: no NUL (the boundary refuses one in a request; this trace must never fail on one). */
const storable = (text: string, max: number) => text.slice(0, max).replace(/\0/g, '\uFFFD');

/** Keeps a trace of every signed callback, accepted or refused; refusals are logged as warnings too. */
export async function logCallback(db: Knex, log: Logger, e: CallbackLogEntry): Promise<void> {
  await db('callback_log').insert({ source: e.source, outcome: e.outcome, reason: e.reason ? storable(e.reason, 2000) : null,
    reference: e.reference ? storable(e.reference, 200) : null, remote_address: e.remoteAddress ?? null,
    signature: e.signature ? storable(e.signature, 200) : null, body: storable(e.body.toString('utf8'), 8000) });
  if (e.outcome !== 'accepted') log.warn({ source: e.source, outcome: e.outcome, reference: e.reference, remote: e.remoteAddress, reason: e.reason },
    'signed callback refused');
}

/**
 * Lets through only a body signed with `secret`: an unsigned one is 401, a tampered one 403, each traced
 * first. `what` names the body in the error ("the callback", "the answer").
 */
export async function requireSignature(secret: string, body: Buffer, signature: string | undefined, what: string,
  trace: (outcome: string, reason: string) => Promise<void>): Promise<void> {
  const verdict = verifyBody(secret, body, signature);
  if (verdict === 'missing') {
    await trace('unsigned', 'no X-Signature header');
    throw new UnauthorizedError(`${what} is not signed: X-Signature: sha256=<HMAC-SHA256 of the body>`);
  }
  if (verdict === 'invalid') {
    await trace('bad-signature', 'the signature does not match the body');
    throw new ForbiddenError(`${what}'s signature does not match its body`);
  }
}

export interface PaymentServiceDeps {
  db: Knex;
  temporal: Client;
  taskQueue: string;
  log: Logger;
  validator: Validator;
  paymentSecret?: string;
}

export function createPaymentService({ db, temporal, taskQueue, log, validator, paymentSecret }: PaymentServiceDeps) {
  /** Tells the dossier's workflow; a dossier that has ended keeps the payment on the books for reconciliation. */
  async function signal(dossierCode: string, feeCode: string, receiptNo: string) {
    try {
      await temporal.workflow.getHandle(dossierCode).signal(paymentConfirmedSignal, { feeCode, channel: 'online', receiptNo, actor: PROVIDER });
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      log.warn({ dossierCode, feeCode }, 'a fee was paid online for a dossier that is no longer running');
    }
  }

  return {
    /**
     * The payment provider's signed notification. Unsigned (401), tampered (403) and replayed (409) calls
     * are refused and logged; a replay has no second effect.
     */
    async callback(raw: Buffer, signature: string | undefined, remoteAddress: string | undefined) {
      const trace = (outcome: string, reason?: string, reference?: string) =>
        logCallback(db, log, { source: 'payment', outcome, reason, reference, remoteAddress, signature, body: raw });
      if (!paymentSecret) throw new ApiError(503, 'NotConfiguredError', 'payment callbacks are not configured on this server');
      await requireSignature(paymentSecret, raw, signature, 'the callback', trace);
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw.toString('utf8'));
      } catch (err) {
        await trace('malformed', (err as Error).message);
        throw new BadRequestError(`the body is not valid JSON: ${(err as Error).message}`);
      }
      let body: PaymentCallbackBody;
      try {
        body = validator.check<PaymentCallbackBody>(callbackSchema, parsed, 'the payment callback');
      } catch (err) {
        await trace('invalid', (err as Error).message);
        throw err;
      }
      const payment = await db('payments').where({ provider_reference: body.reference }).first();
      if (!payment) {
        await trace('unknown-reference', undefined, body.reference);
        throw new NotFoundError(`no payment request has the reference ${body.reference}`);
      }
      const answer = (receiptNo: string) => ({ accepted: true, dossierCode: payment.dossier_code, feeCode: payment.fee_code,
        amount: Number(payment.amount), receiptNo, transactionId: body.transactionId });
      if (payment.provider_txn_id === body.transactionId) {
        await trace('replayed', 'this transaction was already recorded', body.reference);
        // the workflow ignores a fee it knows is paid: telling it again heals a signal lost the first time
        await signal(payment.dossier_code, payment.fee_code, payment.receipt_no);
        throw new ConflictError(`transaction ${body.transactionId} was already recorded: fee ${payment.fee_code} of dossier ` +
          `${payment.dossier_code}, receipt ${payment.receipt_no}`, 'CallbackReplayedError');
      }
      if (body.amount !== Number(payment.amount)) {
        await trace('amount-mismatch', `paid ${body.amount}, requested ${payment.amount}`, body.reference);
        throw new ValidationError('the amount paid is not the amount requested',
          [{ path: '$.amount', message: `must be ${payment.amount} (the fee ${payment.fee_code} of dossier ${payment.dossier_code}), not ${body.amount}` }]);
      }
      let receiptNo: string;
      try {
        ({ receiptNo } = await settlePayment(db, payment.id, { channel: 'online', receiptNo: `BL-${payment.dossier_code}-${payment.fee_code}`,
          issuedBy: `${PROVIDER.username}:${body.provider}`, paidAt: body.paidAt, providerTxnId: body.transactionId }));
      } catch (err) {
        await trace('conflict', (err as Error).message, body.reference);
        throw err;
      }
      await trace('accepted', undefined, body.reference);
      await signal(payment.dossier_code, payment.fee_code, receiptNo);
      return answer(receiptNo);
    },

    /** The reconciliation report of a day; made now (by the reconciliation workflow) when there is none yet or the day is not over. */
    async reconciliation(date: string, refresh: boolean) {
      let row = await db('reconciliation_reports').where({ date }).first();
      if (!row || !row.final || refresh) {
        await temporal.workflow.execute(RECONCILIATION_WORKFLOW, { taskQueue, workflowId: `reconciliation-${date}`, args: [{ date }],
          workflowIdConflictPolicy: 'USE_EXISTING' });
        row = await db('reconciliation_reports').where({ date }).first();
      }
      return {
        date, provider: row.provider, final: row.final, generatedAt: iso(row.generated_at),
        ours: { count: row.our_count, total: Number(row.our_total) },
        theirs: { count: row.provider_count, total: Number(row.provider_total) },
        balanced: row.discrepancies.length === 0,
        discrepancies: row.discrepancies,
      };
    },
  };
}

export type PaymentService = ReturnType<typeof createPaymentService>;
