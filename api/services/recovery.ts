import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Knex } from 'knex';
import { DossierStatus } from '../../domain/status';
import type { Logger } from '../../lib/logger';
import { paymentConfirmedSignal } from '../../workflows/messages';
import type { DossierService } from './dossiers';

/** How long a write may go unanswered by the workflow before the sweep sees to it. */
const GRACE = '1 minute';

export interface RecoveryDeps {
  db: Knex;
  temporal: Client;
  dossiers: Pick<DossierService, 'ensureRun'>;
  log: Logger;
}

/**
 * Finishes what a process that died between two writes left half done, so that no dossier is lost or left
 * waiting for a message that was never sent: a registered dossier whose run never started gets it, and a fee
 * recorded as paid whose dossier still waits for it is told to the workflow again (it ignores a fee it
 * knows). Each pass is idempotent; `npm start` and the API run one every half minute.
 */
export function createRecovery({ db, temporal, dossiers, log }: RecoveryDeps) {
  async function startOrphans(): Promise<number> {
    // a partner's dossier is started by its lead dossier's run (as a child), never here
    const rows = await db('dossiers').where({ status: DossierStatus.Submitted }).whereNull('parent_code')
      .andWhere('submitted_at', '<', db.raw(`now() - interval '${GRACE}'`))
      .whereNotExists(db('dossier_events').whereRaw('dossier_events.dossier_code = dossiers.code').whereNot({ event_key: 'submitted' }))
      .orderBy('submitted_at').limit(50);
    let started = 0;
    for (const row of rows) {
      const running = await temporal.workflow.getHandle(row.code).describe().then(() => true,
        (err: unknown) => { if (err instanceof WorkflowNotFoundError) return false; throw err; });
      if (running) continue;
      await dossiers.ensureRun(row);
      started += 1;
      log.warn({ dossierCode: row.code }, 'started the run of a dossier registered without one (its submission died half way)');
    }
    return started;
  }

  async function resignalPayments(): Promise<number> {
    const rows = await db('payments').join('dossiers', 'dossiers.code', 'payments.dossier_code')
      .where({ 'payments.state': 'paid', 'dossiers.status': DossierStatus.PaymentRequested })
      .andWhere('payments.paid_at', '<', db.raw(`now() - interval '${GRACE}'`))
      .select('payments.dossier_code', 'payments.fee_code', 'payments.channel', 'payments.receipt_no', 'payments.paid_by').limit(200);
    for (const p of rows) {
      await temporal.workflow.getHandle(p.dossier_code).signal(paymentConfirmedSignal, { feeCode: p.fee_code,
        channel: p.channel, receiptNo: p.receipt_no, actor: { username: p.paid_by ?? 'system' } })
        .catch((err: unknown) => { if (!(err instanceof WorkflowNotFoundError)) throw err; });
    }
    return rows.length;
  }

  return {
    /** One pass; answers what it did. */
    async sweep(): Promise<{ started: number; paymentsResent: number }> {
      return { started: await startOrphans(), paymentsResent: await resignalPayments() };
    },

    /** Sweeps every `intervalMs` until stopped; a failed pass (a dependency away) is logged and tried next time. */
    start(intervalMs = 30_000): () => void {
      let running = false;
      const timer = setInterval(() => {
        if (running) return;
        running = true;
        this.sweep().catch((err: Error) => log.warn({ err: err.message }, 'recovery sweep failed; trying again later'))
          .finally(() => { running = false; });
      }, intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}

export type Recovery = ReturnType<typeof createRecovery>;
