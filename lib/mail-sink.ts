/**
 * The embedded default's mail sink: a real SMTP server on the loopback interface that keeps every
 * message it receives as an `.eml` file in a folder (open them with any mail client), so `npm start`
 * sends mail over SMTP exactly as production does, without a mail server to set up.
 */
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import type { Logger } from './logger';
import { maskAddress } from './mask';

export interface MailSink {
  /** the SMTP URL to send to */
  url: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startMailSink({ dir, log, port = 0 }: { dir: string; log: Logger; port?: number }): Promise<MailSink> {
  mkdirSync(dir, { recursive: true });
  let count = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 10 * 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        count += 1;
        const to = session.envelope.rcptTo.map((r) => r.address).join(',');
        const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}-${count}.eml`);
        writeFile(file, Buffer.concat(chunks)).then(() => {
          log.info({ to: maskAddress(to), file }, 'mail kept by the local mail sink');
          callback();
        }, (err: Error) => callback(err));
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.server.address() as { port: number };
  return {
    url: `smtp://127.0.0.1:${address.port}`,
    dir,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
