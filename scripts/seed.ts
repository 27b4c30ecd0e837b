import type { Knex } from 'knex';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CompileContext } from '../domain/plan';
import { NOTIFICATION_TEMPLATES } from '../domain/templates';
import { hashPassword } from '../lib/passwords';
import { createProcedureService } from '../api/services/procedures';

export interface OrgRegistry {
  roles: { code: string; name: string }[];
  agencies: { code: string; name: string; nationalCode: string; units: { code: string; name: string; slug: string; kind?: 'counter' | 'department' | 'leadership' }[] }[];
}

export interface DemoAccounts {
  password: string;
  accounts: { username: string; fullName: string; agency: string; unit: string; roles: string[] }[];
}

const seedsDir = join(__dirname, '..', 'seeds');
const proceduresDir = join(__dirname, '..', 'procedures');

export function readSeed<T>(name: string): T {
  return JSON.parse(readFileSync(join(seedsDir, name), 'utf8')) as T;
}

/** Upserts agencies, units and roles; never deletes (accounts and dossiers refer to them). */
export async function seedRegistry(db: Knex, registry: OrgRegistry): Promise<void> {
  await db.transaction(async (trx) => {
    for (const role of registry.roles) {
      await trx('roles').insert(role).onConflict('code').merge();
    }
    for (const a of registry.agencies) {
      await trx('agencies').insert({ code: a.code, name: a.name, national_code: a.nationalCode }).onConflict('code').merge();
      for (const u of a.units) {
        await trx('units').insert({ agency_code: a.code, code: u.code, name: u.name, slug: u.slug, kind: u.kind ?? 'department' })
          .onConflict(['agency_code', 'code']).merge();
      }
    }
  });
}

/** Creates the demo accounts that do not exist yet; existing ones (and changed passwords) are left alone. */
export async function seedAccounts(db: Knex, demo: DemoAccounts): Promise<void> {
  const existing = new Set(await db('accounts').pluck('username'));
  for (const a of demo.accounts.filter((x) => !existing.has(x.username))) {
    const passwordHash = await hashPassword(demo.password);
    await db.transaction(async (trx) => {
      await trx('accounts').insert({ username: a.username, full_name: a.fullName, agency_code: a.agency, unit_code: a.unit,
        password_hash: passwordHash }).onConflict('username').ignore();
      for (const role of a.roles) await trx('account_roles').insert({ username: a.username, role }).onConflict(['username', 'role']).ignore();
    });
  }
}

/** The sample procedure files shipped in procedures/. */
export function sampleProcedureFiles(): string[] {
  return readdirSync(proceduresDir).filter((f) => f.endsWith('.json')).sort().map((f) => join(proceduresDir, f));
}

/**
 * Uploads and publishes every sample the database has not seen (nor a later version of it). Samples may hand off to each
 * other, so they are published in rounds until no more can be.
 */
export async function publishSamples(db: Knex, files = sampleProcedureFiles(), actor = 'system'): Promise<string[]> {
  const procedures = createProcedureService(db);
  let pending = files.map((f) => ({ file: f, definition: JSON.parse(readFileSync(f, 'utf8')) as { code: string; version: number } }));
  const published: string[] = [];
  while (pending.length) {
    const failed: typeof pending = [];
    let lastError: unknown;
    for (const p of pending) {
      try {
        // a sample is published once; a designer's later version stays live across restarts
        const known = await db('procedure_versions').where({ code: p.definition.code })
          .where((q) => q.where({ version: p.definition.version }).orWhere('version', '>', p.definition.version)).first();
        if (!known) {
          await procedures.upload(p.definition, actor);
          await procedures.publish(p.definition.code, p.definition.version, actor);
          published.push(`${p.definition.code} v${p.definition.version}`);
        }
      } catch (err) {
        failed.push(p);
        lastError = err;
      }
    }
    if (failed.length === pending.length) {
      const detail = (lastError as { details?: unknown }).details;
      throw new Error(`cannot publish ${failed.map((f) => f.file).join(', ')}: ${(lastError as Error).message}` +
        (detail ? ` ${JSON.stringify(detail)}` : ''));
    }
    pending = failed;
  }
  return published;
}

/**
 * What the compiler checks against on a fresh platform, without a database: the registry shipped in
 * seeds/ and the sample procedures as the published partner procedures (the designer CLI offline, tests).
 */
export function shippedCompileContext(): CompileContext {
  const registry = readSeed<OrgRegistry>('org-registry.json');
  const samples = sampleProcedureFiles().map((f) => JSON.parse(readFileSync(f, 'utf8')) as { code: string; agency: string });
  return {
    agencies: registry.agencies.map((a) => ({ code: a.code, units: a.units.map((u) => u.code) })),
    roles: registry.roles.map((r) => r.code),
    templates: [...NOTIFICATION_TEMPLATES],
    procedures: samples.map((s) => s.code),
    procedureAgencies: Object.fromEntries(samples.map((s) => [s.code, s.agency])),
  };
}
