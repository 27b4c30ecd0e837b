/**
 * What keeps the embedded default's parts running, on stand-ins: the process supervisor (start again
 * after a death, with a backoff; stop at any time) and the worker supervisor (a worker whose run fails
 * is built again).
 */
import type { Worker } from '@temporalio/worker';
import { supervise, type ProcessExit, type SupervisedProcess } from '../../lib/supervisor';
import { superviseWorker } from '../../worker';

/** A process stand-in: dies when `die()` is called, stops when asked. */
function fakeProcess(pid: number) {
  let end!: (exit: ProcessExit) => void;
  const exited = new Promise<ProcessExit>((resolve) => { end = resolve; });
  const proc: SupervisedProcess & { die(): void; stopped: boolean } = {
    pid, exited, stopped: false,
    die: () => end({ code: null, signal: 'SIGKILL' }),
    async stop() { proc.stopped = true; end({ code: 0, signal: null }); },
  };
  return proc;
}

function recordingLog() {
  const lines: string[] = [];
  const record = (...args: unknown[]) => { lines.push(String(args.find((a) => typeof a === 'string'))); };
  return { lines, log: { info: record, warn: record, error: record } as never };
}

const until = async (what: () => boolean) => {
  for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(what()).toBe(true);
};

test('a process that dies is started again after the backoff, and the outage is logged', async () => {
  const started: ReturnType<typeof fakeProcess>[] = [];
  let failNext = 1;
  const { lines, log } = recordingLog();
  const supervisor = await supervise(async () => {
    if (started.length === 1 && failNext-- > 0) throw new Error('port still held');
    const proc = fakeProcess(100 + started.length);
    started.push(proc);
    return proc;
  }, { name: 'Thing', log, minBackoffMs: 20, maxBackoffMs: 100 });
  expect(supervisor.current()?.pid).toBe(100);

  started[0].die();
  await until(() => started.length === 2);
  expect(supervisor.current()?.pid).toBe(101);
  expect(lines).toEqual(['Thing stopped unexpectedly; starting it again', 'Thing did not start again', 'Thing is back']);

  await supervisor.stop();
  expect(started[1].stopped).toBe(true);
});

test('stop during the backoff starts nothing more', async () => {
  const started: ReturnType<typeof fakeProcess>[] = [];
  const { log } = recordingLog();
  const supervisor = await supervise(async () => {
    const proc = fakeProcess(200 + started.length);
    started.push(proc);
    return proc;
  }, { name: 'Thing', log, minBackoffMs: 10_000 });
  started[0].die();
  await new Promise((r) => setTimeout(r, 20));
  expect(supervisor.current()).toBeUndefined();
  const t0 = Date.now();
  await supervisor.stop();
  expect(Date.now() - t0).toBeLessThan(1_000);
  expect(started).toHaveLength(1);
});

test('a failure of the first start is thrown', async () => {
  await expect(supervise(async () => { throw new Error('no binaries'); }, { name: 'Thing', log: recordingLog().log }))
    .rejects.toThrow('no binaries');
});

/** A worker stand-in whose run fails (`fail`) or ends on shutdown. */
function fakeWorker() {
  let state = 'INITIALIZED';
  let settle!: (err?: Error) => void;
  const worker = {
    getState: () => state,
    run: () => {
      state = 'RUNNING';
      return new Promise<void>((resolve, reject) => { settle = (err) => { state = err ? 'FAILED' : 'STOPPED'; if (err) reject(err); else resolve(); }; });
    },
    shutdown: () => settle(),
    fail: (message: string) => settle(new Error(message)),
  };
  return worker;
}

test('a worker whose run fails is built again, and stop() shuts the new one down', async () => {
  const built: ReturnType<typeof fakeWorker>[] = [];
  const { lines, log } = recordingLog();
  const supervised = await superviseWorker(async () => {
    const worker = fakeWorker();
    built.push(worker);
    return worker as unknown as Worker;
  }, log);
  await until(() => built[0].getState() === 'RUNNING');
  built[0].fail('Channel has been shut down');
  // the first rebuild comes after 1 s
  await until(() => built.length === 2 && built[1].getState() === 'RUNNING');
  expect(lines).toEqual(['the worker failed; building a new one', 'a new worker is running']);
  await supervised.stop();
  expect(built[1].getState()).toBe('STOPPED');
  expect(built).toHaveLength(2);
}, 10_000);
