/**
 * The crash test: the real `npm start` on the embedded default, dossiers driven through the API by
 * clients that retry each step with its `Idempotency-Key`, while the main process, the PostgreSQL
 * postmaster and the Temporal dev server are each killed with SIGKILL twice, at moments when writes
 * (submissions, task completions, payments, a partner agency's completions) are on the wire. Every
 * dossier must end consistent and reach its end: see test/support/crash-checks.ts.
 *
 * The plan (which dossiers, how they pay, what is killed when) comes from a seed printed at the start;
 * `CRASH_SEED=<seed>` plans the same run again.
 */
import { Connection, Client } from '@temporalio/client';
import { randomInt } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createDb, type Knex } from '../../lib/db';
import { freePort } from '../../lib/temporal-cli';
import { checkRun, type CheckedDossier, type Inconsistency, type Verdict } from '../support/crash-checks';
import { OFFICERS, plainText, RetryingHttp, runJourney, Traffic, type Attempt, type DossierPlan, type DossierRun, type JourneyDeps, type Officer,
  type WriteKind } from '../support/crash-clients';
import { PlatformProcess, SeededRandom, type KillTarget } from '../support/crash-platform';
import { DEMO_PASSWORD } from '../support/env';

const SEED = Number(process.env.CRASH_SEED ?? randomInt(2 ** 31));
const PAYMENT_SECRET = 'crash-test-payment-secret-crash-test-payment-secret';
/** each target killed twice */
const KILLS: KillTarget[] = ['main', 'main', 'postgres', 'postgres', 'temporal', 'temporal'];
/** what each kill waits to see on the wire (it settles for any write after AIM_PATIENCE_MS) */
const AIMS: WriteKind[][] = [['complete'], ['submit'], ['pay-online', 'pay-counter', 'callback'], ['partner-complete'], ['complete'],
  ['pay-online', 'pay-counter', 'callback']];
const AIM_PATIENCE_MS = 12_000;
/** lead dossiers at once, and the pause between two launches */
const MAX_ACTIVE = 9;
const LAUNCH_GAP_MS = 1_200;
/** dossiers launched beyond the plan while kills are still to come */
const MAX_EXTRA = 24;

/** what outlives the run's folder: the platform's log, and the histories of dossiers found wrong */
const KEPT_DIR = join(__dirname, '..', '..', '.test-data');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One kill: what, when (ms into the run), what was on the wire, how long until the platform answered again. */
interface KillRecord {
  n: number;
  target: KillTarget;
  at: number;
  pid: number;
  childOfMain: boolean;
  inFlight: string[];
  downMs: number;
  /** health answers while it came back */
  health: string[];
}

interface PlannedKill {
  target: KillTarget;
  aim: WriteKind[];
  gapMs: number;
  delayMs: number;
}

function planRun(rng: SeededRandom): { dossiers: DossierPlan[]; kills: PlannedKill[] } {
  const kinds = [
    ...Array.from({ length: 12 }, () => ({ kind: 'birth' as const })),
    ...(['online', 'online', 'online', 'counter', 'counter', 'counter'] as const).map((pay) => ({ kind: 'business' as const, pay })),
    ...(['online', 'online', 'online', 'counter', 'counter', 'counter'] as const).map((pay) => ({ kind: 'permit' as const, pay })),
  ];
  const dossiers = rng.shuffle(kinds).map((k, i) => ({ ...k, label: `D${String(i + 1).padStart(2, '0')}`,
    thinkMs: Array.from({ length: 12 }, () => rng.int(200, 1_500)) }));
  const aims = rng.shuffle(AIMS);
  const kills = rng.shuffle(KILLS).map((target, i) => ({ target, aim: aims[i], gapMs: rng.int(2_000, 4_000), delayMs: rng.int(0, 40) }));
  return { dossiers, kills };
}

let dataDir: string;
let platform: PlatformProcess;
let db: Knex | undefined;
let connection: Connection | undefined;

