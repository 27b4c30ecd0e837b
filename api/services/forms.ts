import Handlebars from 'handlebars';
import type { Knex } from 'knex';
import { DateTime } from 'luxon';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_CALENDAR } from '../../domain/calendar';
import { looksLikeDossierCode } from '../../domain/dossier-code';
import {
  buildDossierForm,
  buildRegister,
  DOSSIER_FORMS,
  FormNotApplicableError,
  shortDateTime,
  type AnyForm,
  type DossierFormKind,
  type FormInput,
  type RegisterInput,
} from '../../domain/forms';
import { formPdfDefinition } from '../../domain/forms-pdf';
import { qrDataUrl } from '../../domain/qr';
import type { Plan } from '../../domain/plan';
import { DossierStatus, STATUS_LABELS, type DossierStatusCode } from '../../domain/status';
import type { Principal } from '../auth';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from '../errors';

// pdfmake exports one configured instance whose methods use `this`: keep the instance, not a namespace copy
const pdfmake = require('pdfmake') as typeof import('pdfmake');
const ROBOTO = require('pdfmake/fonts/Roboto') as { Roboto: Record<'normal' | 'bold' | 'italics' | 'bolditalics', string> };
const FONT_DIR = dirname(ROBOTO.Roboto.normal);

/** Fonts and access policies of the (process-wide) pdfmake instance. */
function configurePdfmake(): void {
  pdfmake.setFonts(ROBOTO);
  // a form never loads anything from outside: only the bundled fonts, and images given as data URLs
  pdfmake.setUrlAccessPolicy(() => false);
  pdfmake.setLocalAccessPolicy((path) => path.startsWith(FONT_DIR));
}

const TEMPLATE_DIR = join(__dirname, '..', '..', 'templates', 'forms');
const TEMPLATE_FILES: Record<AnyForm['form'] | 'public-lookup', string> = {
  receipt: '01-receipt.hbs',
  'supplement-request': '02-supplement-request.hbs',
  refusal: '03-refusal.hbs',
  apology: '04-apology.hbs',
  'control-slip': '05-control-slip.hbs',
  register: '06-register.hbs',
  'public-lookup': 'public-lookup.hbs',
};

/** The forms' handlebars templates (templates/forms), compiled once, with their partials (`_*.hbs`) and helpers. */
function compileTemplates() {
  const hbs = Handlebars.create();
  for (const file of readdirSync(TEMPLATE_DIR).filter((f) => f.startsWith('_') && f.endsWith('.hbs'))) {
    hbs.registerPartial(file.replace(/\.hbs$/, ''), readFileSync(join(TEMPLATE_DIR, file), 'utf8'));
  }
  hbs.registerHelper('gt', (a: number, b: number) => a > b);
  hbs.registerHelper('ne', (a: unknown, b: unknown) => a !== b);
  hbs.registerHelper('dt', (iso: string | null, options: Handlebars.HelperOptions) => shortDateTime(iso, options.data.root.zone));
  return Object.fromEntries(Object.entries(TEMPLATE_FILES).map(([form, file]) =>
    [form, hbs.compile(readFileSync(join(TEMPLATE_DIR, file), 'utf8'), { strict: false })])) as Record<keyof typeof TEMPLATE_FILES, HandlebarsTemplateDelegate>;
}

const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);

/** The fields the public lookup shows (DOMAIN.md), and the fewer it shows for a dossier never accepted. */
export interface PublicDossier {
  code: string;
  qr: string;
  receivingAgency: string;
  status: number;
  statusLabel: string;
  departments?: string[];
  organization?: string | null;
  applicantName?: string;
  receivedAt?: string;
  appointmentAt?: string | null;
}

export interface FormServiceDeps {
  db: Knex;
  /** the information system's name, carried by every QR code */
  systemName: string;
  /** the base URL the public lookup page is reached at (its QR links there) */
  publicUrl: string;
}

