import type { Knex } from 'knex';
import { hashPassword } from '../../lib/passwords';
import type { Principal } from '../auth';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, type ProblemDetail } from '../errors';
import type { Validator } from '../validation';

type Officer = Principal & { kind: 'officer' };

/** Roles a unit admin may hand out in their own unit; `designer` and `ops` are platform roles, granted by ops. */
export const UNIT_GRANTABLE_ROLES = ['one-stop-officer', 'specialist', 'leader', 'unit-admin'];

const accountSchema = {
  type: 'object', additionalProperties: false, required: ['username', 'fullName', 'password', 'roles'],
  properties: {
    username: { type: 'string', minLength: 3, maxLength: 80 },
    fullName: { type: 'string', minLength: 1, maxLength: 200 },
    password: { type: 'string', maxLength: 200 },
    roles: { type: 'array', items: { type: 'string' }, uniqueItems: true, maxItems: 10 },
    agency: { type: 'string' },
    unit: { type: 'string' },
  },
};
const rolesSchema = { type: 'object', additionalProperties: false, required: ['roles'],
  properties: { roles: accountSchema.properties.roles } };
const passwordSchema = { type: 'object', additionalProperties: false, required: ['password'],
  properties: { password: { type: 'string', maxLength: 200 } } };
const agencySchema = { type: 'object', additionalProperties: false, required: ['code', 'name', 'nationalCode'],
  properties: { code: { type: 'string', pattern: '^[A-Z0-9-]{2,60}$' }, name: { type: 'string', minLength: 1 },
    nationalCode: { type: 'string', pattern: '^[0-9A-Z.]{5,30}$' } } };
const unitSchema = { type: 'object', additionalProperties: false, required: ['code', 'name', 'slug'],
  properties: { code: { type: 'string', pattern: '^[A-Z0-9-]{2,60}$' }, name: { type: 'string', minLength: 1 },
    slug: { type: 'string', pattern: '^[a-z0-9-]{2,40}$' }, kind: { enum: ['counter', 'department', 'leadership'] } } };

const present = (a: Record<string, any>, roles: string[]) => ({
  username: a.username, fullName: a.full_name, agency: a.agency_code, unit: a.unit_code, roles, disabled: a.disabled,
});

