/** The SMS gateway adapter. */
import type { Knex } from 'knex';
import type { Logger } from './logger';

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
      log.info({ to, key }, 'SMS kept by the local gateway');
      return { id: `local-${row.id}` };
    },
  };
}
