import knex, { type Knex } from 'knex';
import { join } from 'node:path';

export type { Knex };

const migrationsDir = join(__dirname, '..', 'migrations');

/** Opens a knex pool on PostgreSQL. Timestamps come back as JS Dates; bigints as strings. */
export function createDb(connectionString: string, pool = { min: 0, max: 10 }): Knex {
  return knex({ client: 'pg', connection: connectionString, pool });
}

/** Brings the schema up to date; safe to run from several processes (knex takes a lock). */
export async function migrateLatest(db: Knex): Promise<string[]> {
  const [, applied] = await db.migrate.latest({ directory: migrationsDir, loadExtensions: ['.ts', '.js'] });
  return applied as string[];
}
