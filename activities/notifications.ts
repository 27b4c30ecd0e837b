/** The `notify` activity: explicit notifications from the workflow (notify steps, apology, step warnings). */
import { ApplicationFailure } from '@temporalio/common';
import type { Knex } from 'knex';
import { NOTIFICATION_TEMPLATES, STATUS_TEMPLATES, type StatusTemplate } from '../domain/templates';
import { dossierContext, enqueue } from '../stores/notifications';
import type { DossierActivities } from './types';

export function createNotificationActivities({ db }: { db: Knex }): Pick<DossierActivities, 'notify'> {
  return {
    async notify(n) {
      // the compiler lets only known templates into a plan: anything else is a bug no retry can fix
      if (!(NOTIFICATION_TEMPLATES as readonly string[]).includes(n.template)) {
        throw ApplicationFailure.nonRetryable(`no notification template "${n.template}"`, 'UnknownTemplateError');
      }
      const toApplicant = 'applicant' in n.to;
      if (toApplicant && n.template in STATUS_TEMPLATES) {
        // the status change this template announces has already told the applicant (enqueueStatusNotification)
        const status = STATUS_TEMPLATES[n.template as StatusTemplate];
        const latest = await db('dossier_events').where({ dossier_code: n.dossierCode, type: 'status', to_status: status })
          .orderBy('id', 'desc').first('event_key');
        const told = latest && await db('notifications').where({ dossier_code: n.dossierCode, template: n.template, event_key: latest.event_key })
          .first('id');
        if (told) return;
      }
      const context = await dossierContext(db, n.dossierCode);
      if (toApplicant && context?.parentCode) return;
      await enqueue(db, {
        key: n.key, dossierCode: n.dossierCode, template: n.template, channels: n.channels,
        recipient: 'applicant' in n.to ? { kind: 'applicant', id: n.dossierCode } : { kind: 'unit-role', id: `${n.to.agency}/${n.to.unit}/${n.to.role}` },
        data: { ...context?.data, ...n.data }, applicant: toApplicant ? context?.applicant : undefined,
      });
    },
  };
}
