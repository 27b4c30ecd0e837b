import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // one row per year: the holidays and extra days off, and the Saturdays/Sundays that work (swaps)
  await knex.schema.createTable('calendar_years', (t) => {
    t.integer('year').primary();
    t.jsonb('days_off').notNullable();
    t.jsonb('working_days').notNullable();
    t.text('source').notNullable();
    t.text('updated_by').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`ALTER TABLE calendar_years ADD CONSTRAINT calendar_years_source_check CHECK (source IN ('prefill', 'admin'))`);
  // office sessions per agency where they differ from the province default
  await knex.schema.createTable('agency_calendars', (t) => {
    t.text('agency_code').primary().references('agencies.code');
    t.text('zone').notNullable();
    t.jsonb('sessions').notNullable();
    t.jsonb('weekdays').notNullable();
    t.text('updated_by').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('agency_calendars');
  await knex.schema.dropTableIfExists('calendar_years');
}
