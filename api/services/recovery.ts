import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Knex } from 'knex';
import { closeOpenWork, recordDossierEvent } from '../../stores/dossier-records';
import { DossierStatus, isTerminal } from '../../domain/status';
import type { Logger } from '../../lib/logger';
import { fromNewestEvent } from '../../lib/temporal';
import { DOSSIER_WORKFLOW, paymentConfirmedSignal } from '../../workflows/messages';
import type { DossierService } from './dossiers';

/** How long a write may go unanswered by the workflow before the sweep sees to it. */
const GRACE = '1 minute';
/** How far back the first pass looks for runs that ended outside the workflow's own code. */
const FIRST_LOOK_BACK_MS = 7 * 86_400_000;
/** The reason recorded when ops terminated a dossier's run (Terminate, unlike Cancel, runs none of its code). */
export const TERMINATED_BY_OPS = 'Dừng xử lý do chấm dứt (terminate) quy trình từ hệ thống vận hành';

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

  let closedSince = new Date(Date.now() - FIRST_LOOK_BACK_MS);

  /** The stop's reason: ours, followed by what ops typed when they terminated the run (its last event says). */
  async function terminationReason(workflowId: string, runId: string): Promise<string> {
    const typed = await fromNewestEvent(temporal.workflowService, temporal.options.namespace, { workflowId, runId },
      (e) => e.workflowExecutionTerminatedEventAttributes?.reason?.trim(), 1);
    return typed ? `${TERMINATED_BY_OPS}: ${typed.slice(0, 1000)}` : TERMINATED_BY_OPS;
  }

  /**
   * A run that ended without its own code having run to the end (terminated by ops, failed on a bug, timed
   * out) leaves the read model where it was: a terminated dossier is recorded as stopped (status 8, its tasks
   * and payments closed, the applicant and the portal told); a failed one is shown to ops as needing attention.
   */
  async function followEndedRuns(): Promise<number> {
    const from = closedSince;
    const until = new Date();
    const query = `WorkflowType = '${DOSSIER_WORKFLOW}' AND ExecutionStatus IN ('Terminated', 'Failed', 'TimedOut', 'Canceled') ` +
      `AND CloseTime > '${new Date(from.getTime() - 60_000).toISOString()}'`;
    let followed = 0;
    for await (const run of temporal.workflow.list({ query })) {
      const row = await db('dossiers').where({ code: run.workflowId }).first('code', 'status', 'attention');
      if (!row || isTerminal(row.status)) continue;
      // a later run of the same dossier (continued as new) is the one that counts
      const latest = await temporal.workflow.getHandle(run.workflowId).describe();
      if (latest.runId !== run.runId) continue;
      const at = (run.closeTime ?? new Date()).toISOString();
      if (run.status.name === 'TERMINATED' || run.status.name === 'CANCELLED') {
        const reason = await terminationReason(run.workflowId, run.runId);
        await db.transaction(async (trx) => {
          const recorded = await recordDossierEvent(trx, { dossierCode: row.code, key: `run-ended:${run.runId}`, type: 'status',
            fromStatus: row.status, toStatus: DossierStatus.Stopped, actor: { username: 'system' }, reason, at,
            dossier: { status: DossierStatus.Stopped, currentSteps: [], finishedAt: at } });
          if (recorded) await closeOpenWork(trx, row.code, reason);
        });
        log.warn({ dossierCode: row.code, runId: run.runId }, 'a dossier whose run was terminated is recorded as stopped (status 8)');
      } else if (!row.attention) {
        await db('dossiers').where({ code: row.code }).update({ attention: JSON.stringify({ activity: 'workflow', type: `Workflow${run.status.name}`,
          message: `the dossier's run ended ${run.status.name.toLowerCase()} at ${at} without finishing the dossier`, steps: [], since: at }) });
        log.error({ dossierCode: row.code, runId: run.runId, status: run.status.name }, 'a dossier\'s run ended without finishing it');
      }
      followed += 1;
    }
    closedSince = until;
    return followed;
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
    async sweep(): Promise<{ started: number; paymentsResent: number; endedRunsFollowed: number }> {
      return { started: await startOrphans(), paymentsResent: await resignalPayments(), endedRunsFollowed: await followEndedRuns() };
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
