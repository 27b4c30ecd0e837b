import type { Knex } from 'knex';

/**
 * Online payments (provider references, receipts, the local provider's own ledger, daily reconciliation
 * reports), the log of signed callbacks, and handoffs to external partners.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('payments', (t) => {
    t.text('provider');
    t.text('provider_reference').unique();
    t.text('payment_url');
    t.text('provider_txn_id').unique();
  });
  await knex.schema.createTable('receipts', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('receipt_no').notNullable().unique();
    t.uuid('payment_id').notNullable().unique().references('payments.id').onDelete('CASCADE');
    t.text('dossier_code').notNullable().references('dossiers.code').onDelete('CASCADE');
    t.text('fee_code').notNullable();
    t.text('fee_name').notNullable();
    t.bigInteger('amount').notNullable();
    t.text('channel').notNullable();
    t.text('issued_by').notNullable();
    t.text('provider_txn_id');
    t.timestamp('paid_at', { useTz: true }).notNullable();
    t.timestamp('issued_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['dossier_code']);
  });
  await knex.raw(`ALTER TABLE receipts ADD CONSTRAINT receipts_channel_check CHECK (channel IN ('counter', 'online', 'bank-transfer', 'postal'))`);
  await knex.schema.createTable('callback_log', (t) => {
    t.bigIncrements('id');
    t.text('source').notNullable();
    t.text('outcome').notNullable();
    t.text('reason');
    t.text('reference');
    t.text('remote_address');
    t.text('signature');
    t.text('body');
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['source', 'reference']);
  });
  await knex.raw(`ALTER TABLE callback_log ADD CONSTRAINT callback_log_source_check CHECK (source IN ('payment', 'handoff'))`);
  await knex.schema.createTable('local_payment_ledger', (t) => {
    t.text('reference').primary();
    t.text('order_ref').notNullable().unique();
    t.text('dossier_code').notNullable();
    t.text('fee_code').notNullable();
    t.text('description').notNullable();
    t.bigInteger('amount').notNullable();
    t.text('state').notNullable().defaultTo('created');
    t.text('transaction_id').unique();
    t.timestamp('paid_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`ALTER TABLE local_payment_ledger ADD CONSTRAINT local_payment_ledger_state_check CHECK (state IN ('created', 'paid'))`);
  await knex.schema.createTable('reconciliation_reports', (t) => {
    t.date('date').primary();
    t.text('provider').notNullable();
    t.boolean('final').notNullable();
    t.integer('our_count').notNullable();
    t.bigInteger('our_total').notNullable();
    t.integer('provider_count').notNullable();
    t.bigInteger('provider_total').notNullable();
    t.jsonb('discrepancies').notNullable();
    t.timestamp('generated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.alterTable('handoffs', (t) => {
    t.text('kind').notNullable().defaultTo('platform');
    t.text('endpoint');
    t.text('idempotency_key').unique();
    t.timestamp('sent_at', { useTz: true });
    t.text('partner_reference');
    t.text('answered_by');
    t.text('reason');
    t.jsonb('result');
  });
  await knex.raw(`ALTER TABLE handoffs ADD CONSTRAINT handoffs_kind_check CHECK (kind IN ('platform', 'external'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE handoffs DROP CONSTRAINT IF EXISTS handoffs_kind_check');
  await knex.schema.alterTable('handoffs', (t) => {
    for (const c of ['kind', 'endpoint', 'idempotency_key', 'sent_at', 'partner_reference', 'answered_by', 'reason', 'result']) t.dropColumn(c);
  });
  await knex.schema.dropTableIfExists('reconciliation_reports');
  await knex.schema.dropTableIfExists('local_payment_ledger');
  await knex.schema.dropTableIfExists('callback_log');
  await knex.schema.dropTableIfExists('receipts');
  await knex.schema.alterTable('payments', (t) => {
    for (const c of ['provider', 'provider_reference', 'payment_url', 'provider_txn_id']) t.dropColumn(c);
  });
}
