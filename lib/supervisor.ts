/**
 * Keeps a child process of the embedded default running: when it dies on its own (killed, crashed), it
 * is started again the same way (same port, same data) after a backoff, with a log line each time.
 */
import type { ChildProcess } from 'node:child_process';
import type { Logger } from './logger';

/** How a process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One run of a supervised process. */
export interface SupervisedProcess {
  pid: number;
  /** settles when the process has ended */
  exited: Promise<ProcessExit>;
  /** asks the process to stop; resolves once it has ended */
  stop(): Promise<void>;
}

/** The log lines a supervisor writes (a pino logger fits). */
export type SupervisorLog = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface SupervisorOptions {
  /** what runs, for the log: "PostgreSQL", "the Temporal dev server" */
  name: string;
  log: SupervisorLog;
  /** delay before the first restart; doubles while restarts keep failing or the process keeps dying young */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** a run that lasted this long resets the backoff */
  stableMs?: number;
  /** after every start, the first one included (e.g. to record the pid) */
  onStart?: (proc: SupervisedProcess) => void;
}

export interface Supervisor {
  /** the process running now; undefined while it is being started again */
  current(): SupervisedProcess | undefined;
  /** stops supervising and stops the process; safe at any time, also during a restart */
  stop(): Promise<void>;
}

/**
 * Starts a process with `start` and keeps it running until `stop()`. A failure of the first start is
 * thrown to the caller (the platform cannot come up); once running, a process that ends on its own is
 * started again after `minBackoffMs`, doubling up to `maxBackoffMs` while starts fail or the process
 * dies within `stableMs`, and the outage is logged with its length when the process is back.
 */
export async function supervise(start: () => Promise<SupervisedProcess>, opts: SupervisorOptions): Promise<Supervisor> {
  const { name, log } = opts;
  const minMs = opts.minBackoffMs ?? 500;
  const maxMs = opts.maxBackoffMs ?? 30_000;
  const stableMs = opts.stableMs ?? 60_000;
  let stopping = false;
  let current: SupervisedProcess | undefined = await start();
  let startedAt = Date.now();
  let failures = 0;
  let wake: (() => void) | undefined;
  let restarting: Promise<void> | undefined;

  const pause = (ms: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => { clearTimeout(timer); resolve(); };
  });

  const nextDelay = () => Math.min(maxMs, minMs * 2 ** failures++);

  const restart = async (exit: ProcessExit) => {
    const downSince = Date.now();
    if (downSince - startedAt >= stableMs) failures = 0;
    let delay = nextDelay();
    log.warn({ exit: exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`, retryInMs: delay },
      `${name} stopped unexpectedly; starting it again`);
    while (!stopping) {
      await pause(delay);
      if (stopping) return;
      try {
        current = await start();
      } catch (err) {
        delay = nextDelay();
        log.error({ err: err instanceof Error ? err.message : String(err), retryInMs: delay }, `${name} did not start again`);
        continue;
      }
      startedAt = Date.now();
      if (stopping) return;
      log.info({ downMs: startedAt - downSince, childPid: current.pid }, `${name} is back`);
      watch(current);
      return;
    }
  };

  const watch = (proc: SupervisedProcess) => {
    opts.onStart?.(proc);
    void proc.exited.then((exit) => {
      if (stopping || proc !== current) return;
      current = undefined;
      restarting = restart(exit).finally(() => { restarting = undefined; });
    });
  };
  watch(current);

  return {
    current: () => current,
    async stop() {
      stopping = true;
      wake?.();
      await restarting;
      await current?.stop();
    },
  };
}

/** A spawned child tracked until it ends: {@link SupervisedProcess} plus whether it has ended yet. */
export interface TrackedChild extends SupervisedProcess {
  readonly ended: boolean;
}

/**
 * Ties a spawned child to this process: it is stopped with `signal` when we exit without stopping it (an
 * uncaught error), and `stop()` sends `signal`, then SIGKILL after `graceMs`, and resolves once it has ended.
 */
export function trackChild(child: ChildProcess, opts: { signal: NodeJS.Signals; graceMs: number; onError?(err: Error): void }): TrackedChild {
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => { opts.onError?.(err); resolve({ code: null, signal: null }); });
  });
  const stopOnExit = () => { child.kill(opts.signal); };
  process.once('exit', stopOnExit);
  let ended = false;
  void exited.then(() => { ended = true; process.off('exit', stopOnExit); });
  return {
    pid: child.pid!,
    exited,
    get ended() { return ended; },
    async stop() {
      if (ended) return;
      child.kill(opts.signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
