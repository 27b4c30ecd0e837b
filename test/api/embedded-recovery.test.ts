/**
 * The embedded default comes back by itself: the real `npm start` (scripts/start.ts in a child process,
 * its own PostgreSQL and Temporal dev server, data on disk) is killed with SIGKILL, or its PostgreSQL or
 * Temporal dev server is, and the platform recovers without hand work and without losing a dossier or
 * a task. And a start that cannot happen says what failed and what to do.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandLine, isRunning, readPidFile } from '../../lib/processes';
import { DEMO_PASSWORD } from '../support/env';
import { birthRegistration } from '../support/factories';
import { httpClient, type HttpClient } from '../support/http';
import { databaseDirOf, platformEnv, spawnPlatform, startPlatformProcess, stopPlatformProcess, type PlatformProcess } from '../support/platform-process';
import { completeTask, eventually, findTask } from '../support/tasks';

let dataDir: string;
const started: PlatformProcess[] = [];
/** processes this test saw started, each with a path its command line holds while it is ours */
const children: { pid: number; marker: string }[] = [];

beforeEach(() => { dataDir = mkdtempSync(join(process.env.TEST_RUN_DIR ?? '/tmp', 'recovery-')); });
afterEach(async () => {
  for (const platform of started.splice(0)) await stopPlatformProcess(platform);
  // what a failed test may have left behind: only the processes this test saw started, still running as ours
  for (const { pid, marker } of children.splice(0)) {
    if (commandLine(pid)?.some((arg) => arg.includes(marker))) process.kill(pid, 'SIGKILL');
  }
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(env: Record<string, string>): Promise<PlatformProcess> {
  const platform = await startPlatformProcess(env);
  started.push(platform);
  return platform;
}

/** The processes `parent` started (Linux: from /proc). */
function childrenOf(parent: number): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent;
    } catch {
      return false;
    }
  });
}

/** The process ids of the platform's PostgreSQL (its postmaster.pid) and Temporal dev server (its child running start-dev). */
function childPids(platform: PlatformProcess) {
  const databaseDir = databaseDirOf(platform);
  const pg = readPidFile(join(databaseDir, 'postmaster.pid'));
  const temporal = childrenOf(platform.child.pid!).find((pid) => commandLine(pid)?.includes('start-dev'));
  if (!pg || !temporal) throw new Error('no PostgreSQL or Temporal dev server found');
  children.push({ pid: pg, marker: databaseDir }, { pid: temporal, marker: dataDir });
  return { pg, temporal };
}

/** Waits for `line` in the platform's output (its log is written a moment after the fact). */
function logged(platform: PlatformProcess, line: string): Promise<true> {
  return eventually(async () => platform.output().includes(line), `"${line}" in the log`, { tries: 100, intervalMs: 100 });
}

interface Outage {
  /** from the kill to the first 503 */
  downAfterMs: number;
  /** from the kill to 200 again */
  backAfterMs: number;
  /** the slowest health answer meanwhile */
  slowestMs: number;
  /** what the first 503 said */
  checks: Record<string, string>;
}

/** Asks `/api/health` again and again from `killedAt` until it has said 503 and then 200 again. */
async function watchOutage(http: HttpClient, killedAt: number): Promise<Outage> {
  let down: { at: number; checks: Record<string, string> } | undefined;
  let slowestMs = 0;
  while (Date.now() - killedAt < 120_000) {
    const t0 = Date.now();
    const res = await http.get('/api/health');
    slowestMs = Math.max(slowestMs, Date.now() - t0);
    if (res.status === 503 && !down) down = { at: t0, checks: res.body.checks };
    if (res.status === 200 && down) return { downAfterMs: down.at - killedAt, backAfterMs: Date.now() - killedAt, slowestMs, checks: down.checks };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`health did not go 503 and back to 200 within 120 s (503 seen: ${Boolean(down)})`);
}

/** Receives, reviews and signs a birth registration: it reaches status 10. */
async function completeDossier(http: HttpClient, code: string): Promise<void> {
  const [lan, binh, cuong] = await Promise.all(['lan.motcua-mybinh', 'binh.tuphap-mybinh', 'cuong.lanhdao-mybinh']
    .map((user) => http.login(user, DEMO_PASSWORD)));
  const received = await completeTask(http, lan, code, 'receive', { outcome: 'accept', comment: 'ok' });
  expect(received.dossier.status).toBe(4);
  await completeTask(http, binh, code, 'review', { outcome: 'approve', data: { documentsComplete: true } });
  const signed = await completeTask(http, cuong, code, 'sign', { outcome: 'approve' });
  expect(signed.dossier.status).toBe(10);
}

