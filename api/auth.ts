import type { NextFunction, Request, RequestHandler, Response } from 'express';
import jwt from 'jsonwebtoken';
import type { Knex } from 'knex';
import { verifyPassword, hashPassword } from '../lib/passwords';
import { ForbiddenError, UnauthorizedError } from './errors';

/** Who is calling: an officer account, or an applicant holding the token of one dossier. */
export type Principal =
  | { kind: 'officer'; username: string; fullName: string; agency: string; unit: string; roles: string[] }
  | { kind: 'applicant'; dossierCode: string };

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

export interface AuthDeps {
  db: Knex;
  jwtSecret: string;
  tokenTtl: string;
}

// compared against when the account does not exist, so a wrong username costs as much as a wrong password
let dummyHash: Promise<string> | undefined;

export function createAuth({ db, jwtSecret, tokenTtl }: AuthDeps) {
  const sign = (claims: object, expiresIn: string) =>
    jwt.sign(claims, jwtSecret, { algorithm: 'HS256', expiresIn: expiresIn as jwt.SignOptions['expiresIn'], issuer: 'onestop' });

  async function loadOfficer(username: string): Promise<Principal | undefined> {
    const account = await db('accounts').where({ username }).first();
    if (!account || account.disabled) return undefined;
    const roles = await db('account_roles').where({ username }).pluck('role');
    return { kind: 'officer', username, fullName: account.full_name, agency: account.agency_code, unit: account.unit_code, roles };
  }

  return {
    /** Checks the credentials; returns a signed token or undefined. */
    async login(username: string, password: string): Promise<{ token: string; expiresIn: string; account: Principal } | undefined> {
      const account = await db('accounts').where({ username }).first();
      dummyHash ??= hashPassword('not a password');
      const ok = await verifyPassword(password, account?.password_hash ?? (await dummyHash));
      if (!account || !ok || account.disabled) return undefined;
      const principal = (await loadOfficer(username)) as Principal & { kind: 'officer' };
      const token = sign({ sub: username, kind: 'officer', agency: principal.agency, unit: principal.unit, roles: principal.roles }, tokenTtl);
      return { token, expiresIn: tokenTtl, account: principal };
    },

    /** A token letting the applicant follow, supplement and withdraw one dossier. */
    applicantToken(dossierCode: string): string {
      return sign({ sub: `applicant:${dossierCode}`, kind: 'applicant', dossier: dossierCode }, '180d');
    },

    /**
     * Reads the bearer token when there is one. Officers are re-read from the database on every request,
     * so a disabled account or a revoked role takes effect at once.
     */
    authenticate: (async (req: Request, _res: Response, next: NextFunction) => {
      const header = req.headers.authorization;
      if (!header) return next();
      const [scheme, token] = header.split(' ');
      if (scheme !== 'Bearer' || !token) return next(new UnauthorizedError('the Authorization header must be "Bearer <token>"'));
      let claims: jwt.JwtPayload;
      try {
        claims = jwt.verify(token, jwtSecret, { algorithms: ['HS256'], issuer: 'onestop' }) as jwt.JwtPayload;
      } catch (err) {
        return next(new UnauthorizedError(`the token is not valid: ${(err as Error).message}`));
      }
      if (claims.kind === 'applicant') {
        req.principal = { kind: 'applicant', dossierCode: String(claims.dossier) };
        return next();
      }
      const officer = await loadOfficer(String(claims.sub));
      if (!officer) return next(new UnauthorizedError('this account is disabled or no longer exists'));
      req.principal = officer;
      next();
    }) as RequestHandler,
  };
}

/** The calling officer, or 401/403. */
export function requireOfficer(req: Request, ...anyOfRoles: string[]): Principal & { kind: 'officer' } {
  const p = req.principal;
  if (!p) throw new UnauthorizedError();
  if (p.kind !== 'officer') throw new ForbiddenError('this needs an officer account');
  if (anyOfRoles.length && !anyOfRoles.some((r) => p.roles.includes(r))) {
    throw new ForbiddenError(`this needs one of the roles: ${anyOfRoles.join(', ')}`);
  }
  return p;
}
