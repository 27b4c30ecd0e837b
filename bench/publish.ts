/**
 * Benchmark: how long a designer waits for a procedure to go live. Uploads and publishes N versions of
 * the birth registration sample against a real PostgreSQL (an embedded one on a free port, or
 * DATABASE_URL), and times compile alone, upload (validate + compile + store) and publish.
 *
 *   npm run bench:publish [-- N]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createProcedureService, loadCompileContext } from '../api/services/procedures';
import { readSeed, seedRegistry, type OrgRegistry } from '../api/services/seed';
import { compile } from '../domain/procedure/compile';
import { createDb, migrateLatest } from '../lib/db';
import { startEmbeddedPostgres } from '../lib/embedded-postgres';
import { freePort } from '../lib/temporal-cli';

function stats(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5).toFixed(2), p95: at(0.95).toFixed(2), max: sorted[sorted.length - 1].toFixed(2) };
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
  const sample = JSON.parse(readFileSync(join(__dirname, '..', 'procedures', '1.001193-dang-ky-khai-sinh.json'), 'utf8'));
  const code = `B.${Date.now()}`;
  const service = createProcedureService(db);
  const ctx = await loadCompileContext(db);
  const compileMs: number[] = [];
  const uploadMs: number[] = [];
  const publishMs: number[] = [];
  const totalMs: number[] = [];
  for (let v = 1; v <= n; v++) {
    const definition = { ...sample, code, version: v };
    let t = performance.now();
    compile(definition, ctx);
    compileMs.push(performance.now() - t);
    t = performance.now();
    await service.upload(definition, 'bench');
    const uploaded = performance.now();
    await service.publish(code, v, 'bench');
    const published = performance.now();
    uploadMs.push(uploaded - t);
    publishMs.push(published - uploaded);
    totalMs.push(published - t);
  }
  console.log(`procedure publishing, ${n} versions of the birth registration sample (ms):`);
  console.table({ 'compile only': stats(compileMs), upload: stats(uploadMs), publish: stats(publishMs), 'upload + publish': stats(totalMs) });
  await db.destroy();
  await stopPg?.();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