beforeAll(async () => {
  dataDir = mkdtempSync(join(process.env.TEST_RUN_DIR ?? '/tmp', 'crash-'));
  // PostgreSQL runs as `postgres` when we are root: its data stays in DATA_DIR only if it can get in
  chmodSync(dataDir, 0o755);
  const ports = { api: await freePort(), pg: await freePort(), temporal: await freePort(), temporalUi: await freePort() };
  platform = new PlatformProcess(join(dataDir, 'data'), ports, join(dataDir, 'platform.log'), {
    LOG_LEVEL: 'info', LOG_FORMAT: 'json', PAYMENT_CALLBACK_SECRET: PAYMENT_SECRET, JWT_SECRET: 'crash-test-jwt-secret-crash-test-jwt-secret',
    // deliveries that failed during an outage are tried again within seconds, so the outboxes drain before the checks
    OUTBOX_POLL_MS: '200', OUTBOX_RETRY_BASE_MS: '500', OUTBOX_RETRY_MAX_MS: '2000', OUTBOX_MAX_ATTEMPTS: '1000',
  });
  await platform.start();
});

afterAll(async () => {
  await connection?.close();
  await db?.destroy();
  if (platform) await platform.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * Kills each planned target when a write it aims at (or, after a while, any write) is on the wire; waits for
 * the platform to come back. A platform that does not come back ends the kills, with why in `failure`.
 */
async function killer(plan: PlannedKill[], traffic: Traffic, state: { recovering: boolean; workloadDone: boolean }):
  Promise<{ records: KillRecord[]; failure?: string }> {
  const records: KillRecord[] = [];
  for (const [i, kill] of plan.entries()) {
    await sleep(kill.gapMs);
    const aimedSince = Date.now();
    let inFlight: string[] = [];
    while (!state.workloadDone) {
      const aim = Date.now() - aimedSince < AIM_PATIENCE_MS ? kill.aim : undefined;
      if (traffic.writesInFlight(aim).length > 0) {
        await sleep(kill.delayMs);
        inFlight = traffic.writesInFlight();
        if (inFlight.length > 0) break;
      }
      await sleep(2);
    }
    if (inFlight.length === 0) break;
    state.recovering = true;
    const at = traffic.now();
    try {
      const killed = await platform.kill(kill.target);
      if (kill.target === 'main') await platform.start();
      else await platform.waitRestarted(kill.target, killed.pid);
      const health = await platform.waitHealthy();
      records.push({ n: i + 1, target: kill.target, at, ...killed, inFlight, downMs: traffic.now() - at, health });
    } catch (err) {
      return { records, failure: `kill #${i + 1} (${kill.target} at ${at} ms): the platform did not come back: ${(err as Error).message}` };
    } finally {
      state.recovering = false;
    }
  }
  return { records };
}

/**
 * Starts the journeys of the plan, a few at a time and not while the platform is coming back, then (on a slow
 * machine, where the plan ends before every kill has happened) more of the same until the kills are done, at most
 * MAX_EXTRA; resolves when all have ended.
 */
async function launcher(plans: DossierPlan[], deps: JourneyDeps, state: { recovering: boolean; killsDone: boolean }): Promise<DossierRun[]> {
  const journeys: Promise<DossierRun>[] = [];
  let active = 0;
  const extras = Array.from({ length: MAX_EXTRA }, (_, i) => ({ ...plans[i % plans.length], label: `X${String(i + 1).padStart(2, '0')}` }));
  for (const plan of [...plans, ...extras]) {
    if (plan.label.startsWith('X') && state.killsDone) break;
    while (active >= MAX_ACTIVE || state.recovering) await sleep(50);
    active += 1;
    journeys.push(runJourney(plan, deps).finally(() => { active -= 1; }));
    await sleep(LAUNCH_GAP_MS);
  }
  return Promise.all(journeys);
}

/** Waits until the notification and portal outboxes have nothing left to deliver. */
async function outboxesDrained(database: Knex, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [{ n: notifications }] = await database('notifications').where({ state: 'pending' }).count({ n: '*' });
    const [{ n: portal }] = await database('portal_outbox').whereNot({ state: 'delivered' }).count({ n: '*' });
    if (Number(notifications) === 0 && Number(portal) === 0) return;
    if (Date.now() > deadline) return;
    await sleep(250);
  }
}

/** An attempt's body when its answer line does not say it all (no error code: an HTML page, a text). */
const quote = (a: Attempt) => (a.detail !== undefined && !a.answer.includes(' ')
  ? ` "${plainText(a.detail).slice(0, 160)}"` : '');

/** Everything a person needs to diagnose one dossier's inconsistencies: both sides' status, the client's steps, the kills, the platform's log lines. */
function diagnosis(code: string, found: Inconsistency[], traffic: Traffic, runs: DossierRun[], kills: KillRecord[]): string {
  const run = runs.find((r) => r.code === code || r.partnerCode === code || r.plan.label === code);
  const lines = [`● ${code}${run ? ` (${run.plan.label}, ${run.plan.kind}${run.plan.pay ? `, paid ${run.plan.pay}` : ''}${run.partnerCode === code ? ', partner dossier' : ''})` : ''}`];
  for (const f of found) lines.push(`    - ${f.what}`);
  const steps = traffic.stepsOf(code, run?.plan.label ?? code);
  if (steps.length) lines.push('    requests (ms into the run: answer):');
  for (const s of steps) {
    lines.push(`      ${s.step}: ${s.request} key ${s.key ?? '-'} → ${s.outcome ?? 'no answer'}`);
    lines.push(`        ${s.attempts.map((a) => `${a.at}: ${a.answer}${a.replayed ? ' (replayed)' : ''}${quote(a)}`).join('; ')}`);
  }
  const first = steps[0]?.attempts[0]?.at ?? 0;
  const nearby = kills.filter((k) => k.at >= first - 1_000);
  if (nearby.length) lines.push(`    kills since its first request: ${nearby.map((k) => `#${k.n} ${k.target} at ${k.at} (in flight: ${k.inFlight.join(', ')})`).join('; ')}`);
  const log = platform.logLines(code, 8);
  if (log.length) lines.push('    platform log:', ...log.map((l) => `      ${l.slice(0, 400)}`));
  return lines.join('\n');
}

/** The 5xx answers, by route and body, most frequent first. */
function failures(traffic: Traffic): string[] {
  const route = (request: string) => request.replace(/\/[0-9A-Z.]+-\d{6}-\d{4}/g, '/{code}').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '{id}')
    .replace(/\/pay\/LP-\w+/, '/pay/{reference}').replace(/\?.*$/, '');
  const logged = platform.unhandledErrors();
  // a 500 of ours names the error id it logged; express's own 500 page quotes the error
  const cause = (detail: string) => logged.get(/logged as ([0-9a-f-]{36})/.exec(detail)?.[1] ?? '')
    ?? /<pre>([^<]*)/.exec(detail)?.[1].replace(/&quot;/g, '"') ?? detail;
  const counts = new Map<string, number>();
  for (const s of traffic.steps) {
    for (const a of s.attempts.filter((x) => x.detail !== undefined && x.answer.startsWith('5'))) {
      const key = `${a.answer} ${route(s.request)}: ${cause(a.detail!).slice(0, 200)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts].sort(([, a], [, b]) => b - a).map(([k, n]) => `    ${n} × ${k}`);
}

/** The run's figures, as the test prints them and docs/reliability.md quotes them. */
function figures(traffic: Traffic, kills: KillRecord[], dossiers: CheckedDossier[], verdict: Verdict, seconds: number): string {
  const statuses = [...traffic.statuses].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}: ${n}`).join(', ');
  const steps = traffic.steps.filter((s) => s.kind);
  const retried = steps.filter((s) => s.attempts.length > 1).length;
  const replayed = steps.reduce((sum, s) => sum + s.attempts.filter((a) => a.replayed).length, 0);
  const killLines = kills.map((k) => `  #${k.n} ${k.target} (pid ${k.pid}${k.target === 'main' || k.childOfMain ? '' : ', not a child of the main process'}) ` +
    `at ${(k.at / 1000).toFixed(1)} s, back after ${(k.downMs / 1000).toFixed(1)} s (health: ${[...k.health, '200'].join(' → ')}); ` +
    `in flight: ${k.inFlight.join(', ')}`);
  return [
    `crash test (seed ${SEED}, ${seconds} s):`,
    `  dossiers: ${dossiers.length} (${dossiers.filter((d) => d.kind !== 'partner').length} submitted, ${dossiers.filter((d) => d.kind === 'partner').length} partner), ` +
      `${verdict.reachedEnd} reached status 10 with the read model = the workflow`,
    `  requests: ${traffic.requests} (${steps.length} logical writes, ${retried} of them retried, ${replayed} answers replayed from their key)`,
    `  statuses: ${statuses}`,
    ...failures(traffic),
    `  kills: ${kills.length} (${(['main', 'postgres', 'temporal'] as const).map((t) => `${t} ${kills.filter((k) => k.target === t).length}`).join(', ')})`,
    ...killLines,
    `  redeliveries absorbed by their receivers: emails ${verdict.redeliveries.emails} (same Message-ID), portal ${verdict.redeliveries.portal} (same receiver key)`,
    `  answered 409 though applied: ${verdict.doubtfulButDone.length}${verdict.doubtfulButDone.length ? ` (${verdict.doubtfulButDone.join('; ')})` : ''}`,
    `  inconsistencies: ${verdict.inconsistencies.length}`,
  ].join('\n');
}

test('dossiers in flight survive SIGKILL of the main process, PostgreSQL and Temporal: every one consistent and at its end', async () => {
  const began = Date.now();
  const rng = new SeededRandom(SEED);
  const plan = planRun(rng);
  console.log(`crash test seed ${SEED} (CRASH_SEED=${SEED} plans this run again); kills: ${plan.kills.map((k) => k.target).join(', ')}`);

  const traffic = new Traffic();
  const http = new RetryingHttp(platform.apiUrl, traffic);
  const tokens = {} as Record<Officer, string>;
  for (const [name, username] of Object.entries(OFFICERS)) {
    const res = await http.send({ dossier: 'login', step: 'login' }, 'POST', '/api/auth/login', { body: { username, password: DEMO_PASSWORD } });
    expect(res.status).toBe(200);
    tokens[name as Officer] = res.body.token;
  }
  db = createDb(platform.databaseUrl);
  const database = db;
  const deps: JourneyDeps = {
    http, tokens, paymentSecret: PAYMENT_SECRET, waitMs: 120_000,
    async ledger(reference) {
      const line = await database('local_payment_ledger').where({ reference, state: 'paid' }).first().catch(() => undefined);
      return line ? { transactionId: line.transaction_id, amount: Number(line.amount), paidAt: new Date(line.paid_at).toISOString() } : undefined;
    },
  };

  const state = { recovering: false, workloadDone: false, killsDone: false };
  const killing = killer(plan.kills, traffic, state).finally(() => { state.killsDone = true; });
  const runs = await launcher(plan.dossiers, deps, state);
  state.workloadDone = true;
  const { records: kills, failure: killFailure } = await killing;

  await outboxesDrained(database);
  connection = await Connection.connect({ address: platform.temporalAddress });
  const temporal = new Client({ connection, namespace: 'default' });
  const dossiers: CheckedDossier[] = runs.flatMap((run) => [
    ...(run.code ? [{ code: run.code, kind: run.plan.kind, run }] : []),
    ...(run.partnerCode ? [{ code: run.partnerCode, kind: 'partner' as const, run }] : []),
  ]);
  const verdict = await checkRun(dossiers, runs, { db: database, temporal, http, tokens, mailDir: join(platform.dataDir, 'mail'),
    historiesDir: join(KEPT_DIR, `crash-${SEED}-histories`) });
  for (const m of traffic.malformed) {
    const code = runs.find((r) => r.plan.label === m.dossier)?.code ?? m.dossier;
    verdict.inconsistencies.push({ dossier: code, what: `${m.step}: ${m.request} was answered "${m.answer}": not the API's JSON, yet final for the client` });
  }
  if (killFailure) verdict.inconsistencies.push({ dossier: '*', what: killFailure });
  else if (kills.length < plan.kills.length) {
    verdict.inconsistencies.push({ dossier: '*', what: `only ${kills.length} of ${plan.kills.length} kills happened: the dossiers were done before the rest (plan more work)` });
  }
  const summary = figures(traffic, kills, dossiers, verdict, Math.round((Date.now() - began) / 1000));
  const kept = join(KEPT_DIR, 'crash-last.log');
  copyFileSync(platform.logFile, kept);
  console.log(`${summary}\n  the platform's log: ${kept}`);

  if (verdict.inconsistencies.length) {
    const byDossier = new Map<string, Inconsistency[]>();
    for (const f of verdict.inconsistencies) byDossier.set(f.dossier, [...(byDossier.get(f.dossier) ?? []), f]);
    const report = [...byDossier].map(([code, found]) => diagnosis(code, found, traffic, runs, kills)).join('\n');
    throw new Error(`${summary}\n\n${report}\n\nthe platform's whole log: ${kept}`);
  }
  expect(kills.map((k) => k.target).sort()).toEqual([...KILLS].sort());
  expect(verdict.reachedEnd).toBe(dossiers.length);
  expect(dossiers.filter((d) => d.kind !== 'partner')).toHaveLength(runs.length);
}, 9 * 60_000);
