import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agencies', (t) => {
    t.text('code').primary();
    t.text('name').notNullable();
    t.text('national_code').notNullable().unique();
    t.timestamps(true, true);
  });
  await knex.schema.createTable('units', (t) => {
    t.text('agency_code').notNullable().references('agencies.code');
    t.text('code').notNullable();
    t.text('name').notNullable();
    t.text('slug').notNullable().unique();
    t.text('kind').notNullable().defaultTo('department');
    t.primary(['agency_code', 'code']);
    t.timestamps(true, true);
  });
  await knex.schema.createTable('roles', (t) => {
    t.text('code').primary();
    t.text('name').notNullable();
  });
  await knex.schema.createTable('accounts', (t) => {
    t.text('username').primary();
    t.text('full_name').notNullable();
    t.text('agency_code').notNullable();
    t.text('unit_code').notNullable();
    t.text('password_hash').notNullable();
    t.boolean('disabled').notNullable().defaultTo(false);
    t.timestamps(true, true);
    t.foreign(['agency_code', 'unit_code']).references(['agency_code', 'code']).inTable('units');
  });
  await knex.schema.createTable('account_roles', (t) => {
    t.text('username').notNullable().references('accounts.username').onDelete('CASCADE');
    t.text('role').notNullable().references('roles.code');
    t.primary(['username', 'role']);
  });

  await knex.schema.createTable('procedure_versions', (t) => {
    t.text('code').notNullable();
    t.integer('version').notNullable();
    t.text('name').notNullable();
    t.text('agency_code').notNullable();
    // json, not jsonb: keep the designer's text order (steps' outcomes are shown in that order)
    t.json('definition').notNullable();
    t.json('plan').notNullable();
    t.text('hash').notNullable();
    t.text('state').notNullable().defaultTo('draft');
    t.text('created_by');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.text('published_by');
    t.timestamp('published_at', { useTz: true });
    t.primary(['code', 'version']);
  });
  await knex.raw(`ALTER TABLE procedure_versions ADD CONSTRAINT procedure_versions_state_check
    CHECK (state IN ('draft', 'published', 'superseded'))`);
  // at most one live version per procedure
  await knex.raw(`CREATE UNIQUE INDEX procedure_versions_one_published ON procedure_versions (code)
    WHERE state = 'published'`);

  await knex.schema.createTable('dossier_sequences', (t) => {
    t.text('key').primary();
    t.integer('last').notNullable();
  });
  await knex.schema.createTable('dossiers', (t) => {
    t.text('code').primary();
    t.text('procedure_code').notNullable();
    t.integer('procedure_version').notNullable();
    t.text('procedure_name').notNullable();
    t.text('agency_code').notNullable();
    t.text('channel').notNullable();
    t.text('code_rule').notNullable();
    t.jsonb('applicant').notNullable();
    t.text('applicant_account');
    t.jsonb('application').notNullable();
    t.text('return_channel');
    t.smallint('status').notNullable();
    t.jsonb('current_steps').notNullable().defaultTo('[]');
    t.integer('supplement_count').notNullable().defaultTo(0);
    t.timestamp('submitted_at', { useTz: true }).notNullable();
    t.timestamp('accepted_at', { useTz: true });
    t.timestamp('appointment_at', { useTz: true });
    t.timestamp('original_appointment_at', { useTz: true });
    t.boolean('overdue').notNullable().defaultTo(false);
    t.timestamp('finished_at', { useTz: true });
    t.timestamp('returned_at', { useTz: true });
    t.timestamps(true, true);
    t.foreign(['procedure_code', 'procedure_version']).references(['code', 'version']).inTable('procedure_versions');
    t.index(['status']);
    t.index(['agency_code', 'status']);
  });
  await knex.raw('ALTER TABLE dossiers ADD CONSTRAINT dossiers_status_check CHECK (status BETWEEN 1 AND 10)');
  await knex.raw(`ALTER TABLE units ADD CONSTRAINT units_kind_check CHECK (kind IN ('counter', 'department', 'leadership'))`);
  await knex.raw(`ALTER TABLE dossiers ADD CONSTRAINT dossiers_channel_check CHECK (channel IN ('online', 'counter', 'postal'))`);

  await knex.schema.createTable('dossier_events', (t) => {
    t.bigIncrements('id');
    t.text('dossier_code').notNullable().references('dossiers.code').onDelete('CASCADE');
    t.text('event_key').notNullable();
    t.text('type').notNullable();
    t.smallint('from_status');
    t.smallint('to_status');
    t.text('step_id');
    t.text('actor').notNullable();
    t.text('actor_name');
    t.text('reason');
    t.jsonb('data');
    t.timestamp('at', { useTz: true }).notNullable();
    t.unique(['dossier_code', 'event_key']);
    t.index(['dossier_code', 'at']);
  });

  await knex.schema.createTable('dossier_documents', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('dossier_code').notNullable().references('dossiers.code').onDelete('CASCADE');
    t.text('document_code').notNullable();
    t.text('file_name');
    t.text('media_type');
    t.integer('size');
    t.text('sha256');
    t.binary('content');
    t.boolean('reused').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['dossier_code']);
  });

  await knex.schema.createTable('tasks', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('dossier_code').notNullable().references('dossiers.code').onDelete('CASCADE');
    t.text('step_id').notNullable();
    t.integer('iteration').notNullable();
    t.text('step_kind').notNullable();
    t.text('step_name').notNullable();
    t.text('procedure_code').notNullable();
    t.text('agency_code').notNullable();
    t.text('unit_code').notNullable();
    t.text('role').notNullable();
    t.text('state').notNullable().defaultTo('open');
    t.text('claimed_by');
    t.timestamp('claimed_at', { useTz: true });
    t.timestamp('due_at', { useTz: true });
    t.integer('priority').notNullable().defaultTo(0);
    // json, not jsonb: the designer's order of outcomes is what officers see
    t.json('outcomes').notNullable();
    t.jsonb('form');
    t.text('outcome');
    t.jsonb('data');
    t.text('comment');
    t.text('completed_by');
    t.timestamp('completed_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['dossier_code', 'step_id', 'iteration']);
    t.index(['agency_code', 'unit_code', 'role', 'state']);
  });
  await knex.schema.createTable('notifications', (t) => {
    t.bigIncrements('id');
    t.text('key').notNullable().unique();
    t.text('dossier_code').references('dossiers.code').onDelete('CASCADE');
    t.text('recipient_kind').notNullable();
    t.text('recipient').notNullable();
    t.text('channel').notNullable();
    t.text('template').notNullable();
    t.jsonb('data').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('read_at', { useTz: true });
    t.index(['recipient_kind', 'recipient']);
  });
  await knex.raw(`ALTER TABLE tasks ADD CONSTRAINT tasks_state_check
    CHECK (state IN ('open', 'claimed', 'completed', 'cancelled'))`);

  await knex.schema.createTable('idempotency_keys', (t) => {
    t.text('key').notNullable();
    t.text('principal').notNullable();
    t.text('request').notNullable();
    t.integer('status_code');
    t.jsonb('body');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['principal', 'key']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['idempotency_keys', 'notifications', 'tasks', 'dossier_documents', 'dossier_events', 'dossiers', 'dossier_sequences',
    'procedure_versions', 'account_roles', 'accounts', 'roles', 'units', 'agencies']) {
    await knex.schema.dropTableIfExists(table);
  }
}
