import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('dossier_documents', (t) => {
    t.text('digitization_code').unique();
    t.text('digitized_by');
    t.timestamp('digitized_at', { useTz: true });
  });
  await knex.schema.createTable('payments', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('dossier_code').notNullable().references('dossiers.code').onDelete('CASCADE');
    t.text('fee_code').notNullable();
    t.text('fee_name').notNullable();
    t.bigInteger('amount').notNullable();
    t.text('collect').notNullable();
    t.text('state').notNullable().defaultTo('pending');
    t.text('channel');
    t.text('paid_by');
    t.text('receipt_no');
    t.timestamp('requested_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('paid_at', { useTz: true });
    t.unique(['dossier_code', 'fee_code']);
  });
  await knex.raw(`ALTER TABLE payments ADD CONSTRAINT payments_state_check CHECK (state IN ('pending', 'paid', 'cancelled'))`);
  await knex.raw(`ALTER TABLE payments ADD CONSTRAINT payments_amount_check CHECK (amount >= 0)`);
  await knex.schema.alterTable('dossiers', (t) => {
    t.text('parent_code').references('dossiers.code');
    t.text('parent_step');
  });
  await knex.schema.createTable('handoffs', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('dossier_code').notNullable().references('dossiers.code').onDelete('CASCADE');
    t.text('step_id').notNullable();
    t.integer('iteration').notNullable();
    t.text('to_agency').notNullable();
    t.text('partner_procedure');
    t.text('partner_dossier_code').references('dossiers.code');
    t.text('handed_by').notNullable();
    t.timestamp('handed_at', { useTz: true }).notNullable();
    t.timestamp('due_at', { useTz: true });
    t.text('received_by');
    t.timestamp('received_at', { useTz: true });
    t.text('outcome');
    t.timestamp('returned_at', { useTz: true });
    t.unique(['dossier_code', 'step_id', 'iteration']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('handoffs');
  await knex.schema.alterTable('dossiers', (t) => {
    t.dropColumn('parent_step');
    t.dropColumn('parent_code');
  });
  await knex.schema.dropTableIfExists('payments');
  await knex.schema.alterTable('dossier_documents', (t) => {
    t.dropColumn('digitized_at');
    t.dropColumn('digitized_by');
    t.dropColumn('digitization_code');
  });
}
