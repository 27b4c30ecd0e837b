/**
 * Benchmark: how long a designer waits for a procedure to go live. Against a real PostgreSQL (an
 * embedded one on a free port, or DATABASE_URL) with the shipped registry and samples, it uploads and
 * publishes N successive versions of two samples, the short birth registration and the largest one
 * (the construction permit: parallel appraisals, a decision, a handoff), and times compile alone,
 * upload (validate + compile + store), publish, and upload + publish over HTTP through the API as the
 * designer CLI does it (login excluded).
 *
 *   npm run bench:publish [-- N]
 */
import { Client, Connection } from '@temporalio/client';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createApp } from '../api/app';
import { createProcedureService, loadCompileContext } from '../api/services/procedures';
import { publishSamples, readSeed, seedAccounts, seedRegistry, type DemoAccounts, type OrgRegistry } from '../scripts/seed';
import { compile } from '../domain/procedure/compile';
import { createDb, migrateLatest, type Knex } from '../lib/db';
import { startEmbeddedPostgres } from '../lib/embedded-postgres';
import { createLogger } from '../lib/logger';
import { freePort } from '../lib/temporal-cli';

function stats(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5).toFixed(2), p95: at(0.95).toFixed(2), max: sorted[sorted.length - 1].toFixed(2) };
}

const SAMPLES = {
  'birth registration (1.001193, 4 steps)': '1.001193-dang-ky-khai-sinh.json',
  'construction permit (1.009994, 9 steps)': '1.009994-cap-giay-phep-xay-dung-nha-o-rieng-le.json',
};

async function measure(db: Knex, api: string, token: string, label: string, file: string, n: number) {
  const sample = JSON.parse(readFileSync(join(__dirname, '..', 'procedures', file), 'utf8'));
  const service = createProcedureService(db);
  const ctx = await loadCompileContext(db);
  const times = { compile: [] as number[], upload: [] as number[], publish: [] as number[], total: [] as number[], http: [] as number[] };
  const stamp = Date.now();
  for (let v = 1; v <= n; v++) {
    const definition = { ...sample, code: `B.${stamp}`, version: v };
    let t = performance.now();
    compile(definition, ctx);
    times.compile.push(performance.now() - t);
    t = performance.now();
    await service.upload(definition, 'bench');
    const uploaded = performance.now();
    await service.publish(definition.code, v, 'bench');
    const published = performance.now();
    times.upload.push(uploaded - t);
    times.publish.push(published - uploaded);
    times.total.push(published - t);

    const overHttp = { ...sample, code: `H.${stamp}`, version: v };
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    t = performance.now();
    const up = await fetch(`${api}/api/procedures`, { method: 'POST', headers, body: JSON.stringify(overHttp) });
    const pub = await fetch(`${api}/api/procedures/${overHttp.code}/versions/${v}/publish`, { method: 'POST', headers });
    await Promise.all([up.text(), pub.text()]);
    times.http.push(performance.now() - t);
    if (up.status !== 201 || pub.status !== 200) throw new Error(`HTTP ${up.status}/${pub.status}`);
  }
  console.log(`\n${label}, ${n} versions (ms):`);
  console.table({ 'compile only': stats(times.compile), upload: stats(times.upload), publish: stats(times.publish),
    'upload + publish': stats(times.total), 'upload + publish over HTTP': stats(times.http) });
}

async function main() {
  const n = Number(process.argv[2] ?? 50);
  let url = process.env.DATABASE_URL;
  let stopPg: (() => Promise<void>) | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  if (!url) {
    const pg = await startEmbeddedPostgres({ dir: join(dir, 'pg'), port: await freePort(), database: 'bench', ephemeral: true });
    url = pg.url;
    stopPg = pg.stop;
  }
  const db = createDb(url);
  await migrateLatest(db);
  await seedRegistry(db, readSeed<OrgRegistry>('org-registry.json'));
  const demo = readSeed<DemoAccounts>('demo-accounts.json');
  await seedAccounts(db, demo);
  await publishSamples(db);
  // publishing never talks to Temporal (a lazy connection, never used), nor to the file store, payments or
  // notifications: the app gets only what the procedure routes need, whatever else it is wired with
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const deps = { db, temporal, taskQueue: 'bench', jwtSecret: 'bench-secret-bench-secret-bench-secret-0000', tokenTtl: '1h',
    log: createLogger('silent'), documents: {} };
  const app = createApp(deps as unknown as Parameters<typeof createApp>[0]);
  const server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  const api = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const login = await fetch(`${api}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'thietke.lanhdao-mybinh', password: demo.password }) });
  const { token } = (await login.json()) as { token: string };
  try {
    for (const [label, file] of Object.entries(SAMPLES)) await measure(db, api, token, label, file, n);
  } finally {
    await new Promise((r) => { server.closeAllConnections(); server.close(r); });
    await db.destroy();
    await stopPg?.();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
