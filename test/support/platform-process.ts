/**
 * The real `npm start` (scripts/start.ts) as a child process, on free ports and a data folder of the
 * test's own, for the tests that stop, crash and restart it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../lib/temporal-cli';

const root = join(__dirname, '..', '..');

/** A running (or crashed) `npm start`. */
export interface PlatformProcess {
  child: ChildProcess;
  /** everything it printed so far, stdout and stderr */
  output(): string;
  /** settles with the exit code (or the signal that killed it) */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The environment of an `npm start` on `dataDir` and free ports; the API's port in `API_PORT`. */
export async function platformEnv(dataDir: string): Promise<Record<string, string>> {
  return {
    DATA_DIR: dataDir, API_PORT: String(await freePort()), EMBEDDED_PG_PORT: String(await freePort()),
    TEMPORAL_PORT: String(await freePort()), TEMPORAL_UI_PORT: String(await freePort()), LOG_LEVEL: 'info', LOG_FORMAT: 'json',
    DATABASE_URL: '', TEMPORAL_ADDRESS: '',
  };
}

/**
 * Spawns `node --import tsx scripts/start.ts` (what `npm start` runs) in `cwd` (this repository by
 * default) with `env` over the test's own environment, without waiting for it.
 */
export function spawnPlatform(env: Record<string, string>, cwd = root): PlatformProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(cwd, 'scripts', 'start.ts')], {
    cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => { output += d; });
  child.stderr!.on('data', (d) => { output += d; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, output: () => output, exited };
}

/** Spawns `npm start` (see {@link spawnPlatform}) and resolves once it prints its banner. */
export async function startPlatformProcess(env: Record<string, string>, cwd = root, timeoutMs = 120_000): Promise<PlatformProcess> {
  const platform = spawnPlatform(env, cwd);
  const deadline = Date.now() + timeoutMs;
  while (!platform.output().includes('Press Ctrl-C to stop')) {
    if (platform.child.exitCode !== null || platform.child.signalCode !== null) {
      throw new Error(`npm start exited with ${platform.child.exitCode ?? platform.child.signalCode}:\n${platform.output()}`);
    }
    if (Date.now() > deadline) {
      platform.child.kill('SIGKILL');
      throw new Error(`npm start did not come up in ${timeoutMs / 1000} s:\n${platform.output()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return platform;
}

/** Ctrl-C: resolves with the exit code. */
export async function stopPlatformProcess(platform: PlatformProcess): Promise<number | null> {
  if (platform.child.exitCode === null && platform.child.signalCode === null) platform.child.kill('SIGINT');
  return (await platform.exited).code;
}

/** Where the embedded PostgreSQL keeps its data, as the banner says. */
export function databaseDirOf(platform: PlatformProcess): string {
  const match = /PostgreSQL +\S+ \(data in (.+)\)\n/.exec(platform.output());
  if (!match) throw new Error(`the banner names no PostgreSQL data folder:\n${platform.output()}`);
  return match[1];
}
