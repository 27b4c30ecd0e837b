import type { Knex } from 'knex';
import { createProcedureService } from '../../api/services/procedures';

/** Uploads a test's own procedure definition and publishes that version, as a designer would. */
export async function publishProcedure(db: Knex, definition: { code: string; version: number } & Record<string, unknown>): Promise<void> {
  const procedures = createProcedureService(db);
  await procedures.upload(definition, 'test');
  await procedures.publish(definition.code, definition.version, 'test');
}
