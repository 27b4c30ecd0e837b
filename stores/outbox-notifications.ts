/**
 * The notification dispatcher: sends the pending email and SMS rows of the `notifications` outbox,
 * retrying with backoff, and writes what it did to the dossier's history. A row is locked while it
 * is sent (`FOR UPDATE SKIP LOCKED`), so several workers never send one row twice; it is marked sent
 * in the same transaction. Email carries a Message-ID made from the row's key, SMS the key itself,
 * so the rare resend after a crash between sending and committing can be recognised downstream.
 */
import type { Knex } from 'knex';
import type { TemplateRenderer } from './notifications-templates';
import type { Logger } from '../lib/logger';
import type { Mailer } from '../lib/mail';
import { backoffMs, DEFAULT_RETRY, describeError, PermanentDeliveryError, startLoop, type DispatcherLoop, type RetryPolicy } from '../lib/outbox';
import type { SmsGateway } from '../lib/sms';

export interface NotificationDispatcherDeps {
  db: Knex;
  mailer: Mailer;
  sms: SmsGateway;
  renderer: TemplateRenderer;
  log: Logger;
  retry?: RetryPolicy;
  batchSize?: number;
}

interface Row {
  id: string;
  key: string;
  dossier_code: string | null;
  recipient_kind: string;
  channel: 'email' | 'sms';
  template: string;
  data: Record<string, unknown>;
  address: string | null;
  attempts: number;
}

const CHANNEL_NAMES = { email: 'email', sms: 'SMS' } as const;

/** One pass over the due rows; resolves with how many it handled. */
export function notificationPass(deps: NotificationDispatcherDeps): () => Promise<number> {
  const { db, log } = deps;
  const retry = deps.retry ?? DEFAULT_RETRY;

  async function history(trx: Knex.Transaction, row: Row, outcome: 'sent' | 'skipped' | 'failed', reason: string) {
    if (!row.dossier_code || row.recipient_kind !== 'applicant') return;
    await trx('dossier_events').insert({
      dossier_code: row.dossier_code, event_key: `notification:${row.key}`, type: 'notification', actor: 'system', reason,
      data: JSON.stringify({ channel: row.channel, template: row.template, outcome }), at: new Date().toISOString(),
    }).onConflict(['dossier_code', 'event_key']).ignore();
  }

  async function handle(trx: Knex.Transaction, row: Row): Promise<void> {
    const name = CHANNEL_NAMES[row.channel];
    if (!row.address) {
      const reason = row.recipient_kind === 'applicant'
        ? `Không gửi ${name}: người nộp hồ sơ không cung cấp ${row.channel === 'email' ? 'địa chỉ email' : 'số điện thoại'}`
        : `Không gửi ${name}: cán bộ được thông báo trong ứng dụng`;
      await trx('notifications').where({ id: row.id }).update({ state: 'skipped', last_error: reason });
      await history(trx, row, 'skipped', reason);
      return;
    }
    const attempts = row.attempts + 1;
    try {
      let rendered;
      try {
        rendered = deps.renderer.render(row.template, row.data);
      } catch (err) {
        throw new PermanentDeliveryError(`the template "${row.template}" cannot be rendered: ${(err as Error).message}`);
      }
      const sent = row.channel === 'email'
        ? await deps.mailer.send({ to: row.address, subject: rendered.subject, text: rendered.text, html: rendered.html,
          messageId: `<${row.key.replace(/[^A-Za-z0-9.-]/g, '.')}@onestop>` })
        : await deps.sms.send({ to: row.address, text: rendered.sms, key: row.key });
      await trx('notifications').where({ id: row.id })
        .update({ state: 'sent', attempts, sent_at: trx.fn.now(), provider_id: sent.id, last_error: null });
      await history(trx, row, 'sent', `Đã gửi ${name} thông báo: ${rendered.subject}`);
    } catch (err) {
      const error = describeError(err);
      if (err instanceof PermanentDeliveryError || attempts >= retry.maxAttempts) {
        await trx('notifications').where({ id: row.id }).update({ state: 'failed', attempts, last_error: error });
        await history(trx, row, 'failed', `Gửi ${name} không thành công: ${error}`);
        log.warn({ key: row.key, channel: row.channel, attempts, error }, 'notification failed for good');
        return;
      }
      const next = new Date(Date.now() + backoffMs(attempts, retry)).toISOString();
      await trx('notifications').where({ id: row.id }).update({ attempts, last_error: error, next_attempt_at: next });
      log.info({ key: row.key, channel: row.channel, attempts, next, error }, 'notification not sent; will retry');
    }
  }

  return () => db.transaction(async (trx) => {
    const rows: Row[] = await trx('notifications')
      .where({ state: 'pending' }).whereIn('channel', ['email', 'sms']).where('next_attempt_at', '<=', trx.fn.now())
      .orderBy([{ column: 'next_attempt_at' }, { column: 'id' }]).limit(deps.batchSize ?? 20)
      .forUpdate().skipLocked()
      .select('id', 'key', 'dossier_code', 'recipient_kind', 'channel', 'template', 'data', 'address', 'attempts');
    for (const row of rows) await handle(trx, row);
    return rows.length;
  });
}

/** Starts the dispatcher loop (in the worker process). */
export function startNotificationDispatcher(deps: NotificationDispatcherDeps & { pollMs: number }): DispatcherLoop {
  return startLoop('notifications', notificationPass(deps), { pollMs: deps.pollMs, log: deps.log });
}