const UNCAUGHT = /uncaught|unhandled|Channel has been shut down|^undefined$/im;

test('after a kill -9 of npm start, the next start reclaims its PostgreSQL and Temporal and the dossiers carry on', async () => {
  const env = await platformEnv(dataDir);
  const first = await start(env);
  const http = httpClient(`http://127.0.0.1:${env.API_PORT}`);
  const submitted = await http.post('/api/dossiers', birthRegistration());
  expect(submitted.status).toBe(201);
  const { code } = submitted.body;
  const lan = await http.login('lan.motcua-mybinh', DEMO_PASSWORD);
  const reception = await findTask(http, lan, code, 'receive');
  const before = childPids(first);

  first.child.kill('SIGKILL');
  await first.exited;
  // what the issue saw: both live on, holding their ports
  expect(isRunning(before.pg)).toBe(true);
  expect(isRunning(before.temporal)).toBe(true);

  const t0 = Date.now();
  const second = await start(env);
  const restartMs = Date.now() - t0;
  expect(second.output()).toContain('stopped a PostgreSQL left running by an earlier start');
  expect(second.output()).toContain('stopped a Temporal dev server left running by an earlier start');
  expect(isRunning(before.pg)).toBe(false);
  expect(isRunning(before.temporal)).toBe(false);
  const after = childPids(second);
  expect(after.pg).not.toBe(before.pg);

  // the dossier and its open task are still there, and it runs to its end
  expect((await findTask(http, lan, code, 'receive')).id).toBe(reception.id);
  expect((await http.get(`/api/dossiers/${code}`, lan)).body.status).toBe(1);
  await completeDossier(http, code);
  expect(await stopPlatformProcess(second)).toBe(0);
  expect(second.output()).not.toMatch(UNCAUGHT);
  console.log(`recovery figures: npm start after a kill -9 of the previous one, banner in ${restartMs} ms`);
}, 300_000);

test('npm start and then its PostgreSQL killed, postmaster.pid naming another program now: the next start comes up', async () => {
  const env = await platformEnv(dataDir);
  const first = await start(env);
  const http = httpClient(`http://127.0.0.1:${env.API_PORT}`);
  const submitted = await http.post('/api/dossiers', birthRegistration());
  expect(submitted.status).toBe(201);
  const { pg } = childPids(first);
  const pidFile = join(databaseDirOf(first), 'postmaster.pid');
  first.child.kill('SIGKILL');
  await first.exited;
  process.kill(pg, 'SIGKILL');
  await eventually(async () => !isRunning(pg), 'PostgreSQL gone');
  // the stale pid file's process id now belongs to another program of the user PostgreSQL runs as
  const postgresIds = process.getuid?.() === 0
    ? { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) }
    : {};
  const other = spawn('sleep', ['300'], { ...postgresIds, stdio: 'ignore' });
  try {
    const lines = readFileSync(pidFile, 'utf8').split('\n');
    writeFileSync(pidFile, [String(other.pid), ...lines.slice(1)].join('\n'));

    const second = await start(env);
    expect(second.output()).toContain('removed a stale postmaster.pid');
    const lan = await http.login('lan.motcua-mybinh', DEMO_PASSWORD);
    expect((await http.get(`/api/dossiers/${submitted.body.code}`, lan)).body.status).toBe(1);
    await completeDossier(http, submitted.body.code);
    expect(await stopPlatformProcess(second)).toBe(0);
    expect(isRunning(other.pid!)).toBe(true);
  } finally {
    other.kill();
  }
}, 300_000);

