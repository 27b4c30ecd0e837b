/** The SMS gateway adapter. */
import type { Knex } from 'knex';
import type { Logger } from './logger';
import { PermanentDeliveryError } from './outbox';
import { maskAddress } from './mask';

export interface SmsMessage {
  to: string;
  text: string;
  /** idempotency key: the gateway sends one message per key */
  key: string;
}

export interface SmsGateway {
  /** Sends one message once per key; throws PermanentDeliveryError when the gateway refuses it for good. */
  send(message: SmsMessage): Promise<{ id: string }>;
}

/**
 * The local gateway of the embedded default and the tests: the message is kept in `sms_messages`
 * (once per key) and logged, nothing leaves the machine.
 */
export function createLocalSmsGateway({ db, log }: { db: Knex; log: Logger }): SmsGateway {
  return {
    async send({ to, text, key }) {
      await db('sms_messages').insert({ key, to, text }).onConflict('key').ignore();
      const row = await db('sms_messages').where({ key }).first('id');
      log.info({ to: maskAddress(to), key }, 'SMS kept by the local gateway');
      return { id: `local-${row.id}` };
    },
  };
}

/**
 * A gateway reached over HTTP: POSTs `{to, text, key}` as JSON to `url` (bearer `token` when given) with
 * the key as `Idempotency-Key`. A 2xx answer (optionally `{id}`) means sent; 408, 425, 429, 5xx and network
 * errors are worth retrying; any other answer is a refusal for good.
 */
export function createHttpSmsGateway({ url, token, timeoutMs = 10_000 }: { url: string; token?: string; timeoutMs?: number }): SmsGateway {
  return {
    async send({ to, text, key }) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key, ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ to, text, key }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = await res.text().catch(() => '');
      if (res.ok) {
        let id: unknown;
        try { id = (JSON.parse(body) as { id?: unknown }).id; } catch { /* an answer without a body is fine */ }
        return { id: typeof id === 'string' || typeof id === 'number' ? String(id) : key };
      }
      const message = `the SMS gateway answered ${res.status}${body ? `: ${body.slice(0, 300)}` : ''}`;
      if ([408, 425, 429].includes(res.status) || res.status >= 500) throw new Error(message);
      throw new PermanentDeliveryError(message);
    },
  };
}
