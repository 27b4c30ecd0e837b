import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/** The one logger factory: JSON lines on stdout (for log collectors), or readable lines on a terminal. */
export function createLogger(level: string, name = 'onestop', format: 'json' | 'pretty' = 'json'): Logger {
  if (format === 'pretty') {
    // synchronous stream: every line is out before Ctrl-C ends the process
    return pino({ name, level }, pretty({ colorize: true, sync: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss' }));
  }
  return pino({ name, level });
}
