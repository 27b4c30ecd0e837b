import type { Knex } from 'knex';

/**
 * Documents in the file store (content-addressed), the applicant's electronic data store, results coded
 * `<dossier code>-KQ<n>`, and postal return orders.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('dossier_documents', (t) => {
    // the file store's key; rows from before keep their bytes in `content`
    t.text('storage_key');
    t.text('digitization_result');
    t.jsonb('metadata');
    t.uuid('applicant_document_id');
  });
  await knex.raw(`ALTER TABLE dossier_documents ADD CONSTRAINT dossier_documents_digitization_result_check
    CHECK (digitization_result IN ('uploaded', 'scanned', 'reused'))`);

  await knex.schema.createTable('applicant_documents', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('applicant_id').notNullable();
    t.text('document_code').notNullable();
    t.text('document_name');
    t.text('file_name');
    t.text('media_type').notNullable();
    t.integer('size').notNullable();
    t.text('sha256').notNullable();
    t.text('storage_key').notNullable();
    t.text('source').notNullable();
    t.text('dossier_code');
    t.text('digitization_code');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['applicant_id', 'document_code', 'sha256']);
    t.index(['applicant_id', 'document_code']);
  });
  await knex.raw(`ALTER TABLE applicant_documents ADD CONSTRAINT applicant_documents_source_check CHECK (source IN ('dossier', 'result'))`);

  await knex.schema.createTable('dossier_results', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('dossier_code').notNullable().references('dossiers.code').onDelete('CASCADE');
    t.integer('seq').notNullable();
    t.text('code').notNullable().unique();
    t.text('name').notNullable();
    t.text('file_name').notNullable();
    t.text('media_type').notNullable();
    t.integer('size').notNullable();
    t.text('sha256').notNullable();
    t.text('storage_key').notNullable();
    t.text('created_by').notNullable();
    t.text('created_by_unit').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('pushed_at', { useTz: true });
    t.unique(['dossier_code', 'seq']);
  });

  await knex.schema.createTable('postal_parcels', (t) => {
    t.text('id').primary();
    t.text('idempotency_key').notNullable().unique();
    t.jsonb('recipient').notNullable();
    t.jsonb('items').notNullable();
    t.timestamp('accepted_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('delivered_at', { useTz: true });
    t.text('received_by');
  });

  await knex.schema.createTable('postal_orders', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('dossier_code').notNullable().references('dossiers.code').onDelete('CASCADE');
    t.text('step_id').notNullable();
    t.integer('iteration').notNullable();
    t.text('provider').notNullable();
    t.text('order_id').notNullable().unique();
    t.text('tracking_no').notNullable();
    t.text('address').notNullable();
    t.boolean('in_province').notNullable();
    t.text('state').notNullable().defaultTo('created');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('due_at', { useTz: true });
    t.timestamp('delivered_at', { useTz: true });
    t.text('received_by');
    t.text('confirmed_by');
    t.boolean('late').notNullable().defaultTo(false);
    t.unique(['dossier_code', 'step_id', 'iteration']);
  });
  await knex.raw(`ALTER TABLE postal_orders ADD CONSTRAINT postal_orders_state_check CHECK (state IN ('created', 'delivered'))`);

  await knex.schema.alterTable('dossiers', (t) => {
    t.boolean('late_delivery').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('dossiers', (t) => {
    t.dropColumn('late_delivery');
  });
  for (const table of ['postal_orders', 'postal_parcels', 'dossier_results', 'applicant_documents']) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.raw('ALTER TABLE dossier_documents DROP CONSTRAINT IF EXISTS dossier_documents_digitization_result_check');
  await knex.schema.alterTable('dossier_documents', (t) => {
    t.dropColumn('applicant_document_id');
    t.dropColumn('metadata');
    t.dropColumn('digitization_result');
    t.dropColumn('storage_key');
  });
}
