import type { Knex } from 'knex';

/**
 * Notification delivery (the `notifications` rows become a delivery outbox, one row per key and
 * channel), the local SMS gateway's log, and the national-portal sync outbox: every status change
 * (a `dossier_events` row with a `to_status`) gets, in the same transaction, an outbox row numbered
 * 1, 2, 3… per dossier. A trigger does it, so every writer of status events is covered.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('notifications', (t) => {
    t.text('state').notNullable().defaultTo('pending');
    t.text('address');
    t.text('event_key');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('last_error');
    t.text('provider_id');
    t.timestamp('sent_at', { useTz: true });
  });
  // in-app rows are delivered by being stored; email/SMS rows from before delivery existed are not sent late
  await knex('notifications').where({ channel: 'in-app' }).update({ state: 'sent', sent_at: knex.ref('created_at') });
  await knex('notifications').whereNot({ channel: 'in-app' })
    .update({ state: 'skipped', last_error: 'created before email and SMS delivery existed' });
  await knex.raw(`ALTER TABLE notifications ADD CONSTRAINT notifications_state_check
    CHECK (state IN ('pending', 'sent', 'skipped', 'failed'))`);
  await knex.raw(`ALTER TABLE notifications ADD CONSTRAINT notifications_channel_check
    CHECK (channel IN ('email', 'sms', 'in-app'))`);
  await knex.raw(`CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE state = 'pending'`);
  await knex.schema.alterTable('notifications', (t) => {
    t.index(['dossier_code', 'template', 'event_key']);
  });

  await knex.schema.createTable('sms_messages', (t) => {
    t.bigIncrements('id');
    t.text('key').notNullable().unique();
    t.text('to').notNullable();
    t.text('text').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('portal_sequences', (t) => {
    t.text('dossier_code').primary().references('dossiers.code').onDelete('CASCADE');
    t.integer('last').notNullable();
  });
  await knex.schema.createTable('portal_outbox', (t) => {
    t.bigIncrements('id');
    t.text('dossier_code').notNullable().references('dossiers.code').onDelete('CASCADE');
    t.integer('sequence').notNullable();
    t.text('receiver_key').notNullable().unique();
    t.bigInteger('event_id').notNullable().references('dossier_events.id').onDelete('CASCADE');
    t.text('state').notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('last_error');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('delivered_at', { useTz: true });
    t.unique(['dossier_code', 'sequence']);
  });
  await knex.raw(`ALTER TABLE portal_outbox ADD CONSTRAINT portal_outbox_state_check
    CHECK (state IN ('pending', 'delivered', 'stuck'))`);
  await knex.raw(`CREATE INDEX portal_outbox_due ON portal_outbox (next_attempt_at) WHERE state <> 'delivered'`);
  // the status changes recorded before this migration are synchronized too, numbered in the order they were written
  await knex.raw(`INSERT INTO portal_outbox (dossier_code, sequence, receiver_key, event_id)
    SELECT dossier_code, n, dossier_code || ':' || n, id FROM (
      SELECT dossier_code, id, row_number() OVER (PARTITION BY dossier_code ORDER BY id) AS n FROM dossier_events WHERE to_status IS NOT NULL
    ) numbered`);
  await knex.raw(`INSERT INTO portal_sequences (dossier_code, last)
    SELECT dossier_code, max(sequence) FROM portal_outbox GROUP BY dossier_code`);
  await knex.raw(`
    CREATE FUNCTION portal_outbox_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      seq integer;
    BEGIN
      IF NEW.to_status IS NULL THEN
        RETURN NEW;
      END IF;
      -- the counter row is locked until commit, so concurrent status changes of one dossier get 1, 2, 3… in commit order
      INSERT INTO portal_sequences (dossier_code, last) VALUES (NEW.dossier_code, 1)
        ON CONFLICT (dossier_code) DO UPDATE SET last = portal_sequences.last + 1
        RETURNING last INTO seq;
      INSERT INTO portal_outbox (dossier_code, sequence, receiver_key, event_id)
        VALUES (NEW.dossier_code, seq, NEW.dossier_code || ':' || seq, NEW.id);
      RETURN NEW;
    END $$`);
  await knex.raw(`CREATE TRIGGER dossier_events_portal_outbox AFTER INSERT ON dossier_events
    FOR EACH ROW EXECUTE FUNCTION portal_outbox_enqueue()`);

  await knex.schema.createTable('local_portal_receipts', (t) => {
    t.text('receiver_key').primary();
    t.text('dossier_code').notNullable();
    t.integer('sequence').notNullable();
    t.jsonb('payload').notNullable();
    t.integer('deliveries').notNullable().defaultTo(1);
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_delivery_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['dossier_code', 'sequence']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('local_portal_receipts');
  await knex.raw('DROP TRIGGER IF EXISTS dossier_events_portal_outbox ON dossier_events');
  await knex.raw('DROP FUNCTION IF EXISTS portal_outbox_enqueue()');
  await knex.schema.dropTableIfExists('portal_outbox');
  await knex.schema.dropTableIfExists('portal_sequences');
  await knex.schema.dropTableIfExists('sms_messages');
  await knex.raw('DROP INDEX IF EXISTS notifications_due');
  await knex.raw('ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_channel_check');
  await knex.raw('ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_state_check');
  await knex.schema.alterTable('notifications', (t) => {
    t.dropIndex(['dossier_code', 'template', 'event_key']);
    for (const c of ['state', 'address', 'event_key', 'attempts', 'next_attempt_at', 'last_error', 'provider_id', 'sent_at']) t.dropColumn(c);
  });
}
