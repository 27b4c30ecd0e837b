import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // a step that failed for good: what failed, shown on the dossier until ops repair or cancel it
  await knex.schema.alterTable('dossiers', (t) => {
    t.jsonb('attention');
  });
  await knex.raw('CREATE INDEX dossiers_attention_idx ON dossiers ((attention IS NOT NULL)) WHERE attention IS NOT NULL');
  // the submitting request's key: its retry finds the dossier it registered instead of registering another
  await knex.schema.alterTable('dossiers', (t) => {
    t.text('submission_key').unique();
  });
  // the request that completed a task, so that its retry is recognised and answered truthfully
  await knex.schema.alterTable('tasks', (t) => {
    t.text('completion_key');
  });
  // a request holding an idempotency key renews its lease while it runs; a key whose lease ran out belongs to a request that died
  await knex.schema.alterTable('idempotency_keys', (t) => {
    t.timestamp('lease_until', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('idempotency_keys', (t) => {
    t.dropColumn('lease_until');
  });
  await knex.schema.alterTable('tasks', (t) => {
    t.dropColumn('completion_key');
  });
  await knex.schema.alterTable('dossiers', (t) => {
    t.dropColumn('submission_key');
  });
  await knex.raw('DROP INDEX IF EXISTS dossiers_attention_idx');
  await knex.schema.alterTable('dossiers', (t) => {
    t.dropColumn('attention');
  });
}
