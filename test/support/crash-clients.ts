/**
 * The crash test's clients: an HTTP client that retries each logical step with the same
 * `Idempotency-Key` until it gets a definite answer (network errors, 5xx and "still running" 409s are
 * retried), the traffic it sends (counts, statuses, the writes in flight right now), and the journeys
 * of the dossiers it drives to their end: birth registrations, household businesses (fee at
 * reception) and construction permits (a handoff to the provincial fire police, a fee before the
 * result), their fees paid online (the local provider's page, and the provider resending its signed
 * callback until it is answered) or at the counter.
 */
import { signBody, SIGNATURE_HEADER } from '../../lib/integrations';
import { birthRegistration, sampleBirthApplication } from './factories';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The kinds of writes the clients send; the killer aims at them. */
export type WriteKind = 'submit' | 'complete' | 'partner-complete' | 'pay-online' | 'pay-counter' | 'callback';

/** One attempt of a logical step: when, how it ended, how long it took. */
export interface Attempt {
  at: number;
  /** `201`, `409 TaskNotOpenError`, `network (ECONNREFUSED)`… */
  answer: string;
  ms: number;
  replayed: boolean;
  /** the start of the body of an answer other than 2xx, as text */
  detail?: string;
}

/** A logical step of a dossier's journey and every attempt it took to get a definite answer. */
export interface StepRecord {
  dossier: string;
  step: string;
  kind?: WriteKind;
  request: string;
  key?: string;
  attempts: Attempt[];
  /** the definite answer, or why the step gave up */
  outcome?: string;
}

interface InFlight {
  kind: WriteKind;
  label: string;
  since: number;
}

/** What the clients sent and saw, and which writes are on the wire right now (for the killer). */
export class Traffic {
  requests = 0;
  writes = 0;
  readonly statuses = new Map<string, number>();
  readonly steps: StepRecord[] = [];
  /** definite answers of the API (`/api/…`) that were not JSON: what the client acted on was not the API's answer */
  readonly malformed: { dossier: string; step: string; request: string; answer: string }[] = [];
  private readonly inFlight = new Map<number, InFlight>();
  private nextId = 0;
  readonly startedAt = Date.now();

  /** Milliseconds since the run began: the time base of attempts and kills. */
  now(): number {
    return Date.now() - this.startedAt;
  }

  /** Counts one answer: by status, and for a 4xx by its error code too (`409 ConflictError`). */
  count(answer: string): void {
    this.requests += 1;
    const [status, code] = answer.split(' ');
    const key = status.startsWith('4') && code ? `${status} ${code}` : status;
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
  }

  begin(kind: WriteKind, label: string): number {
    const id = this.nextId++;
    this.inFlight.set(id, { kind, label, since: Date.now() });
    this.writes += 1;
    return id;
  }

  end(id: number): void {
    this.inFlight.delete(id);
  }

  /** The writes on the wire now, as `kind label (age ms)`. */
  writesInFlight(kinds?: readonly WriteKind[]): string[] {
    const now = Date.now();
    return [...this.inFlight.values()].filter((w) => !kinds || kinds.includes(w.kind))
      .map((w) => `${w.kind} ${w.label} (${now - w.since} ms)`);
  }

  /** The steps of one dossier (by its label or code), for a diagnosis. */
  stepsOf(...names: string[]): StepRecord[] {
    return this.steps.filter((s) => names.includes(s.dossier));
  }
}