export function createFormService({ db, systemName, publicUrl }: FormServiceDeps) {
  const templates = compileTemplates();
  configurePdfmake();

  async function zoneOf(agencyCode: string): Promise<string> {
    const own = await db('agency_calendars').where({ agency_code: agencyCode }).first('zone');
    return own?.zone ?? DEFAULT_CALENDAR.zone;
  }

  async function names(usernames: (string | null)[]): Promise<Map<string, string>> {
    const wanted = [...new Set(usernames.filter((u): u is string => Boolean(u)))];
    const rows = wanted.length ? await db('accounts').whereIn('username', wanted).select('username', 'full_name') : [];
    return new Map(rows.map((r) => [r.username, r.full_name]));
  }

  /** The units and partner agencies that handled a dossier, in the order they got it. */
  async function handlingPath(codes: string[]): Promise<Map<string, { names: string[]; transferredAt: string | null }>> {
    const [received, tasks, handoffs, processing] = await Promise.all([
      // the unit of the officer who accepted it (a counter dossier has no reception task)
      db('dossier_events').join('accounts', 'accounts.username', 'dossier_events.actor')
        .join('units', (j) => j.on('units.agency_code', 'accounts.agency_code').andOn('units.code', 'accounts.unit_code'))
        .whereIn('dossier_events.dossier_code', codes).andWhere({ 'dossier_events.type': 'status', 'dossier_events.to_status': DossierStatus.Accepted })
        .select('dossier_events.dossier_code', 'dossier_events.at', 'units.name'),
      db('tasks').join('units', (j) => j.on('units.agency_code', 'tasks.agency_code').andOn('units.code', 'tasks.unit_code'))
        .whereIn('tasks.dossier_code', codes).whereNot('tasks.state', 'cancelled')
        .select('tasks.dossier_code', 'tasks.created_at as at', 'units.name'),
      db('handoffs').join('agencies', 'agencies.code', 'handoffs.to_agency').whereIn('handoffs.dossier_code', codes)
        .select('handoffs.dossier_code', 'handoffs.handed_at as at', 'agencies.name'),
      db('dossier_events').whereIn('dossier_code', codes).andWhere({ type: 'status', to_status: DossierStatus.Processing })
        .groupBy('dossier_code').select('dossier_code').min({ at: 'at' }),
    ]);
    const path = new Map<string, { names: string[]; transferredAt: string | null }>(codes.map((c) => [c, { names: [], transferredAt: null }]));
    for (const hop of [...received, ...tasks, ...handoffs].sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime())) {
      const entry = path.get(hop.dossier_code)!;
      if (!entry.names.includes(hop.name)) entry.names.push(hop.name);
    }
    for (const p of processing as { dossier_code: string; at: string }[]) path.get(p.dossier_code)!.transferredAt = iso(p.at);
    return path;
  }

  /** Everything a dossier's forms are filled from. */
  async function formInput(code: string): Promise<FormInput> {
    const row = await db('dossiers').where({ code }).first();
    if (!row) throw new NotFoundError(`no dossier ${code}`);
    const [agency, version, events, tasks, handoffs, documents, zone] = await Promise.all([
      db('agencies').where({ code: row.agency_code }).first(),
      db('procedure_versions').where({ code: row.procedure_code, version: row.procedure_version }).first('plan'),
      db('dossier_events').where({ dossier_code: code }).orderBy([{ column: 'at' }, { column: 'id' }]),
      db('tasks').join('units', (j) => j.on('units.agency_code', 'tasks.agency_code').andOn('units.code', 'tasks.unit_code'))
        .where({ 'tasks.dossier_code': code }).orderBy('tasks.created_at').select('tasks.*', 'units.name as unit_name'),
      db('handoffs').leftJoin('agencies', 'agencies.code', 'handoffs.to_agency').where({ 'handoffs.dossier_code': code })
        .orderBy('handoffs.handed_at').select('handoffs.*', 'agencies.name as agency_name'),
      db('dossier_documents').where({ dossier_code: code }).orderBy('created_at')
        .select('document_code', 'file_name', 'reused', 'digitization_code'),
      zoneOf(row.agency_code),
    ]);
    const plan = version.plan as Plan;
    const counter = Object.values(plan.steps).find((s) => s.kind === 'reception');
    const counterUnit = await db('units').where({ agency_code: row.agency_code })
      .modify((q) => (counter && counter.kind === 'reception' ? q.andWhere({ code: counter.assignee.unit }) : q.andWhere({ kind: 'counter' })))
      .first('name');
    const people = await names([...tasks.flatMap((t) => [t.claimed_by, t.completed_by]), ...handoffs.flatMap((h) => [h.handed_by, h.received_by])]);
    const person = (u: string | null) => (u ? people.get(u) ?? u : null);
    return {
      systemName, zone, now: new Date().toISOString(),
      agency: { code: agency.code, name: agency.name, nationalCode: agency.national_code },
      counterUnitName: counterUnit?.name ?? 'Bộ phận Một cửa',
      dossier: {
        code: row.code, procedureCode: row.procedure_code, procedureName: row.procedure_name, channel: row.channel, status: row.status,
        applicant: row.applicant, returnChannel: row.return_channel, submittedAt: iso(row.submitted_at)!, acceptedAt: iso(row.accepted_at),
        appointmentAt: iso(row.appointment_at), originalAppointmentAt: iso(row.original_appointment_at), finishedAt: iso(row.finished_at),
        returnedAt: iso(row.returned_at),
      },
      plan: { deadline: plan.deadline, documents: plan.documents },
      events: events.map((e) => ({ at: iso(e.at)!, type: e.type, fromStatus: e.from_status, toStatus: e.to_status, stepId: e.step_id,
        actor: e.actor, actorName: e.actor_name, reason: e.reason, data: e.data })),
      tasks: tasks.map((t) => ({ stepId: t.step_id, stepName: t.step_name, stepKind: t.step_kind, iteration: t.iteration, unitName: t.unit_name,
        state: t.state, outcome: t.outcome, data: t.data, comment: t.comment, claimedByName: person(t.claimed_by),
        completedByName: person(t.completed_by), completedAt: iso(t.completed_at), dueAt: iso(t.due_at), createdAt: iso(t.created_at)! })),
      handoffs: handoffs.map((h) => ({ toAgencyName: h.agency_name ?? h.to_agency, partnerDossierCode: h.partner_dossier_code,
        handedByName: person(h.handed_by)!, handedAt: iso(h.handed_at)!, dueAt: iso(h.due_at), receivedByName: person(h.received_by),
        receivedAt: iso(h.received_at), outcome: h.outcome, returnedAt: iso(h.returned_at) })),
      documents: documents.map((d) => ({ code: d.document_code, fileName: d.file_name, reused: d.reused, digitizationCode: d.digitization_code })),
    };
  }

  /** Officers of the dossier's agency, and the applicant holding this dossier's token, may read its forms. */
  async function mayRead(code: string, principal: Principal | undefined): Promise<void> {
    const row = await db('dossiers').where({ code }).first('agency_code');
    if (!row) throw new NotFoundError(`no dossier ${code}`);
    if (!principal) throw new UnauthorizedError('sign in, or use the applicant token given at submission');
    if (principal.kind === 'applicant' && principal.dossierCode !== code) throw new ForbiddenError('this token is for another dossier');
    if (principal.kind === 'officer' && principal.agency !== row.agency_code) throw new ForbiddenError('this dossier belongs to another agency');
  }

  return {
    /** A dossier's form, filled; 404 for an unknown form or dossier, 409 when the form does not apply to it. */
    async dossierForm(code: string, form: string, principal: Principal | undefined, opts: { ordinal?: number } = {}) {
      if (!(DOSSIER_FORMS as readonly string[]).includes(form)) {
        throw new NotFoundError(`no form "${form}"; a dossier's forms are ${DOSSIER_FORMS.join(', ')}`);
      }
      await mayRead(code, principal);
      const input = await formInput(code);
      try {
        return { model: buildDossierForm(form as DossierFormKind, input, opts) as AnyForm, zone: input.zone };
      } catch (err) {
        if (err instanceof FormNotApplicableError) throw new ConflictError(err.message, 'FormNotApplicableError');
        throw err;
      }
    },

    /** Form 06, the register of an agency's dossiers received between two local dates (inclusive); officers of the agency. */
    async register(principal: Principal | undefined, q: { agency?: string; from?: string; to?: string }) {
      if (!principal) throw new UnauthorizedError();
      if (principal.kind !== 'officer') throw new ForbiddenError('the dossier register is for officers');
      const agencyCode = q.agency || principal.agency;
      if (agencyCode !== principal.agency) throw new ForbiddenError(`the register of ${agencyCode} is for its own officers`);
      const problems = (['from', 'to'] as const).flatMap((k) => (q[k] && /^\d{4}-\d{2}-\d{2}$/.test(q[k]!) && DateTime.fromISO(q[k]!).isValid
        ? [] : [{ path: `$.query.${k}`, message: `${k} must be a date YYYY-MM-DD` }]));
      if (problems.length) throw new BadRequestError('the register needs a period: from=YYYY-MM-DD&to=YYYY-MM-DD', problems);
      if (q.from! > q.to!) throw new BadRequestError('from must not be after to', [{ path: '$.query.from', message: 'is after to' }]);
      const agency = await db('agencies').where({ code: agencyCode }).first();
      if (!agency) throw new NotFoundError(`no agency ${agencyCode}`);
      const zone = await zoneOf(agencyCode);
      const start = DateTime.fromISO(q.from!, { zone }).startOf('day');
      const end = DateTime.fromISO(q.to!, { zone }).plus({ days: 1 }).startOf('day');
      if (end.diff(start, 'days').days > 366) throw new BadRequestError('the period is at most one year', [{ path: '$.query.to', message: 'too far from from' }]);
      const rows = await db('dossiers').where({ agency_code: agencyCode })
        .andWhere('submitted_at', '>=', start.toISO()!).andWhere('submitted_at', '<', end.toISO()!)
        .orderBy([{ column: 'submitted_at' }, { column: 'code' }]);
      const path = await handlingPath(rows.map((r) => r.code));
      const input: RegisterInput = {
        zone, now: new Date().toISOString(), agency: { code: agency.code, name: agency.name }, from: q.from!, to: q.to!,
        dossiers: rows.map((r) => ({
          code: r.code, procedureName: r.procedure_name, applicant: r.applicant, status: r.status, submittedAt: iso(r.submitted_at)!,
          acceptedAt: iso(r.accepted_at), appointmentAt: iso(r.appointment_at), finishedAt: iso(r.finished_at), returnedAt: iso(r.returned_at),
          overdue: Boolean(r.appointment_at && ![3, 7, 8, 9, 10].includes(r.status) && new Date(r.appointment_at) < new Date()),
          handlingUnits: path.get(r.code)!.names, transferredAt: path.get(r.code)!.transferredAt,
        })),
      };
      return { model: buildRegister(input) as AnyForm, zone };
    },

    /** The form as an HTML page (the QR image inline). */
    async html(form: AnyForm, zone: string): Promise<string> {
      const qr = form.qrText ? await qrDataUrl(form.qrText) : null;
      return templates[form.form]({ ...form, qrDataUrl: qr, zone });
    },

    /** The form as a PDF (A4, Roboto: covers Vietnamese), the QR image embedded. */
    async pdf(form: AnyForm, zone: string): Promise<Buffer> {
      const qr = form.qrText ? await qrDataUrl(form.qrText) : null;
      return pdfmake.createPdf(formPdfDefinition(form, qr, zone)).getBuffer();
    },

    /**
     * The public lookup: exactly the fields DOMAIN.md lists, plus the status (statuses are public).
     * A dossier never accepted (still "Mới đăng ký", refused, or withdrawn before acceptance) shows only
     * its code, QR, receiving agency and status. Unknown and malformed codes both answer `undefined`.
     */
    async publicLookup(code: string): Promise<PublicDossier | undefined> {
      if (!looksLikeDossierCode(code)) return undefined;
      const row = await db('dossiers').join('agencies', 'agencies.code', 'dossiers.agency_code').where({ 'dossiers.code': code })
        .first('dossiers.code', 'dossiers.status', 'dossiers.accepted_at', 'dossiers.appointment_at', 'dossiers.applicant', 'agencies.name as agency_name');
      if (!row) return undefined;
      const link = `${publicUrl.replace(/\/$/, '')}/tra-cuu?code=${encodeURIComponent(row.code)}`;
      const base = { code: row.code, qr: await qrDataUrl(link), receivingAgency: row.agency_name as string, status: row.status as number,
        statusLabel: STATUS_LABELS[row.status as DossierStatusCode] };
      if (!row.accepted_at) return base;
      const path = await handlingPath([row.code]);
      return {
        ...base,
        departments: path.get(row.code)!.names,
        organization: row.applicant.organization ?? null,
        applicantName: row.applicant.fullName,
        receivedAt: iso(row.accepted_at)!,
        appointmentAt: iso(row.appointment_at),
      };
    },

    /** The public lookup page (Vietnamese): a search box and, when found, the same fields as the API. */
    publicPage(code: string | undefined, found: PublicDossier | undefined, zone = DEFAULT_CALENDAR.zone): string {
      return templates['public-lookup']({ code, searched: Boolean(code), found, zone,
        receivedAt: found?.receivedAt ? shortDateTime(found.receivedAt, zone) : null,
        appointmentAt: found?.appointmentAt ? shortDateTime(found.appointmentAt, zone) : null });
    },
  };
}

export type FormService = ReturnType<typeof createFormService>;
