import type { Knex } from 'knex';
import { dayWindow, vietnamDay, type PaymentProvider } from '../lib/payments/provider';

/** A fee the applicant can pay online, and where. */
export interface OnlinePayment {
  feeCode: string;
  amount: number;
  reference: string;
  paymentUrl: string;
}

export type DiscrepancyKind = 'missing-here' | 'missing-at-provider' | 'amount-differs';

export interface Discrepancy {
  kind: DiscrepancyKind;
  reference: string | null;
  transactionId: string | null;
  dossierCode: string | null;
  feeCode: string | null;
  ourAmount: number | null;
  providerAmount: number | null;
}

export interface ReconciliationSummary {
  date: string;
  provider: string;
  /** false while the day is not over yet: the report is redone when asked again */
  final: boolean;
  ours: { count: number; total: number };
  theirs: { count: number; total: number };
  discrepancies: Discrepancy[];
}

export interface PaymentActivities {
  /** Opens an online payment at the provider for each pending fee among `feeCodes` (once per fee). */
  offerOnlinePayments(input: { dossierCode: string; feeCodes: string[] }): Promise<OnlinePayment[]>;
  /** Compares the day's paid online payments with the provider's statement and stores the report (replacing that day's). */
  reconcilePayments(input: { date: string }): Promise<ReconciliationSummary>;
}

/** Online payments through the provider, and their daily reconciliation. */
export function createPaymentActivities({ db, provider }: { db: Knex; provider: PaymentProvider }): PaymentActivities {
  return {
    async offerOnlinePayments({ dossierCode, feeCodes }) {
      const pending = await db('payments').where({ dossier_code: dossierCode, state: 'pending' }).whereIn('fee_code', feeCodes).orderBy('fee_code');
      const offered: OnlinePayment[] = [];
      for (const p of pending) {
        let { provider_reference: reference, payment_url: paymentUrl } = p;
        if (!reference) {
          ({ reference, paymentUrl } = await provider.createPayment({ orderRef: p.id, dossierCode, feeCode: p.fee_code,
            amount: Number(p.amount), description: `${p.fee_name} – hồ sơ ${dossierCode}` }));
          await db('payments').where({ id: p.id }).update({ provider: provider.name, provider_reference: reference, payment_url: paymentUrl });
        }
        offered.push({ feeCode: p.fee_code, amount: Number(p.amount), reference, paymentUrl });
      }
      return offered;
    },

    async reconcilePayments({ date }) {
      const { from, to } = dayWindow(date);
      const ours = await db('payments').where({ state: 'paid', channel: 'online' })
        .andWhere('paid_at', '>=', from).andWhere('paid_at', '<', to);
      const theirs = await provider.statement(date);
      const byTxn = new Map(theirs.map((l) => [l.transactionId, l]));
      const discrepancies: Discrepancy[] = [];
      const matched = new Set<string>();
      for (const p of ours) {
        const line = byTxn.get(p.provider_txn_id);
        const base = { reference: p.provider_reference, transactionId: p.provider_txn_id, dossierCode: p.dossier_code, feeCode: p.fee_code,
          ourAmount: Number(p.amount) };
        if (!line) {
          discrepancies.push({ kind: 'missing-at-provider', ...base, providerAmount: null });
          continue;
        }
        matched.add(line.transactionId);
        if (line.amount !== Number(p.amount)) discrepancies.push({ kind: 'amount-differs', ...base, providerAmount: line.amount });
      }
      for (const line of theirs.filter((l) => !matched.has(l.transactionId))) {
        // paid at the provider but not on our books (a lost callback, or a payment we refused)
        const request = await db('payments').where({ provider_reference: line.reference }).first('dossier_code', 'fee_code');
        discrepancies.push({ kind: 'missing-here', reference: line.reference, transactionId: line.transactionId,
          dossierCode: request?.dossier_code ?? null, feeCode: request?.fee_code ?? null, ourAmount: null, providerAmount: line.amount });
      }
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      const summary: ReconciliationSummary = {
        date, provider: provider.name, final: date < vietnamDay(),
        ours: { count: ours.length, total: sum(ours.map((p) => Number(p.amount))) },
        theirs: { count: theirs.length, total: sum(theirs.map((l) => l.amount)) },
        discrepancies,
      };
      await db('reconciliation_reports').insert({ date, provider: summary.provider, final: summary.final, our_count: summary.ours.count,
        our_total: summary.ours.total, provider_count: summary.theirs.count, provider_total: summary.theirs.total,
        discrepancies: JSON.stringify(discrepancies), generated_at: db.fn.now() }).onConflict('date').merge();
      return summary;
    },
  };
}
