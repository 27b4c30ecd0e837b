import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // the monthly public list of late agencies, units and officers, kept as it was produced
  await knex.schema.createTable('late_lists', (t) => {
    t.text('month').primary();
    t.timestamp('period_from', { useTz: true }).notNullable();
    t.timestamp('period_to', { useTz: true }).notNullable();
    t.jsonb('agencies').notNullable();
    t.jsonb('units').notNullable();
    t.jsonb('officers').notNullable();
    t.text('produced_by').notNullable();
    t.timestamp('produced_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`ALTER TABLE late_lists ADD CONSTRAINT late_lists_month_check CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$')`);
  await knex.schema.alterTable('tasks', (t) => {
    t.index(['completed_at']);
  });
  await knex.schema.alterTable('dossiers', (t) => {
    t.index(['accepted_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('dossiers', (t) => {
    t.dropIndex(['accepted_at']);
  });
  await knex.schema.alterTable('tasks', (t) => {
    t.dropIndex(['completed_at']);
  });
  await knex.schema.dropTableIfExists('late_lists');
}
