import pino, { type Logger } from 'pino';

export type { Logger };

/** The one logger factory: JSON lines on stdout, level from configuration. */
export function createLogger(level: string, name = 'onestop'): Logger {
  return pino({ name, level });
}
