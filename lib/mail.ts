/** The mail adapter: email over SMTP with nodemailer. */
import nodemailer from 'nodemailer';
import { PermanentDeliveryError } from './outbox';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** stable per notification, so a receiver can drop the copy a retry after a lost answer sends */
  messageId: string;
}

export interface Mailer {
  /** Sends one message; throws PermanentDeliveryError when the server refuses it for good (5xx). */
  send(message: MailMessage): Promise<{ id: string }>;
  close(): void;
}

export interface SmtpMailerOptions {
  /** e.g. `smtp://user:pass@mail.example.vn:587` or `smtps://…:465` */
  url: string;
  /** the From header, e.g. `"Bộ phận Một cửa" <motcua@example.vn>` */
  from: string;
  /** connection and socket timeouts */
  timeoutMs?: number;
}

/** An SMTP mailer (one connection per message: notifications are few and far between). */
export function createSmtpMailer({ url, from, timeoutMs = 30_000 }: SmtpMailerOptions): Mailer {
  const transport = nodemailer.createTransport({ url, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs });
  return {
    async send(m) {
      try {
        const info = await transport.sendMail({ from, to: m.to, subject: m.subject, text: m.text, html: m.html, messageId: m.messageId });
        return { id: String(info.messageId ?? m.messageId) };
      } catch (err) {
        const code = (err as { responseCode?: number }).responseCode;
        if (code !== undefined && code >= 500 && code < 600) throw new PermanentDeliveryError(`the mail server refused the message: ${(err as Error).message}`);
        throw err;
      }
    },
    close() {
      transport.close();
    },
  };
}
