/**
 * Starts what delivers the outboxes, in the worker process: the notification dispatcher (email over
 * SMTP_URL, or the local mail sink; SMS to SMS_GATEWAY_URL, or the local gateway) and the portal sync dispatcher
 * (PORTAL_URL, or this platform's own local receiver).
 */
import type { Knex } from 'knex';
import { join } from 'node:path';
import { createTemplateRenderer } from './notifications-templates';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import { createSmtpMailer } from '../lib/mail';
import { startMailSink } from '../lib/mail-sink';
import { startNotificationDispatcher } from './outbox-notifications';
import { startPortalDispatcher } from './outbox-portal';
import { createHttpPortal } from '../lib/portal';
import { createHttpSmsGateway, createLocalSmsGateway } from '../lib/sms';

export interface Dispatchers {
  /** where email goes: the SMTP URL, or the local sink's folder */
  mail: string;
  portalUrl: string;
  stop(): Promise<void>;
}

/** `apiUrl`: where this platform's API (and so its local portal receiver) listens. */
export async function startDispatchers(config: Config, deps: { db: Knex; log: Logger; apiUrl: string }): Promise<Dispatchers> {
  const { db, log } = deps;
  const { delivery } = config;
  const stops: (() => Promise<void>)[] = [];
  let smtpUrl = delivery.smtpUrl;
  let mail = smtpUrl ?? '';
  if (!smtpUrl) {
    const sink = await startMailSink({ dir: join(config.dataDir, 'mail'), log });
    stops.push(() => sink.stop());
    smtpUrl = sink.url;
    mail = sink.dir;
  }
  const mailer = createSmtpMailer({ url: smtpUrl, from: delivery.mailFrom });
  stops.push(async () => mailer.close());
  const notifications = startNotificationDispatcher({
    db, log, mailer, renderer: createTemplateRenderer(), retry: delivery.retry, pollMs: delivery.pollMs,
    sms: delivery.smsGatewayUrl ? createHttpSmsGateway({ url: delivery.smsGatewayUrl, token: delivery.smsGatewayToken }) : createLocalSmsGateway({ db, log }),
  });
  stops.push(() => notifications.stop());
  const portalUrl = delivery.portalUrl ?? `${deps.apiUrl}/api/local-portal/receive`;
  const portal = startPortalDispatcher({
    db, log, portal: createHttpPortal({ url: portalUrl, token: delivery.portalUrl ? delivery.portalToken : undefined }),
    retry: delivery.retry, pollMs: delivery.pollMs,
  });
  stops.push(() => portal.stop());
  return {
    mail, portalUrl,
    async stop() {
      for (const s of stops.reverse()) await s().catch((err: Error) => log.warn({ err: err.message }, 'while stopping the dispatchers'));
    },
  };
}
