/**
 * Benchmark: what officers and applicants wait for, and what the platform holds in memory, with the
 * whole platform really running (embedded PostgreSQL, Temporal dev server, worker and API in this
 * process, throw-away data on free ports). Drives N birth registrations through the real HTTP API,
 * C at a time: submit, accept at the counter, appraise, sign (each completion is a Temporal Update
 * answered once the workflow applied it), and reports latencies, throughput and memory.
 *
 *   npm run bench:dossiers [-- N C]
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { startPlatform } from '../scripts/platform';
import { freePort } from '../lib/temporal-cli';

const PASSWORD = 'demo@2026';

function stats(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5).toFixed(1), p95: at(0.95).toFixed(1), max: sorted[sorted.length - 1].toFixed(1) };
}

async function main() {
  const n = Number(process.argv[2] ?? 100);
  const concurrency = Number(process.argv[3] ?? 10);
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-platform-'));
  Runtime.install({ shutdownSignals: [], logger: new DefaultLogger('ERROR') });
  const env = {
    DATA_DIR: dataDir, API_PORT: String(await freePort()), EMBEDDED_PG_PORT: String(await freePort()),
    TEMPORAL_PORT: String(await freePort()), TEMPORAL_UI_PORT: String(await freePort()), LOG_LEVEL: 'warn', LOG_FORMAT: 'json',
  };
  const config = loadConfig({ ...process.env, ...env, DATABASE_URL: '', TEMPORAL_ADDRESS: '' });
  const started = performance.now();
  const platform = await startPlatform(config, { log: createLogger('warn', 'bench'), ephemeral: true, headless: true });
  const startMs = performance.now() - started;
  const api = `${platform.apiUrl}/api`;
  const post = async (path: string, body: unknown, token?: string) => {
    const res = await fetch(`${api}${path}`, { method: 'POST', body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    const json = await res.json() as any;
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const login = async (username: string) => (await post('/auth/login', { username, password: PASSWORD })).token as string;
  const [lan, binh, cuong] = await Promise.all(['lan.motcua-mybinh', 'binh.tuphap-mybinh', 'cuong.lanhdao-mybinh'].map(login));
  const taskOf = async (token: string, code: string) => {
    for (;;) {
      const res = await fetch(`${api}/tasks?dossier=${encodeURIComponent(code)}`, { headers: { authorization: `Bearer ${token}` } });
      const item = ((await res.json()) as any).items[0];
      if (item) return item.id as string;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const submitMs: number[] = [];
  const completeMs: number[] = [];
  const totalMs: number[] = [];
  const one = async (i: number) => {
    const t0 = performance.now();
    const { code } = await post('/dossiers', {
      procedureCode: '1.001193', channel: 'online', returnChannel: 'electronic',
      applicant: { fullName: 'Nguyễn Văn An', idNumber: `0891${String(10_000_000 + i)}` },
      application: { child: { fullName: 'Nguyễn Minh Khang', gender: 'male', dateOfBirth: '2026-11-10', placeOfBirth: 'Bệnh viện Đa khoa tỉnh An Giang' },
        mother: { fullName: 'Trần Thị Bích', idNumber: '089190000123' }, father: { fullName: 'Nguyễn Văn An', idNumber: '089188000456' } },
    });
    submitMs.push(performance.now() - t0);
    for (const [token, body] of [[lan, { outcome: 'accept', comment: 'Đủ hồ sơ' }], [binh, { outcome: 'approve', data: { documentsComplete: true } }],
      [cuong, { outcome: 'approve' }]] as const) {
      const id = await taskOf(token, code);
      const t = performance.now();
      await post(`/tasks/${id}/complete`, body, token);
      completeMs.push(performance.now() - t);
    }
    totalMs.push(performance.now() - t0);
  };
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await one(next++);
  }));
  const wall = performance.now() - t0;
  const mem = process.memoryUsage();
  console.log(`${n} birth registrations, ${concurrency} at a time, platform started in ${(startMs / 1000).toFixed(1)} s\n`);
  console.log('| what | p50 | p95 | max |\n|---|---|---|---|');
  for (const [name, ms] of [['submit (POST /api/dossiers: validate, code, start the run)', submitMs],
    ['complete a task (POST …/complete: Update applied by the workflow)', completeMs],
    ['one dossier, submission to status 10 (4 HTTP writes + inbox reads)', totalMs]] as const) {
    const s = stats(ms as number[]);
    console.log(`| ${name} | ${s.p50} ms | ${s.p95} ms | ${s.max} ms |`);
  }
  console.log(`\nthroughput: ${(n / (wall / 60_000)).toFixed(0)} dossiers a minute end to end`);
  console.log(`memory of the process (API + worker): rss ${(rssBefore / 2 ** 20).toFixed(0)} → ${(mem.rss / 2 ** 20).toFixed(0)} MiB, ` +
    `heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB`);
  await platform.stop();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
