/**
 * The real `npm start` as a child process for the crash test: started with its own DATA_DIR and ports,
 * killed with SIGKILL (the main process, its PostgreSQL postmaster or its Temporal dev server), started
 * again, and stopped at the end. Every start's output is kept in a file beside the data, so a failure can
 * quote the platform's own log lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const root = join(__dirname, '..', '..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The ports the platform listens on (each from `freePort()`). */
export interface PlatformPorts {
  api: number;
  pg: number;
  temporal: number;
  temporalUi: number;
}

/** What a crash test kills: the main process, the embedded PostgreSQL postmaster or the Temporal dev server. */
export type KillTarget = 'main' | 'postgres' | 'temporal';

/** A process as /proc shows it. */
interface ProcInfo {
  pid: number;
  ppid: number;
  args: string[];
}

function processes(): ProcInfo[] {
  const found: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // a zombie has been killed already: only its parent's wait is missing
      if (fields[0] === 'Z' || args.length === 0) continue;
      found.push({ pid: Number(entry), ppid: Number(fields[1]), args });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

const argAfter = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

/**
 * One platform (`node --import tsx scripts/start.ts`) on a data folder and fixed ports, on the embedded
 * default (DATABASE_URL and TEMPORAL_ADDRESS empty).
 */
export class PlatformProcess {
  private child: ChildProcess | undefined;
  private starts = 0;
  private readonly env: Record<string, string>;

  /**
   * @param dataDir - DATA_DIR: PostgreSQL, Temporal's SQLite file, secrets, mail
   * @param logFile - where the output of every start goes, each start headed by a line of its own
   * @param extraEnv - further configuration (secrets, log level, outbox timings)
   */
  constructor(readonly dataDir: string, readonly ports: PlatformPorts, readonly logFile: string, extraEnv: Record<string, string> = {}) {
    this.env = {
      DATA_DIR: dataDir, API_PORT: String(ports.api), EMBEDDED_PG_PORT: String(ports.pg), TEMPORAL_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.temporalUi), DATABASE_URL: '', TEMPORAL_ADDRESS: '', ...extraEnv,
    };
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.ports.api}`;
  }

  /** The embedded PostgreSQL's URL (user and password of lib/embedded-postgres.ts, database of scripts/platform.ts). */
  get databaseUrl(): string {
    return `postgres://onestop:onestop@127.0.0.1:${this.ports.pg}/onestop`;
  }

  get temporalAddress(): string {
    return `127.0.0.1:${this.ports.temporal}`;
  }

  /** The main process's id, while it runs. */
  get mainPid(): number | undefined {
    return this.child && this.child.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** Starts the platform and resolves once it prints "Press Ctrl-C to stop"; resolves with how long that took (ms). */
  async start(timeoutMs = 120_000): Promise<number> {
    const began = Date.now();
    this.starts += 1;
    appendFileSync(this.logFile, `\n===== start #${this.starts} at ${new Date().toISOString()} =====\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'start.ts')], {
      cwd: root, env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
      appendFileSync(this.logFile, chunk);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    while (!output.includes('Press Ctrl-C to stop')) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`npm start exited (${child.signalCode ?? `code ${child.exitCode}`}) while starting:\n${output.slice(-4000)}`);
      }
      if (Date.now() - began > timeoutMs) throw new Error(`npm start did not come up within ${timeoutMs / 1000} s:\n${output.slice(-4000)}`);
      await sleep(100);
    }
    return Date.now() - began;
  }

  /** The running process `target` names right now (the postmaster or the dev server found by its port), or undefined. */
  find(target: KillTarget): ProcInfo | undefined {
    if (target === 'main') {
      const pid = this.mainPid;
      return pid === undefined ? undefined : processes().find((p) => p.pid === pid);
    }
    return processes().find((p) => (target === 'postgres'
      ? basename(p.args[0]) === 'postgres' && argAfter(p.args, '-p') === String(this.ports.pg)
      : p.args.includes('start-dev') && argAfter(p.args, '--port') === String(this.ports.temporal)));
  }

  /**
   * SIGKILL to `target`. Resolves with the killed process (its id, and whether the main process was its
   * parent) once it is gone.
   *
   * @throws Error when no such process runs
   */
  async kill(target: KillTarget): Promise<{ pid: number; childOfMain: boolean }> {
    const proc = this.find(target);
    if (!proc) throw new Error(`no ${target} process to kill (platform main pid ${this.mainPid ?? 'none'})`);
    const exited = target === 'main' && this.child ? new Promise((resolve) => this.child!.once('exit', resolve)) : undefined;
    process.kill(proc.pid, 'SIGKILL');
    if (exited) await exited;
    else while (processes().some((p) => p.pid === proc.pid)) await sleep(10);
    return { pid: proc.pid, childOfMain: proc.ppid === this.mainPid };
  }

  /** Waits until the supervisor has a new `target` running (another pid than `killedPid`); resolves with its pid. */
  async waitRestarted(target: Exclude<KillTarget, 'main'>, killedPid: number, timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const proc = this.find(target);
      if (proc && proc.pid !== killedPid) return proc.pid;
      if (Date.now() > deadline) throw new Error(`${target} was not started again within ${timeoutMs / 1000} s of its kill`);
      await sleep(50);
    }
  }

  /** Polls `GET /api/health` until it answers 200; resolves with the answers seen before (status or error, in order). */
  async waitHealthy(timeoutMs = 60_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    const seen: string[] = [];
    for (;;) {
      const answer = await fetch(`${this.apiUrl}/api/health`, { signal: AbortSignal.timeout(5_000) })
        .then((res) => String(res.status), (err: Error) => err.name === 'TimeoutError' ? 'no answer in 5 s' : 'unreachable');
      if (answer === '200') return seen;
      if (seen[seen.length - 1] !== answer) seen.push(answer);
      if (Date.now() > deadline) throw new Error(`/api/health did not answer 200 within ${timeoutMs / 1000} s (seen: ${seen.join(', ')})`);
      await sleep(100);
    }
  }

  /**
   * Ctrl-C, as a user stops it; after `graceMs` without an exit, SIGKILL to the main process and to the
   * PostgreSQL and Temporal dev server it started. Resolves with the exit code (null when killed).
   */
  async stop(graceMs = 60_000): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.killLeftovers();
      return child?.exitCode ?? null;
    }
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(timer);
    this.killLeftovers();
    return code;
  }

  /** Output of every start so far, lines that mention `text`. */
  logLines(text: string, max = 12): string[] {
    let all: string;
    try {
      all = readFileSync(this.logFile, 'utf8');
    } catch {
      return [];
    }
    return all.split('\n').filter((line) => line.includes(text)).slice(-max);
  }

  /** The errors the API logged as unhandled (500), by their id: the error's message. */
  unhandledErrors(): Map<string, string> {
    const errors = new Map<string, string>();
    for (const line of this.logLines('"errorId"', Infinity)) {
      try {
        const entry = JSON.parse(line) as { errorId?: string; err?: { message?: string } };
        if (entry.errorId) errors.set(entry.errorId, entry.err?.message ?? '?');
      } catch {
        // not a JSON line
      }
    }
    return errors;
  }

  /** The PostgreSQL and Temporal dev server on our ports, if a failed stop left them: they are ours, killed by id. */
  private killLeftovers(): void {
    for (const target of ['postgres', 'temporal'] as const) {
      const proc = this.find(target);
      if (proc) process.kill(proc.pid, 'SIGKILL');
    }
  }
}

/** A small seeded generator (mulberry32), so that a failing run's plan can be made again from its seed. */
export class SeededRandom {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** The items in a random order (a new array). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}