test('PostgreSQL and then the Temporal dev server killed: health says 503 at once, comes back by itself, Ctrl-C exits 0', async () => {
  const env = await platformEnv(dataDir);
  const platform = await start(env);
  const http = httpClient(`http://127.0.0.1:${env.API_PORT}`);
  expect((await http.get('/api/health')).status).toBe(200);
  const lan = await http.login('lan.motcua-mybinh', DEMO_PASSWORD);
  const before = await http.post('/api/dossiers', birthRegistration());
  expect(before.status).toBe(201);
  await findTask(http, lan, before.body.code, 'receive');
  const figures: string[] = [];

  const { pg } = childPids(platform);
  process.kill(pg, 'SIGKILL');
  const pgOutage = await watchOutage(http, Date.now());
  expect(pgOutage.checks.database).not.toBe('ok');
  expect(pgOutage.slowestMs).toBeLessThan(2_000);
  figures.push(`PostgreSQL killed: health 503 after ${pgOutage.downAfterMs} ms (slowest answer ${pgOutage.slowestMs} ms), 200 again after ${pgOutage.backAfterMs} ms`);
  await logged(platform, 'PostgreSQL stopped unexpectedly; starting it again');
  await logged(platform, 'PostgreSQL is back');

  const { temporal } = childPids(platform);
  process.kill(temporal, 'SIGKILL');
  const temporalKilledAt = Date.now();
  // the API keeps answering what needs no Temporal
  expect((await http.get('/api/procedures')).status).toBe(200);
  const temporalOutage = await watchOutage(http, temporalKilledAt);
  expect(temporalOutage.checks).toMatchObject({ database: 'ok' });
  expect(temporalOutage.checks.temporal).not.toBe('ok');
  expect(temporalOutage.slowestMs).toBeLessThan(2_000);
  figures.push(`Temporal killed: health 503 after ${temporalOutage.downAfterMs} ms (slowest answer ${temporalOutage.slowestMs} ms), 200 again after ${temporalOutage.backAfterMs} ms`);
  await logged(platform, 'the Temporal dev server stopped unexpectedly; starting it again');
  await logged(platform, 'the Temporal dev server is back');

  // nothing was lost, and the platform works on: the dossier from before and a new one both reach their end
  await completeDossier(http, before.body.code);
  const after = await http.post('/api/dossiers', birthRegistration());
  expect(after.status).toBe(201);
  await completeDossier(http, after.body.code);
  // the dispatchers carried on: the applicant was told by email (the local sink keeps .eml files)
  await eventually(async () => (await http.get(`/api/dossiers/${after.body.code}`, lan)).body.history
    .some((e: any) => e.type === 'notification' && e.data?.outcome === 'sent'), 'a notification sent to the applicant');

  const t0 = Date.now();
  expect(await stopPlatformProcess(platform)).toBe(0);
  figures.push(`Ctrl-C after the outages: stopped in ${Date.now() - t0} ms`);
  expect(platform.output()).not.toMatch(UNCAUGHT);
  console.log(`recovery figures:\n  ${figures.join('\n  ')}`);
}, 300_000);

test('Ctrl-C in the middle of an outage, requests in flight, stops everything and exits 0', async () => {
  const env = await platformEnv(dataDir);
  const platform = await start(env);
  const http = httpClient(`http://127.0.0.1:${env.API_PORT}`);
  const { pg, temporal } = childPids(platform);
  const databaseDir = databaseDirOf(platform);
  process.kill(temporal, 'SIGKILL');
  // answered or cut off by the stop, whichever comes first
  const inFlight = [http.get('/api/health'), http.post('/api/dossiers', birthRegistration()), http.get('/api/health')]
    .map((request) => request.catch(() => undefined));
  await new Promise((r) => setTimeout(r, 200));
  process.kill(pg, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 100));

  expect(await stopPlatformProcess(platform)).toBe(0);
  await Promise.all(inFlight);
  expect(platform.output()).not.toMatch(UNCAUGHT);
  // nothing of it is left running: no process names its data
  const left = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number)
    .filter((pid) => commandLine(pid)?.some((arg) => arg.includes(dataDir) || arg.includes(databaseDir)));
  expect(left).toEqual([]);
}, 300_000);

describe('a start that cannot happen says what failed and what to do', () => {
  let holder: Server;
  const accepted: Socket[] = [];
  afterEach(() => new Promise<void>((resolve) => {
    for (const socket of accepted.splice(0)) socket.destroy();
    holder.close(() => resolve());
  }));

  const hold = async (port: number, host: string) => {
    holder = createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => holder.listen(port, host, resolve));
  };

  test.each([
    ['API_PORT', '0.0.0.0'],
    ['EMBEDDED_PG_PORT', '127.0.0.1'],
    ['TEMPORAL_PORT', '127.0.0.1'],
  ])('its port %s held by another program', async (setting, host) => {
    const env = await platformEnv(dataDir);
    await hold(Number(env[setting]), host);
    const platform = spawnPlatform(env);
    const { code } = await platform.exited;
    expect(code).toBe(1);
    expect(platform.output()).toContain(`port ${env[setting]}`);
    expect(platform.output()).toContain(`(${setting}), is taken by another program`);
    expect(platform.output()).toContain(`what to do: stop that program`);
    expect(platform.output()).not.toMatch(UNCAUGHT);
  }, 120_000);
});
