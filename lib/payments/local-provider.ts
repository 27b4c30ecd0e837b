import type { Knex } from 'knex';
import { randomBytes } from 'node:crypto';
import { dayWindow, type OpenedPayment, type PaymentOrder, type PaymentProvider, type StatementLine } from './provider';

/** The body of the local provider's paid callback (also the shape other providers' adapters produce). */
export interface PaymentCallbackBody {
  provider: string;
  reference: string;
  transactionId: string;
  amount: number;
  paidAt: string;
  status: 'paid';
}

export interface LocalPaymentProvider extends PaymentProvider {
  /** The ledger line of a reference, for the payment page. */
  find(reference: string): Promise<{ reference: string; dossierCode: string; feeCode: string; description: string; amount: number;
    state: 'created' | 'paid'; transactionId: string | null; paidAt: string | null } | undefined>;
  /** Records the applicant's payment (once) and returns the callback to send. */
  pay(reference: string): Promise<PaymentCallbackBody | undefined>;
}

/**
 * The embedded default's payment provider: keeps its own ledger (`local_payment_ledger`, the
 * provider's side of the books that reconciliation compares ours with) and serves a payment page
 * through the API (`GET /pay/{reference}`).
 */
export function createLocalPaymentProvider({ db, publicUrl }: { db: Knex; publicUrl: string }): LocalPaymentProvider {
  const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);
  return {
    name: 'local',

    async createPayment(order: PaymentOrder): Promise<OpenedPayment> {
      const reference = `LP-${order.orderRef.replace(/-/g, '').slice(0, 20).toUpperCase()}`;
      await db('local_payment_ledger').insert({ reference, order_ref: order.orderRef, dossier_code: order.dossierCode,
        fee_code: order.feeCode, description: order.description, amount: order.amount }).onConflict('order_ref').ignore();
      const row = await db('local_payment_ledger').where({ order_ref: order.orderRef }).first('reference');
      return { reference: row.reference, paymentUrl: `${publicUrl}/pay/${row.reference}` };
    },

    async statement(date: string): Promise<StatementLine[]> {
      const { from, to } = dayWindow(date);
      const rows = await db('local_payment_ledger').where({ state: 'paid' }).andWhere('paid_at', '>=', from).andWhere('paid_at', '<', to)
        .orderBy('paid_at');
      return rows.map((r) => ({ reference: r.reference, transactionId: r.transaction_id, amount: Number(r.amount), paidAt: iso(r.paid_at) as string }));
    },

    async find(reference) {
      const r = await db('local_payment_ledger').where({ reference }).first();
      if (!r) return undefined;
      return { reference: r.reference, dossierCode: r.dossier_code, feeCode: r.fee_code, description: r.description, amount: Number(r.amount),
        state: r.state, transactionId: r.transaction_id, paidAt: iso(r.paid_at) };
    },

    async pay(reference) {
      const transactionId = `LPT${Date.now()}${randomBytes(4).toString('hex').toUpperCase()}`;
      await db('local_payment_ledger').where({ reference, state: 'created' })
        .update({ state: 'paid', transaction_id: transactionId, paid_at: db.fn.now() });
      const r = await db('local_payment_ledger').where({ reference }).first();
      if (!r) return undefined;
      return { provider: 'local', reference, transactionId: r.transaction_id, amount: Number(r.amount), paidAt: iso(r.paid_at) as string, status: 'paid' };
    },
  };
}
