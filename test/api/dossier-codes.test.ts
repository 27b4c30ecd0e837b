/**
 * Dossier code allocation against the real PostgreSQL: many receptions at once get distinct,
 * consecutive numbers; each agency and each day counts on its own; a rolled-back reception leaves no
 * trace and a code once committed is never issued again.
 */
import { randomInt } from 'node:crypto';
import { DateTime } from 'luxon';
import { createDb, type Knex } from '../../lib/db';
import { allocateDossierCode } from '../../lib/dossier-codes';

let db: Knex;

beforeAll(() => {
  db = createDb(process.env.TEST_DATABASE_URL as string, { min: 0, max: 20 });
});
afterAll(() => db?.destroy());

/** A fresh agency of its own, so the counters start at zero. */
async function agency(): Promise<{ code: string; nationalCode: string }> {
  const n = randomInt(1e6);
  const row = { code: `TEST-CODES-${n}`, name: `Cơ quan thử ${n}`, national_code: `000.${String(n).padStart(6, '0')}.H99` };
  await db('agencies').insert(row);
  return { code: row.code, nationalCode: row.national_code };
}

const at = (local: string) => DateTime.fromISO(local, { zone: 'Asia/Ho_Chi_Minh' });

test('60 receptions at once: every code distinct, numbers consecutive from 1', async () => {
  const a = await agency();
  const codes = await Promise.all(Array.from({ length: 60 }, () =>
    db.transaction((trx) => allocateDossierCode(trx, a.code, at('2026-11-23T09:30:00')))));
  const numbers = codes.map((c) => c.code).sort();
  expect(new Set(numbers).size).toBe(60);
  expect(numbers).toEqual(Array.from({ length: 60 }, (_, i) => `${a.nationalCode}-261123-${String(i + 1).padStart(4, '0')}`));
  expect(new Set(codes.map((c) => c.rule))).toEqual(new Set(['TT01/2018']));
});

test('each agency and each local day has its own sequence; the day is the agency\'s local day', async () => {
  const [a, b] = [await agency(), await agency()];
  const next = (code: string, when: DateTime) => db.transaction((trx) => allocateDossierCode(trx, code, when)).then((r) => r.code);
  expect(await next(a.code, at('2026-11-23T08:00:00'))).toBe(`${a.nationalCode}-261123-0001`);
  expect(await next(b.code, at('2026-11-23T08:00:00'))).toBe(`${b.nationalCode}-261123-0001`);
  // 23:59 local on the 23rd is 16:59 UTC; 00:01 local on the 24th is still the 23rd in UTC
  expect(await next(a.code, at('2026-11-23T23:59:00'))).toBe(`${a.nationalCode}-261123-0002`);
  expect(await next(a.code, at('2026-11-24T00:01:00'))).toBe(`${a.nationalCode}-261124-0001`);
});

test('a rolled-back reception issues nothing; a committed code is never issued again', async () => {
  const a = await agency();
  const when = at('2026-12-01T10:00:00');
  const first = await db.transaction((trx) => allocateDossierCode(trx, a.code, when));
  await expect(db.transaction(async (trx) => {
    await allocateDossierCode(trx, a.code, when);
    throw new Error('the dossier insert failed');
  })).rejects.toThrow('the dossier insert failed');
  const second = await db.transaction((trx) => allocateDossierCode(trx, a.code, when));
  expect(first.code).toBe(`${a.nationalCode}-261201-0001`);
  expect(second.code).toBe(`${a.nationalCode}-261201-0002`);
});

test('an agency missing from the registry is an error, not a code', async () => {
  await expect(db.transaction((trx) => allocateDossierCode(trx, 'NO-SUCH-AGENCY', at('2026-11-23T08:00:00'))))
    .rejects.toThrow(/agency NO-SUCH-AGENCY is not in the registry/);
});