/** A definite answer. */
export interface Answer {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

/** Thrown when a step got no definite answer in its time; carries the attempts. */
export class StepGaveUpError extends Error {
  override name = 'StepGaveUpError';
}

function errorCode(body: any): string | undefined {
  return typeof body === 'object' && body !== null && typeof body.error?.code === 'string' ? body.error.code : undefined;
}

/** A body as one line of text: an HTML page without its tags and entities. */
export const plainText = (body: string) => body.replace(/<[^>]*>/g, ' ').replace(/&[a-z]+;|&#\d+;/g, ' ').replace(/\s+/g, ' ').trim();

/**
 * An answer in a line: `409 TaskNotOpenError task … is already completed`; a body that is not the API's
 * error (an HTML error page) is quoted as text.
 */
export function describeAnswer(res: Answer): string {
  const code = errorCode(res.body);
  const text = code ? `${code} ${res.body.error.message ?? ''}` : plainText(res.text).slice(0, 240);
  return `${res.status}${res.headers.get('idempotent-replayed') === 'true' ? ' (replayed)' : ''} ${text}`.trim();
}

const isStillRunning = (status: number, body: any) => status === 409 && errorCode(body) === 'ConflictError'
  && String(body.error.message).includes('still running');

function describeFailure(err: unknown): string {
  const e = err as { name?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'network (no answer in time)';
  return `network (${e.cause?.code ?? e.cause?.message ?? String(err)})`;
}

export interface WriteOptions {
  body?: unknown;
  /** a body sent exactly as given (a signed callback) */
  raw?: string;
  token?: string;
  /** the logical step's key, sent on every attempt as `Idempotency-Key` */
  key?: string;
  headers?: Record<string, string>;
}

/**
 * HTTP over `fetch` with a client's patience: every attempt is counted and recorded; a step is retried
 * with the same key on network errors, 5xx and a 409 "still running" (after its Retry-After) until a
 * definite answer, or gives up after `stepTimeoutMs`.
 */
export class RetryingHttp {
  constructor(private readonly baseUrl: string, readonly traffic: Traffic, private readonly stepTimeoutMs = 120_000) {}

  private async attempt(method: string, path: string, opts: WriteOptions): Promise<Answer> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body !== undefined || opts.raw !== undefined) headers['content-type'] = 'application/json';
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.key) headers['idempotency-key'] = opts.key;
    const res = await fetch(`${this.baseUrl}${path}`, {
      method, headers, body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    let body: unknown = text;
    try { body = text ? JSON.parse(text) : undefined; } catch { /* HTML (the payment page) or text */ }
    return { status: res.status, body, text, headers: res.headers };
  }

  /**
   * Sends one logical step until a definite answer and records it in the traffic.
   *
   * @param record - who and what, for the record: the dossier's label or code, the step, the write's kind (none: a read)
   * @throws StepGaveUpError when no definite answer came within the step's time
   */
  async send(record: { dossier: string; step: string; kind?: WriteKind }, method: string, path: string, opts: WriteOptions = {}): Promise<Answer> {
    const step: StepRecord = { ...record, request: `${method} ${path}`, key: opts.key, attempts: [] };
    // every write is kept; a read only when it had to be retried
    let kept = Boolean(record.kind);
    if (kept) this.traffic.steps.push(step);
    const deadline = Date.now() + this.stepTimeoutMs;
    let pause = 200;
    for (;;) {
      const began = Date.now();
      const at = this.traffic.now();
      const flight = record.kind ? this.traffic.begin(record.kind, `${record.dossier} ${record.step}`) : undefined;
      let answer: Answer | undefined;
      let label: string;
      try {
        answer = await this.attempt(method, path, opts);
        label = `${answer.status}${errorCode(answer.body) ? ` ${errorCode(answer.body)}` : ''}`;
      } catch (err) {
        label = describeFailure(err);
      } finally {
        if (flight !== undefined) this.traffic.end(flight);
      }
      this.traffic.count(label);
      step.attempts.push({ at, answer: label, ms: Date.now() - began, replayed: answer?.headers.get('idempotent-replayed') === 'true',
        detail: answer && answer.status >= 300 ? answer.text.slice(0, 300) : undefined });
      if (!kept && step.attempts.length > 1) {
        kept = true;
        this.traffic.steps.push(step);
      }
      let wait = pause;
      if (answer && isStillRunning(answer.status, answer.body)) {
        wait = Math.min(10, Number(answer.headers.get('retry-after') ?? 1)) * 1000;
      } else if (answer && answer.status < 500) {
        step.outcome = label;
        if (path.startsWith('/api/') && (typeof answer.body !== 'object' || answer.body === null)) {
          this.traffic.malformed.push({ dossier: record.dossier, step: record.step, request: step.request, answer: describeAnswer(answer) });
        }
        return answer;
      }
      if (Date.now() + wait > deadline) {
        step.outcome = `gave up after ${step.attempts.length} attempts (last: ${label})`;
        throw new StepGaveUpError(`${record.dossier} ${record.step}: ${step.request} ${step.outcome}`);
      }
      await sleep(wait);
      pause = Math.min(2_000, pause * 1.5);
    }
  }

  /** A read (not recorded as a step), retried like a write. */
  get(dossier: string, path: string, token?: string): Promise<Answer> {
    return this.send({ dossier, step: 'read' }, 'GET', path, { token });
  }
}

/** The demo accounts the journeys need, by a short name (README: demo accounts). */
export const OFFICERS = {
  lan: 'lan.motcua-mybinh', binh: 'binh.tuphap-mybinh', cuong: 'cuong.lanhdao-mybinh', dung: 'dung.kinhte-mybinh',
  thu: 'thu.motcua-pc07ag', phong: 'phong.pc07-angiang', long: 'long.lanhdao-pc07ag',
} as const;
export type Officer = keyof typeof OFFICERS;

/** The procedures the journeys run: birth registration, household business (fee at reception), construction permit (handoff, fee). */
export type JourneyKind = 'birth' | 'business' | 'permit';
export type PayChannel = 'online' | 'counter';

/** One dossier's part in the plan, drawn from the seed. */
export interface DossierPlan {
  label: string;
  kind: JourneyKind;
  pay?: PayChannel;
  /** pauses before each step (ms), as a person takes time */
  thinkMs: number[];
}

export const PROCEDURE_OF: Record<JourneyKind, string> = { birth: '1.001193', business: '1.001612', permit: '1.009994' };
/** the fire police's procedure a 7-floor permit hands off to */
export const PARTNER_PROCEDURE = '1.011465';
export const FEE_OF: Partial<Record<JourneyKind, string>> = { business: 'LE-PHI-DKHKD', permit: 'LE-PHI-GPXD' };

/** How one dossier's journey went. */
export interface DossierRun {
  plan: DossierPlan;
  code?: string;
  applicantToken?: string;
  partnerCode?: string;
  /** steps answered 409 (a completion or a counter payment): applied or not is checked against the workflow at the end */
  doubtful: { step: string; answer: string; taskId?: string }[];
  /** why the journey stopped before the end */
  failure?: string;
  finishedAt?: number;
}

/** What a journey needs: the HTTP client, officers' tokens, the payment provider's key and its ledger. */
export interface JourneyDeps {
  http: RetryingHttp;
  tokens: Record<Officer, string>;
  paymentSecret: string;
  /** the local provider's ledger line of a reference (the provider's own books), for resending its callback */
  ledger(reference: string): Promise<{ transactionId: string; amount: number; paidAt: string } | undefined>;
  /** how long to wait for a task, a status, a partner dossier (ms) */
  waitMs: number;
}

const pdf = (code: string, text: string) => ({ code, fileName: `${code.toLowerCase()}.pdf`, mediaType: 'application/pdf',
  contentBase64: Buffer.from(`%PDF-1.4 ${text}`).toString('base64') });

function submission(kind: JourneyKind, label: string) {
  switch (kind) {
    case 'birth':
      return birthRegistration({ application: sampleBirthApplication(), documents: [pdf('TO-KHAI', `tờ khai ${label}`)] });
    case 'business':
      return birthRegistration({ procedureCode: PROCEDURE_OF.business, documents: [pdf('GIAY-DE-NGHI', `giấy đề nghị ${label}`)],
        application: { business: { name: `Tạp hóa ${label}`, address: '12 Trần Hưng Đạo, phường Mỹ Bình',
          activities: ['Bán lẻ lương thực, thực phẩm'], capital: 150_000_000 } } });
    case 'permit':
      return birthRegistration({ procedureCode: PROCEDURE_OF.permit, documents: [pdf('DON-DE-NGHI', `đơn ${label}`), pdf('BAN-VE', 'bản vẽ')],
        application: { construction: { address: '45 Hà Hoàng Hổ, phường Mỹ Bình', landParcel: `Thửa ${label}, tờ bản đồ 27`,
          floors: 7, floorArea: 620, height: 26.5 } } });
  }
}

/**
 * Drives one dossier of the plan to its end over HTTP, each logical step under its own key. Never
 * throws: what went wrong is kept in the run (`failure`, `doubtful`) for the checks.
 */
export async function runJourney(plan: DossierPlan, deps: JourneyDeps): Promise<DossierRun> {
  const run: DossierRun = { plan, doubtful: [] };
  const { http, tokens } = deps;
  const think = [...plan.thinkMs];
  const pauseBefore = () => sleep(think.shift() ?? 300);
  const who = () => run.code ?? plan.label;

  const poll = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
    const deadline = Date.now() + deps.waitMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`${what} did not happen within ${deps.waitMs / 1000} s`);
      await sleep(250);
    }
  };

  const view = async (code: string, officer: Officer) => {
    const res = await http.get(code, `/api/dossiers/${encodeURIComponent(code)}`, tokens[officer]);
    if (res.status !== 200) throw new Error(`GET /api/dossiers/${code} answered ${describeAnswer(res)}`);
    return res.body;
  };

  const complete = async (officer: Officer, code: string, stepId: string, body: object, kind: WriteKind = 'complete') => {
    await pauseBefore();
    const task = await poll(`the ${stepId} task of ${code} in ${OFFICERS[officer]}'s inbox`, async () => {
      const inbox = await http.get(code, `/api/tasks?dossier=${encodeURIComponent(code)}&pageSize=200`, tokens[officer]);
      if (inbox.status !== 200) throw new Error(`the inbox of ${OFFICERS[officer]} answered ${describeAnswer(inbox)}`);
      return (inbox.body.items as { id: string; stepId: string }[]).find((t) => t.stepId === stepId);
    });
    const res = await http.send({ dossier: code, step: stepId, kind }, 'POST', `/api/tasks/${task.id}/complete`,
      { body, token: tokens[officer], key: `crash:${plan.label}:${code}:${stepId}` });
    if (res.status === 200) return;
    const answer = describeAnswer(res);
    if (res.status === 409) {
      // truly done or not is for the checks to say (the workflow's history); the journey goes on either way
      run.doubtful.push({ step: stepId, answer, taskId: task.id });
      return;
    }
    throw new Error(`completing ${stepId} of ${code}: ${answer}`);
  };

  const statusReaches = (code: string, officer: Officer, status: number) =>
    poll(`${code} reaching status ${status}`, async () => ((await view(code, officer)).status === status ? true : undefined));

  const pay = async (code: string, feeCode: string) => {
    const fee = await poll(`the fee ${feeCode} of ${code} to be due`, async () => {
      const v = await view(code, 'lan');
      const f = (v.fees as { code: string; state: string; paymentUrl?: string }[] | undefined)?.find((x) => x.code === feeCode);
      return v.status === 6 && f?.state === 'pending' && f.paymentUrl ? f : undefined;
    });
    await pauseBefore();
    if (plan.pay === 'counter') {
      const res = await http.send({ dossier: code, step: `pay ${feeCode}`, kind: 'pay-counter' }, 'POST',
        `/api/dossiers/${code}/payments/${feeCode}/confirm`, { body: {}, token: tokens.lan, key: `crash:${plan.label}:${code}:pay:${feeCode}` });
      if (res.status === 200) return;
      const answer = describeAnswer(res);
      if (res.status === 409) {
        run.doubtful.push({ step: `pay ${feeCode}`, answer });
        return;
      }
      throw new Error(`paying ${feeCode} of ${code} at the counter: ${answer}`);
    }
    const reference = fee.paymentUrl!.split('/pay/')[1];
    // the applicant presses "Thanh toán" until the page answers (a reload after a lost answer pays nothing twice)
    const page = await http.send({ dossier: code, step: `pay ${feeCode}`, kind: 'pay-online' }, 'POST', `/pay/${reference}`);
    if (page.status !== 200 || !page.text.includes('Đã thanh toán')) {
      throw new Error(`the payment page of ${reference} answered ${page.status}: ${page.text.slice(0, 300)}`);
    }
    if (page.text.includes('Hệ thống đã ghi nhận')) return;
    // the page's callback failed or was a replay: the provider resends it, signed, until the platform answers
    const line = await poll(`the provider's ledger line of ${reference}`, () => deps.ledger(reference));
    const raw = JSON.stringify({ provider: 'local', reference, transactionId: line.transactionId, amount: line.amount, paidAt: line.paidAt,
      status: 'paid' });
    const res = await http.send({ dossier: code, step: `callback ${feeCode}`, kind: 'callback' }, 'POST', '/api/payments/callback',
      { raw, headers: { [SIGNATURE_HEADER]: signBody(deps.paymentSecret, raw) } });
    if (res.status === 200 || (res.status === 409 && errorCode(res.body) === 'CallbackReplayedError')) return;
    throw new Error(`the provider's callback for ${reference} answered ${describeAnswer(res)}`);
  };

  try {
    await pauseBefore();
    const submitted = await http.send({ dossier: plan.label, step: 'submit', kind: 'submit' }, 'POST', '/api/dossiers',
      { body: submission(plan.kind, plan.label), key: `crash:${plan.label}:submit` });
    if (submitted.status !== 201) throw new Error(`the submission answered ${describeAnswer(submitted)}`);
    const code: string = submitted.body.code;
    run.code = code;
    run.applicantToken = submitted.body.applicantToken;
    for (const s of http.traffic.stepsOf(plan.label)) s.dossier = code;

    await complete('lan', code, 'receive', { outcome: 'accept', comment: 'Tiếp nhận' });
    switch (plan.kind) {
      case 'birth':
        await complete('binh', code, 'review', { outcome: 'approve', data: { documentsComplete: true } });
        await complete('cuong', code, 'sign', { outcome: 'approve' });
        break;
      case 'business':
        await pay(code, FEE_OF.business!);
        await complete('dung', code, 'review', { outcome: 'approve', data: { nameAvailable: true, registrationNo: `51A8${plan.label}` } });
        await complete('cuong', code, 'sign', { outcome: 'approve' });
        break;
      case 'permit': {
        // both appraisals are open at once: two completions on the wire together
        await Promise.all([
          complete('dung', code, 'inspect-site', { outcome: 'ok', data: { siteMatches: true, minutesNo: `BB-${plan.label}` } }),
          complete('dung', code, 'review-papers', { outcome: 'ok', data: { fitsPlanning: true } }),
        ]);
        const partner = await poll(`the fire police's dossier for ${code}`, async () =>
          ((await view(code, 'lan')).hops as { partnerDossier?: string }[] | undefined)?.find((h) => h.partnerDossier)?.partnerDossier);
        run.partnerCode = partner;
        await complete('thu', partner, 'receive', { outcome: 'accept', comment: 'Nhận liên thông' }, 'partner-complete');
        await complete('phong', partner, 'appraise', { outcome: 'approve', data: { compliant: true } }, 'partner-complete');
        await complete('long', partner, 'sign', { outcome: 'approve' }, 'partner-complete');
        await statusReaches(partner, 'thu', 10);
        await complete('cuong', code, 'sign', { outcome: 'approve' });
        await pay(code, FEE_OF.permit!);
        break;
      }
    }
    await statusReaches(code, 'lan', 10);
    run.finishedAt = http.traffic.now();
  } catch (err) {
    run.failure = `${who()}: ${(err as Error).message}`;
  }
  return run;
}