/** The org registry and officer accounts: ops run the registry, unit admins their own unit's accounts. */
export function createAdminService({ db, validator }: { db: Knex; validator: Validator }) {
  const isOps = (o: Officer) => o.roles.includes('ops');

  async function load(username: string) {
    const account = await db('accounts').where({ username }).first();
    if (!account) throw new NotFoundError(`no account ${username}`);
    return account;
  }

  /** Ops manage every account; a unit admin only those of their own unit. */
  function mayManage(officer: Officer, agency: string, unit: string) {
    if (isOps(officer)) return;
    if (!officer.roles.includes('unit-admin')) throw new ForbiddenError('managing accounts needs the unit-admin role');
    if (officer.agency !== agency || officer.unit !== unit) throw new ForbiddenError(`you administer unit ${officer.unit} of ${officer.agency} only`);
  }

  async function checkRoles(officer: Officer, roles: string[], path = '$.roles'): Promise<ProblemDetail[]> {
    const known = new Set(await db('roles').pluck('code'));
    return roles.flatMap((role, i) => {
      if (!known.has(role)) return [{ path: `${path}[${i}]`, message: `role "${role}" does not exist` }];
      if (!isOps(officer) && !UNIT_GRANTABLE_ROLES.includes(role)) {
        return [{ path: `${path}[${i}]`, message: `a unit admin may grant ${UNIT_GRANTABLE_ROLES.join(', ')}; "${role}" is granted by ops` }];
      }
      return [];
    });
  }

  async function rolesOf(username: string) {
    return db('account_roles').where({ username }).orderBy('role').pluck('role');
  }

  return {
    async registry() {
      const [agencies, units, roles] = await Promise.all([db('agencies').orderBy('code'), db('units').orderBy(['agency_code', 'code']), db('roles').orderBy('code')]);
      return {
        agencies: agencies.map((a) => ({ code: a.code, name: a.name, nationalCode: a.national_code,
          units: units.filter((u) => u.agency_code === a.code).map((u) => ({ code: u.code, name: u.name, slug: u.slug, kind: u.kind })) })),
        roles: roles.map((r) => ({ code: r.code, name: r.name })),
      };
    },

    async upsertAgency(officer: Officer, raw: unknown, code?: string) {
      if (!isOps(officer)) throw new ForbiddenError('the org registry is edited by ops');
      const body = validator.check<{ code: string; name: string; nationalCode: string }>(agencySchema, code ? { ...(raw as object), code } : raw, 'the agency');
      const clash = await db('agencies').where({ national_code: body.nationalCode }).whereNot({ code: body.code }).first();
      if (clash) throw new ValidationError('the agency is invalid', [{ path: '$.nationalCode', message: `already used by ${clash.code}` }]);
      await db('agencies').insert({ code: body.code, name: body.name, national_code: body.nationalCode }).onConflict('code').merge();
      return body;
    },

    async upsertUnit(officer: Officer, agency: string, raw: unknown, code?: string) {
      if (!isOps(officer)) throw new ForbiddenError('the org registry is edited by ops');
      if (!(await db('agencies').where({ code: agency }).first())) throw new NotFoundError(`no agency ${agency}`);
      const body = validator.check<{ code: string; name: string; slug: string; kind?: string }>(unitSchema, code ? { ...(raw as object), code } : raw, 'the unit');
      const clash = await db('units').where({ slug: body.slug }).whereNot({ agency_code: agency, code: body.code }).first();
      if (clash) throw new ValidationError('the unit is invalid', [{ path: '$.slug', message: `"${body.slug}" is already the slug of ${clash.agency_code}/${clash.code}` }]);
      await db('units').insert({ agency_code: agency, code: body.code, name: body.name, slug: body.slug, kind: body.kind ?? 'department' })
        .onConflict(['agency_code', 'code']).merge();
      return { agency, ...body, kind: body.kind ?? 'department' };
    },

    async list(officer: Officer, q: { agency?: string; unit?: string }) {
      const query = db('accounts').orderBy('username');
      if (isOps(officer)) {
        if (q.agency) query.where({ agency_code: q.agency });
        if (q.unit) query.where({ unit_code: q.unit });
      } else {
        mayManage(officer, officer.agency, officer.unit);
        query.where({ agency_code: officer.agency, unit_code: officer.unit });
      }
      const accounts = await query;
      const roles = await db('account_roles').whereIn('username', accounts.map((a) => a.username));
      return accounts.map((a) => present(a, roles.filter((r) => r.username === a.username).map((r) => r.role).sort()));
    },

    async get(officer: Officer, username: string) {
      const account = await load(username);
      mayManage(officer, account.agency_code, account.unit_code);
      return present(account, await rolesOf(username));
    },

    /** Creates an account named `tencanhan.tendonvi` in the admin's own unit (ops: any unit). */
    async create(officer: Officer, raw: unknown) {
      const body = validator.check<{ username: string; fullName: string; password: string; roles: string[]; agency?: string; unit?: string }>(
        accountSchema, raw, 'the account');
      const agency = isOps(officer) ? body.agency ?? officer.agency : officer.agency;
      const unitCode = isOps(officer) ? body.unit ?? officer.unit : officer.unit;
      if (!isOps(officer) && ((body.agency && body.agency !== agency) || (body.unit && body.unit !== unitCode))) {
        throw new ForbiddenError(`you create accounts in unit ${officer.unit} of ${officer.agency} only`);
      }
      mayManage(officer, agency, unitCode);
      const unit = await db('units').where({ agency_code: agency, code: unitCode }).first();
      if (!unit) throw new NotFoundError(`no unit ${unitCode} in ${agency}`);
      const problems: ProblemDetail[] = [];
      const expected = new RegExp(`^[a-z][a-z0-9]*\\.${unit.slug.replace(/[-]/g, '\\-')}$`);
      if (!expected.test(body.username)) {
        problems.push({ path: '$.username', message: `must be tencanhan.${unit.slug}: the person's name in lowercase ascii, a dot, then the unit's "${unit.slug}"` });
      }
      if (body.password.length < 10) problems.push({ path: '$.password', message: 'must have at least 10 characters' });
      problems.push(...(await checkRoles(officer, body.roles)));
      if (problems.length) throw new ValidationError('the account is invalid', problems);
      const passwordHash = await hashPassword(body.password);
      await db.transaction(async (trx) => {
        const inserted = await trx('accounts').insert({ username: body.username, full_name: body.fullName, agency_code: agency,
          unit_code: unitCode, password_hash: passwordHash }).onConflict('username').ignore().returning('username');
        if (inserted.length === 0) throw new ConflictError(`account ${body.username} already exists`, 'AccountExistsError');
        for (const role of body.roles) await trx('account_roles').insert({ username: body.username, role });
      });
      return present({ username: body.username, full_name: body.fullName, agency_code: agency, unit_code: unitCode, disabled: false }, [...body.roles].sort());
    },

    /** Disabling takes effect at once: every request re-reads the account. */
    async setDisabled(officer: Officer, username: string, disabled: boolean) {
      const account = await load(username);
      mayManage(officer, account.agency_code, account.unit_code);
      if (username === officer.username && disabled) throw new ConflictError('you cannot disable your own account');
      await db('accounts').where({ username }).update({ disabled, updated_at: db.fn.now() });
      return present({ ...account, disabled }, await rolesOf(username));
    },

    async setRoles(officer: Officer, username: string, raw: unknown) {
      const account = await load(username);
      mayManage(officer, account.agency_code, account.unit_code);
      const { roles } = validator.check<{ roles: string[] }>(rolesSchema, raw, 'the roles');
      const problems = await checkRoles(officer, roles);
      if (!isOps(officer)) {
        const kept = (await rolesOf(username)).filter((r) => !UNIT_GRANTABLE_ROLES.includes(r) && !roles.includes(r));
        if (kept.length) problems.push({ path: '$.roles', message: `${kept.join(', ')} can only be removed by ops` });
      }
      if (problems.length) throw new ValidationError('the roles are invalid', problems);
      await db.transaction(async (trx) => {
        await trx('account_roles').where({ username }).delete();
        for (const role of roles) await trx('account_roles').insert({ username, role });
      });
      return present(account, [...roles].sort());
    },

    async resetPassword(officer: Officer, username: string, raw: unknown) {
      const account = await load(username);
      mayManage(officer, account.agency_code, account.unit_code);
      const { password } = validator.check<{ password: string }>(passwordSchema, raw, 'the password');
      if (password.length < 10) throw new ValidationError('the password is invalid', [{ path: '$.password', message: 'must have at least 10 characters' }]);
      await db('accounts').where({ username }).update({ password_hash: await hashPassword(password), updated_at: db.fn.now() });
      return { username };
    },
  };
}
