/**
 * Plumbing for the processes the embedded default starts: what a process runs (its command line),
 * whether it still runs, stopping one by its id, pid files, whether a port is free, and the error a
 * start throws when the user has something to fix.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A start that failed for a reason the user can act on: says what failed and what to do. */
export class StartupError extends Error {
  override name = 'StartupError';

  /**
   * @param what - what failed, as one sentence
   * @param todo - what the user can do about it
   */
  constructor(readonly what: string, readonly todo: string, options?: { cause?: unknown }) {
    super(`${what}\n  what to do: ${todo}`, options);
  }
}

const hasProc = existsSync('/proc/self/stat');

/** Whether `pid` runs (a zombie, dead but not yet reaped by its parent, does not). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it runs, under another user
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!hasProc) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The arguments `pid` was started with (the program first), or `undefined` when it does not run. */
export function commandLine(pid: number): string[] | undefined {
  if (!isRunning(pid)) return undefined;
  try {
    if (hasProc) {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      return args.length ? args : undefined;
    }
    // no /proc (macOS): ps splits on spaces, which is enough to recognise our own children
    const line = execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return line ? line.split(/\s+/) : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends `signal` to `pid` and waits up to `graceMs` for it to end; then SIGKILL, and waits up to 5 s more.
 * Resolves with whether it is gone.
 */
export async function stopProcess(pid: number, signal: NodeJS.Signals, graceMs: number): Promise<boolean> {
  const waitGone = async (ms: number) => {
    const deadline = Date.now() + ms;
    while (isRunning(pid)) {
      if (Date.now() > deadline) return false;
      await sleep(50);
    }
    return true;
  };
  try {
    process.kill(pid, signal);
  } catch {
    return !isRunning(pid);
  }
  if (await waitGone(graceMs)) return true;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return !isRunning(pid);
  }
  return waitGone(5_000);
}

/** The process id kept in `file`: the first line, as PostgreSQL's `postmaster.pid` has it. */
export function readPidFile(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0].trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Records `pid` in `file` (what the next start reclaims after a crash). */
export function writePidFile(file: string, pid: number): void {
  writeFileSync(file, `${pid}\n`);
}

/** Removes `file` if it still names `pid` (a newer process may have written its own meanwhile). */
export function removePidFile(file: string, pid: number): void {
  if (readPidFile(file) === pid) rmSync(file, { force: true });
}

/**
 * After a crash of the process that started it, a child may live on, recorded in `pidFile`. If the
 * recorded process runs and `isOurs` recognises its command line, it is stopped with `signal` (and
 * killed after `graceMs`). Resolves with its pid when one was stopped.
 */
export async function reclaimOrphan(pidFile: string, isOurs: (args: string[]) => boolean,
  opts: { signal: NodeJS.Signals; graceMs: number }): Promise<number | undefined> {
  const pid = readPidFile(pidFile);
  if (pid === undefined || pid === process.pid) return undefined;
  const args = commandLine(pid);
  if (!args || !isOurs(args)) return undefined;
  if (!(await stopProcess(pid, opts.signal, opts.graceMs))) {
    throw new StartupError(`process ${pid} (${args.join(' ')}), left running by an earlier start, does not stop`,
      `stop it by hand (kill -9 ${pid}) and start again`);
  }
  return pid;
}

/** Whether something already listens on `host`:`port` (we could not listen there ourselves). */
export function portTaken(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolve(true);
      else reject(err);
    });
    server.listen({ port, host }, () => server.close(() => resolve(false)));
  });
}

/**
 * Throws a {@link StartupError} naming the setting to change when `port` is taken.
 *
 * @param what - who was to listen there, e.g. "the embedded PostgreSQL"
 * @param setting - the configuration variable that chooses the port, e.g. `EMBEDDED_PG_PORT`
 */
export async function ensurePortFree(port: number, what: string, setting: string, host = '127.0.0.1'): Promise<void> {
  if (port === 0 || !(await portTaken(port, host))) return;
  throw new StartupError(`port ${port}, where ${what} listens (${setting}), is taken by another program`,
    `stop that program (\`ss -ltnp\` or \`lsof -i :${port}\` names it), or set ${setting} to a free port`);
}
