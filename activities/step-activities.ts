import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { ApplicationFailure } from '@temporalio/common';
import { allocateDossierCode } from '../lib/dossier-codes';
import { DossierStatus } from '../domain/status';
import type { Plan } from '../domain/plan';
import type { DossierActivities } from './types';

type StepActivities = Pick<DossierActivities, 'requestPayments' | 'unpaidFees' | 'createLinkedDossier' | 'closeHandoff'>;

/** Fees and inter-agency handoffs, each keyed so that a retry has no second effect. */
export function createStepActivities({ db }: { db: Knex }): StepActivities {
  return {
    async requestPayments({ dossierCode, fees }) {
      for (const fee of fees) {
        await db('payments').insert({ dossier_code: dossierCode, fee_code: fee.code, fee_name: fee.name, amount: fee.amount, collect: fee.collect })
          .onConflict(['dossier_code', 'fee_code']).ignore();
      }
      const unpaid = await db('payments').where({ dossier_code: dossierCode, state: 'pending' })
        .whereIn('fee_code', fees.map((f) => f.code)).pluck('fee_code');
      return { unpaid };
    },

    async unpaidFees({ dossierCode, feeCodes }) {
      const paid = new Set(await db('payments').where({ dossier_code: dossierCode, state: 'paid' }).whereIn('fee_code', feeCodes).pluck('fee_code'));
      return feeCodes.filter((c) => !paid.has(c));
    },

    async createLinkedDossier({ parentCode, stepId, iteration, procedureCode, toAgency, actor, dueAt }) {
      return db.transaction(async (trx) => {
        await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`handoff:${parentCode}:${stepId}:${iteration}`]);
        const existing = await trx('handoffs').where({ dossier_code: parentCode, step_id: stepId, iteration }).first();
        const parent = await trx('dossiers').where({ code: parentCode }).first();
        if (existing) {
          const child = await trx('dossiers').where({ code: existing.partner_dossier_code }).first();
          const version = await trx('procedure_versions').where({ code: child.procedure_code, version: child.procedure_version }).first('plan');
          return { code: child.code, plan: version.plan, application: child.application, submittedAt: new Date(child.submitted_at).toISOString() };
        }
        const live = await trx('procedure_versions').where({ code: procedureCode, state: 'published' }).first();
        if (!live) throw ApplicationFailure.nonRetryable(`partner procedure ${procedureCode} has no published version`, 'PartnerProcedureMissingError');
        const plan = live.plan as Plan;
        const now = DateTime.utc();
        const { code, rule } = await allocateDossierCode(trx, plan.agency, now);
        const submittedAt = now.toISO() as string;
        await trx('dossiers').insert({
          code, procedure_code: plan.code, procedure_version: plan.version, procedure_name: plan.name, agency_code: plan.agency,
          channel: 'online', code_rule: rule, applicant: JSON.stringify(parent.applicant), application: JSON.stringify(parent.application),
          return_channel: 'electronic', status: DossierStatus.Submitted, submitted_at: submittedAt, parent_code: parentCode, parent_step: stepId,
        });
        await trx('dossier_events').insert({ dossier_code: code, event_key: 'submitted', type: 'status', to_status: DossierStatus.Submitted,
          actor: actor.username, actor_name: actor.fullName, reason: `Liên thông từ hồ sơ ${parentCode}`, at: submittedAt });
        await trx('handoffs').insert({ dossier_code: parentCode, step_id: stepId, iteration, to_agency: toAgency, partner_procedure: procedureCode,
          partner_dossier_code: code, handed_by: actor.username, handed_at: submittedAt, due_at: dueAt ?? null });
        return { code, plan, application: parent.application, submittedAt };
      });
    },

    async closeHandoff({ parentCode, stepId, iteration, outcome, at }) {
      const handoff = await db('handoffs').where({ dossier_code: parentCode, step_id: stepId, iteration }).first();
      if (!handoff || handoff.returned_at) return;
      const accepted = await db('dossier_events').where({ dossier_code: handoff.partner_dossier_code, to_status: DossierStatus.Accepted }).first();
      await db('handoffs').where({ id: handoff.id }).update({ outcome, returned_at: at,
        received_by: accepted?.actor ?? null, received_at: accepted?.at ?? null });
    },
  };
}
