import type { Knex } from 'knex';
import { compile } from '../../domain/procedure/compile';
import { NOTIFICATION_TEMPLATES } from '../../domain/templates';
import type { CompileContext, Plan, Problem } from '../../domain/plan';
import { SUPPORTED_STEP_KINDS } from '../../workflows/messages';
import { ConflictError, NotFoundError, ValidationError } from '../errors';

export interface ProcedureVersionSummary {
  code: string;
  version: number;
  name: string;
  agency: string;
  state: 'draft' | 'published' | 'superseded';
  hash: string;
  createdAt: string;
  publishedAt: string | null;
}

const summary = (row: Record<string, any>): ProcedureVersionSummary => ({
  code: row.code, version: row.version, name: row.name, agency: row.agency_code, state: row.state, hash: row.hash,
  createdAt: new Date(row.created_at).toISOString(),
  publishedAt: row.published_at ? new Date(row.published_at).toISOString() : null,
});

/** What the compiler checks references against: the org registry and the published procedures. */
export async function loadCompileContext(db: Knex): Promise<CompileContext> {
  const [agencies, units, roles, published] = await Promise.all([
    db('agencies').select('code'),
    db('units').select('agency_code', 'code'),
    db('roles').pluck('code'),
    db('procedure_versions').where({ state: 'published' }).select('code', 'agency_code'),
  ]);
  return {
    agencies: agencies.map((a) => ({ code: a.code, units: units.filter((u) => u.agency_code === a.code).map((u) => u.code) })),
    roles,
    templates: [...NOTIFICATION_TEMPLATES],
    procedures: published.map((p) => p.code),
    procedureAgencies: Object.fromEntries(published.map((p) => [p.code, p.agency_code])),
  };
}

type RawStep = { kind?: string; endpoint?: string; branches?: { steps?: RawStep[] }[] };

/** Steps (with their paths) whose kind this interpreter version does not run yet. */
function interpreterProblems(steps: RawStep[], path = '$.steps'): Problem[] {
  return steps.flatMap((step, i) => [
    ...(step.kind && !SUPPORTED_STEP_KINDS.includes(step.kind)
      ? [{ path: `${path}[${i}].kind`, message: `step kind "${step.kind}" is not yet run by this platform's interpreter` }]
      : []),
    ...(step.branches ?? []).flatMap((b, j) => interpreterProblems(b.steps ?? [], `${path}[${i}].branches[${j}].steps`)),
  ]);
}

/** Validates and compiles a definition against the registry; throws 422 with every problem. */
export async function compileOrThrow(db: Knex, definition: unknown): Promise<Plan> {
  const result = compile(definition, await loadCompileContext(db));
  if (!result.ok) throw new ValidationError('the procedure definition has problems', result.problems);
  const unsupported = interpreterProblems((definition as { steps: RawStep[] }).steps);
  if (unsupported.length) throw new ValidationError('the procedure definition has problems', unsupported);
  return result.plan;
}

/** Procedure versions: drafts, publishing, the live version. A published version never changes. */
export function createProcedureService(db: Knex) {
  return {
    /** Stores a draft. Uploading the same definition again answers the same; a changed one needs a new version. */
    async upload(definition: unknown, actor: string): Promise<ProcedureVersionSummary & { created: boolean }> {
      const plan = await compileOrThrow(db, definition);
      return db.transaction(async (trx) => {
        await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`procedure:${plan.code}`]);
        const existing = await trx('procedure_versions').where({ code: plan.code, version: plan.version }).first();
        if (existing) {
          if (existing.hash === plan.hash) return { ...summary(existing), created: false };
          throw new ConflictError(`version ${plan.version} of ${plan.code} already exists with other content ` +
            `(${existing.state}); upload it as a new version`, 'VersionExistsError');
        }
        const latest = await trx('procedure_versions').where({ code: plan.code }).max('version as v').first();
        if (latest?.v && plan.version < latest.v) {
          throw new ValidationError('the version must increase', [{ path: '$.version',
            message: `version ${plan.version} is below the latest version ${latest.v} of ${plan.code}; use ${latest.v + 1}` }]);
        }
        const [row] = await trx('procedure_versions').insert({
          code: plan.code, version: plan.version, name: plan.name, agency_code: plan.agency,
          definition: JSON.stringify(definition), plan: JSON.stringify(plan), hash: plan.hash, created_by: actor,
        }).returning('*');
        return { ...summary(row), created: true };
      });
    },

    /** Makes a version the live one; new dossiers use it, running dossiers keep their own snapshot. */
    async publish(code: string, version: number, actor: string): Promise<ProcedureVersionSummary> {
      const row = await db('procedure_versions').where({ code, version }).first();
      if (!row) throw new NotFoundError(`procedure ${code} has no version ${version}`);
      if (row.state === 'published') return summary(row);
      // the registry may have changed since the upload: check again against today's
      await compileOrThrow(db, row.definition);
      return db.transaction(async (trx) => {
        await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`procedure:${code}`]);
        await trx('procedure_versions').where({ code, state: 'published' }).update({ state: 'superseded' });
        const [updated] = await trx('procedure_versions').where({ code, version })
          .update({ state: 'published', published_by: actor, published_at: trx.fn.now() }).returning('*');
        return summary(updated);
      });
    },

    async list(): Promise<ProcedureVersionSummary[]> {
      const rows = await db('procedure_versions').orderBy([{ column: 'code' }, { column: 'version' }]);
      return rows.map(summary);
    },

    /** The live version's plan, or 404. */
    async live(code: string): Promise<{ summary: ProcedureVersionSummary; plan: Plan; definition: unknown }> {
      const row = await db('procedure_versions').where({ code, state: 'published' }).first();
      if (!row) throw new NotFoundError(`procedure ${code} has no published version`);
      return { summary: summary(row), plan: row.plan, definition: row.definition };
    },

    async version(code: string, version: number): Promise<{ summary: ProcedureVersionSummary; plan: Plan; definition: unknown }> {
      const row = await db('procedure_versions').where({ code, version }).first();
      if (!row) throw new NotFoundError(`procedure ${code} has no version ${version}`);
      return { summary: summary(row), plan: row.plan, definition: row.definition };
    },
  };
}

export type ProcedureService = ReturnType<typeof createProcedureService>;
