/**
 * What the delivery outboxes share: the retry policy, the error a delivery throws when trying again
 * cannot help, and the loop a dispatcher runs in the worker process.
 */
import type { Logger } from './logger';

/** A delivery the receiver refused for good (bad address, rejected payload): retrying cannot help. */
export class PermanentDeliveryError extends Error {
  override name = 'PermanentDeliveryError';
}

export interface RetryPolicy {
  /** delay before the second attempt; doubles after each failure */
  baseMs: number;
  /** the longest delay between two attempts */
  maxMs: number;
  /** attempts before a row is given up (notifications) or flagged stuck (portal sync) */
  maxAttempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 5_000, maxMs: 15 * 60_000, maxAttempts: 8 };

/** Exponential backoff with jitter (between half and all of the doubled delay) after `attempts` failures. */
export function backoffMs(attempts: number, policy: Pick<RetryPolicy, 'baseMs' | 'maxMs'>, random = Math.random): number {
  const full = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(full / 2 + (full / 2) * random());
}

/** A short, single-line description of a delivery failure, kept on the row. */
export function describeError(err: unknown): string {
  const e = err as { message?: string; code?: string };
  const text = [e.code, e.message ?? String(err)].filter(Boolean).join(': ');
  return text.replace(/\s+/g, ' ').slice(0, 500);
}

export interface DispatcherLoop {
  /** one pass now (tests, and the loop itself); resolves with the number of rows handled */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Runs `pass` again and again: at once while it finds work, else after `pollMs`. A failing pass (the
 * database is away) is logged and tried again after the pause; `stop()` waits for the pass under way.
 */
export function startLoop(name: string, pass: () => Promise<number>, opts: { pollMs: number; log: Logger }): DispatcherLoop {
  let stopped = false;
  let wake: (() => void) | undefined;
  let current: Promise<number> = Promise.resolve(0);
  const once = () => {
    current = current.then(pass, pass);
    return current;
  };
  const pause = () => new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, opts.pollMs);
    wake = () => { clearTimeout(timer); resolve(); };
  });
  const loop = (async () => {
    while (!stopped) {
      let handled = 0;
      try {
        handled = await once();
      } catch (err) {
        opts.log.error({ dispatcher: name, err: describeError(err) }, 'dispatcher pass failed; trying again');
      }
      if (!stopped && handled === 0) await pause();
    }
  })();
  return {
    runOnce: once,
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      await current.catch(() => undefined);
    },
  };
}
