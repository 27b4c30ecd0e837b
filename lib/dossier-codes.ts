import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { DEFAULT_CALENDAR } from '../domain/calendar';
import { codeRuleFor } from '../domain/dossier-code';

/**
 * The next dossier code of an agency under the rule in force on the reception day (local time).
 * The counter row is locked by the upsert, so concurrent receptions get distinct numbers, and it only
 * ever grows, so no code is ever reused. Call inside the transaction that inserts the dossier.
 */
export async function allocateDossierCode(trx: Knex.Transaction, agencyCode: string, at: DateTime): Promise<{ code: string; rule: string }> {
  const agency = await trx('agencies').where({ code: agencyCode }).first();
  if (!agency) throw new Error(`agency ${agencyCode} is not in the registry`);
  // the reception day is the agency's own local day (its office hours may name another zone)
  const own = await trx('agency_calendars').where({ agency_code: agencyCode }).first('zone');
  const localDate = at.setZone(own?.zone ?? DEFAULT_CALENDAR.zone).toISODate() as string;
  const rule = codeRuleFor(localDate);
  const key = `${rule.id}|${rule.sequenceKey(agency.national_code, localDate)}`;
  const { rows } = await trx.raw(
    `INSERT INTO dossier_sequences (key, last) VALUES (?, 1)
     ON CONFLICT (key) DO UPDATE SET last = dossier_sequences.last + 1 RETURNING last`, [key]);
  return { code: rule.format(agency.national_code, localDate, rows[0].last), rule: rule.id };
}
